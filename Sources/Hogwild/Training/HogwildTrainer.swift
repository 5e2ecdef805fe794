import CHogwildShims
import Dispatch
import Foundation
import Kernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A (user, positive item) training pair.
public struct TrainingPair: Sendable, Equatable, BitwiseCopyable {
    /// The user's row index.
    public var user: Int32
    /// The positive item's row index.
    public var item: Int32
}

/// One epoch's figures.
public struct EpochStatistics: Sendable, Codable {
    /// 1-based epoch number over the model's lifetime.
    public var epoch: Int
    /// Triplets trained (skipped ones excluded). A sampled-softmax step counts as one triplet
    /// per training pair, and the full softmax one per positive of each user; WARP counts every pair, whether or not a violating negative was found.
    public var triplets: Int
    /// Triplets skipped because their negative was one of the user's positives (`unseen` sampling).
    public var skipped: Int
    /// Mean loss per triplet, before each triplet's update (WARP: weighted by the rank weight).
    public var meanLoss: Double
    /// Share of triplets the model got wrong: the positive did not beat the negative by the
    /// margin (margin loss, and WARP pairs that found such a negative — the triplets that
    /// produced an update), scored below it (BPR), or some negative scored at least as high as
    /// the positive (softmax; full softmax: some item that is not a positive of the user).
    public var violationRate: Double
    /// Wall time of the epoch, shuffling included.
    public var seconds: Double
    /// Learning rate at the epoch's start.
    public var learningRate: Double

    /// Training throughput: `triplets / seconds` (0 for a zero-length epoch).
    public var tripletsPerSecond: Double { seconds > 0 ? Double(triplets) / seconds : 0 }
}

/// Per-worker tallies, one cache line each so that workers never share a line.
struct WorkerTally {
    var loss: Double = 0
    var violations = 0
    var triplets = 0
    var skipped = 0
    private var padding: (Int, Int, Int, Int) = (0, 0, 0, 0)
}

/// The per-row Adagrad accumulators of users and items, or none (SGD); valid only inside
/// `HogwildTrainer.withAdagrad`.
struct AdagradAccumulators {
    let users: UnsafeMutablePointer<Float>?
    let items: UnsafeMutablePointer<Float>?

    /// The slots of one triplet, or `nil` under SGD.
    @inline(__always)
    func triplet(_ user: Int, _ positive: Int, _ negative: Int) -> AdagradSlots? {
        guard let users, let items else { return nil }
        return AdagradSlots(user: users + user, positive: items + positive, negative: items + negative)
    }

    /// The slot of one user row, or `nil` under SGD.
    @inline(__always)
    func user(_ index: Int) -> UnsafeMutablePointer<Float>? { users.map { $0 + index } }

    /// The slot of one item row, or `nil` under SGD.
    @inline(__always)
    func item(_ index: Int) -> UnsafeMutablePointer<Float>? { items.map { $0 + index } }
}

/// One triplet objective, resolved at compile time so the inner loop is specialised per loss.
protocol TripletObjective {
    /// Losses above this count as violations.
    static var violationThreshold: Float { get }
    static func step(_ u: UnsafeMutablePointer<Float>, _ p: UnsafeMutablePointer<Float>,
                     _ n: UnsafeMutablePointer<Float>, count: Int, margin: Float, lr: Float, l2: Float,
                     adagrad: AdagradSlots?, admit: () -> Bool) -> Float?
}

enum CosineMarginObjective: TripletObjective {
    static var violationThreshold: Float { 0 }
    @inline(__always)
    static func step(_ u: UnsafeMutablePointer<Float>, _ p: UnsafeMutablePointer<Float>,
                     _ n: UnsafeMutablePointer<Float>, count: Int, margin: Float, lr: Float, l2: Float,
                     adagrad: AdagradSlots?, admit: () -> Bool) -> Float? {
        TripletStep.cosineMargin(user: u, positive: p, negative: n, count: count, margin: margin, learningRate: lr, l2: l2, adagrad: adagrad, admit: admit)
    }
}

enum DotMarginObjective: TripletObjective {
    static var violationThreshold: Float { 0 }
    @inline(__always)
    static func step(_ u: UnsafeMutablePointer<Float>, _ p: UnsafeMutablePointer<Float>,
                     _ n: UnsafeMutablePointer<Float>, count: Int, margin: Float, lr: Float, l2: Float,
                     adagrad: AdagradSlots?, admit: () -> Bool) -> Float? {
        TripletStep.dotMargin(user: u, positive: p, negative: n, count: count, margin: margin, learningRate: lr, l2: l2, adagrad: adagrad, admit: admit)
    }
}

