import ArgumentParser
import Foundation
import Hogwild

extension Loss: ExpressibleByArgument {}
extension Similarity: ExpressibleByArgument {}
extension NegativeSampling: ExpressibleByArgument {}
extension Matcher: ExpressibleByArgument {}
extension DenseWeightSharing: ExpressibleByArgument {}

/// Where the interactions come from.
struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "A data set name or an interaction file.",
        discussion: "Names: \(DataCatalog.names.joined(separator: ", ")), looked up under $HOGWILD_DATA, then ~/.cache/hogwild; 'synthetic' is a small built-in planted set. A file holds user,item[,rating[,timestamp]] lines (tab, comma, '::' or space separated; a header line is skipped), or is a binary file from 'hogwild synth'.",
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
        try DataCatalog.resolve(data, test: test, environment: ProcessInfo.processInfo.environment)
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
        let environment = ProcessInfo.processInfo.environment
        if let data { return try DataCatalog.resolve(data, test: test, environment: environment) }
        guard let trainFile = header.trainFile else { return nil }
        if trainFile == DataSource(synthetic: .builtIn).trainFile {
            return try DataCatalog.resolve("synthetic", test: nil, environment: environment)
        }
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

    @Option(help: "Loss: margin (hinge), bpr (the bilinear matcher needs --similarity dot for it) or warp (margin with rank-weighted, sampled-until-violating negatives; bilinear matcher only).")
    var loss = Loss.margin

    @Option(help: "Similarity of the bilinear matcher: cosine (default) or dot.")
    var similarity: Similarity?

    @Option(help: "Scores: bilinear (the rows' similarity) or mlp (w2·relu(Wu·u + Wi·i + b1), a ReLU network over the concatenated rows trained with them; --loss margin or bpr). eval and recommend score through the saved network; similar keeps ranking item rows by cosine.")
    var matcher = Matcher.bilinear

    @Option(help: "MLP matcher: hidden units (default 128).")
    var hidden: Int?

    @Option(help: "MLP matcher on several threads: averaged (default: each worker trains its own copy of the dense weights; the copies are averaged every --average-every triplets) or shared (one copy, written lock-free by all workers).")
    var denseWeights: DenseWeightSharing?

    @Option(help: "MLP matcher with averaged dense weights: triplets per worker between averagings (default 1000).")
    var averageEvery: Int?

    @Option(help: "Hinge margin for --loss margin. Default: 0.6 (bilinear), \(ModelOptions.mlpDefaults.margin) (mlp).")
    var margin: Float?

    @Option(name: .customLong("lr"), help: "Initial learning rate; it decays linearly to --final-lr-fraction of itself. Default: 0.5 for cosine, 0.02 for dot, \(ModelOptions.mlpDefaults.learningRate) for mlp (tuned on a validation split of ml-100k, see perf/tune-defaults.sh and perf/deep.sh).")
    var learningRate: Float?

    @Option(help: "Learning rate at the end, as a fraction of --lr.")
    var finalLrFraction: Float = 0

    @Option(help: "L2 regularisation, applied to the rows each update moves.")
    var l2: Float = 0

    @Option(help: "Negatives: unseen (not the user's training positives) or uniform (any item but the positive).")
    var negatives: NegativeSampling?

    @Option(help: "Initial entries are N(0, (init-scale/√dim)²). Default: 1 for cosine, 0.1 for dot, \(ModelOptions.mlpDefaults.initScale) for mlp.")
    var initScale: Float?

    @Option(help: "WARP: negatives drawn per positive before giving up.")
    var maxSampled = 50

    @Option(help: "Draw negatives ∝ item popularity^x (0: uniform; 1: from the interaction log, as LightFM and implicit do).")
    var negExponent = 0.0

    @Option(help: "Random seed (initialisation, shuffling, sampling, holdout).")
    var seed: UInt64 = 1

    /// The MLP matcher's defaults, chosen on a validation split of ml-100k (perf/deep.sh): its
    /// scores are unnormalised, so a wide margin with a small step, for more epochs, does best.
    static let mlpDefaults = (margin: Float(8), learningRate: Float(0.005), initScale: Float(0.3), epochs: 80)

    /// `--epochs`' default: 20, or 80 for the MLP matcher.
    var defaultEpochs: Int { matcher == .mlp ? Self.mlpDefaults.epochs : 20 }

    /// The configuration, with `defaultNegatives` when --negatives is not given.
    func configuration(epochs: Int, threads: Int, defaultNegatives: NegativeSampling = .unseen) throws -> TrainingConfiguration {
        var c = TrainingConfiguration()
        let mlp = matcher == .mlp
        if mlp {
            if similarity != nil {
                throw HogwildError("--similarity applies to --matcher bilinear; --matcher mlp scores through its network")
            }
            if denseWeights == .shared && averageEvery != nil {
                throw HogwildError("--average-every needs --dense-weights averaged")
            }
        } else if hidden != nil || denseWeights != nil || averageEvery != nil {
            let flag = hidden != nil ? "--hidden" : denseWeights != nil ? "--dense-weights" : "--average-every"
            throw HogwildError("\(flag) needs --matcher mlp")
        }
        let similarity = similarity ?? .cosine
        c.dimension = dim
        c.loss = loss
        c.similarity = similarity
        c.matcher = matcher
        c.hidden = hidden ?? c.hidden
        c.denseWeights = denseWeights ?? c.denseWeights
        c.averageEvery = averageEvery ?? c.averageEvery
        c.margin = margin ?? (mlp ? Self.mlpDefaults.margin : 0.6)
        c.learningRate = learningRate ?? (mlp ? Self.mlpDefaults.learningRate : similarity == .cosine ? 0.5 : 0.02)
        c.finalLearningRateFraction = finalLrFraction
        c.l2 = l2
        c.epochs = epochs
        c.threads = threads
        c.seed = seed
        c.negatives = negatives ?? defaultNegatives
        c.initScale = initScale ?? (mlp ? Self.mlpDefaults.initScale : similarity == .cosine ? 1.0 : 0.1)
        c.maxSampled = maxSampled
        c.negativeExponent = negExponent
        try c.validate()
        return c
    }
}

/// The number of online cores: the default worker count.
var coreCount: Int { ProcessInfo.processInfo.activeProcessorCount }

extension TrainingConfiguration {
    /// One line describing the model for logs.
    var summary: String {
        let lossText = loss == .bpr ? "BPR loss" : loss == .warp ? "WARP loss (margin \(margin), ≤ \(maxSampled) draws)" : "margin loss (margin \(margin))"
        let scorer = matcher == .bilinear ? similarity.rawValue
            : "an MLP (hidden \(hidden), \(denseWeights == .shared ? "shared dense weights" : "dense weights \(denseWeights.rawValue) every \(averageEvery)"))"
        return "dim \(dimension), \(lossText) on \(scorer), lr \(learningRate)→\(learningRate * finalLearningRateFraction), l2 \(l2), \(negatives.rawValue) negatives, \(threads) thread\(threads == 1 ? "" : "s"), seed \(seed)"
    }
}

extension Dataset {
    var summary: String {
        "\(source.name): \(users.count) users, \(items.count) items, \(train.nonZeroCount) train / \(test.nonZeroCount) test positives (\(split))"
    }
}
