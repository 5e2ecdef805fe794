import ArgumentParser
import Foundation
import Hogwild

extension Loss: ExpressibleByArgument {}
extension Similarity: ExpressibleByArgument {}
extension NegativeSampling: ExpressibleByArgument {}
extension Optimizer: ExpressibleByArgument {}
extension Matcher: ExpressibleByArgument {}
extension DenseWeightSharing: ExpressibleByArgument {}

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

    @Flag(help: "Keep test positives whose user or item never appears in the training data: they are scored with untrained vectors. (default: left out, and counted in one line)")
    var keepUnseenTest = false

    func validate() throws {
        guard minRating.isFinite else { throw HogwildError("--min-rating must be a finite number (got \(minRating))") }
        guard holdout >= 0 else { throw HogwildError("--holdout must be 0 or more (got \(holdout))") }
    }

    func source() throws -> DataSource {
        try resolveData(data, test: test)
    }

    /// The data set, after saying what loading left out, and refusing one with a test set
    /// that gives nothing to evaluate (before any training is spent on it).
    func load(seed: UInt64, ids: (users: IDMap, items: IDMap)? = nil) throws -> Dataset {
        let dataset = try Dataset.load(source(), minRating: minRating, holdout: holdout, seed: seed, ids: ids, threads: coreCount,
                                       keepUnseenTest: keepUnseenTest)
        for note in dataset.notes { chat("note     \(note)") }
        // No training positives is the first thing wrong with such data, whatever its test set.
        guard dataset.train.nonZeroCount > 0 else {
            throw HogwildError("\(dataset.source.name) has no training positives (\(dataset.split)): nothing to train on")
        }
        try dataset.requireSomethingToEvaluate()
        return dataset
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
        // Nothing is evaluated here: the test positives only mark hits, so all are kept.
        try Dataset.load(source, minRating: minRating ?? header.minRating ?? 4, holdout: holdout ?? header.holdout ?? 10,
                         seed: model.configuration.seed, ids: (model.users, model.items), threads: coreCount, keepUnseenTest: true)
    }
}

/// The model's hyper-parameters. Unset flags take the defaults of the chosen loss and
/// similarity (`TrainingConfiguration(loss:similarity:)`).
struct ModelOptions: ParsableArguments {
    @Option(help: "Embedding dimension.")
    var dim = 64

    @Option(help: ArgumentHelp(
        "Loss: full-softmax (default, the most accurate), softmax, margin (the fastest), warp or bpr.",
        discussion: "full-softmax: each user's positives against the whole catalogue (the multinomial likelihood), on cosines divided by --temperature, users trained 32 at a time; an epoch costs users × items × dim, so when that exceeds both 10^8 and 64 × the training positives, the default is softmax instead. --similarity dot, side features and --cold-items default to softmax, which full-softmax does not take. softmax: sampled softmax over the positive and --candidates random negatives, on similarities divided by --temperature. margin: hinge max(0, m − s(u,p) + s(u,n)), one negative per pair (or the hardest of --candidates). warp: margin with negatives drawn until one violates it, rank-weighted. bpr: −log σ(u·p − u·n), needs --similarity dot. Each loss brings its own tuned defaults for --lr, --candidates, --negatives and --temperature (README: Ranking quality). --matcher mlp trains with margin (its default) or bpr."))
    var loss: Loss?

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

    @Option(help: "Hinge margin for --loss margin and warp. (default: 0.6; 1 for warp on dot; \(ModelOptions.mlpDefaults.margin) for mlp)")
    var margin: Float?

    @Option(name: .customLong("lr"), help: "Initial learning rate; it decays linearly to --final-lr-fraction of itself. (default: per loss: full-softmax 0.05, softmax 0.4, margin 0.5, warp 0.05 on cosine; 0.3, 0.02, 0.02 on dot; \(ModelOptions.mlpDefaults.learningRate) for mlp)")
    var learningRate: Float?

    @Option(help: "Learning rate at the end, as a fraction of --lr.")
    var finalLrFraction: Float = 0

    @Option(help: "L2 regularisation, applied to the rows each update moves. (default: 0; 0.05 for softmax on dot)")
    var l2: Float?

    @Option(help: "Negatives: uniform (any item but the positive) or unseen (not one of the user's training positives). (default: uniform for softmax, else unseen; full-softmax uses every item)")
    var negatives: NegativeSampling?

