import Foundation
import HogwildTestSupport
import Testing

/// Runs that diverge, ask for impossible cutoffs or counts, find nothing to train on, or cannot
/// fit in memory: each ends in one line and a non-zero exit, having written nothing.
@Suite("hogwild stops diverged, degenerate and oversized runs with one line")
struct SafetyCommandTests {
    static let hugeK = "4611686018427387903"

    @Test("a diverging run stops with the epoch and --lr and writes no model and no report", .needsMovieLens, .tags(.movieLens),
          arguments: [["--lr=3.4e38"], ["--lr=3.4e38", "--loss", "warp"], ["--lr=1e20"], ["--lr=1e36"]])
    func divergence(flags: [String]) throws {
        _ = try MovieLens.require()
        try withTemporaryDirectory { dir in
            let r = try runHogwild(["train", "--data", "ml-100k", "--epochs", "3", "--save", "m.hgw", "--report", "r.json"] + flags, in: dir)
            expectOneLineError(r, containing: ["diverged in epoch", "--lr", "lower --lr"])
            for name in ["m.hgw", "r.json"] {
                #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path), "\(name) was written: \(r)")
            }
            #expect(!r.stdout.contains("AUC") && !r.stdout.contains("nan"), "\(r)")
        }
    }

    @Test("--k beyond the catalogue is refused before training; recommend and similar clamp it", .needsMovieLens, .tags(.movieLens))
    func hugeK() throws {
        _ = try MovieLens.require()
        try withTemporaryDirectory { dir in
            let r = try runHogwild(["train", "--data", "ml-100k", "--k", Self.hugeK, "--save", "m.hgw"], in: dir)
            expectOneLineError(r, containing: ["--k \(Self.hugeK)", "1682 items"])
            #expect(!r.stdout.contains("epoch"), "it trained first: \(r)")
            let trained = try runHogwild(["train", "--data", "ml-100k", "--loss", "margin", "--epochs", "1", "--save", "m.hgw", "--quiet"], in: dir)
            try #require(trained.status == 0, "\(trained)")
            let recommended = try runHogwild(["recommend", "--model", "m.hgw", "--user", "1", "--k", Self.hugeK], in: dir)
            #expect(recommended.status == 0 && recommended.stdout.contains("only 1420 items are left"), "\(recommended)")
            let similar = try runHogwild(["similar", "--model", "m.hgw", "--item", "1", "--k", Self.hugeK], in: dir)
            #expect(similar.status == 0 && similar.stdout.contains("only 1681 other items"), "\(similar)")
            let evaluated = try runHogwild(["eval", "--model", "m.hgw", "--data", "ml-100k", "--k", "1683"], in: dir)
            expectOneLineError(evaluated, containing: ["--k 1683", "1682 items"])
        }
    }

    @Test("a run that cannot fit in memory stops before loading or training, naming both figures; --ignore-memory-limit runs it")
    func memoryLimit() throws {
        try withTemporaryDirectory { dir in
            try writeFile("r.tsv", smallRatings(), in: dir)
            let limited = ["HOGWILD_MEMORY_LIMIT": "1M"]
            let r = try runHogwild(["train", "--data", "r.tsv", "--epochs", "1", "--save", "m.hgw"], in: dir, environment: limited)
            expectOneLineError(r, containing: ["needs about", "available (HOGWILD_MEMORY_LIMIT)", "--ignore-memory-limit"])
            #expect(!r.stdout.contains("epoch") && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("m.hgw").path), "\(r)")
            let brave = try runHogwild(["train", "--data", "r.tsv", "--epochs", "1", "--dim", "8", "--ignore-memory-limit"], in: dir,
                                       environment: limited)
            #expect(brave.status == 0 && brave.stdout.contains("AUC"), "\(brave)")
            // Plenty of memory: the same run is not refused.
            let roomy = try runHogwild(["train", "--data", "r.tsv", "--epochs", "1", "--dim", "8"], in: dir, environment: ["HOGWILD_MEMORY_LIMIT": "8G"])
            #expect(roomy.status == 0, "\(roomy)")
            // bench checks its largest run too: 10⁸ users and 10⁸ items at dim 64 are 47.7 GiB of rows.
            let bench = try runHogwild(["bench", "--evaluator", "--users", "100000000", "--items", "100000000", "--threads", "1"], in: dir,
                                       environment: ["HOGWILD_MEMORY_LIMIT": "8G"])
            expectOneLineError(bench, containing: ["needs about", "embedding tables 47.7 GiB"])
        }
    }

