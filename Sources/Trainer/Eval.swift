import ArgumentParser
import Foundation
import Hogwild

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a saved model: per-user test ROC AUC, precision@k and recall@k.",
        discussion: """
            Example: hogwild train --data ml-100k --save model.hgw && hogwild eval --model model.hgw --data ml-100k

            The data's ids must be the model's: an unknown user or item id is an error. The \
            --data file's positives are excluded from each user's candidates, as in training.
            """)

    @Option(help: ArgumentHelp("A model saved by 'hogwild train --save'.", valueName: "file"))
    var model: String

    @OptionGroup(title: "Data") var dataOptions: DataOptions

    @Option(help: "Cut-off for precision@k and recall@k.")
    var k = 10

    @Option(help: "Evaluate a seeded sample of this many users (default: every user with a test positive).")
    var evalUsers: Int?

    @Option(help: "Worker threads (default: all \(coreCount) cores).")
    var threads: Int?

    @Option(help: ArgumentHelp("Write the figures as JSON to this file.", valueName: "file"))
    var report: String?

    func validate() throws {
        guard k >= 1 else { throw HogwildError("--k must be at least 1 (got \(k))") }
        if let evalUsers, evalUsers < 1 { throw HogwildError("--eval-users must be at least 1 (got \(evalUsers))") }
        if let threads, threads < 1 { throw HogwildError("--threads must be at least 1 (got \(threads))") }
    }

    func run() throws {
        let (loaded, _) = try ModelFile.load(model)
        let dataset = try dataOptions.load(seed: loaded.configuration.seed, ids: (loaded.users, loaded.items))
        say("model    \(model): \(loaded.configuration.summary), \(loaded.epochsTrained) epochs")
        say("data     \(dataset.summary)")
        guard dataset.test.nonZeroCount > 0 else { throw HogwildError("no test positives in \(dataset.split)") }
        let m = AUCEvaluator.evaluate(model: loaded, train: dataset.train, test: dataset.test, k: k,
                                      threads: threads ?? coreCount, sampleUsers: evalUsers, seed: loaded.configuration.seed)
        say("test     AUC \(fixed(m.auc, 4))  P@\(k) \(fixed(m.precisionAtK, 4))  R@\(k) \(fixed(m.recallAtK, 4))  (\(m.usersEvaluated) users, \(fixed(m.seconds * 1000, 1)) ms)")
        if let report {
            let r = RunReport(data: dataset.source.name, split: dataset.split, configuration: loaded.configuration,
                              k: k, evaluation: m, epochs: loaded.epochsTrained, trainSeconds: 0,
                              tripletsPerSecond: 0, history: [])
            try writeJSON(r, to: report)
        }
    }
}
