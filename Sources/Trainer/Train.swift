import ArgumentParser
import Foundation
import Hogwild

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train embeddings and report test ROC AUC, precision@k and recall@k.",
        discussion: """
            Example: hogwild train --data ml-100k --epochs 10 --threads 2 --report run.json

            Each epoch prints the mean loss, the share of violations (triplets that broke the \
            margin; for the softmax losses, pairs with a negative scored at least as high as the positive) \
            and the training throughput; on a terminal, one progress line is redrawn in place \
            instead. --epochs 0 evaluates the freshly initialised model.

            Long runs: --save M --checkpoint-every N writes the model every N epochs (atomically: \
            a kill at any moment leaves the previous file intact), and --resume M continues a \
            saved run to its planned epochs with its own hyper-parameters (the model flags are \
            then ignored; give the same data flags as the first run). With one thread it ends \
            exactly where an uninterrupted run would. --resume M --save M is allowed (the model is \
            read whole before training); no other output may replace an input of the run.

            Outputs (--save, --report, --report-html) are checked and their temporary files \
            created before the data is loaded, so a bad path fails at once; a path that is not a \
            regular file is refused. If --save fails at the end, the reports are still written. \
            Ctrl-C or SIGTERM removes the temporary files and exits 130 or 143.
            """)

    @OptionGroup(title: "Data") var dataOptions: DataOptions
    @OptionGroup(title: "Model") var modelOptions: ModelOptions
    @OptionGroup(title: "Side features and cold start") var featureOptions: FeatureOptions

    @Option(help: "Passes over the training positives (default: 40 for full-softmax and softmax on cosine, 80 with --matcher mlp, else 20; with --resume, the saved run's plan).")
    var epochs: Int?

    @Option(help: "Worker threads (default: all \(coreCount) cores).")
    var threads: Int?

    @Option(help: "Evaluate on the test set every N epochs (0: only after the last).")
    var evalEvery = 0

    @OptionGroup(title: "Evaluation") var evaluation: EvaluationOptions

    @Option(help: ArgumentHelp("Write the final figures as JSON to this file.", valueName: "file"))
    var report: String?

    @Option(name: .customLong("report-html"),
            help: ArgumentHelp("Write a self-contained HTML report (metrics table, learning curves as inline SVG) to this file; a name ending in .svg gets the loss and AUC curves alone as one SVG image.", valueName: "file"))
    var reportHTML: String?

    @Option(help: ArgumentHelp("Save the trained model to this file.", valueName: "file"))
    var save: String?

    @Option(help: "With --save: also save every N epochs (0: only at the end).")
    var checkpointEvery = 0

    @Option(help: ArgumentHelp("Continue training a model saved by --save or a checkpoint.", valueName: "file"))
    var resume: String?

    @Option(help: "Hold out this share of each user's training positives as a validation set; the epoch with the best validation AUC is kept (0: off).")
    var validationFraction = 0.0

    @Option(help: "With --validation-fraction: stop after this many epochs without a better validation AUC (0: run all epochs).")
    var patience = 0

    @Flag(help: "Print only the results, no progress.")
    var quiet = false

    @Flag(help: "Skip the memory check: before loading and again before training, the run's estimated needs (tables, pairs, per-thread workspaces, evaluation) are compared with what the process may use (the cgroup limit, MemAvailable, or $\(MemoryBudget.limitVariable) in bytes), and a run that cannot fit stops in one line.")
    var ignoreMemoryLimit = false

    @Flag(help: "Print one JSON object per epoch (and one for the result) on standard output; human text goes to standard error.")
    var logJson = false

    func validate() throws {
        _ = try modelOptions.configuration(epochs: epochs ?? modelOptions.defaultEpochs, threads: threads ?? coreCount, sampled: featureOptions.needsSampledLoss)
        guard evalEvery >= 0 else { throw HogwildError("--eval-every must be 0 or more (got \(evalEvery))") }
        guard checkpointEvery >= 0 else { throw HogwildError("--checkpoint-every must be 0 or more (got \(checkpointEvery))") }
        if checkpointEvery > 0 && save == nil { throw HogwildError("--checkpoint-every needs --save FILE to write to") }
        guard validationFraction.isFinite && validationFraction >= 0 && validationFraction <= 0.5 else {
            throw HogwildError("--validation-fraction must be between 0 and 0.5 (got \(validationFraction))")
        }
        guard patience >= 0 else { throw HogwildError("--patience must be 0 or more (got \(patience))") }
        if patience > 0 && validationFraction == 0 { throw HogwildError("--patience needs --validation-fraction") }
        if resume != nil && (featureOptions.hybrid || featureOptions.coldItems > 0) {
            throw HogwildError("--resume cannot be combined with --item-features, --user-features or --cold-items: train afresh")
        }
        if featureOptions.coldItems > 0 && modelOptions.resolvedLoss(sampled: true) == .fullSoftmax {
            throw HogwildError("--loss full-softmax scores every item, so it cannot hold items out (--cold-items): use --loss softmax")
        }
        if featureOptions.hybrid && [.warp, .fullSoftmax].contains(modelOptions.resolvedLoss(sampled: true)) {
            throw HogwildError("--item-features and --user-features need --loss softmax, margin or bpr, not \(modelOptions.resolvedLoss(sampled: true).rawValue)")
        }
        if featureOptions.hybrid && modelOptions.matcher == .mlp {
            throw HogwildError("--item-features and --user-features need --matcher bilinear")
        }
    }

    /// Refuses `estimate` when it cannot fit in memory (`MemoryBudget`), unless --ignore-memory-limit.
    func checkMemory(_ estimate: MemoryEstimate) throws {
        if !ignoreMemoryLimit { try MemoryBudget.check(estimate) }
    }

    /// Before anything is read: loading the data and, for a binary file (whose header holds the
    /// counts), training on it.
    func checkMemoryBeforeLoading() throws {
        guard !ignoreMemoryLimit else { return }
        let source = try dataOptions.source()
        var estimate = MemoryBudget.loading(source)
        if resume == nil, InteractionFile.isInteractionFile(source.trainFile), let h = try? InteractionFile.header(source.trainFile) {
            let config = try modelOptions.configuration(epochs: 1, threads: threads ?? coreCount, sampled: featureOptions.needsSampledLoss)
            estimate.add(MemoryBudget.training(users: h.users, items: h.items, pairs: h.trainPairs, configuration: config,
                                               validation: validationFraction > 0))
        }
        try checkMemory(estimate)
    }

    /// Before the model and the trainer are allocated: the top-k cutoff
    /// against the catalogue, and training's memory.
    func preflight(_ data: Dataset, _ config: TrainingConfiguration) throws {
        _ = try evaluation.cutoff(itemCount: data.items.count)
        try checkMemory(MemoryBudget.training(users: data.users.count, items: data.items.count, pairs: data.train.nonZeroCount,
                                              configuration: config, validation: validationFraction > 0))
    }

    /// A fresh model, or the one `--resume` names with its planned epochs and this run's threads.
    func startingModel(_ load: (_ seed: UInt64, _ ids: (users: IDMap, items: IDMap)?) throws -> Dataset) throws -> (EmbeddingModel, Dataset) {
        guard let resume else {
            let data = try load(modelOptions.seed, nil)
            let (config, note) = try modelOptions.configuration(for: data, epochs: epochs ?? modelOptions.defaultEpochs, threads: threads ?? coreCount,
                                                                sampled: featureOptions.needsSampledLoss)
            if let note { chat("note     \(note)") }
            try preflight(data, config)
            return (EmbeddingModel(configuration: config, users: data.users, items: data.items), data)
        }
        let (saved, header) = try ModelFile.load(resume)
        if let features = header.sideFeatures {
            throw HogwildError("'\(resume)' is a hybrid model (\(features)): its file holds the composed vectors, not the feature tables, so it cannot be resumed; train afresh")
        }
        var config = saved.configuration
        config.epochs = epochs ?? config.epochs
        config.threads = threads ?? coreCount
        try config.validate()
        let data = try load(config.seed, (saved.users, saved.items))
        try preflight(data, config)
        let model = EmbeddingModel(configuration: config, users: saved.users, items: saved.items,
                                   userTable: saved.userTable, itemTable: saved.itemTable, network: saved.network,
                                   adagradAccumulators: saved.adagradAccumulators, epochsTrained: saved.epochsTrained)
        return (model, data)
    }

    func run() throws {
        Console.quiet = quiet
        Console.humanToStandardError = logJson
        try prepareOutputs()
        var loadSeconds = 0.0
        try checkMemoryBeforeLoading()
        let (model, loaded) = try startingModel { seed, ids in
            let started = Date()
            defer { loadSeconds = Date().timeIntervalSince(started) }
            return try dataOptions.load(seed: seed, ids: ids)
        }
        let config = model.configuration
        // The cold-start protocol trains and tests on the data set without the cold items.
        let cold = featureOptions.coldItems > 0 ? try ColdStartSplit(loaded, fraction: featureOptions.coldItems, seed: config.seed) : nil
        let dataset = cold?.dataset ?? loaded
        let k = try evaluation.cutoff(itemCount: dataset.items.count)
        let features = try featureOptions.sideFeatures(for: model, dataset: dataset)
        // What is evaluated and saved: for a hybrid model, the composed vectors.
        func scored() -> EmbeddingModel { features?.composedModel(model) ?? model }
        let epochs = config.epochs, first = model.epochsTrained + 1
        chat("data     \(dataset.summary)")
        if dataset.source.synthetic != nil {
            chat("loaded   generated in \(fixed(loadSeconds, 2)) s")
        } else {
            let bytes = [dataset.source.trainFile, dataset.source.testFile].compactMap { $0 }
                .compactMap { try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int }.reduce(0, +)
            chat("loaded   \(fixed(Double(bytes) / 1e6, 1)) MB in \(fixed(loadSeconds, 2)) s (\(fixed(Double(bytes) / 1e6 / max(loadSeconds, 1e-9), 0)) MB/s)")
        }
        chat("model    \(config.summary)")
        if let resume { chat("resume   \(resume): \(model.epochsTrained) of \(epochs) epochs done") }
        if let features {
            if features.items.featureCount > 0 { chat("features item \(features.items.summary)") }
            if features.users.featureCount > 0 { chat("features user \(features.users.summary)") }
        }
        if let cold {
            chat("cold     \(cold.coldItems.count) of \(dataset.items.count) items held out of training (\(cold.coldPositives.nonZeroCount) positives); never drawn as negatives")
        }
        // Early stopping trains on `fit` and keeps the tables of the best validation epoch.
        let (fit, validation) = validationFraction > 0
            ? dataset.validationSplit(fraction: validationFraction, seed: config.seed)
            : (dataset.train, InteractionMatrix(userCount: 0, itemCount: 0, users: [], items: []))
        if validationFraction > 0 {
            chat("validate \(validation.nonZeroCount) of \(dataset.train.nonZeroCount) training positives held out (fraction \(validationFraction)); best epoch kept")
        }
        var best: (epoch: Int, auc: Double, users: EmbeddingTable, items: EmbeddingTable, network: DeepMatcher?,
                   adagrad: AlignedBuffer<Float>?)? = nil
        let trainer = try HogwildTrainer(model: model, train: fit, seen: dataset.seen, features: features, excludedNegatives: cold?.coldItems ?? [])
        // With cold items held out, the test and validation rankings are over the warm items only.
        let testExcluded = cold?.excludingColdItems(dataset.train) ?? dataset.train
        let validationExcluded = cold?.excludingColdItems(fit) ?? fit
        let hasTest = dataset.test.nonZeroCount > 0
        let redraw = Console.isTerminal && !logJson && !quiet
        var history: [EpochReport] = []
        var trainSeconds = 0.0, triplets = 0
        for e in stride(from: first, through: epochs, by: 1) {
            let stats = try trainer.trainEpoch()
            trainSeconds += stats.seconds
            triplets += stats.triplets
            var entry = EpochReport(epoch: e, loss: stats.meanLoss, violationRate: stats.violationRate,
                                    seconds: stats.seconds, tripletsPerSecond: stats.tripletsPerSecond)
            var evaluated = ""
            if hasTest && evalEvery > 0 && e % evalEvery == 0 && e < epochs {
                let m = AUCEvaluator.evaluate(model: scored(), train: testExcluded, test: dataset.test, k: k, threads: config.threads,
                                              sampleUsers: evaluation.evalUsers, seed: config.seed)
                evaluated = "  AUC \(fixed(m.auc, 4))  P@\(k) \(fixed(m.precisionAtK, 4))  R@\(k) \(fixed(m.recallAtK, 4))"
                entry.auc = m.auc
            }
            var stop = false
            if validationFraction > 0 {
                let current = scored()
                let v = AUCEvaluator.evaluate(model: current, train: validationExcluded, test: validation, k: k, threads: config.threads,
                                              sampleUsers: evaluation.evalUsers, seed: config.seed)
                entry.validationAUC = v.auc
                evaluated += "  val AUC \(fixed(v.auc, 4))"
                if v.auc > (best?.auc ?? -1) {
                    let snapshot = best ?? (e, v.auc, EmbeddingTable(rowCount: model.users.count, dimension: config.dimension),
                                            EmbeddingTable(rowCount: model.items.count, dimension: config.dimension),
                                            model.network.map { DeepMatcher(dimension: $0.dimension, hidden: $0.hidden) },
                                            model.adagradAccumulators.map { AlignedBuffer<Float>(count: $0.count) })
                    snapshot.users.copyContents(from: current.userTable)
                    snapshot.items.copyContents(from: current.itemTable)
                    if let network = model.network { snapshot.network?.copyContents(from: network) }
                    if let accumulators = model.adagradAccumulators { snapshot.adagrad?.copyContents(from: accumulators) }
                    best = (e, v.auc, snapshot.users, snapshot.items, snapshot.network, snapshot.adagrad)
                } else if patience > 0, let best, e - best.epoch >= patience {
                    stop = true
                    evaluated += "  (no better for \(patience) epochs: stopping)"
                }
            }
            history.append(entry)
            if checkpointEvery > 0 && e % checkpointEvery == 0 && e < epochs, let save {
                try ModelFile.save(scored(), to: save, source: dataset.source, minRating: dataOptions.minRating,
                                   holdout: dataOptions.holdout, sideFeatures: features.map { _ in featureOptions.description })
            }
            if logJson {
                emitJSON(EpochEvent(epochs: epochs, report: entry))
            } else if redraw {
                // One line redrawn in place: bar, throughput, loss, violations, ETA.
                let done = e - first + 1, total = epochs - first + 1
                let eta = trainSeconds / Double(done) * Double(total - done)
                let width = 24, filled = width * done / max(total, 1)
                let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
                let line = "epoch \(e)/\(epochs) \(bar) \(millions(stats.tripletsPerSecond)) triplets/s  loss \(fixed(stats.meanLoss, 4))  violations \(fixed(100 * stats.violationRate, 1))%  ETA \(fixed(eta, 1)) s"
                Console.write("\r\u{1B}[2K" + line + (evaluated.isEmpty && e < epochs ? "" : evaluated + "\n"), error: false)
            } else {
                chat("epoch \(String(format: "%3d", e))/\(epochs)  loss \(fixed(stats.meanLoss, 4))  violations \(fixed(100 * stats.violationRate, 1))%  \(millions(stats.tripletsPerSecond)) triplets/s" + evaluated)
            }
            if stop {
                if redraw { Console.write("\n", error: false) }
                break
            }
        }
        let result = scored()
        if let best {
            result.userTable.copyContents(from: best.users)
            result.itemTable.copyContents(from: best.items)
            if let network = model.network, let kept = best.network { network.copyContents(from: kept) }
            if let accumulators = model.adagradAccumulators, let kept = best.adagrad { accumulators.copyContents(from: kept) }
            chat("best     epoch \(best.epoch): validation AUC \(fixed(best.auc, 4)); its tables are the model's")
        }
        var final: Evaluation? = nil, baselines: [String: Evaluation] = [:]
        if hasTest {
            (final, baselines) = try evaluation.evaluateAndPrint(result, dataset, excluded: testExcluded, threads: config.threads, seed: config.seed)
            if !history.isEmpty { history[history.count - 1].auc = final?.auc }
        } else {
            say("test     no test positives: nothing to evaluate")
        }
        let coldStart = cold.map { cold in
            let c = cold.evaluate(result, k: k, threads: config.threads)
            say("cold     AUC \(fixed(c.auc, 4))  P@\(k) \(fixed(c.precisionAtK, 4))  R@\(k) \(fixed(c.recallAtK, 4))  ranking the \(cold.coldItems.count) held-out items (\(c.usersEvaluated) users)")
            return c
        }
        let rate = trainSeconds > 0 ? Double(triplets) / trainSeconds : 0
        if !history.isEmpty {
            say("trained  \(history.count) epochs, \(triplets) triplets in \(fixed(trainSeconds, 3)) s: \(millions(rate)) triplets/s")
        }
        if logJson, let final { emitJSON(FinalEvent(evaluation: final, trainSeconds: trainSeconds, tripletsPerSecond: rate)) }
        // A model that cannot be saved still gets its report written; the run then fails.
        let saved = Result {
            if let save {
                try ModelFile.save(result, to: save, source: dataset.source, evaluation: final, minRating: dataOptions.minRating,
                                   holdout: dataOptions.holdout, sideFeatures: features.map { _ in featureOptions.description })
                chat("saved    \(save)")
            }
        }
        if report != nil || reportHTML != nil {
            var r = RunReport(data: dataset.source.name, split: dataset.split, configuration: config, k: k,
                              evaluation: final, baselines: baselines, epochs: model.epochsTrained, trainSeconds: trainSeconds,
                              tripletsPerSecond: rate, history: history)
            r.coldStart = coldStart
            r.coldItems = cold?.coldItems.count
            r.itemFeatures = features.flatMap { $0.items.featureCount > 0 ? $0.items.summary : nil }
            r.userFeatures = features.flatMap { $0.users.featureCount > 0 ? $0.users.summary : nil }
            if let report { try writeJSON(r, to: report) }
            if let reportHTML { try HTMLReport.writeTraining(r, dataSummary: dataset.summary, to: reportHTML) }
        }
        try saved.get()
    }
}