enum DotBPRObjective: TripletObjective {
    static var violationThreshold: Float { 0.693_147_2 }  // ln 2: u·p < u·n
    @inline(__always)
    static func step(_ u: UnsafeMutablePointer<Float>, _ p: UnsafeMutablePointer<Float>,
                     _ n: UnsafeMutablePointer<Float>, count: Int, margin: Float, lr: Float, l2: Float,
                     adagrad: AdagradSlots?, admit: () -> Bool) -> Float? {
        TripletStep.dotBPR(user: u, positive: p, negative: n, count: count, learningRate: lr, l2: l2, adagrad: adagrad, admit: admit)
    }
}

/// Lock-free parallel SGD over (user, positive, sampled negative) triplets — Hogwild
/// (Recht, Ré, Wright & Niu, 2011).
///
/// **Schedule.** The training pairs are stored user by user and cut into one contiguous shard
/// per worker at user boundaries, so no two workers ever write the same *user* row. Each epoch,
/// every worker shuffles its own shard with its own generator (seeded by seed, epoch and worker),
/// then walks it, drawing the negatives of each pair (one; `negativeCandidates` for hard-negative
/// mining and the sampled softmax; for WARP, until one violates the margin). The learning rate
/// falls linearly across every shard. A run with one worker and a seed is reproducible bit for
/// bit. The full softmax walks the shard's users instead, 32 at a time, each block against every
/// item (HogwildTrainer+FullSoftmax.swift).
///
/// **The intended race.** Workers read and write *item* rows of the shared table with no lock
/// and no atomic: a popular item may be updated by two workers at once, and a step may read a row
/// half-written by another. Hogwild's analysis shows sparse updates make such collisions rare
/// and harmless to convergence. (The full softmax's updates are dense — every block rewrites
/// every item row — so there the race is on every row, once per block; measured harmless in
/// perf/results/tuning-full-softmax.csv, which trains on 2 threads.) This is the only unsynchronised sharing in the engine: tallies
/// live on separate cache lines and are summed after `concurrentPerform` returns. (Hybrid
/// models' feature rows and the shared Adagrad accumulators of item rows race the same way; the
/// MLP matcher's dense weights are per worker by default, and `DenseWeightSharing.shared` opts
/// into a race on them too — see DeepTrainer.swift.)
///
/// **Inner loop.** No allocation, lock, atomic, bounds-checked access or Foundation call: raw
/// row pointers, the fused `TripletStep` kernels, a branch-free CSR search for the "is it a
/// positive?" check, and a three-stage software prefetch pipeline (`prefetchDistance` apart).
public final class HogwildTrainer: @unchecked Sendable {
    /// The model being trained, in place.
    public let model: EmbeddingModel
    /// The training positives (users and items as in `model`).
    public let train: InteractionMatrix
    let pairs: AlignedBuffer<TrainingPair>
    let shardStarts: [Int]
    /// The users of each worker's shard (the owners of its pairs).
    let shardUserRanges: [Range<Int>]
    let tallies: AlignedBuffer<WorkerTally>
    /// Popularity-weighted negatives (`negativeExponent > 0`), or uniform ones over the items not
    /// in `excludedNegatives`; `nil` for uniform draws over all items.
    let negativeTable: AliasTable?
    /// Seen items (`Dataset.seen`) for the full softmax with `seenWeight > 0`; else `nil`.
    let seen: InteractionMatrix?
    /// The feature half of a hybrid model; `nil` trains the own rows alone.
    let features: SideFeatures?
    /// Each user's step scale under `userWeightExponent > 0` (see `userWeights(_:exponent:)`);
    /// `nil` when every pair weighs the same.
    let userWeights: AlignedBuffer<Float>?

    /// The distance between prefetch pipeline stages, in triplets (a power of two).
    static let prefetchDistance = 8

