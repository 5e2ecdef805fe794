import ArgumentParser
import Foundation
import Hogwild

/// The baselines `--baseline` can add beside a model's figures.
enum Baseline: String, CaseIterable, ExpressibleByArgument, Codable {
    case popularity, random

    var scorer: Scorer { self == .popularity ? .popularity : .random(seed: 1) }
}

/// `--baseline` and the printing of evaluation figures, shared by `train` and `eval`.
struct EvaluationOptions: ParsableArguments {
    @Option(name: .customLong("k"),
            help: ArgumentHelp("Cut-off for the top-k metrics (precision, recall, MAP, NDCG, hit rate, coverage); at most the number of items (default: 10, or every item of a smaller catalogue).", valueName: "k"))
    var requestedK: Int?

    @Option(help: "Evaluate a seeded sample of this many users (default: every user with a test positive).")
    var evalUsers: Int?

    @Option(name: .customLong("baseline"), parsing: .singleValue,
            help: ArgumentHelp("Also evaluate a baseline on the same users: popularity or random (repeatable).", valueName: "name"))
    var baselines: [Baseline] = []

    func validate() throws {
        if let requestedK, requestedK < 1 { throw HogwildError("--k must be at least 1 (got \(requestedK))") }
        if let evalUsers, evalUsers < 1 { throw HogwildError("--eval-users must be at least 1 (got \(evalUsers))") }
    }

    /// The top-k cut-off for a catalogue of `itemCount` items: `--k`, else 10, or the whole
    /// catalogue when it is smaller.
    ///
    /// - Throws: `HogwildError` when `--k` is above the catalogue.
    func cutoff(itemCount: Int) throws -> Int {
        guard let requestedK else { return max(1, min(10, itemCount)) }
        try AUCEvaluator.checkCutoff(requestedK, itemCount: itemCount)
        return requestedK
    }

    /// Evaluates the model, prints its figures and those of the baselines, and returns them.
    ///
    /// - Parameter excluded: each user's non-candidates (default: the training positives).
    /// - Throws: `HogwildError` when no user could be ranked (an AUC over no users is no result).
    func evaluateAndPrint(_ model: EmbeddingModel, _ dataset: Dataset, excluded: InteractionMatrix? = nil, threads: Int, seed: UInt64)
        throws -> (model: Evaluation, baselines: [String: Evaluation]) {
        let excluded = excluded ?? dataset.train
        let k = try cutoff(itemCount: dataset.items.count)
        let m = AUCEvaluator.evaluate(model: model, train: excluded, test: dataset.test, k: k, threads: threads,
                                      sampleUsers: evalUsers, seed: seed)
        guard m.usersEvaluated > 0 else {
            let sampled = evalUsers.map { " among the \($0) sampled (--eval-users)" } ?? ""
            throw HogwildError("nothing to evaluate: no user\(sampled) has a test positive outside training and an item left to rank it against")
        }
        say("test     AUC \(fixed(m.auc, 4))  P@\(k) \(fixed(m.precisionAtK, 4))  R@\(k) \(fixed(m.recallAtK, 4))  (\(m.usersEvaluated) users, \(fixed(m.seconds * 1000, 1)) ms)")
        say("ranking  MAP@\(k) \(fixed(m.mapAtK, 4))  NDCG@\(k) \(fixed(m.ndcgAtK, 4))  hit rate@\(k) \(fixed(m.hitRateAtK, 4))  coverage \(fixed(100 * m.coverage, 1))%")
        let d = m.aucDistribution
        let worst = d.worstUsers.prefix(3).map { HogwildError.escaped(dataset.users.id(at: $0)) }.joined(separator: ", ")
        say("per-user AUC  min \(fixed(d.minimum, 3))  p10 \(fixed(d.p10, 3))  median \(fixed(d.median, 3))  p90 \(fixed(d.p90, 3))  max \(fixed(d.maximum, 3)); worst users \(worst)")
        var results: [String: Evaluation] = [:]
        for baseline in baselines {
            let b = AUCEvaluator.evaluate(baseline.scorer, train: excluded, test: dataset.test, k: k, threads: threads,
                                          sampleUsers: evalUsers, seed: seed)
            results[baseline.rawValue] = b
            say("baseline \(baseline.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) AUC \(fixed(b.auc, 4))  P@\(k) \(fixed(b.precisionAtK, 4))  R@\(k) \(fixed(b.recallAtK, 4))  NDCG@\(k) \(fixed(b.ndcgAtK, 4))  coverage \(fixed(100 * b.coverage, 1))%")
        }
        return (m, results)
    }
}
