import ArgumentParser
import Foundation
import Hogwild

struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate a synthetic implicit-feedback data set with planted structure, at any scale.",
        discussion: """
            Example: hogwild synth --users 2000000 --items 200000 --interactions 50000000 --out big.hgwi
                     hogwild train --data big.hgwi

            Each item belongs to one of --clusters taste clusters and has a Zipf popularity; each \
            user draws a log-normal number of items from a few clusters (plus --noise from global \
            popularity). --holdout positives per user become the test set. The output depends on \
            the flags alone (not on --threads). The binary format (default) holds train and test \
            and loads at disk speed; --format csv writes user,item lines to --out and --test-out.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case binary, csv }

    @Option(help: "Users.") var users = SyntheticSpec().users
    @Option(help: "Items.") var items = SyntheticSpec().items
    @Option(help: "Target distinct interactions, train and test together.") var interactions = SyntheticSpec().interactions
    @Option(help: "Planted taste clusters.") var clusters = SyntheticSpec().clusters
    @Option(help: "Clusters per user.") var clustersPerUser = SyntheticSpec().clustersPerUser
    @Option(help: "Zipf exponent of item popularity.") var zipf = SyntheticSpec().zipf
    @Option(help: "σ of the log-normal interactions per user.") var activitySigma = SyntheticSpec().activitySigma
    @Option(help: "Share of interactions drawn from global popularity.") var noise = SyntheticSpec().noise
    @Option(help: "Positives held out per user as the test set.") var holdout = SyntheticSpec().holdout
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Output format: binary or csv.") var format = Format.binary
    @Option(help: ArgumentHelp("Output file (the train file for csv).", valueName: "file")) var out: String
    @Option(help: ArgumentHelp("Test file for --format csv.", valueName: "file")) var testOut: String?
    @Option(help: "Worker threads (default: all \(coreCount) cores).") var threads: Int?
    @Flag(help: "Skip the memory check (the generator's estimated needs against the cgroup limit, MemAvailable or $\(MemoryBudget.limitVariable)).")
    var ignoreMemoryLimit = false

    var spec: SyntheticSpec {
        var s = SyntheticSpec()
        s.users = users; s.items = items; s.interactions = interactions; s.clusters = clusters
        s.clustersPerUser = clustersPerUser; s.zipf = zipf; s.activitySigma = activitySigma
        s.noise = noise; s.holdout = holdout; s.seed = seed
        return s
    }

    func validate() throws {
        try spec.validate()
        if let threads, threads < 1 { throw HogwildError("--threads must be at least 1 (got \(threads))") }
        if format == .csv && holdout > 0 && testOut == nil { throw HogwildError("--format csv needs --test-out for the held-out positives (or --holdout 0)") }
        if format == .binary && testOut != nil { throw HogwildError("--test-out is for --format csv; the binary file holds the test set") }
    }

    func run() throws {
        try prepare(outputs: [out, testOut])
        if !ignoreMemoryLimit {
            try MemoryBudget.check(MemoryBudget.synthetic(spec), what: "synth", advice: "ask for fewer --interactions, --users or --items")
        }
        let started = Date()
        let (train, test) = SyntheticData.generate(spec, threads: threads ?? coreCount)
        let generated = Date().timeIntervalSince(started)
        switch format {
        case .binary:
            try InteractionFile.write(train: train, test: test, to: out)
        case .csv:
            try CSVWriter.write(train, to: out)
            if let testOut { try CSVWriter.write(test, to: testOut) }
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
        say("synth    \(users) users, \(items) items: \(train.nonZeroCount) train / \(test.nonZeroCount) test positives in \(fixed(generated, 2)) s")
        say("wrote    \(out) (\(fixed(Double(size) / 1e6, 1)) MB) in \(fixed(Date().timeIntervalSince(started) - generated, 2)) s")
        let made = train.nonZeroCount + test.nonZeroCount
        if Double(made) < 0.99 * Double(interactions) {
            say("note     \(made) of the \(interactions) interactions asked for: users with more draws than their taste clusters hold distinct items (or than the cap of a quarter of --items) keep fewer; raise --items, --clusters-per-user or --noise for more")
        }
    }
}

/// Writes a matrix as `user,item` lines, ids being the row indices.
enum CSVWriter {
    static func write(_ matrix: InteractionMatrix, to path: String) throws {
        try FileBytes.writeAtomically(path) { sink in
            var line = [UInt8]()
            line.reserveCapacity(1 << 16)
            func digits(_ value: Int) {
                var v = value, buffer: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
                var n = 0
                withUnsafeMutableBytes(of: &buffer) { b in
                    repeat { b[n] = UInt8(48 + v % 10); v /= 10; n += 1 } while v > 0
                    while n > 0 { n -= 1; line.append(b[n]) }
                }
            }
            for u in 0..<matrix.userCount {
                for item in matrix.items(of: u) {
                    digits(u); line.append(0x2C); digits(Int(item)); line.append(0x0A)
                }
                if line.count > 60_000 { try sink.write(line); line.removeAll(keepingCapacity: true) }
            }
            try sink.write(line)
        }
    }
}