/// An epoch as one `--log-json` line.
struct EpochEvent: Encodable {
    var event = "epoch"
    var epochs: Int
    var report: EpochReport

    func encode(to encoder: Encoder) throws {
        try report.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(event, forKey: .event)
        try c.encode(epochs, forKey: .epochs)
    }
    enum Keys: String, CodingKey { case event, epochs }
}

/// The result as the last `--log-json` line.
struct FinalEvent: Encodable {
    var event = "result"
    var evaluation: Evaluation
    var trainSeconds: Double
    var tripletsPerSecond: Double

    func encode(to encoder: Encoder) throws {
        try evaluation.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(event, forKey: .event)
        try c.encode(trainSeconds, forKey: .trainSeconds)
        try c.encode(tripletsPerSecond, forKey: .tripletsPerSecond)
    }
    enum Keys: String, CodingKey {
        case event
        case trainSeconds = "train_seconds", tripletsPerSecond = "triplets_per_second"
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
    var validationAUC: Double?

    enum CodingKeys: String, CodingKey {
        case epoch, loss, seconds, auc
        case validationAUC = "validation_auc"
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
    /// The cold-start protocol's figures (`--cold-items`).
    var coldStart: Evaluation? = nil
    var coldItems: Int? = nil
    /// Side features, one summary line each.
    var itemFeatures: String? = nil
    var userFeatures: String? = nil

    enum CodingKeys: String, CodingKey {
        case data, split, k, epochs, threads, dim, loss, similarity, matcher, history, auc, seed
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
        case coldStart = "cold_start", coldStartAUC = "cold_start_auc", coldItems = "cold_items"
        case itemFeatures = "item_features", userFeatures = "user_features"
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
        try c.encode(configuration.matcher, forKey: .matcher)
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
        if let coldStart {
            try c.encode(coldStart.auc, forKey: .coldStartAUC)
            try c.encode(coldStart, forKey: .coldStart)
        }
        try c.encodeIfPresent(coldItems, forKey: .coldItems)
        try c.encodeIfPresent(itemFeatures, forKey: .itemFeatures)
        try c.encodeIfPresent(userFeatures, forKey: .userFeatures)
    }
}
