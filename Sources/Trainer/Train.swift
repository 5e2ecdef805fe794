import ArgumentParser
import Foundation
import Hogwild

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train embeddings and report test ROC AUC, precision@k and recall@k.",
        discussion: """
            Example: hogwild train --data ml-100k --epochs 10 --threads 2 --report run.json

            Each epoch prints the mean loss, the share of triplets that violated the margin (and \
            so moved the model) and the training throughput. --epochs 0 evaluates the freshly \
            initialised model.
            """)

    @OptionGroup(title: "Data") var dataOptions: DataOptions
    @OptionGroup(title: "Model") var modelOptions: ModelOptions

    @Option(help: "Passes over the training positives.")
    var epochs = 20

    @Option(help: "Worker threads (default: all \(coreCount) cores).")
    var threads: Int?

    @Option(help: "Evaluate on the test set every N epochs (0: only after the last).")
    var evalEvery = 0

    @OptionGroup(title: "Evaluation") var evaluation: EvaluationOptions

    @Option(help: ArgumentHelp("Write the final figures as JSON to this file.", valueName: "file"))
    var report: String?

    @Option(help: ArgumentHelp("Save the trained model to this file.", valueName: "file"))
    var save: String?

    func validate() throws {
        _ = try modelOptions.configuration(epochs: epochs, threads: threads ?? coreCount)
        guard evalEvery >= 0 else { throw HogwildError("--eval-every must be 0 or more (got \(evalEvery))") }
    }

    func run() throws {
        let k = evaluation.k
        let config = try modelOptions.configuration(epochs: epochs, threads: threads ?? coreCount)
        let dataset = try dataOptions.load(seed: config.seed)
        say("data     \(dataset.summary)")
        say("model    \(config.summary)")
        let model = EmbeddingModel(configuration: config, users: dataset.users, items: dataset.items)
        let trainer = try HogwildTrainer(model: model, train: dataset.train)
        let hasTest = dataset.test.nonZeroCount > 0
        var history: [EpochReport] = []
        var trainSeconds = 0.0, triplets = 0
        for e in stride(from: 1, through: epochs, by: 1) {
            let stats = try trainer.trainEpoch()
            trainSeconds += stats.seconds
            triplets += stats.triplets
            var line = "epoch \(String(format: "%3d", e))/\(epochs)  loss \(fixed(stats.meanLoss, 4))  violations \(fixed(100 * stats.violationRate, 1))%  \(millions(stats.tripletsPerSecond)) triplets/s"
            var entry = EpochReport(epoch: e, loss: stats.meanLoss, violationRate: stats.violationRate,
                                    seconds: stats.seconds, tripletsPerSecond: stats.tripletsPerSecond)
            if hasTest && evalEvery > 0 && e % evalEvery == 0 && e < epochs {
                let m = AUCEvaluator.evaluate(model: model, train: dataset.train, test: dataset.test, k: k, threads: config.threads,
                                              sampleUsers: evaluation.evalUsers, seed: config.seed)
                line += "  AUC \(fixed(m.auc, 4))  P@\(k) \(fixed(m.precisionAtK, 4))  R@\(k) \(fixed(m.recallAtK, 4))"
                entry.auc = m.auc
            }
            history.append(entry)
            say(line)
        }
        var final: Evaluation? = nil, baselines: [String: Evaluation] = [:]
        if hasTest {
            (final, baselines) = evaluation.evaluateAndPrint(model, dataset, threads: config.threads, seed: config.seed)
            if !history.isEmpty { history[history.count - 1].auc = final?.auc }
        } else {
            say("test     no test positives: nothing to evaluate")
        }
        let rate = trainSeconds > 0 ? Double(triplets) / trainSeconds : 0
        if epochs > 0 {
            say("trained  \(epochs) epochs, \(triplets) triplets in \(fixed(trainSeconds, 3)) s: \(millions(rate)) triplets/s")
        }
        if let save {
            try ModelFile.save(model, to: save, source: dataset.source, evaluation: final)
            say("saved    \(save)")
        }
        if let report {
            let r = RunReport(data: dataset.source.name, split: dataset.split, configuration: config, k: k,
                              evaluation: final, baselines: baselines, epochs: epochs, trainSeconds: trainSeconds,
                              tripletsPerSecond: rate, history: history)
            try writeJSON(r, to: report)
        }
    }
}

/// One epoch in a run report.
struct EpochReport: Codable {
    var epoch: Int
    var loss: Double
    var violationRate: Double
    var seconds: Double
    var tripletsPerSecond: Double
    var auc: Double?

    enum CodingKeys: String, CodingKey {
        case epoch, loss, seconds, auc
        case violationRate = "violation_rate"
        case tripletsPerSecond = "triplets_per_second"
    }
}

/// The JSON `--report` writes.
struct RunReport: Encodable {
    var data: String
    var split: String
    var configuration: TrainingConfiguration
    var k: Int
    var evaluation: Evaluation?
    var baselines: [String: Evaluation] = [:]
    var epochs: Int
    var trainSeconds: Double
    var tripletsPerSecond: Double
    var history: [EpochReport]

    enum CodingKeys: String, CodingKey {
        case data, split, k, epochs, threads, dim, loss, similarity, history, auc, seed
        case learningRate = "learning_rate"
        case precision = "precision_at_10"
        case recall = "recall_at_10"
        case precisionAtK = "precision_at_k"
        case recallAtK = "recall_at_k"
        case trainSeconds = "train_seconds"
        case evalSeconds = "eval_seconds"
        case tripletsPerSecond = "triplets_per_second"
        case usersEvaluated = "users_evaluated"
        case configuration, baselines, metrics
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(data, forKey: .data)
        try c.encode(split, forKey: .split)
        try c.encode(epochs, forKey: .epochs)
        try c.encode(configuration.threads, forKey: .threads)
        try c.encode(configuration.dimension, forKey: .dim)
        try c.encode(configuration.loss, forKey: .loss)
        try c.encode(configuration.similarity, forKey: .similarity)
        try c.encode(configuration.learningRate, forKey: .learningRate)
        try c.encode(configuration.seed, forKey: .seed)
        try c.encode(configuration, forKey: .configuration)
        try c.encode(trainSeconds, forKey: .trainSeconds)
        try c.encode(tripletsPerSecond, forKey: .tripletsPerSecond)
        try c.encode(history, forKey: .history)
        try c.encode(k, forKey: .k)
        if let e = evaluation {
            try c.encode(e.auc, forKey: .auc)
            try c.encode(e.precisionAtK, forKey: .precisionAtK)
            try c.encode(e.recallAtK, forKey: .recallAtK)
            if k == 10 {
                try c.encode(e.precisionAtK, forKey: .precision)
                try c.encode(e.recallAtK, forKey: .recall)
            }
            try c.encode(e.seconds, forKey: .evalSeconds)
            try c.encode(e.usersEvaluated, forKey: .usersEvaluated)
            try c.encode(e, forKey: .metrics)  // every metric, the per-user AUC distribution included
        }
        if !baselines.isEmpty { try c.encode(baselines, forKey: .baselines) }
    }
}
