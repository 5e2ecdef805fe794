/// The training objective for a triplet (user, positive, negative).
public enum Loss: String, Codable, Sendable, CaseIterable {
    /// Hinge loss `max(0, margin − s(u,p) + s(u,n))`.
    case margin
    /// Bayesian personalised ranking `−log σ(s(u,p) − s(u,n))`, on dot products (or the MLP
    /// matcher's scores); not on cosine similarity.
    case bpr
    /// Weighted approximate-rank pairwise loss (Weston, Bengio & Usunier, 2011): negatives are
    /// drawn until one violates the margin (at most `maxSampled`); the hinge update is scaled by
    /// log⌊(items − 1)/draws⌋, an estimate of how highly the negative outranks the positive, so
    /// the top of each user's ranking gets the most attention.
    case warp
    /// Sampled softmax (InfoNCE) over the positive and `negativeCandidates` random negatives, on
    /// similarities divided by `temperature`: every negative is pushed down in proportion to its
    /// softmax weight, so hard negatives get most of the update and easy ones still some.
    case softmax
    /// Full softmax (the multinomial likelihood): each user's positives against the whole
    /// catalogue, on cosine similarities divided by `temperature`, users trained in blocks of 16
    /// (`FullSoftmaxStep`). What the sampled softmax estimates, computed exactly: every epoch
    /// costs users × items × dimension, so it suits catalogues up to some tens of thousands
    /// of items.
    case fullSoftmax = "full-softmax"
}

/// How a user row scores an item row.
public enum Similarity: String, Codable, Sendable, CaseIterable {
    /// The cosine `u·i / (|u|·|i|)`: row lengths do not count.
    case cosine
    /// The dot product `u·i`: row lengths count.
    case dot
}

/// Which items may be drawn as a triplet's negative.
public enum NegativeSampling: String, Codable, Sendable, CaseIterable {
    /// Uniform over all items (or popularity-weighted, see `negativeExponent`), never the positive
    /// itself: a draw of the positive is redrawn, or, where several negatives are drawn per pair,
    /// dropped. Other positives of the user may be drawn.
    case uniform
    /// Uniform over the items that are not the user's training positives, by rejection: a triplet
    /// whose negative is a positive is skipped. Only triplets about to update are checked — a
    /// satisfied triplet writes nothing either way — so the costly CSR search is done for the
    /// violating share alone, and the result is the same as checking every draw.
    case unseen
}

