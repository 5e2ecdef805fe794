import ArgumentParser
import Foundation
import Hogwild

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure training throughput (triplets/s) for several thread counts.",
        discussion: """
            Example: hogwild bench --data ml-100k --threads 1,2 --report scaling.json

            Trains fresh models for --epochs epochs per run and reports the median throughput of \
            --repeats runs per thread count, the speedup over the first thread count, and the \
            parallel efficiency. Repeats are interleaved across thread counts so that machine \
            noise spreads evenly. By default it measures the default training setup (the full \
            softmax); the model flags select other losses (--loss margin: the fastest step).
            """)

    @OptionGroup(title: "Data") var dataOptions: DataOptions
    @OptionGroup(title: "Model") var modelOptions: ModelOptions

    @Option(name: .customLong("threads"), help: ArgumentHelp("Comma-separated thread counts (default: 1 up to all cores).", valueName: "n,n,…"))
    var threadList: String?

    @Option(help: "Epochs per run.")
    var epochs = 10

    @Option(help: "Runs per thread count; the median is reported.")
    var repeats = 3

    @Option(help: ArgumentHelp("Write the table as JSON to this file.", valueName: "file"))
    var report: String?

    @Option(name: .customLong("report-html"),
            help: ArgumentHelp("Write a self-contained HTML page (table and SVG charts against threads, or dimension for --kernels) to this file; a name ending in .svg gets the main chart alone.", valueName: "file"))
    var reportHTML: String?

    @Flag(help: "Benchmark the evaluator's scoring instead of training: a random model of --users × --items, all items scored for every user.")
    var evaluator = false

    @Flag(help: "Benchmark the kernels (ns per dot, cosine and triplet step) at --dims on one core.")
    var kernels = false

    @Option(help: ArgumentHelp("Comma-separated dimensions for --kernels.", valueName: "d,d,…"))
    var dims = "32,64,128,256"

    @Flag(help: "Skip the memory check (the largest run's estimated needs against the cgroup limit, MemAvailable or $\(MemoryBudget.limitVariable)).")
    var ignoreMemoryLimit = false

    @Option(help: "Users of the --evaluator model.")
    var users = 100_000

    @Option(help: "Items of the --evaluator model.")
    var items = 20_000

    var threadCounts: [Int] {
        get throws {
            guard let threadList else {
                var counts = [1]
                while counts.last! * 2 < coreCount { counts.append(counts.last! * 2) }
                if coreCount > 1 { counts.append(coreCount) }
                return counts
            }
            return try threadList.split(separator: ",").map { part in
                guard let n = Int(part.trimmingCharacters(in: .whitespaces)), n >= 1 else {
                    throw HogwildError("--threads takes comma-separated counts of at least 1 (got '\(threadList)')")
                }
                return n
            }
        }
    }

    func validate() throws {
        let counts = try threadCounts
        guard !counts.isEmpty else { throw HogwildError("--threads needs at least one count") }
        for t in counts { _ = try modelOptions.configuration(epochs: epochs, threads: t, defaultNegatives: .uniform) }
        guard epochs >= 1 else { throw HogwildError("--epochs must be at least 1 (got \(epochs))") }
        guard repeats >= 1 else { throw HogwildError("--repeats must be at least 1 (got \(repeats))") }
        if (evaluator || kernels) && modelOptions.matcher == .mlp {
            throw HogwildError("--evaluator and --kernels measure the bilinear kernels; for the MLP matcher, bench without them measures training")
        }
    }

    func run() throws {
        try prepare(outputs: [report, reportHTML], protecting: evaluator || kernels ? [] : try dataOptions.source().inputFiles)
        if evaluator { return try runEvaluator() }
        if kernels { return try runKernels() }
        let counts = try threadCounts
        let dataset = try dataOptions.load(seed: modelOptions.seed)
        let (base, note) = try modelOptions.configuration(for: dataset, epochs: epochs, threads: counts[0], defaultNegatives: .uniform)
        if let note { say("note     \(note)") }
        var widest = base
        widest.threads = counts.max() ?? 1
        if !ignoreMemoryLimit {
            try MemoryBudget.check(MemoryBudget.training(users: dataset.users.count, items: dataset.items.count,
                                                         pairs: dataset.train.nonZeroCount, configuration: widest))
        }
        let header = [("data", dataset.summary),
                      ("model", base.summary.replacingOccurrences(of: ", \(counts[0]) thread\(counts[0] == 1 ? "" : "s")", with: "")),
                      ("runs", "\(repeats) × \(epochs) epochs per thread count, \(Allocator.description), load \(loadAverage)")]
        for (key, value) in header { say(key.padding(toLength: 9, withPad: " ", startingAt: 0) + value) }
        var rates = [[Double]](repeating: [], count: counts.count)
        for _ in 0..<repeats {
            for (index, threads) in counts.enumerated() {
                var config = base
                config.threads = threads
                let model = EmbeddingModel(configuration: config, users: dataset.users, items: dataset.items)
                let trainer = try HogwildTrainer(model: model, train: dataset.train, seen: dataset.seen)
                var seconds = 0.0, triplets = 0
                for _ in 0..<epochs {
                    let s = try trainer.trainEpoch()
                    seconds += s.seconds
                    triplets += s.triplets
                }
                rates[index].append(Double(triplets) / seconds)
            }
        }
        let medians = rates.map(median)
        let modelBytes = (dataset.users.count + dataset.items.count) * EmbeddingTable.stride(forDimension: base.dimension) * 4
        let interactionBytes = InteractionMemory.bytes(dataset)
        let reference = medians[0] / Double(counts[0])
        say("")
        say("threads   triplets/s   speedup   efficiency   runs")
        var rows: [BenchRow] = []
        for (index, threads) in counts.enumerated() {
            let speedup = medians[index] / medians[0] * Double(counts[0]) / Double(counts[0])
            let efficiency = medians[index] / (reference * Double(threads))
            rows.append(BenchRow(threads: threads, tripletsPerSecond: medians[index], speedup: speedup,
                                 efficiency: efficiency, runs: rates[index], modelBytes: modelBytes,
                                 interactionBytes: interactionBytes, peakRSSBytes: peakResidentBytes))
            say("\(String(format: "%7d", threads))   \(pad(millions(medians[index]), 10))   \(String(format: "%6.2f×", speedup))   \(String(format: "%9.1f%%", 100 * efficiency))   \(rates[index].map { millions($0) }.joined(separator: ", "))")
        }
        say("")
        let memory = "tables \(megabytes(modelBytes)) + interaction arrays \(megabytes(interactionBytes)) = \(megabytes(modelBytes + interactionBytes)); peak RSS \(megabytes(peakResidentBytes)) (\(String(format: "%.2f", Double(peakResidentBytes) / Double(modelBytes + interactionBytes)))×)"
        say("memory   \(memory)")
        if let report { try writeJSON(rows, to: report) }
        if let reportHTML { try HTMLReport.writeBench(rows, header: header, memory: memory, to: reportHTML) }
    }

    func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }

    func runKernels() throws {
        let list = try dims.split(separator: ",").map { part -> Int in
            guard let d = Int(part.trimmingCharacters(in: .whitespaces)), d >= 1, d <= 65_536 else {
                throw HogwildError("--dims takes comma-separated dimensions between 1 and 65536 (got '\(dims)')")
            }
            return d
        }
        let setting = "one core, rows in cache, every step updating; median of \(repeats) runs, load \(loadAverage)"
        say("kernels  \(setting)")
        let rows = KernelBench.run(dims: list, repeats: repeats)
        say("")
        say("kernel                 " + list.map { pad("dim \($0)", 10) }.joined())
        for kernel in KernelBench.kernels {
            let cells = list.map { d in rows.first { $0.kernel == kernel && $0.dim == d }.map { pad(String(format: "%.2f ns", $0.nsPerOp), 10) } ?? "" }
            say(kernel.padding(toLength: 23, withPad: " ", startingAt: 0) + cells.joined())
        }
        if let report { try writeJSON(rows, to: report) }
        if let reportHTML { try HTMLReport.writeKernelBench(rows, header: [("kernels", setting)], to: reportHTML) }
    }

    /// Scoring throughput of the blocked evaluator kernel: GFLOP/s = 2·users·items·dim / time.
    func runEvaluator() throws {
        let counts = try threadCounts
        guard users >= 1, items >= 2 else { throw HogwildError("--users must be ≥ 1 and --items ≥ 2") }
        var config = try modelOptions.configuration(epochs: 0, threads: counts.max() ?? 1)
        if !ignoreMemoryLimit { try MemoryBudget.check(MemoryBudget.training(users: users, items: items, pairs: 0, configuration: config)) }
        config.threads = counts[0]
        let model = EmbeddingModel(configuration: config, users: IDMap(denseCount: users), items: IDMap(denseCount: items))
        let flop = 2.0 * Double(users) * Double(items) * Double(config.dimension)
        let setting = "random \(users) users × \(items) items, dim \(config.dimension), \(config.similarity.rawValue); \(repeats) runs per thread count, load \(loadAverage)"
        say("model    \(setting)")
        var seconds = [[Double]](repeating: [], count: counts.count)
        for _ in 0..<repeats {
            for (index, threads) in counts.enumerated() {
                seconds[index].append(AUCEvaluator.timeScoring(model: model, users: users, threads: threads))
            }
        }
        say("")
        say("threads   seconds   GFLOP/s   scores/s    speedup")
        var rows: [EvaluatorBenchRow] = []
        let base = median(seconds[0])
        for (index, threads) in counts.enumerated() {
            let t = median(seconds[index])
            rows.append(EvaluatorBenchRow(threads: threads, seconds: t, gflops: flop / t / 1e9,
                                          scoresPerSecond: Double(users) * Double(items) / t, speedup: base / t, runs: seconds[index]))
            say("\(String(format: "%7d", threads))   \(String(format: "%7.3f", t))   \(String(format: "%7.1f", flop / t / 1e9))   \(pad(String(format: "%.2f G", Double(users) * Double(items) / t / 1e9), 8))   \(String(format: "%6.2f×", base / t))")
        }
        if let report { try writeJSON(rows, to: report) }
        if let reportHTML { try HTMLReport.writeEvaluatorBench(rows, header: [("model", setting)], to: reportHTML) }
    }

    var loadAverage: String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "unknown"
    }
}

