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

/// The model's hyper-parameters. Unset flags take the defaults of the chosen loss and
/// similarity (`TrainingConfiguration(loss:similarity:)`).
struct ModelOptions: ParsableArguments {
    @Option(help: "Embedding dimension.")
    var dim = 64

    @Option(help: ArgumentHelp(
        "Loss: softmax (default, the most accurate), margin (the fastest), warp or bpr.",
        discussion: "softmax: sampled softmax over the positive and --candidates random negatives, on similarities divided by --temperature. margin: hinge max(0, m − s(u,p) + s(u,n)), one negative per pair (or the hardest of --candidates). warp: margin with negatives drawn until one violates it, rank-weighted. bpr: −log σ(u·p − u·n), needs --similarity dot. Each loss brings its own tuned defaults for --lr, --candidates, --negatives and --temperature (README: Ranking quality)."))
    var loss: Loss = .softmax

    @Option(help: "Similarity: cosine or dot.")
    var similarity: Similarity = .cosine

    @Option(help: "Hinge margin for --loss margin and warp. (default: 0.6; 1 for warp on dot)")
    var margin: Float?

    @Option(name: .customLong("lr"), help: "Initial learning rate; it decays linearly to --final-lr-fraction of itself. (default: per loss: softmax 0.2, margin 0.5, warp 0.05 on cosine; 0.3, 0.02, 0.02 on dot)")
    var learningRate: Float?

    @Option(help: "Learning rate at the end, as a fraction of --lr.")
    var finalLrFraction: Float = 0

    @Option(help: "L2 regularisation, applied to the rows each update moves. (default: 0; 0.05 for softmax on dot)")
    var l2: Float?

    @Option(help: "Negatives: uniform (any item but the positive) or unseen (not one of the user's training positives). (default: uniform for softmax, else unseen)")
    var negatives: NegativeSampling?

    @Option(help: "Initial entries are N(0, (init-scale/√dim)²). (default: 1 for cosine, 0.1 for dot)")
    var initScale: Float?

    @Option(help: "WARP: negatives drawn per positive before giving up.")
    var maxSampled = 50

    @Option(help: "Softmax loss: the temperature dividing the similarities. (default: 0.25; 1 on dot)")
    var temperature: Float?

    @Option(help: "Optimiser: sgd, or adagrad (per-row: each row's step shrinks with its accumulated squared gradients).")
    var optimizer = Optimizer.sgd

    @Option(help: "Negatives drawn per training pair. margin and bpr train on the highest-scoring one (hard-negative mining; 1: a plain random negative); softmax puts them all in its denominator. (default: 24 for softmax, else 1)")
    var candidates: Int?

    @Option(help: "Draw negatives ∝ item popularity^x (0: uniform; 1: from the interaction log, as LightFM and implicit do).")
    var negExponent = 0.0

    @Option(help: "Random seed (initialisation, shuffling, sampling, holdout).")
    var seed: UInt64 = 1

    /// The configuration: the loss's defaults, then every flag given, with `defaultNegatives`
    /// (when set) instead of the loss's sampling when --negatives is not given.
    func configuration(epochs: Int, threads: Int, defaultNegatives: NegativeSampling? = nil) throws -> TrainingConfiguration {
        var c = TrainingConfiguration(loss: loss, similarity: similarity)
        c.dimension = dim
        if let margin { c.margin = margin }
        if let learningRate { c.learningRate = learningRate }
        c.finalLearningRateFraction = finalLrFraction
        if let l2 { c.l2 = l2 }
        c.epochs = epochs
        c.threads = threads
        c.seed = seed
        if let sampling = negatives ?? defaultNegatives { c.negatives = sampling }
        if let initScale { c.initScale = initScale }
        c.maxSampled = maxSampled
        c.negativeExponent = negExponent
        if let candidates { c.negativeCandidates = candidates }
        c.optimizer = optimizer
        if let temperature { c.temperature = temperature }
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