/// How a step turns a gradient into an update.
public enum Optimizer: String, Codable, Sendable, CaseIterable {
    /// Plain SGD with the scheduled learning rate.
    case sgd
    /// Per-row Adagrad on top of the schedule: each row's rate is divided by the root of its
    /// accumulated mean squared gradient, so rarely updated rows keep larger steps.
    case adagrad
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
///
/// `TrainingConfiguration()` is the most accurate setup found (the full softmax, see
/// `init(loss:similarity:)`); to use another loss, start from `init(loss:similarity:)`, which
/// also sets the learning rate, negatives and temperature that suit it.
public struct TrainingConfiguration: Codable, Sendable, Equatable {
    /// Embedding width.
    public var dimension = 64
    /// The training objective.
    public var loss = Loss.fullSoftmax
    /// How the bilinear matcher scores a (user, item) pair of rows.
    public var similarity = Similarity.cosine
    /// The hinge margin (margin and WARP losses).
    public var margin: Float = 0.6
    /// The learning rate at the start; it decays linearly over all `epochs` to
    /// `finalLearningRateFraction` of that.
    public var learningRate: Float = 0.05
    /// The learning rate at the end of the last epoch, as a fraction of `learningRate` (0 to 1).
    public var finalLearningRateFraction: Float = 0.0
    /// L2 regularisation strength, applied to the rows each update moves.
    public var l2: Float = 0
    /// Passes over the training pairs; also the length of the learning-rate schedule.
    public var epochs = 40
    /// Worker threads.
    public var threads = 1
    /// Seeds the initial rows, the shuffles and the negative draws: with one thread, a run is
    /// reproducible bit for bit.
    public var seed: UInt64 = 1
    /// Which items may be drawn as negatives.
    public var negatives = NegativeSampling.uniform
    /// Initial row entries are drawn from `N(0, (initScale/√dimension)²)`.
    public var initScale: Float = 1.0
    /// WARP: negatives drawn per positive before giving up.
    public var maxSampled = 50
    /// Negatives are drawn ∝ (training positives of the item)^exponent; 0 is uniform, 1 is
    /// popularity-weighted as LightFM's and implicit's samplers draw from the interaction log.
    public var negativeExponent = 0.0
    /// Negatives drawn per training pair. Margin and BPR: all are scored and the triplet is formed
    /// with the highest-scoring one — hard-negative mining (1: a plain random negative). Softmax:
    /// all enter the denominator. Not used by WARP.
    public var negativeCandidates = 1
    /// How a gradient becomes an update.
    public var optimizer = Optimizer.sgd
    /// Per-user weighting `β` of the training pairs: a pair's step is scaled by `c·d^(−β)`, where
    /// `d` is its user's number of training positives and `c` makes the mean weight over all
    /// pairs 1 (so `learningRate` keeps its meaning). Plain SGD counts every pair once, so heavy
    /// users dominate the tables, while per-user metrics (AUC, precision@k) count every user
    /// once: `β > 0` shifts weight towards light users; 0 treats all pairs alike.
    public var userWeightExponent: Float = 0.25
    /// Softmax losses: the temperature dividing the similarities (smaller: sharper focus on the
    /// hardest negatives).
    public var temperature: Float = 0.22
    /// Softmax losses: the temperature of the first epoch, from which the temperature moves
    /// linearly, epoch by epoch, to `temperature` at the last (`nil`: `temperature` throughout).
    /// Starting softer ranks the whole catalogue better (AUC); ending sharper keeps the top of the
    /// ranking precise. On the ml-100k validation splits, for the sampled softmax, 0.3 → 0.22
    /// gained 0.001 AUC at equal precision@10; starting softer still gains more AUC but costs
    /// precision (for the full softmax with seen items too: perf/grids/seen-weight.txt).
    public var initialTemperature: Float? = 0.3
    /// Full softmax: the weight `α` of a *seen* item — one the user rated below the positive
    /// threshold (`Dataset.seen`) — as a positive of the loss (0: seen items are ignored). That a
    /// user chose to watch a film says something about their taste even when they did not
    /// like it; on the ml-100k validation splits a small weight ranks the liked films better.
    public var seenWeight: Float = 0.1

    /// How pairs are scored: the rows' similarity, or an MLP over them.
    public var matcher = Matcher.bilinear
    /// MLP matcher: hidden units.
    public var hidden = 128
    /// MLP matcher: how workers share the dense weights.
    public var denseWeights = DenseWeightSharing.averaged
    /// MLP matcher with averaged dense weights: triplets per worker between averagings.
    public var averageEvery = 1_000

    /// The defaults: `init(loss: .fullSoftmax, similarity: .cosine)`.
    public init() {}

    /// The defaults for `loss` on `similarity`, chosen on a validation split of ml-100k's
    /// training data (`perf/tune.sh`, `perf/grids/`):
    ///
    /// | loss | similarity | learning rate | negatives per pair | sampling | other |
    /// |---|---|---|---|---|---|
    /// | full-softmax | cosine | 0.05 | every item | — | τ 0.3 → 0.22, user weight β 0.25, seen weight α 0.1, 40 epochs |
    /// | softmax | cosine | 0.4 | 24 | uniform | τ 0.3 → 0.22, user weight β 0.25, 40 epochs |
    /// | softmax | dot | 0.3 | 24 | uniform | τ 1, L2 0.05 |
    /// | margin | cosine | 0.5 | 1 | unseen | margin 0.6 — the fastest step |
    /// | margin, bpr | dot | 0.02 | 1 | unseen | |
    /// | warp | cosine | 0.05 | ≤ 50 | unseen | margin 0.6 |
    /// | warp | dot | 0.02 | ≤ 50 | unseen | margin 1 |
    ///
    /// Every other loss trains 20 epochs by default. Dot-product models start from smaller rows
    /// (`initScale` 0.1).
    public init(loss: Loss, similarity: Similarity = .cosine) {
        self.loss = loss
        self.similarity = similarity
        initScale = similarity == .cosine ? 1 : 0.1
        let softmaxOnCosine = (loss == .softmax || loss == .fullSoftmax) && similarity == .cosine
        seenWeight = loss == .fullSoftmax ? 0.1 : 0
        userWeightExponent = softmaxOnCosine ? 0.25 : 0
        epochs = softmaxOnCosine ? 40 : 20
        switch loss {
        case .fullSoftmax:
            negatives = .uniform
            negativeCandidates = 1
            learningRate = 0.05; temperature = 0.22; initialTemperature = 0.3
        case .softmax:
            negatives = .uniform
            negativeCandidates = 24
            if similarity == .cosine {
                learningRate = 0.4; temperature = 0.22; initialTemperature = 0.3
            } else {
                learningRate = 0.3; temperature = 1; initialTemperature = nil; l2 = 0.05
            }
        case .margin, .bpr:
            initialTemperature = nil
            negatives = .unseen
            negativeCandidates = 1
            learningRate = similarity == .cosine ? 0.5 : 0.02
        case .warp:
            initialTemperature = nil
            negatives = .unseen
            negativeCandidates = 1
            learningRate = similarity == .cosine ? 0.05 : 0.02
            margin = similarity == .cosine ? 0.6 : 1
        }
    }

