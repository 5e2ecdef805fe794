import ArgumentParser
import Foundation
import Hogwild

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a saved model: per-user test ROC AUC, precision@k and recall@k.",
        discussion: """
            Example: hogwild train --data ml-100k --save model.hgw && hogwild eval --model model.hgw --data ml-100k

            The data's ids must be the model's: an unknown user or item id is an error. The \
            --data file's positives are excluded from each user's candidates, as in training. \
            Every item is scored by the model's own scorer: its similarity, or its saved network \
            for an --matcher mlp model.
            """)

    @Option(help: ArgumentHelp("A model saved by 'hogwild train --save'.", valueName: "file"))
    var model: String

    @OptionGroup(title: "Data") var dataOptions: DataOptions

    @OptionGroup(title: "Evaluation") var evaluation: EvaluationOptions

    @Option(help: "Worker threads (default: all \(coreCount) cores).")
    var threads: Int?

    @Option(help: ArgumentHelp("Write the figures as JSON to this file.", valueName: "file"))
    var report: String?

    func validate() throws {
        if let threads, threads < 1 { throw HogwildError("--threads must be at least 1 (got \(threads))") }
    }

    func run() throws {
        let (loaded, _) = try ModelFile.load(model)
        let k = try evaluation.cutoff(itemCount: loaded.items.count)
        let dataset = try dataOptions.load(seed: loaded.configuration.seed, ids: (loaded.users, loaded.items))
        say("model    \(model): \(loaded.configuration.summary), \(loaded.epochsTrained) epochs")
        say("data     \(dataset.summary)")
        guard dataset.test.nonZeroCount > 0 else { throw HogwildError("no test positives in \(dataset.split)") }
        let (m, baselines) = try evaluation.evaluateAndPrint(loaded, dataset, threads: threads ?? coreCount,
                                                         seed: loaded.configuration.seed)
        if let report {
            let r = RunReport(data: dataset.source.name, split: dataset.split, configuration: loaded.configuration,
                              k: k, evaluation: m, baselines: baselines, epochs: loaded.epochsTrained, trainSeconds: 0,
                              tripletsPerSecond: 0, history: [])
            try writeJSON(r, to: report)
        }
    }
}