    /// Prepares training `model` on `train` (whose ids must be the model's).
    ///
    /// The pairs are copied and sharded here; the model's configuration (threads, loss, …) is
    /// fixed for the trainer's life.
    ///
    /// - Parameters:
    ///   - model: the model to train; `model.configuration` says how.
    ///   - train: the training positives.
    ///   - seen: items the users saw but did not rate as positives (`Dataset.seen`), trained on
    ///     by the full softmax when `seenWeight > 0` (else ignored); none of them may be a
    ///     training positive of the same user.
    ///   - features: side features: the model is then hybrid (see `SideFeatures`), trained by
    ///     `runHybridShard`; margin, BPR and softmax losses with SGD and the bilinear matcher.
    ///   - excludedNegatives: items never drawn as negatives: the items the cold-start protocol
    ///     holds out (`ColdStartSplit`), which training must never touch.
    /// - Throws: `HogwildError` for an invalid configuration, `train` not matching the model,
    ///   fewer than 2 items (or drawable negatives), or features that do not fit the model or
    ///   combine with its configuration.
    /// - Complexity: O(pairs + items).
    public init(model: EmbeddingModel, train: InteractionMatrix, seen: InteractionMatrix? = nil, features: SideFeatures? = nil,
                excludedNegatives: [Int32] = []) throws {
        let config = model.configuration
        try config.validate()
        guard train.userCount == model.users.count, train.itemCount == model.items.count else {
            throw HogwildError("training data (\(train.userCount) users, \(train.itemCount) items) does not match the model (\(model.users.count) users, \(model.items.count) items)")
        }
        guard model.items.count >= 2 else { throw HogwildError("training needs at least 2 items (found \(model.items.count))") }
        if features != nil && (config.loss == .warp || config.loss == .fullSoftmax || config.optimizer != .sgd || config.matcher == .mlp) {
            throw HogwildError("side features (--item-features, --user-features) do not combine with --loss warp or full-softmax, --optimizer adagrad or --matcher mlp")
        }
        if config.loss == .fullSoftmax && !excludedNegatives.isEmpty {
            throw HogwildError("--loss full-softmax scores every item, so it cannot hold items out (--cold-items): use --loss softmax")
        }
        if let features, features.items.entityCount != model.items.count || features.users.entityCount != model.users.count {
            throw HogwildError("the side features do not match the model's users and items")
        }
        if let seen, seen.userCount != train.userCount || seen.itemCount != train.itemCount {
            throw HogwildError("the seen items (\(seen.userCount) users, \(seen.itemCount) items) do not match the training data")
        }
        self.model = model
        self.train = train
        self.seen = config.loss == .fullSoftmax && config.seenWeight > 0 ? seen : nil
        self.features = features
        // Pairs in CSR (user) order; shard boundaries at the user nearest each equal split.
        let pairs = AlignedBuffer<TrainingPair>(count: train.nonZeroCount)
        var starts = [0], userStarts = [0]
        pairs.withUnsafeMutableBufferPointer { list in
            train.withUnsafeHandle { csr in
                var k = 0
                for u in 0..<train.userCount {
                    if starts.count < config.threads && k >= starts.count * list.count / config.threads {
                        starts.append(k)
                        userStarts.append(u)
                    }
                    for item in csr.row(u) {
                        list[k] = TrainingPair(user: Int32(u), item: item)
                        k += 1
                    }
                }
            }
        }
        while starts.count <= config.threads { starts.append(pairs.count) }
        while userStarts.count <= config.threads { userStarts.append(train.userCount) }
        shardUserRanges = (0..<config.threads).map { userStarts[$0]..<userStarts[$0 + 1] }
        // Each epoch shuffles every shard in place, so the order depends on the epochs before.
        // For a resumed model, replay those shuffles (each is the first use of its epoch's
        // generator): with the original thread count the run continues exactly as an
        // uninterrupted one would. O(epochs trained · pairs), once.
        pairs.withUnsafeMutableBufferPointer { list in
            for epoch in 0..<model.epochsTrained {
                for worker in 0..<config.threads where starts[worker + 1] > starts[worker] {
                    var rng = RandomSource.stream(seed: config.seed, epoch: epoch, worker: worker)
                    HogwildTrainer.shuffle(list.baseAddress! + starts[worker], count: starts[worker + 1] - starts[worker], &rng)
                }
            }
        }
        self.pairs = pairs
        shardStarts = starts
        tallies = AlignedBuffer(count: config.threads)
        if config.negativeExponent > 0 || !excludedNegatives.isEmpty {
            var weights = [Double](repeating: 1, count: train.itemCount)
            if config.negativeExponent > 0 {
                var counts = [Double](repeating: 0, count: train.itemCount)
                train.withUnsafeHandle { csr in for u in 0..<train.userCount { for i in csr.row(u) { counts[Int(i)] += 1 } } }
                weights = counts.map { $0 > 0 ? Foundation.pow($0, config.negativeExponent) : 0 }
            }
            for item in excludedNegatives { weights[Int(item)] = 0 }
            let drawable = weights.reduce(0) { $0 + ($1 > 0 ? 1 : 0) }
            guard drawable >= 2 else { throw HogwildError("only \(drawable) item\(drawable == 1 ? "" : "s") can be drawn as negatives; at least 2 are needed") }
            negativeTable = AliasTable(weights: weights)
        } else {
            negativeTable = nil
        }
        userWeights = config.userWeightExponent > 0 ? HogwildTrainer.userWeights(train, exponent: config.userWeightExponent) : nil
    }

