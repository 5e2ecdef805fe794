import Foundation
import HogwildTestSupport
import Testing

/// Full runs of `hogwild train` and `hogwild eval`.
@Suite("hogwild trains and evaluates end to end")
struct EndToEndTests {
    @Test("an untrained model on ml-100k scores chance AUC over 934 users", .needsMovieLens, .tags(.movieLens))
    func untrainedModelIsChance() throws {
        _ = try MovieLens.require()
        try withTemporaryDirectory { dir in
            let r = try runHogwild(["train", "--data", "ml-100k", "--epochs", "0", "--report", "r.json"], in: dir)
            try #require(r.terminationReason == .exit && r.status == 0, "\(r)")
            let report = try readJSONObject(dir.appendingPathComponent("r.json"))
            let auc = try number(report, "auc")
            #expect(abs(auc - 0.5) <= 0.02, "AUC of the initial model is \(auc), not 0.50 ± 0.02")
            #expect(try number(report, "users_evaluated") == 934)
        }
    }

    @Test("default training on ml-100k reaches AUC ≥ 0.94 and P@10 ≥ 0.145, and eval of the saved model agrees", .needsMovieLens, .tags(.movieLens))
    func trainSaveEval() throws {
        _ = try MovieLens.require()
        try withTemporaryDirectory { dir in
            let r = try runHogwild(["train", "--data", "ml-100k", "--threads", "2", "--report", "r.json",
                                    "--save", "m.hgw"], in: dir)
            try #require(r.terminationReason == .exit && r.status == 0, "\(r)")
            let report = try readJSONObject(dir.appendingPathComponent("r.json"))
            let keys = ["auc", "precision_at_10", "recall_at_10", "epochs", "threads", "dim", "train_seconds",
                        "eval_seconds", "triplets_per_second", "users_evaluated"]
            for key in keys {
                #expect(report[key] != nil, "report has no \"\(key)\": keys are \(report.keys.sorted())")
            }
            let auc = try number(report, "auc")
            #expect(auc >= 0.94, "AUC after default training is \(auc)")
            #expect(try number(report, "precision_at_10") >= 0.145)
            #expect(r.stdout.contains("full softmax loss") && r.stdout.contains("seen weight α 0.1"), "\(r)")
            #expect(try number(report, "threads") == 2)
            #expect(try number(report, "epochs") == 40)  // the full softmax's default
            #expect(try number(report, "dim") == 64)
            #expect(try number(report, "users_evaluated") == 934)
            #expect(try number(report, "triplets_per_second") > 0)
            #expect(try number(report, "train_seconds") > 0)

            let e = try runHogwild(["eval", "--model", "m.hgw", "--data", "ml-100k", "--report", "e.json"], in: dir)
            try #require(e.terminationReason == .exit && e.status == 0, "\(e)")
            let evaluation = try readJSONObject(dir.appendingPathComponent("e.json"))
            let evalAUC = try number(evaluation, "auc")
            #expect(abs(evalAUC - auc) <= 1e-9, "eval of the saved model gives AUC \(evalAUC), train reported \(auc)")
            #expect(try number(evaluation, "users_evaluated") == 934)
        }
    }

    @Test("on a catalogue too large for the full softmax the default loss is the sampled softmax, and says so")
    func largeCatalogueDefaultsToTheSampledSoftmax() throws {
        try withTemporaryDirectory { dir in
            // 20,000 users × 6,000 items = 1.2·10⁸ cells, more than 10⁸ and than 64 × the pairs.
            let s = try runHogwild(["synth", "--users", "20000", "--items", "6000", "--interactions", "40000", "--out", "s.hgwi"], in: dir)
            try #require(s.status == 0, "\(s)")
            let r = try runHogwild(["train", "--data", "s.hgwi", "--epochs", "1", "--threads", "1"], in: dir)
            try #require(r.status == 0, "\(r)")
            #expect(r.stdout.contains("note     20000 users × 6000 items is too large for the full softmax"), "\(r)")
            #expect(r.stdout.contains("model    dim 64, softmax loss (τ 0.3→0.22, 24 negatives)"), "\(r)")
            // Asked for, it is used; small catalogues keep it by default.
            let insisted = try runHogwild(["train", "--data", "s.hgwi", "--epochs", "0", "--loss", "full-softmax"], in: dir)
            #expect(insisted.status == 0 && insisted.stdout.contains("full softmax loss") && !insisted.stdout.contains("too large for the full softmax"), "\(insisted)")
            let small = try runHogwild(["train", "--data", "synthetic", "--epochs", "0"], in: dir)
            #expect(small.status == 0 && small.stdout.contains("full softmax loss"), "\(small)")
        }
    }

