import Foundation
import Testing

/// `hogwild train --matcher mlp` end to end on a tiny file: the saved network is what eval,
/// recommend and --resume use.
@Suite("hogwild train --matcher mlp")
struct DeepMatcherCommandTests {
    static let train = ["train", "--data", "train.tsv", "--holdout", "2", "--matcher", "mlp", "--dim", "8",
                        "--hidden", "12", "--threads", "1", "--seed", "5"]

    @Test("eval of the saved MLP model gives the AUC train reported; recommend ranks through it")
    func trainSaveEvalRecommend() throws {
        try withTemporaryDirectory { dir in
            try writeFile("train.tsv", smallRatings(), in: dir)
            let r = try runHogwild(Self.train + ["--epochs", "3", "--save", "m.hgw", "--report", "r.json"], in: dir)
            try #require(r.terminationReason == .exit && r.status == 0, "\(r)")
            #expect(r.stdout.contains("on an MLP (hidden 12"), "\(r)")
            let report = try readJSONObject(dir.appendingPathComponent("r.json"))
            #expect(report["matcher"] as? String == "mlp")
            let auc = try number(report, "auc")
            #expect(auc > 0 && auc < 1)

            let e = try runHogwild(["eval", "--model", "m.hgw", "--data", "train.tsv", "--holdout", "2",
                                    "--report", "e.json"], in: dir)
            try #require(e.terminationReason == .exit && e.status == 0, "\(e)")
            let evalAUC = try number(try readJSONObject(dir.appendingPathComponent("e.json")), "auc")
            #expect(abs(evalAUC - auc) <= 1e-9, "eval of the saved MLP model gives AUC \(evalAUC), train reported \(auc)")

            let rec = try runHogwild(["recommend", "--model", "m.hgw", "--user", "1", "--k", "5"], in: dir)
            try #require(rec.terminationReason == .exit && rec.status == 0, "\(rec)")
            let scores = rec.stdout.split(separator: "\n").compactMap { line -> Double? in
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                return fields.count >= 3 && Int(fields[0]) != nil ? Double(fields[2]) : nil
            }
            #expect(scores.count == 5, "\(rec)")
            #expect(zip(scores, scores.dropFirst()).allSatisfy { $0 >= $1 }, "scores not descending: \(rec)")
        }
    }

    @Test("--resume and early stopping carry the network: the evaluated model is the saved or best epoch's")
    func resumeAndEarlyStoppingKeepTheNetwork() throws {
        try withTemporaryDirectory { dir in
            try writeFile("train.tsv", smallRatings(), in: dir)
            let first = try runHogwild(Self.train + ["--epochs", "2", "--save", "part.hgw", "--report", "part.json"], in: dir)
            try #require(first.status == 0, "\(first)")
            // Resuming a finished run trains nothing and evaluates the saved model: the same AUC
            // only if the saved network (not a fresh one) scores.
            let resumed = try runHogwild(["train", "--data", "train.tsv", "--holdout", "2", "--threads", "1",
                                          "--resume", "part.hgw", "--report", "resumed.json"], in: dir)
            try #require(resumed.status == 0, "\(resumed)")
            let saved = try number(try readJSONObject(dir.appendingPathComponent("part.json")), "auc")
            #expect(try number(try readJSONObject(dir.appendingPathComponent("resumed.json")), "auc") == saved)

            // Early stopping restores the best epoch's rows and network: the final test AUC is the
            // one --eval-every measured at that epoch.
            let stopped = try runHogwild(Self.train + ["--epochs", "6", "--validation-fraction", "0.3", "--eval-every", "1",
                                                       "--report", "es.json"], in: dir)
            try #require(stopped.status == 0, "\(stopped)")
            let report = try readJSONObject(dir.appendingPathComponent("es.json"))
            let history = try #require(report["history"] as? [[String: Any]])
            let validation = history.compactMap { $0["validation_auc"] as? Double }
            try #require(validation.count == 6)
            let best = validation.indices.max { validation[$0] < validation[$1] || (validation[$0] == validation[$1] && $0 > $1) }!
            try #require(best < 5, "the last epoch is the best: the check below would not test the restore (\(validation))")
            let atBest = try #require(history[best]["auc"] as? Double)
            #expect(try number(report, "auc") == atBest, "\(stopped)")
        }
    }
}