/// `text` right-aligned in `width` columns.
func pad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
}

func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// One row of `bench --evaluator --report`.
struct EvaluatorBenchRow: Codable {
    var threads: Int
    var seconds: Double
    var gflops: Double
    var scoresPerSecond: Double
    var speedup: Double
    var runs: [Double]

    enum CodingKeys: String, CodingKey {
        case threads, seconds, gflops, speedup, runs
        case scoresPerSecond = "scores_per_second"
    }
}

/// One row of `bench --report`.
struct BenchRow: Codable {
    var threads: Int
    var tripletsPerSecond: Double
    var speedup: Double
    var efficiency: Double
    var runs: [Double]
    var modelBytes: Int
    var interactionBytes: Int
    var peakRSSBytes: Int

    enum CodingKeys: String, CodingKey {
        case threads, speedup, efficiency, runs
        case tripletsPerSecond = "triplets_per_second"
        case modelBytes = "model_bytes"
        case interactionBytes = "interaction_bytes"
        case peakRSSBytes = "peak_rss_bytes"
    }
}

/// The bytes of a data set's interaction arrays as training holds them: train and test CSR
/// (offsets and item indices) plus the trainer's (user, item) pair list.
enum InteractionMemory {
    static func bytes(_ d: Dataset) -> Int {
        let csr = 2 * (d.users.count + 1) * 8 + (d.train.nonZeroCount + d.test.nonZeroCount) * 4
        return csr + d.train.nonZeroCount * MemoryLayout<TrainingPair>.stride
    }
}
