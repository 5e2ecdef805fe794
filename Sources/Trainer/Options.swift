import ArgumentParser
import Foundation
import Hogwild

extension Loss: ExpressibleByArgument {}
extension Similarity: ExpressibleByArgument {}
extension NegativeSampling: ExpressibleByArgument {}
extension Optimizer: ExpressibleByArgument {}

/// Resolves a `--data` argument as every command does: a catalogue data set that is neither in
/// $HOGWILD_DATA nor in the cache is downloaded into the cache first, saying so on standard error.
func resolveData(_ spec: String, test: String?) throws -> DataSource {
    try DataCatalog.resolve(spec, test: test, environment: ProcessInfo.processInfo.environment,
                            download: { Console.write($0 + "\n", error: true) })
}

/// Where the interactions come from.
struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "A data set name or an interaction file.",
        discussion: "Names: \(DataCatalog.names.joined(separator: ", ")), looked up under $HOGWILD_DATA, then ~/.cache/hogwild, and downloaded into the cache when in neither (see 'hogwild download'); 'synthetic' is a small built-in planted set. A file holds user,item[,rating[,timestamp]] lines (tab, comma, '::' or space separated; a header line is skipped), or is a binary file from 'hogwild synth'.",
        valueName: "name-or-file"))
    var data = "ml-100k"

    @Option(help: ArgumentHelp("A test file with the same ids. Without one, --holdout positives per user are held out of --data.", valueName: "file"))
    var test: String?

    @Option(help: "Ratings at or above this are positives (files without ratings: every line is).")
    var minRating: Float = 4

    @Option(help: "Positives held out per user for testing when there is no test file (users with more than this many).")
    var holdout = 10

    func validate() throws {
        guard minRating.isFinite else { throw HogwildError("--min-rating must be a finite number (got \(minRating))") }
        guard holdout >= 0 else { throw HogwildError("--holdout must be 0 or more (got \(holdout))") }
    }

    func source() throws -> DataSource {
        try resolveData(data, test: test)
    }

    func load(seed: UInt64, ids: (users: IDMap, items: IDMap)? = nil) throws -> Dataset {
        try Dataset.load(source(), minRating: minRating, holdout: holdout, seed: seed, ids: ids, threads: coreCount)
    }
}

/// The data flags of the commands that work on a saved model (export, recommend, similar). All
/// are optional: by default the files, positive threshold and holdout recorded in the model file
/// at training are used again, so the same interactions count as seen.
struct ModelDataOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The model's training data (default: the file named in the model).",
        discussion: "A data set name (\(DataCatalog.names.joined(separator: ", "))) or an interaction file, as for 'hogwild train'; its ids must be the model's. Item titles and genres come from u.item (ml-100k) or movies.csv (ml-latest-small) next to its training file.",
        valueName: "name-or-file"))
    var data: String?

    @Option(help: ArgumentHelp("A test file with the same ids (default: the data set's, or the model's).", valueName: "file"))
    var test: String?

    @Option(help: "Ratings at or above this are positives (default: as at training).")
    var minRating: Float?

    @Option(help: "Without a test file: positives per user held out for testing (default: as at training).")
    var holdout: Int?

    func validate() throws {
        if let minRating, !minRating.isFinite { throw HogwildError("--min-rating must be a finite number (got \(minRating))") }
        if let holdout, holdout < 0 { throw HogwildError("--holdout must be 0 or more (got \(holdout))") }
        if test != nil && data == nil { throw HogwildError("--test needs --data") }
    }

    /// `--data` (with `--test`) when given, else the files named in the model's header, else `nil`.
    func source(header: ModelFile.Header) throws -> DataSource? {
        if let data { return try resolveData(data, test: test) }
        guard let trainFile = header.trainFile else { return nil }
        if trainFile == DataSource(synthetic: .builtIn).trainFile { return try resolveData("synthetic", test: nil) }
        guard access(trainFile, R_OK) == 0 else {
            throw HogwildError("the model's training file '\(trainFile)' cannot be read any more; give --data")
        }
        return DataSource(name: trainFile, trainFile: trainFile, testFile: header.testFile)
    }

    /// `source` read with the model's ids and the training split's settings.
    func load(_ source: DataSource, model: EmbeddingModel, header: ModelFile.Header) throws -> Dataset {
        try Dataset.load(source, minRating: minRating ?? header.minRating ?? 4, holdout: holdout ?? header.holdout ?? 10,
                         seed: model.configuration.seed, ids: (model.users, model.items), threads: coreCount)
    }
}

