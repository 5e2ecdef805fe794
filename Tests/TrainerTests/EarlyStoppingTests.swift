import Foundation
import HogwildTestSupport
import Testing

@Suite("Early stopping on a validation split")
struct EarlyStoppingTests {
    @Test("the kept model is the best validation epoch, and the report says which", .needsMovieLens, .tags(.movieLens))
    func keepsTheBestEpoch() throws {
        _ = try MovieLens.require()
        try withTemporaryDirectory { dir in
            let r = try runHogwild(["train", "--data", "ml-100k", "--epochs", "6", "--threads", "1",
                                    "--validation-fraction", "0.1", "--report", "r.json"], in: dir)
            try #require(r.status == 0, "\(r)")
            let data = try Data(contentsOf: dir.appendingPathComponent("r.json"))
            let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let history = try #require(report["history"] as? [[String: Any]])
            let scores = history.compactMap { $0["validation_auc"] as? Double }
            #expect(scores.count == 6)
            let bestEpoch = scores.indices.max { scores[$0] < scores[$1] }! + 1
            #expect(r.stdout.contains("best     epoch \(bestEpoch): validation AUC"))
            #expect((report["auc"] as? Double ?? 0) > 0.85)
        }
    }

    @Test("--patience without --validation-fraction is a one-line error")
    func patienceNeedsValidation() throws {
        try withTemporaryDirectory { dir in
            let r = try runHogwild(["train", "--data", "synthetic", "--patience", "2"], in: dir)
            expectOneLineError(r, containing: ["--patience needs --validation-fraction"])
        }
    }
}