    /// `c·d(u)^(−β)` per user, `d(u)` the user's training positives and `c` such that the mean
    /// weight over all pairs is 1: `c = pairs / Σ d(u)^(1−β)`. Users without positives get 0
    /// (they have no pairs).
    ///
    /// - Complexity: O(users).
    static func userWeights(_ train: InteractionMatrix, exponent beta: Float) -> AlignedBuffer<Float> {
        let degrees = train.withUnsafeHandle { csr in (0..<train.userCount).map { Double(csr.row($0).count) } }
        let mass = degrees.reduce(0) { $0 + ($1 > 0 ? Foundation.pow($1, 1 - Double(beta)) : 0) }
        let scale = mass > 0 ? Double(train.nonZeroCount) / mass : 0
        return AlignedBuffer(degrees.map { $0 > 0 ? Float(scale * Foundation.pow($0, -Double(beta))) : 0 })
    }

    /// Calls `body` with the per-user weights, or `nil` when pairs are not weighted. Do not
    /// escape the pointer.
    func withUserWeights<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let userWeights else { return body(nil) }
        return userWeights.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// Calls `body` with the model's Adagrad accumulators (inactive under SGD). Do not escape the
    /// value: it holds pointers into the accumulators.
    private func withAdagrad<R>(_ body: (AdagradAccumulators) -> R) -> R {
        guard let adagradAccumulators = model.adagradAccumulators else { return body(AdagradAccumulators(users: nil, items: nil)) }
        let userCount = train.userCount
        return adagradAccumulators.withUnsafeMutableBufferPointer { buffer in
            body(AdagradAccumulators(users: buffer.baseAddress!, items: buffer.baseAddress! + userCount))
        }
    }

    /// The number of training pairs (triplets per epoch, before skips).
    public var pairCount: Int { pairs.count }