    @Option(help: "Initial entries are N(0, (init-scale/√dim)²). (default: 1 for cosine, 0.1 for dot, \(ModelOptions.mlpDefaults.initScale) for mlp)")
    var initScale: Float?

    @Option(help: "WARP: negatives drawn per positive before giving up. (default: 50)")
    var maxSampled: Int?

    @Option(help: "Softmax losses: the temperature dividing the similarities; given alone, it holds for every epoch, with --initial-temperature it is the last epoch's. (default: 0.22, after 0.3 in the first epoch; 1 for softmax on dot)")
    var temperature: Float?

    @Option(help: "Softmax losses: the temperature of the first epoch, moving linearly to --temperature by the last: starting softer ranks the whole catalogue better (AUC), softer still at some cost in precision@k. (default, when --temperature is not given: 0.3 on cosine; on dot, --temperature throughout)")
    var initialTemperature: Float?

    @Option(help: "Optimiser: sgd, or adagrad (per-row: each row's step shrinks with its accumulated squared gradients).")
    var optimizer = Optimizer.sgd

    @Option(help: "Negatives drawn per training pair. margin and bpr train on the highest-scoring one (hard-negative mining; 1: a plain random negative); softmax puts them all in its denominator. (default: 24 for softmax, else 1)")
    var candidates: Int?

    @Option(help: "Draw negatives ∝ item popularity^x (0: uniform; 1: from the interaction log, as LightFM and implicit do).")
    var negExponent = 0.0

    @Option(name: .customLong("user-weight"),
            help: ArgumentHelp("Weight each training pair by its user's number of positives^(−β), normalised to a mean of 1 over pairs, so that light users count more, as the per-user metrics count them (0: every pair alike). (default: 0.25 for full-softmax and softmax on cosine, else 0)",
                               valueName: "β"))
    var userWeight: Float?

    @Option(name: .customLong("seen-weight"),
            help: ArgumentHelp("Full softmax: also train on the items each user rated below --min-rating (seen, not liked), as positives of weight α (0: ignore them). (default: 0.1)",
                               valueName: "α"))
    var seenWeight: Float?

    @Option(help: "Random seed (initialisation, shuffling, sampling, holdout).")
    var seed: UInt64 = 1

    /// The MLP matcher's defaults, chosen on a validation split of ml-100k (perf/deep.sh): its
    /// scores are unnormalised, so a wide margin with a small step, for more epochs, does best.
    static let mlpDefaults = (margin: Float(8), learningRate: Float(0.005), initScale: Float(0.3), epochs: 80)

    /// `configuration(…)` for `data`: with no `--loss` (nor the full softmax's `--seen-weight`),
    /// the sampled softmax replaces the full softmax when the data set is too large for it
    /// (`TrainingConfiguration.fullSoftmaxSuits`); the second value then says so, for the log.
    func configuration(for data: Dataset, epochs: Int, threads: Int, defaultNegatives: NegativeSampling? = nil,
                       sampled: Bool = false) throws -> (TrainingConfiguration, note: String?) {
        let config = try configuration(epochs: epochs, threads: threads, defaultNegatives: defaultNegatives, sampled: sampled)
        guard loss == nil, seenWeight == nil, config.loss == .fullSoftmax,
              !TrainingConfiguration.fullSoftmaxSuits(users: data.users.count, items: data.items.count, pairs: data.train.nonZeroCount) else {
            return (config, nil)
        }
        let note = "\(data.users.count) users × \(data.items.count) items is too large for the full softmax (every epoch scores them all): the default loss here is the sampled softmax; --loss full-softmax insists"
        return (try configuration(epochs: epochs, threads: threads, defaultNegatives: defaultNegatives, sampled: true), note)
    }

    /// `--epochs`' default: the loss's (40 for the softmax losses on cosine, else 20), or 80 for
    /// the MLP matcher.
    var defaultEpochs: Int {
        matcher == .mlp ? Self.mlpDefaults.epochs : TrainingConfiguration(loss: resolvedLoss(), similarity: similarity ?? .cosine).epochs
    }

    /// `--loss`, or its default: full-softmax; softmax on dot products and where `sampled` says
    /// so (side features and the cold-start protocol, which full-softmax does not train, or a
    /// catalogue too large for it); margin for the MLP matcher.
    func resolvedLoss(sampled: Bool = false) -> Loss {
        loss ?? (matcher == .mlp ? .margin : sampled || similarity == .dot ? .softmax : .fullSoftmax)
    }