    @Test("a binary header claiming 2³¹−1 items is refused by the memory check before anything is read")
    func hugeBinaryHeader() throws {
        try withTemporaryDirectory { dir in
            var bytes = Array("HGWDATA".utf8) + [1]
            for v in [UInt32(1), 0] { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
            for v in [UInt64(1), UInt64(Int32.max), 0, 0] { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
            bytes += [UInt8](repeating: 0, count: 32)  // two offset arrays of one user, no pairs
            try writeFile("huge.hgwi", bytes: bytes, in: dir)
            let r = try runHogwild(["train", "--data", "huge.hgwi"], in: dir, environment: ["HOGWILD_MEMORY_LIMIT": "64G"])
            expectOneLineError(r, containing: ["needs about", "embedding tables", "smaller --dim"])
        }
    }

    @Test("synth refuses 10¹⁰ interactions it cannot make, and a size beyond memory, in one line")
    func synthLimits() throws {
        try withTemporaryDirectory { dir in
            let r = try runHogwild(["synth", "--interactions", "10000000000", "--out", "s.hgwi"], in: dir)
            expectOneLineError(r, containing: ["--interactions 10000000000", "at most 5000000"])
            let big = try runHogwild(["synth", "--users", "100000000", "--items", "1000000000", "--interactions", "10000000000", "--out", "s.hgwi"],
                                     in: dir, environment: ["HOGWILD_MEMORY_LIMIT": "64G"])
            expectOneLineError(big, containing: ["synth needs about", "--ignore-memory-limit"])
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("s.hgwi").path))
            // Users whose taste clusters hold fewer distinct items than their draws keep fewer:
            // the shortfall is said, with the count made (train + test of the "synth" line).
            let short = try runHogwild(["synth", "--users", "300", "--items", "400", "--clusters", "40", "--interactions", "30000",
                                        "--out", "s.hgwi"], in: dir)
            let counts = short.stdout.split(separator: " ").compactMap { Int($0) }
            #expect(short.status == 0 && counts.count >= 4, "\(short)")
            let made = counts.count >= 4 ? counts[2] + counts[3] : -1
            #expect(made < 29_700 && short.stdout.contains("note     \(made) of the 30000 interactions asked for"), "\(short)")
        }
    }

    @Test("--min-rating above every rating, or a binary file without training pairs, is an error")
    func noPositives() throws {
        try withTemporaryDirectory { dir in
            try writeFile("r.tsv", smallRatings(), in: dir)
            let r = try runHogwild(["train", "--data", "r.tsv", "--min-rating", "6"], in: dir)
            expectOneLineError(r, containing: ["r.tsv", "no positives", "from 2.0 to 5.0", "--min-rating 6"])
            // One user, three items, no training pair and one test pair (item 2).
            var bytes = Array("HGWDATA".utf8) + [1]
            for v in [UInt32(1), 0] { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
            for v in [UInt64(1), 3, 0, 1, 0, 0, 0, 1] { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
            withUnsafeBytes(of: Int32(2).littleEndian) { bytes += $0 }
            try writeFile("empty.hgwi", bytes: bytes, in: dir)
            let binary = try runHogwild(["train", "--data", "empty.hgwi", "--k", "1"], in: dir)
            expectOneLineError(binary, containing: ["empty.hgwi", "no training positives"])
        }
    }
}
