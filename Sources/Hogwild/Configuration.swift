/// The training objective for a triplet (user, positive, negative).
public enum Loss: String, Codable, Sendable, CaseIterable {
    /// Hinge loss `max(0, margin − s(u,p) + s(u,n))`.
    case margin
    /// Bayesian personalised ranking `−log σ(s(u,p) − s(u,n))`, on dot products.
    case bpr
    /// Weighted approximate-rank pairwise loss (Weston, Bengio & Usunier, 2011): negatives are
    /// drawn until one violates the margin (at most `maxSampled`); the hinge update is scaled by
    /// log⌊(items − 1)/draws⌋, an estimate of how highly the negative outranks the positive, so
    /// the top of each user's ranking gets the most attention.
    case warp
}

/// How a user row scores an item row.
public enum Similarity: String, Codable, Sendable, CaseIterable {
    case cosine
    case dot
}

/// Which items may be drawn as a triplet's negative.
public enum NegativeSampling: String, Codable, Sendable, CaseIterable {
    /// Uniform over all items, redrawn only if it is the positive itself.
    case uniform
    /// Uniform over the items that are not the user's training positives, by rejection: a triplet
    /// whose negative is a positive is skipped. Only triplets about to update are checked — a
    /// satisfied triplet writes nothing either way — so the costly CSR search is done for the
    /// violating share alone, and the result is the same as checking every draw.
    case unseen
}

/// What scores a (user, item) pair.
public enum Matcher: String, Codable, Sendable, CaseIterable {
    /// The rows' cosine or dot product (`Similarity`).
    case bilinear
    /// A one-hidden-layer network over the concatenated rows, `w2 · relu(Wu·u + Wi·i + b1)`
    /// (`DeepMatcher`), trained jointly with the rows.
    case mlp
}

/// How the MLP matcher's dense weights are shared by the training workers (see
/// `HogwildTrainer.trainDeepEpoch`; measured in perf/deep.sh).
public enum DenseWeightSharing: String, Codable, Sendable, CaseIterable {
    /// Every worker reads and writes the one set of weights with no lock: Hogwild on dense
    /// parameters, which every update writes, so the workers' caches fight over them.
    case shared
    /// Every worker trains its own copy; every `averageEvery` triplets per worker (and at the end
    /// of each epoch) the model becomes the copies' mean, which every worker then continues from.
    case averaged
}

/// Every hyper-parameter of a training run.
public struct TrainingConfiguration: Codable, Sendable, Equatable {
    /// Embedding width.
    public var dimension = 64
    public var loss = Loss.margin
    public var similarity = Similarity.cosine
    /// The hinge margin (margin loss only).
    public var margin: Float = 0.6
    /// The learning rate at the start; it decays linearly to `finalLearningRateFraction` of that.
    public var learningRate: Float = 0.5
    public var finalLearningRateFraction: Float = 0.0
    /// L2 regularisation strength, applied to the rows each update moves.
    public var l2: Float = 0
    public var epochs = 20
    /// Worker threads.
    public var threads = 1
    public var seed: UInt64 = 1
    public var negatives = NegativeSampling.unseen
    /// The standard deviation of the initial row entries, divided by √dimension.
    public var initScale: Float = 1.0
    /// WARP: negatives drawn per positive before giving up.
    public var maxSampled = 50
    /// Negatives are drawn ∝ (training positives of the item)^exponent; 0 is uniform, 1 is
    /// popularity-weighted as LightFM's and implicit's samplers draw from the interaction log.
    public var negativeExponent = 0.0
    /// How pairs are scored: the rows' similarity, or an MLP over them.
    public var matcher = Matcher.bilinear
    /// MLP matcher: hidden units.
    public var hidden = 128
    /// MLP matcher: how workers share the dense weights.
    public var denseWeights = DenseWeightSharing.averaged
    /// MLP matcher with averaged dense weights: triplets per worker between averagings.
    public var averageEvery = 1_000

    public init() {}