    @Test("one thread and a fixed seed give bit-identical models", .needsMovieLens, .tags(.movieLens))
    func deterministicSingleThread() throws {
        _ = try MovieLens.require()
        try withTemporaryDirectory { dir in
            var models: [[UInt8]] = []
            for run in 1...2 {
                let r = try runHogwild(["train", "--data", "ml-100k", "--threads", "1", "--seed", "7", "--epochs", "3",
                                        "--save", "m\(run).hgw"], in: dir)
                try #require(r.terminationReason == .exit && r.status == 0, "\(r)")
                models.append(try readBytes(dir.appendingPathComponent("m\(run).hgw")))
            }
            let (a, b) = (models[0], models[1])
            try #require(a.count > 1000, "the saved model is only \(a.count) bytes")
            let identical = a == b  // compared outside #expect, which would print both files
            #expect(identical, "the two models differ: \(describeDifference(a, b))")
        }
    }

    @Test("a generic CSV with string ids and a header trains and evaluates with --holdout 1")
    func genericCSV() throws {
        try withTemporaryDirectory { dir in
            let users = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]
            var csv = "user,item,rating\n"
            for (u, user) in users.enumerated() {
                for i in 0..<12 where (u + i) % 3 != 0 {
                    csv += "\(user),item-\(["x", "y", "z"][i % 3])\(i),\((u * i) % 4 == 0 ? 3 : 5)\n"
                }
            }
            try writeFile("ratings.csv", csv, in: dir)
            let r = try runHogwild(["train", "--data", "ratings.csv", "--holdout", "1", "--epochs", "3", "--dim", "8",
                                    "--threads", "1", "--save", "m.hgw"], in: dir)
            #expect(r.terminationReason == .exit && r.status == 0, "\(r)")
            #expect(r.stdout.contains("AUC"), "train printed no AUC: \(r)")
            #expect(r.stdout.contains("8 users"), "expected the 8 named users (header skipped): \(r)")

            let e = try runHogwild(["eval", "--model", "m.hgw", "--data", "ratings.csv", "--holdout", "1"], in: dir)
            #expect(e.terminationReason == .exit && e.status == 0, "\(e)")
            #expect(e.stdout.contains("AUC"), "eval printed no AUC: \(e)")
        }
    }
}

/// Where two model files first differ, and whether the difference is confined to the JSON header.
func describeDifference(_ a: [UInt8], _ b: [UInt8]) -> String {
    guard let first = (0..<min(a.count, b.count)).first(where: { a[$0] != b[$0] }) ?? (a.count == b.count ? nil : min(a.count, b.count)) else {
        return "no difference"
    }
    let differing = zip(a, b).reduce(0) { $0 + ($1.0 != $1.1 ? 1 : 0) } + abs(a.count - b.count)
    var text = "\(a.count) vs \(b.count) bytes, \(differing) differ, first at offset \(first)"
    // Layout: 8 bytes magic, UInt32 version, UInt32 header length, header JSON, ids, tables, UInt64 checksum.
    if a.count >= 16, b.count >= 16 {
        let length = { (x: [UInt8]) in x[12..<16].reversed().reduce(0) { $0 << 8 | Int($1) } }
        let (ha, hb) = (length(a), length(b))
        if ha == hb, a.count == b.count, a.count >= 16 + ha + 8 {
            let bodyEqual = a[(16 + ha)..<(a.count - 8)] == b[(16 + hb)..<(b.count - 8)]
            let headerA = String(decoding: a[16..<(16 + ha)], as: UTF8.self)
            let headerB = String(decoding: b[16..<(16 + hb)], as: UTF8.self)
            text += bodyEqual
                ? "; ids and embedding tables are identical, only the JSON header (and so the checksum) differs:\n\(headerA)\n\(headerB)"
                : "; the ids or embedding tables differ"
        }
    }
    return text
}