    /// The most epochs a run may plan: a resumed run replays every trained epoch's shuffle, so
    /// model files are held to it too (`ModelFile.load`).
    public static let maxEpochs = 1_000_000

    /// Checks every value and every combination the trainer does not support.
    ///
    /// - Throws: `HogwildError` for the first problem found; the message names the CLI flag.
    public func validate() throws {
        func check(_ ok: Bool, _ message: @autoclosure () -> String) throws {
            if !ok { throw HogwildError(message()) }
        }
        try check(dimension >= 1 && dimension <= 65_536, "--dim must be between 1 and 65536 (got \(dimension))")
        try check(threads >= 1 && threads <= 4096, "--threads must be between 1 and 4096 (got \(threads))")
        try check(epochs >= 0 && epochs <= Self.maxEpochs, "--epochs must be between 0 and \(Self.maxEpochs) (got \(epochs))")
        try check(learningRate.isFinite && learningRate > 0, "--lr must be a positive finite number (got \(learningRate))")
        try check(finalLearningRateFraction.isFinite && finalLearningRateFraction >= 0 && finalLearningRateFraction <= 1,
                  "--final-lr-fraction must be between 0 and 1 (got \(finalLearningRateFraction))")
        try check(l2.isFinite && l2 >= 0, "--l2 must be a finite number ≥ 0 (got \(l2))")
        try check(margin.isFinite && margin >= 0, "--margin must be a finite number ≥ 0 (got \(margin))")
        try check(initScale.isFinite && initScale > 0, "--init-scale must be a positive finite number (got \(initScale))")
        try check(!(loss == .bpr && similarity == .cosine && matcher == .bilinear), "--loss bpr needs --similarity dot")
        try check(maxSampled >= 1, "--max-sampled must be at least 1 (got \(maxSampled))")
        try check(negativeCandidates >= 1 && negativeCandidates <= 4_096,
                  "--candidates must be between 1 and 4096 (got \(negativeCandidates))")
        try check(negativeCandidates == 1 || loss != .warp, "--candidates does not combine with --loss warp (WARP draws until a violation, see --max-sampled)")
        try check(temperature.isFinite && temperature > 0, "--temperature must be a positive finite number (got \(temperature))")
        try check(initialTemperature.map { $0.isFinite && $0 > 0 } ?? true,
                  "--initial-temperature must be a positive finite number (got \(initialTemperature ?? 0))")
        try check(negativeExponent.isFinite && negativeExponent >= 0 && negativeExponent <= 4,
                  "--neg-exponent must be between 0 and 4 (got \(negativeExponent))")
        try check(seenWeight.isFinite && seenWeight >= 0 && seenWeight <= 1, "--seen-weight must be between 0 and 1 (got \(seenWeight))")
        try check(seenWeight == 0 || loss == .fullSoftmax, "--seen-weight applies to --loss full-softmax (the loss is \(loss.rawValue))")
        try check(userWeightExponent.isFinite && userWeightExponent >= 0 && userWeightExponent <= 2,
                  "--user-weight must be between 0 and 2 (got \(userWeightExponent))")
        try check(hidden >= 1 && hidden <= 4096, "--hidden must be between 1 and 4096 (got \(hidden))")
        try check(averageEvery >= 1, "--average-every must be at least 1 (got \(averageEvery))")
        try check(!(loss == .fullSoftmax && similarity != .cosine), "--loss full-softmax needs --similarity cosine")
        // Below 0.03 the lowest cosines' e^((s − 1)/τ) would fall under the kernel's exp clamp.
        try check(loss != .fullSoftmax || min(temperature, initialTemperature ?? temperature) >= 0.03,
                  "--temperature and --initial-temperature must be at least 0.03 with --loss full-softmax")
        try check(!(loss == .fullSoftmax && (optimizer != .sgd || negativeCandidates != 1 || negatives != .uniform || negativeExponent != 0)),
                  "--loss full-softmax (the default) scores every item with plain SGD: leave out --optimizer, --candidates, --negatives and --neg-exponent, or sample with --loss softmax")
        try check(!(matcher == .mlp && (loss == .warp || loss == .softmax || loss == .fullSoftmax)), "--loss \(loss.rawValue) is not supported with --matcher mlp (use margin or bpr)")
        try check(!(matcher == .mlp && (negativeCandidates > 1 || optimizer != .sgd)),
                  "--matcher mlp trains with one random negative per pair and SGD: leave out --candidates and --optimizer")
    }
}

extension TrainingConfiguration {
    enum CodingKeys: String, CodingKey {
        case dimension, loss, similarity, margin, learningRate, finalLearningRateFraction, l2, epochs
        case threads, seed, negatives, initScale, maxSampled, negativeExponent, negativeCandidates, optimizer, temperature
        case matcher, hidden, denseWeights, averageEvery, userWeightExponent, initialTemperature, seenWeight
    }