    /// The configuration: the loss's defaults (or the MLP matcher's), then every flag given, with
    /// `defaultNegatives` (when set) instead of the loss's sampling when --negatives is not given,
    /// and `sampled` making the sampled softmax the default loss (see `resolvedLoss`).
    func configuration(epochs: Int, threads: Int, defaultNegatives: NegativeSampling? = nil, sampled: Bool = false) throws -> TrainingConfiguration {
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
        // A flag the chosen loss does not read is a mistake worth naming, not a silent no-op.
        let loss = resolvedLoss(sampled: sampled)
        if loss != .softmax && loss != .fullSoftmax && (temperature != nil || initialTemperature != nil) {
            throw HogwildError("\(temperature != nil ? "--temperature" : "--initial-temperature") applies to --loss softmax and full-softmax (the loss is \(loss.rawValue))")
        }
        if margin != nil && loss != .margin && loss != .warp {
            throw HogwildError("--margin applies to --loss margin and warp (the loss is \(loss.rawValue))")
        }
        if seenWeight != nil && loss != .fullSoftmax {
            throw HogwildError("--seen-weight applies to --loss full-softmax (the loss is \(loss.rawValue))")
        }
        if maxSampled != nil && loss != .warp {
            throw HogwildError("--max-sampled applies to --loss warp (the loss is \(loss.rawValue))")
        }
        var c = TrainingConfiguration(loss: loss, similarity: similarity ?? .cosine)
        c.dimension = dim
        c.matcher = matcher
        c.hidden = hidden ?? c.hidden
        c.denseWeights = denseWeights ?? c.denseWeights
        c.averageEvery = averageEvery ?? c.averageEvery
        if mlp {
            c.margin = Self.mlpDefaults.margin
            c.learningRate = Self.mlpDefaults.learningRate
            c.initScale = Self.mlpDefaults.initScale
        }
        if let margin { c.margin = margin }
        if let learningRate { c.learningRate = learningRate }
        c.finalLearningRateFraction = finalLrFraction
        if let l2 { c.l2 = l2 }
        c.epochs = epochs
        c.threads = threads
        c.seed = seed
        if let sampling = negatives ?? defaultNegatives { c.negatives = sampling }
        if let initScale { c.initScale = initScale }
        if let maxSampled { c.maxSampled = maxSampled }
        c.negativeExponent = negExponent
        if let candidates { c.negativeCandidates = candidates }
        c.optimizer = optimizer
        // --temperature alone means a constant temperature.
        if let temperature { c.temperature = temperature; c.initialTemperature = nil }
        if let initialTemperature { c.initialTemperature = initialTemperature }
        if let userWeight { c.userWeightExponent = userWeight }
        if let seenWeight { c.seenWeight = seenWeight }
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
        case .softmax: lossText = "softmax loss (τ \(initialTemperature.map { "\($0)→" } ?? "")\(temperature), \(negativeCandidates) negatives)"
        case .fullSoftmax: lossText = "full softmax loss (τ \(initialTemperature.map { "\($0)→" } ?? "")\(temperature), every item)"
        }
        let mining = negativeCandidates > 1 && (loss == .margin || loss == .bpr) ? ", hardest of \(negativeCandidates) negatives" : ""
        let scorer = matcher == .bilinear ? similarity.rawValue
            : "an MLP (hidden \(hidden), \(denseWeights == .shared ? "shared dense weights" : "dense weights \(denseWeights.rawValue) every \(averageEvery)"))"
        return "dim \(dimension), \(lossText)\(mining) on \(scorer), lr \(learningRate)→\(learningRate * finalLearningRateFraction), l2 \(l2), \(optimizer.rawValue)\(loss == .fullSoftmax ? "" : ", \(negatives.rawValue) negatives")\(userWeightExponent > 0 ? ", user weight β \(userWeightExponent)" : "")\(seenWeight > 0 ? ", seen weight α \(seenWeight)" : ""), \(threads) thread\(threads == 1 ? "" : "s"), seed \(seed)"
    }
}

extension Dataset {
    var summary: String {
        let lower = seen.nonZeroCount > 0 ? " (+ \(seen.nonZeroCount) rated lower)" : ""
        return "\(source.name): \(users.count) users, \(items.count) items, \(train.nonZeroCount) train\(lower) / \(test.nonZeroCount) test positives (\(split))"
    }
}