    /// Checks every value; the message names the flag.
    public func validate() throws {
        func check(_ ok: Bool, _ message: @autoclosure () -> String) throws {
            if !ok { throw HogwildError(message()) }
        }
        try check(dimension >= 1 && dimension <= 65_536, "--dim must be between 1 and 65536 (got \(dimension))")
        try check(threads >= 1 && threads <= 4096, "--threads must be at least 1 (got \(threads))")
        try check(epochs >= 0, "--epochs must be 0 or more (got \(epochs))")
        try check(learningRate.isFinite && learningRate > 0, "--lr must be a positive finite number (got \(learningRate))")
        try check(finalLearningRateFraction.isFinite && finalLearningRateFraction >= 0 && finalLearningRateFraction <= 1,
                  "--final-lr-fraction must be between 0 and 1 (got \(finalLearningRateFraction))")
        try check(l2.isFinite && l2 >= 0, "--l2 must be a finite number ≥ 0 (got \(l2))")
        try check(margin.isFinite && margin >= 0, "--margin must be a finite number ≥ 0 (got \(margin))")
        try check(initScale.isFinite && initScale > 0, "--init-scale must be a positive finite number (got \(initScale))")
        try check(!(loss == .bpr && similarity == .cosine && matcher == .bilinear), "--loss bpr needs --similarity dot")
        try check(maxSampled >= 1, "--max-sampled must be at least 1 (got \(maxSampled))")
        try check(negativeExponent.isFinite && negativeExponent >= 0 && negativeExponent <= 4,
                  "--neg-exponent must be between 0 and 4 (got \(negativeExponent))")
        try check(hidden >= 1 && hidden <= 4096, "--hidden must be between 1 and 4096 (got \(hidden))")
        try check(averageEvery >= 1, "--average-every must be at least 1 (got \(averageEvery))")
        try check(!(matcher == .mlp && loss == .warp), "--loss warp is not supported with --matcher mlp (use margin or bpr)")
    }
}

extension TrainingConfiguration {
    enum CodingKeys: String, CodingKey {
        case dimension, loss, similarity, margin, learningRate, finalLearningRateFraction, l2, epochs
        case threads, seed, negatives, initScale, maxSampled, negativeExponent
        case matcher, hidden, denseWeights, averageEvery
    }

    /// Decodes a configuration; keys added after a model file was written take their defaults.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TrainingConfiguration()
        dimension = try c.decode(Int.self, forKey: .dimension)
        loss = try c.decode(Loss.self, forKey: .loss)
        similarity = try c.decode(Similarity.self, forKey: .similarity)
        margin = try c.decodeIfPresent(Float.self, forKey: .margin) ?? d.margin
        learningRate = try c.decodeIfPresent(Float.self, forKey: .learningRate) ?? d.learningRate
        finalLearningRateFraction = try c.decodeIfPresent(Float.self, forKey: .finalLearningRateFraction) ?? d.finalLearningRateFraction
        l2 = try c.decodeIfPresent(Float.self, forKey: .l2) ?? d.l2
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? d.epochs
        threads = try c.decodeIfPresent(Int.self, forKey: .threads) ?? d.threads
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        negatives = try c.decodeIfPresent(NegativeSampling.self, forKey: .negatives) ?? d.negatives
        initScale = try c.decodeIfPresent(Float.self, forKey: .initScale) ?? d.initScale
        maxSampled = try c.decodeIfPresent(Int.self, forKey: .maxSampled) ?? d.maxSampled
        negativeExponent = try c.decodeIfPresent(Double.self, forKey: .negativeExponent) ?? d.negativeExponent
        matcher = try c.decodeIfPresent(Matcher.self, forKey: .matcher) ?? d.matcher
        hidden = try c.decodeIfPresent(Int.self, forKey: .hidden) ?? d.hidden
        denseWeights = try c.decodeIfPresent(DenseWeightSharing.self, forKey: .denseWeights) ?? d.denseWeights
        averageEvery = try c.decodeIfPresent(Int.self, forKey: .averageEvery) ?? d.averageEvery
    }
}