    /// Decodes a configuration; keys added after a model file was written take their defaults.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        loss = try c.decode(Loss.self, forKey: .loss)
        similarity = try c.decode(Similarity.self, forKey: .similarity)
        // Files written before a key existed were trained as that key's old default: 1
        // candidate, SGD (what `init(loss:similarity:)` gives for the losses of that time).
        let d = TrainingConfiguration(loss: loss, similarity: similarity)
        dimension = try c.decode(Int.self, forKey: .dimension)
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
        negativeCandidates = try c.decodeIfPresent(Int.self, forKey: .negativeCandidates) ?? d.negativeCandidates
        optimizer = try c.decodeIfPresent(Optimizer.self, forKey: .optimizer) ?? d.optimizer
        temperature = try c.decodeIfPresent(Float.self, forKey: .temperature) ?? d.temperature
        matcher = try c.decodeIfPresent(Matcher.self, forKey: .matcher) ?? d.matcher
        hidden = try c.decodeIfPresent(Int.self, forKey: .hidden) ?? d.hidden
        denseWeights = try c.decodeIfPresent(DenseWeightSharing.self, forKey: .denseWeights) ?? d.denseWeights
        averageEvery = try c.decodeIfPresent(Int.self, forKey: .averageEvery) ?? d.averageEvery
        // Models written before user weighting existed weighted every pair alike.
        userWeightExponent = try c.decodeIfPresent(Float.self, forKey: .userWeightExponent) ?? 0
        // Likewise a constant temperature.
        initialTemperature = try c.decodeIfPresent(Float.self, forKey: .initialTemperature)
        // And no seen items.
        seenWeight = try c.decodeIfPresent(Float.self, forKey: .seenWeight) ?? 0
    }

    /// Whether the full softmax suits a data set of `users` × `items` with `pairs` training
    /// positives: its epoch costs users × items × dim whatever the density, the sampled
    /// softmax's about 25 × pairs × dim. It does when users × items is at most 10⁸ (an epoch of
    /// well under a second per core at dim 64) or at most 64 × pairs (a dense set, where it
    /// costs at most a few times the sampled softmax). ml-100k: 1.6 M; ml-latest-small: 5.9 M;
    /// 2 M users × 200 k items: 4·10¹¹, which it does not suit.
    public static func fullSoftmaxSuits(users: Int, items: Int, pairs: Int) -> Bool {
        let cells = Double(users) * Double(items)
        return cells <= 1e8 || cells <= 64 * Double(pairs)
    }

    /// The softmax temperature of epoch `epoch` (0-based) of `epochs`: `initialTemperature` at the
    /// first, `temperature` at the last, linear in between; `temperature` throughout without an
    /// initial one (or with a single epoch).
    public func temperature(atEpoch epoch: Int) -> Float {
        guard let start = initialTemperature, epochs > 1 else { return temperature }
        let progress = Float(min(max(epoch, 0), epochs - 1)) / Float(epochs - 1)
        return start + (temperature - start) * progress
    }
}