    /// Trains one epoch with `configuration.threads` workers, updating the model in place.
    ///
    /// The learning rate follows the schedule for epoch `model.epochsTrained` of
    /// `configuration.epochs`; the epoch then counts in `model.epochsTrained`.
    ///
    /// - Returns: the epoch's figures.
    /// - Throws: `HogwildError` if the loss or any row, weight or accumulator stops being finite,
    ///   or a row's squared norm overflows (the learning rate is too high; `checkFinite`); the
    ///   epoch still counts in `model.epochsTrained`.
    /// - Complexity: O(pairs · dimension) per negative scored (times `hidden` for the MLP
    ///   matcher).
    @discardableResult
    public func trainEpoch() throws -> EpochStatistics {
        if let network = model.network { return try trainDeepEpoch(network) }  // DeepTrainer.swift
        let config = model.configuration
        let epoch = model.epochsTrained
        let started = DispatchTime.now().uptimeNanoseconds
        let lrStart = learningRate(atProgress: Double(epoch) / Double(max(config.epochs, 1)))
        DispatchQueue.concurrentPerform(iterations: config.threads) { worker in
            let tally: WorkerTally
            switch (config.loss, config.similarity) {
            case _ where features != nil: tally = runHybridShard(worker: worker, epoch: epoch)
            case (.margin, .cosine) where config.negativeCandidates > 1:
                tally = runHardNegativeShard(CosineMarginObjective.self, worker: worker, epoch: epoch)
            case (.margin, .dot) where config.negativeCandidates > 1:
                tally = runHardNegativeShard(DotMarginObjective.self, worker: worker, epoch: epoch)
            case (.bpr, _) where config.negativeCandidates > 1:
                tally = runHardNegativeShard(DotBPRObjective.self, worker: worker, epoch: epoch)
            case (.margin, .cosine): tally = runShard(CosineMarginObjective.self, worker: worker, epoch: epoch)
            case (.margin, .dot): tally = runShard(DotMarginObjective.self, worker: worker, epoch: epoch)
            case (.bpr, _): tally = runShard(DotBPRObjective.self, worker: worker, epoch: epoch)
            case (.warp, .cosine): tally = runWARPShard(CosineMarginObjective.self, worker: worker, epoch: epoch)
            case (.warp, .dot): tally = runWARPShard(DotMarginObjective.self, worker: worker, epoch: epoch)
            case (.softmax, _): tally = runSoftmaxShard(worker: worker, epoch: epoch)
            case (.fullSoftmax, _): tally = runFullSoftmaxShard(worker: worker, epoch: epoch)  // HogwildTrainer+FullSoftmax.swift
            }
            tallies.withUnsafeMutableBufferPointer { $0[worker] = tally }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        var total = WorkerTally()
        for t in tallies.array {
            total.loss += t.loss
            total.violations += t.violations
            total.triplets += t.triplets
            total.skipped += t.skipped
        }
        model.epochsTrained += 1
        try checkFinite(epoch: epoch + 1, loss: total.loss)
        let n = Double(max(total.triplets, 1))
        return EpochStatistics(epoch: epoch + 1, triplets: total.triplets, skipped: total.skipped, meanLoss: total.loss / n,
                               violationRate: Double(total.violations) / n, seconds: seconds,
                               learningRate: Double(lrStart))
    }

    /// Calls `body` with the popularity sampler, or `nil` for uniform negatives.
    func withNegativeSampler<R>(_ body: (AliasTable.UnsafeSampler?) -> R) -> R {
        if let negativeTable { return negativeTable.withUnsafeSampler { body($0) } }
        return body(nil)
    }

    /// A worker's share of an epoch: where its shard starts, its length, and the linear learning
    /// rate across it (`lrStart − lrSlope · i` at its i-th triplet).
    func shardPlan(worker: Int, epoch: Int) -> (start: Int, count: Int, lrStart: Float, lrSlope: Float) {
        let start = shardStarts[worker], count = shardStarts[worker + 1] - start
        let epochs = Double(max(model.configuration.epochs, 1))
        let lrStart = learningRate(atProgress: Double(epoch) / epochs)
        let lrEnd = learningRate(atProgress: Double(epoch + 1) / epochs)
        return (start, count, lrStart, count > 0 ? (lrStart - lrEnd) / Float(count) : 0)
    }

    /// Fisher–Yates over one worker's shard, with that worker's generator.
    @inline(__always)
    static func shuffle(_ shard: UnsafeMutablePointer<TrainingPair>, count: Int, _ rng: inout RandomSource) {
        var k = count - 1
        while k > 0 {
            let j = rng.next(below: k + 1)
            let t = shard[k]; shard[k] = shard[j]; shard[j] = t
            k -= 1
        }
    }

    /// The scheduled learning rate after `progress` (0…1) of all epochs.
    func learningRate(atProgress progress: Double) -> Float {
        let config = model.configuration
        let p = min(max(progress, 0), 1)
        return config.learningRate * Float(1 - (1 - Double(config.finalLearningRateFraction)) * p)
    }

    /// Runs `body` on one worker's shuffled shard of the epoch with raw views of everything a
    /// shard loop needs. The view is valid only inside `body`: do not escape it.
    func withShard(worker: Int, epoch: Int, _ body: (ShardView, inout RandomSource) -> WorkerTally) -> WorkerTally {
        let plan = shardPlan(worker: worker, epoch: epoch)
        guard plan.count > 0 else { return WorkerTally() }
        var rng = RandomSource.stream(seed: model.configuration.seed, epoch: epoch, worker: worker)
        return pairs.withUnsafeMutableBufferPointer { allPairs in
            model.userTable.withUnsafeHandle { users in
                model.itemTable.withUnsafeHandle { items in
                    train.withUnsafeHandle { csr in
                        withNegativeSampler { popular in
                            withAdagrad { adagrad in
                                withUserWeights { weights in
                                    let shard = allPairs.baseAddress! + plan.start
                                    HogwildTrainer.shuffle(shard, count: plan.count, &rng)
                                    let view = ShardView(pairs: shard, count: plan.count, lrStart: plan.lrStart, lrSlope: plan.lrSlope,
                                                         userWeights: weights, users: users, items: items, csr: csr, popular: popular,
                                                         adagrad: adagrad, excludePositives: model.configuration.negatives == .unseen)
                                    return body(view, &rng)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// One worker's epoch over its shard: one random negative per pair.
    private func runShard<Objective: TripletObjective>(_: Objective.Type, worker: Int, epoch: Int) -> WorkerTally {
        let config = model.configuration
        let margin = config.margin, l2 = config.l2
        let distance = HogwildTrainer.prefetchDistance, mask = distance - 1
        return withShard(worker: worker, epoch: epoch) { view, rng in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: distance) { ring in
                let shard = view.pairs, count = view.count, users = view.users, items = view.items, csr = view.csr
                let excludePositives = view.excludePositives
                let stride = users.stride, linesPerRow = stride / 16

                @inline(__always) func prefetch(_ row: UnsafeMutablePointer<Float>) {
                    var line = 0
                    while line < linesPerRow {
                        hogwild_prefetch_write(row + line &* 16)
                        line &+= 1
                    }
                }
                // A three-stage software pipeline hides DRAM latency when the tables and the CSR
                // arrays exceed the caches: 3q ahead, the user and positive rows and the user's CSR
                // offsets; 2q ahead, the user's CSR row (for the "is it a positive?" search); q
                // ahead, the negative draw and its row.
                @inline(__always) func stageRows(_ index: Int) {
                    let pair = shard[index]
                    prefetch(users.row(Int(pair.user)))
                    prefetch(items.row(Int(pair.item)))
                    if excludePositives { hogwild_prefetch_read(csr.offsets + Int(pair.user)) }
                }
                @inline(__always) func stagePositives(_ index: Int) {
                    let row = csr.row(Int(shard[index].user))
                    var offset = 0
                    while offset < min(row.count, 64) {  // up to 4 lines; longer rows stay hot anyway
                        hogwild_prefetch_read(row.baseAddress! + offset)
                        offset &+= 16
                    }
                }
                // Any item but the positive; whether it is another positive is settled lazily,
                // in `admit` below.
                @inline(__always) func stageNegative(_ index: Int) {
                    let positive = Int(shard[index].item)
                    var negative = view.drawItem(&rng)
                    while negative == positive { negative = view.drawItem(&rng) }
                    ring[index & mask] = negative
                    prefetch(items.row(negative))
                }

                var i = 0
                while i < min(3 * distance, count) { stageRows(i); i &+= 1 }
                if excludePositives {
                    i = 0
                    while i < min(2 * distance, count) { stagePositives(i); i &+= 1 }
                }
                i = 0
                while i < min(distance, count) { stageNegative(i); i &+= 1 }
                var tally = WorkerTally()
                let threshold = Objective.violationThreshold
                i = 0
                while i < count {
                    let negative = ring[i & mask]
                    let pair = shard[i]
                    if i &+ 3 &* distance < count { stageRows(i &+ 3 &* distance) }
                    if excludePositives && i &+ 2 &* distance < count { stagePositives(i &+ 2 &* distance) }
                    if i &+ distance < count { stageNegative(i &+ distance) }
                    let user = Int(pair.user)
                    let loss = Objective.step(users.row(user), items.row(Int(pair.item)), items.row(negative), count: stride,
                                              margin: margin, lr: view.learningRate(at: i, user: user), l2: l2,
                                              adagrad: view.adagrad.triplet(user, Int(pair.item), negative)) {
                        !view.isPositive(user: user, item: negative)
                    }
                    tally.record(loss, threshold: threshold)
                    i &+= 1
                }
                return tally
            }
        }
    }

    /// One worker's epoch with hard-negative mining: per pair, `negativeCandidates` random items
    /// (not the positive) are scored against the user, and the triplet is formed with the
    /// highest-scoring one that is not among the user's training positives (`unseen`) — the
    /// negative the current model gets most wrong. The CSR search runs only for a candidate that
    /// would become the best so far.
    private func runHardNegativeShard<Objective: TripletObjective>(_: Objective.Type, worker: Int, epoch: Int) -> WorkerTally {
        let config = model.configuration
        let margin = config.margin, l2 = config.l2, candidates = config.negativeCandidates
        let cosine = config.similarity == .cosine
        return withShard(worker: worker, epoch: epoch) { view, rng in
            let shard = view.pairs, users = view.users, items = view.items, stride = users.stride
            var tally = WorkerTally()
            let threshold = Objective.violationThreshold
            var i = 0
            while i < view.count {
                view.prefetchRows(of: i &+ HogwildTrainer.prefetchDistance)
                let pair = shard[i]
                let user = Int(pair.user), positive = Int(pair.item)
                let u = users.row(user)
                var best = -1, bestScore = -Float.infinity
                var c = 0
                while c < candidates {
                    c &+= 1
                    let negative = view.drawItem(&rng)
                    if negative == positive { continue }
                    let score = HogwildTrainer.candidateScore(u, items.row(negative), count: stride, cosine: cosine)
                    guard score > bestScore, !view.isPositive(user: user, item: negative) else { continue }
                    best = negative
                    bestScore = score
                }
                if best < 0 {
                    tally.record(nil, threshold: threshold)  // every candidate was a positive
                } else {
                    let loss = Objective.step(u, items.row(positive), items.row(best), count: stride,
                                              margin: margin, lr: view.learningRate(at: i, user: user), l2: l2,
                                              adagrad: view.adagrad.triplet(user, positive, best)) { true }
                    tally.record(loss ?? 0, threshold: threshold)
                }
                i &+= 1
            }
            return tally
        }
    }

    /// One worker's sampled-softmax epoch: per pair, `negativeCandidates` random negatives are
    /// drawn (under `unseen`, the user's positives are dropped from them) and
    /// `TripletStep.sampledSoftmax` moves the user, the positive and every negative.
    private func runSoftmaxShard(worker: Int, epoch: Int) -> WorkerTally {
        let config = model.configuration
        let l2 = config.l2, candidates = config.negativeCandidates, temperature = config.temperature(atEpoch: epoch)
        let cosine = config.similarity == .cosine
        let slots = candidates + 1, stride = model.userTable.stride
        return withShard(worker: worker, epoch: epoch) { view, rng in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: stride + 3 * slots) { scratch in
                withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<Float>.self, capacity: 2 * slots) { pointers in
                    let shard = view.pairs, users = view.users, items = view.items
                    // The step's rows, then (Adagrad) their accumulators.
                    let rows = pointers.baseAddress!, rowSlots = rows + slots
                    var tally = WorkerTally()
                    var i = 0
                    while i < view.count {
                        view.prefetchRows(of: i &+ HogwildTrainer.prefetchDistance)
                        let pair = shard[i]
                        let user = Int(pair.user), positive = Int(pair.item)
                        rows[0] = items.row(positive)
                        if let slot = view.adagrad.item(positive) { rowSlots[0] = slot }
                        var used = 1
                        view.drawNegatives(user: user, positive: positive, candidates: candidates, &rng) { negative in
                            rows[used] = items.row(negative)
                            if let slot = view.adagrad.item(negative) { rowSlots[used] = slot }
                            used &+= 1
                        }
                        if used == 1 {
                            tally.record(nil, threshold: 0)  // every draw was a positive
                        } else {
                            let adagrad = view.adagrad.user(user).map { SoftmaxAdagradSlots(user: $0, items: rowSlots) }
                            let outcome = TripletStep.sampledSoftmax(
                                user: users.row(user), items: rows, itemCount: used, count: stride, cosine: cosine,
                                temperature: temperature, learningRate: view.learningRate(at: i, user: user), l2: l2,
                                scratch: scratch.baseAddress!, adagrad: adagrad)
                            tally.loss += Double(outcome.loss)
                            tally.violations &+= outcome.violated ? 1 : 0
                            tally.triplets &+= 1
                        }
                        i &+= 1
                    }
                    return tally
                }
            }
        }
    }

    /// One worker's WARP epoch: per pair, draw negatives until one violates the margin, then take
    /// a margin step with the learning rate scaled by log⌊(items − 1)/draws⌋. The positive's
    /// score is computed once per pair; each draw costs one similarity. Rows of the next pairs
    /// are prefetched; the extra negatives of a pair are not (they are drawn one after another).
    private func runWARPShard<Objective: TripletObjective>(_: Objective.Type, worker: Int, epoch: Int) -> WorkerTally {
        let config = model.configuration
        let margin = config.margin, l2 = config.l2, maxSampled = config.maxSampled
        let cosine = config.similarity == .cosine
        // log⌊(I − 1)/N⌋ for N = 1…maxSampled, precomputed (LightFM's rank weight).
        let itemCount = model.items.count
        let weights = (0...maxSampled).map { n in n == 0 ? 0 : Float(max(1.0, Double((itemCount - 1) / n)).logarithm) }
        return withShard(worker: worker, epoch: epoch) { view, rng in
            weights.withUnsafeBufferPointer { weight in
                let shard = view.pairs, users = view.users, items = view.items, stride = users.stride
                @inline(__always) func score(_ u: UnsafeMutablePointer<Float>, _ i: UnsafeMutablePointer<Float>) -> Float {
                    cosine ? Vector.cosine(u, i, count: stride) : Vector.dot(u, i, count: stride)
                }
                var tally = WorkerTally()
                tally.triplets = view.count
                var i = 0
                while i < view.count {
                    view.prefetchRows(of: i &+ HogwildTrainer.prefetchDistance)
                    let pair = shard[i]
                    let user = Int(pair.user), positive = Int(pair.item)
                    let u = users.row(user), p = items.row(positive)
                    let threshold = score(u, p) - margin
                    var draws = 0
                    while draws < maxSampled {
                        draws &+= 1
                        let negative = view.drawItem(&rng)
                        if negative == positive { continue }
                        let n = items.row(negative)
                        guard score(u, n) > threshold else { continue }
                        // A positive is no negative: draw again (the draw still counts).
                        if view.isPositive(user: user, item: negative) { continue }
                        let lr = view.learningRate(at: i, user: user) * weight[draws]
                        let loss = Objective.step(u, p, n, count: stride, margin: margin, lr: lr, l2: l2,
                                                  adagrad: view.adagrad.triplet(user, positive, negative)) { true } ?? 0
                        tally.loss += Double(loss * weight[draws])
                        tally.violations &+= 1
                        break
                    }
                    i &+= 1
                }
                return tally
            }
        }
    }
}

extension HogwildTrainer {
    /// How hard-negative mining ranks a candidate row `n` for the user row `u`: `u·n`, or for
    /// cosine `u·n/|n|` — the cosine times `|u|`, which is common to all of a user's candidates.
    @inline(__always)
    static func candidateScore(_ u: UnsafeMutablePointer<Float>, _ n: UnsafeMutablePointer<Float>, count: Int, cosine: Bool) -> Float {
        guard cosine else { return Vector.dot(u, n, count: count) }
        let (un, nn) = Vector.dotAndSquaredNorm(u, n, count: count)
        return un * Vector.inverseNorm(nn)
    }
}

/// What one worker's epoch works on: its shuffled shard of pairs, its learning-rate schedule,
/// and raw views of the shared tables, the training matrix, the negative sampler and the
/// Adagrad accumulators. Valid only inside `HogwildTrainer.withShard`.
struct ShardView {
    let pairs: UnsafeMutablePointer<TrainingPair>
    let count: Int
    let lrStart: Float
    let lrSlope: Float
    /// Per-user step scales, or `nil` when every pair weighs the same.
    let userWeights: UnsafePointer<Float>?
    let users: EmbeddingTable.UnsafeHandle
    let items: EmbeddingTable.UnsafeHandle
    let csr: InteractionMatrix.UnsafeHandle
    /// Popularity-weighted draws, or `nil` for uniform ones.
    let popular: AliasTable.UnsafeSampler?
    let adagrad: AdagradAccumulators
    /// Whether negatives must not be the user's training positives (`unseen`).
    let excludePositives: Bool

    /// The learning rate for the shard's `index`-th pair, whose user is `user`: linear across the
    /// epoch, times the user's weight.
    @inline(__always)
    func learningRate(at index: Int, user: Int) -> Float {
        let rate = lrStart - lrSlope * Float(index)
        guard let userWeights else { return rate }
        return rate * userWeights[user]
    }

    /// A random item, uniformly or by popularity.
    @inline(__always)
    func drawItem(_ rng: inout RandomSource) -> Int { popular?.sample(&rng) ?? rng.next(below: items.rowCount) }

    /// Draws `candidates` negatives for the pair (`user`, `positive`) and calls `body` with each
    /// one kept: draws of the positive itself, and under `unseen` of the user's training
    /// positives, are dropped (softmax steps then have fewer negatives).
    @inline(__always)
    func drawNegatives(user: Int, positive: Int, candidates: Int, _ rng: inout RandomSource, _ body: (Int) -> Void) {
        var c = 0
        while c < candidates {
            c &+= 1
            let negative = drawItem(&rng)
            if negative == positive || isPositive(user: user, item: negative) { continue }
            body(negative)
        }
    }

    /// Whether `item` is ruled out as a negative for `user`: one of their training positives,
    /// under `unseen` sampling (a branch-free CSR search).
    @inline(__always)
    func isPositive(user: Int, item: Int) -> Bool {
        excludePositives && csr.contains(user: user, item: Int32(truncatingIfNeeded: item))
    }

    /// Prefetches the user and positive rows of pair `index` (if there is one) for writing.
    @inline(__always)
    func prefetchRows(of index: Int) {
        guard index < count else { return }
        let pair = pairs[index]
        hogwild_prefetch_write(users.row(Int(pair.user)))
        hogwild_prefetch_write(items.row(Int(pair.item)))
    }
}

extension WorkerTally {
    /// Counts one triplet: its loss (`nil`: skipped, its negative was a positive), and a
    /// violation when the loss exceeds `threshold`.
    @inline(__always)
    mutating func record(_ loss: Float?, threshold: Float) {
        guard let loss else { skipped &+= 1; return }
        self.loss += Double(loss)
        violations &+= loss > threshold ? 1 : 0
        triplets &+= 1
    }
}

private extension Double {
    var logarithm: Double { log(self) }
}