/// The model's hyper-parameters.
struct ModelOptions: ParsableArguments {
    @Option(help: "Embedding dimension.")
    var dim = 64

    @Option(help: "Loss: margin (hinge), bpr (needs --similarity dot), warp (margin with rank-weighted, sampled-until-violating negatives) or softmax (sampled softmax over the positive and --candidates negatives, see --temperature).")
    var loss = Loss.margin

    @Option(help: "Similarity: cosine or dot.")
    var similarity = Similarity.cosine

    @Option(help: "Hinge margin for --loss margin.")
    var margin: Float = 0.6

    @Option(name: .customLong("lr"), help: "Initial learning rate; it decays linearly to --final-lr-fraction of itself. Default: 0.5 for cosine, 0.02 for dot (tuned on a validation split of ml-100k, see perf/tune-defaults.sh).")
    var learningRate: Float?

    @Option(help: "Learning rate at the end, as a fraction of --lr.")
    var finalLrFraction: Float = 0

    @Option(help: "L2 regularisation, applied to the rows each update moves.")
    var l2: Float = 0

    @Option(help: "Negatives: unseen (not the user's training positives) or uniform (any item but the positive).")
    var negatives: NegativeSampling?

    @Option(help: "Initial entries are N(0, (init-scale/√dim)²).")
    var initScale: Float?

    @Option(help: "WARP: negatives drawn per positive before giving up.")
    var maxSampled = 50

    @Option(help: "Softmax loss: temperature dividing the similarities.")
    var temperature: Float = 0.1

    @Option(help: "Optimiser: sgd, or adagrad (per-row: each row's step shrinks with its accumulated squared gradients).")
    var optimizer = Optimizer.sgd

    @Option(help: "Negatives drawn per training pair. margin and bpr train on the highest-scoring one (hard-negative mining; 1: a plain random negative); softmax puts them all in its denominator. Default: 16 for softmax, else 1.")
    var candidates: Int?

    @Option(help: "Draw negatives ∝ item popularity^x (0: uniform; 1: from the interaction log, as LightFM and implicit do).")
    var negExponent = 0.0

    @Option(help: "Random seed (initialisation, shuffling, sampling, holdout).")
    var seed: UInt64 = 1

    /// The configuration, with `defaultNegatives` when --negatives is not given.
    func configuration(epochs: Int, threads: Int, defaultNegatives: NegativeSampling = .unseen) throws -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.dimension = dim
        c.loss = loss
        c.similarity = similarity
        c.margin = margin
        c.learningRate = learningRate ?? (similarity == .cosine ? 0.5 : 0.02)
        c.finalLearningRateFraction = finalLrFraction
        c.l2 = l2
        c.epochs = epochs
        c.threads = threads
        c.seed = seed
        c.negatives = negatives ?? defaultNegatives
        c.initScale = initScale ?? (similarity == .cosine ? 1.0 : 0.1)
        c.maxSampled = maxSampled
        c.negativeExponent = negExponent
        c.negativeCandidates = candidates ?? (loss == .softmax ? 16 : 1)
        c.optimizer = optimizer
        c.temperature = temperature
        try c.validate()
        return c
    }
}

/// The number of online cores: the default worker count.
var coreCount: Int { ProcessInfo.processInfo.activeProcessorCount }

extension TrainingConfiguration {
    /// One line describing the model for logs.
    var summary: String {
        let lossText: String
        switch loss {
        case .bpr: lossText = "BPR loss"
        case .warp: lossText = "WARP loss (margin \(margin), ≤ \(maxSampled) draws)"
        case .margin: lossText = "margin loss (margin \(margin))"
        case .softmax: lossText = "softmax loss (τ \(temperature), \(negativeCandidates) negatives)"
        }
        let mining = negativeCandidates > 1 && (loss == .margin || loss == .bpr) ? ", hardest of \(negativeCandidates) negatives" : ""
        return "dim \(dimension), \(lossText)\(mining) on \(similarity.rawValue), lr \(learningRate)→\(learningRate * finalLearningRateFraction), l2 \(l2), \(optimizer.rawValue), \(negatives.rawValue) negatives, \(threads) thread\(threads == 1 ? "" : "s"), seed \(seed)"
    }
}

extension Dataset {
    var summary: String {
        "\(source.name): \(users.count) users, \(items.count) items, \(train.nonZeroCount) train / \(test.nonZeroCount) test positives (\(split))"
    }
}
