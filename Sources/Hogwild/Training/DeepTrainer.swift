import Dispatch
import Kernels

/// One worker's state across the rounds of an MLP epoch, alone on its cache line.
struct DeepWorkerState: BitwiseCopyable {
    var rng = RandomSource(seed: 0)
    var loss = 0.0
    var violations = 0
    var skipped = 0
    private var padding: (Int, Int, Int, Int) = (0, 0, 0, 0)
}

/// Training with the MLP matcher (`Matcher.mlp`): the same shards, shuffles, learning-rate
/// schedule, negative sampling and lazy "is the negative a positive?" check as the bilinear
/// loops, with `MLPStep.triplet` as the step.
///
/// **What is shared.** Embedding rows are shared exactly as in the bilinear trainer: user rows
/// are written by one worker only (user-disjoint shards), item rows by any worker with no lock
/// (the documented Hogwild race). The dense weights (about 66 KB at dim 64, hidden 128) are
/// written by *every* update, so `DenseWeightSharing` picks how workers share them:
///
/// - `.averaged` (default): each worker trains its own copy (its own cache lines). An epoch runs
///   in rounds of `averageEvery` triplets per worker; after each round the model becomes the
///   copies' mean and every worker continues from it (local SGD with periodic model averaging).
///   The weights are then race-free; only item rows race. Averaging divides the dense weights'
///   progress per triplet by the worker count; adding the copies' changes up instead was tried
///   and was unstable with 4 workers (README, Deep matcher).
/// - `.shared`: every worker reads and writes the model's weights directly — Hogwild on dense
///   parameters, a second intended race, kept to measure against: on 2 cores it trains slower
///   than one worker, the cores' caches passing the weights' lines back and forth.
///
/// With one worker both are the same single-copy SGD, reproducible bit for bit.
extension HogwildTrainer {
    /// One epoch with the MLP matcher. Called by `trainEpoch()` for models with a network.
    func trainDeepEpoch(_ network: DeepMatcher) throws -> EpochStatistics {
        let config = model.configuration
        let epoch = model.epochsTrained
        let started = DispatchTime.now().uptimeNanoseconds
        let workers = config.threads
        let perWorker = config.denseWeights == .averaged && workers > 1
        let longest = (0..<workers).map { shardStarts[$0 + 1] - shardStarts[$0] }.max() ?? 0
        let rounds = perWorker ? max(1, (longest + config.averageEvery - 1) / config.averageEvery) : 1
        let states = AlignedBuffer<DeepWorkerState>(count: workers)
        let scratchStride = MLPScratch.count(hiddenStride: network.hiddenStride, rowStride: network.rowStride)  // lane multiples: own lines
        let scratch = AlignedBuffer<Float>(count: workers * scratchStride)
        let replicas = perWorker ? AlignedBuffer<Float>(count: workers * network.layoutCount) : nil
        if let replicas { Self.broadcast(network, to: replicas, workers: workers) }
        for round in 0..<rounds {
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                scratch.withUnsafeMutableBufferPointer { scratchBuffer in
                    let s = MLPScratch(base: scratchBuffer.baseAddress! + worker * scratchStride,
                                       hiddenStride: network.hiddenStride, rowStride: network.rowStride)
                    let run = { (w: MLPWeights) in
                        states.withUnsafeMutableBufferPointer { state in
                            self.runDeepShard(w, scratch: s, worker: worker, epoch: epoch, round: round, rounds: rounds,
                                              state: &state[worker])
                        }
                    }
                    if let replicas {
                        replicas.withUnsafeMutableBufferPointer { r in run(network.weights(at: r.baseAddress! + worker * network.layoutCount)) }
                    } else {
                        network.withUnsafeWeights(run)
                    }
                }
            }
            if let replicas {
                Self.average(replicas, into: network, workers: workers)
                if round + 1 < rounds { Self.broadcast(network, to: replicas, workers: workers) }
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        var loss = 0.0, violations = 0, skipped = 0
        for s in states.array {
            loss += s.loss
            violations += s.violations
            skipped += s.skipped
        }
        model.epochsTrained += 1
        try checkFinite(epoch: epoch + 1, loss: loss)
        let triplets = pairs.count - skipped
        let n = Double(max(triplets, 1))
        return EpochStatistics(epoch: epoch + 1, triplets: triplets, skipped: skipped, meanLoss: loss / n,
                               violationRate: Double(violations) / n, seconds: seconds,
                               learningRate: Double(learningRate(atProgress: Double(epoch) / Double(max(config.epochs, 1)))))
    }

    /// One worker's share of one round: the triplets `[count·round/rounds, count·(round+1)/rounds)`
    /// of its shard, shuffled in round 0 with the worker's generator, which `state` carries
    /// from round to round.
    private func runDeepShard(_ w: MLPWeights, scratch: MLPScratch, worker: Int, epoch: Int, round: Int, rounds: Int,
                              state: inout DeepWorkerState) {
        let config = model.configuration
        let plan = shardPlan(worker: worker, epoch: epoch)
        let count = plan.count, lrStart = plan.lrStart, lrSlope = plan.lrSlope
        guard count > 0 else { return }
        if round == 0 { state.rng = RandomSource.stream(seed: config.seed, epoch: epoch, worker: worker) }
        var rng = state.rng
        let margin = config.margin, l2 = config.l2, bpr = config.loss == .bpr
        let threshold: Float = bpr ? 0.693_147_2 : 0  // ln 2 for BPR: s(u,p) < s(u,n)
        let excludePositives = config.negatives == .unseen
        var lossSum = 0.0, violations = 0, skipped = 0
        pairs.withUnsafeMutableBufferPointer { allPairs in
            model.userTable.withUnsafeHandle { users in
                model.itemTable.withUnsafeHandle { items in
                    train.withUnsafeHandle { csr in
                        withNegativeSampler { popular in withUserWeights { weights in
                            let shard = allPairs.baseAddress! + plan.start
                            if round == 0 { HogwildTrainer.shuffle(shard, count: count, &rng) }
                            let itemCount = items.rowCount
                            var i = count * round / rounds
                            let end = count * (round + 1) / rounds
                            while i < end {
                                let pair = shard[i]
                                let user = Int(pair.user), positive = Int(pair.item)
                                var negative = popular?.sample(&rng) ?? rng.next(below: itemCount)
                                while negative == positive { negative = popular?.sample(&rng) ?? rng.next(below: itemCount) }
                                let loss = MLPStep.triplet(w, scratch: scratch, user: users.row(user), positive: items.row(positive),
                                                           negative: items.row(negative), margin: margin, bpr: bpr,
                                                           learningRate: (lrStart - lrSlope * Float(i)) * (weights?[user] ?? 1), l2: l2) {
                                    !excludePositives || !csr.contains(user: user, item: Int32(truncatingIfNeeded: negative))
                                }
                                if let loss {
                                    lossSum += Double(loss)
                                    violations &+= loss > threshold ? 1 : 0
                                } else {
                                    skipped &+= 1
                                }
                                i &+= 1
                            }
                        } }
                    }
                }
            }
        }
        state.rng = rng
        state.loss += lossSum
        state.violations += violations
        state.skipped += skipped
    }

    /// Copies the model's weights into every worker's copy.
    private static func broadcast(_ network: DeepMatcher, to replicas: AlignedBuffer<Float>, workers: Int) {
        let count = network.layoutCount
        network.storage.withUnsafeBufferPointer { master in
            replicas.withUnsafeMutableBufferPointer { r in
                for worker in 0..<workers {
                    (r.baseAddress! + worker * count).update(from: master.baseAddress!, count: count)
                }
            }
        }
    }

    /// Sets the model's weights to the mean of the workers' copies.
    ///
    /// - Complexity: O(workers · layout), about 70 k floats per copy at dim 64, hidden 128.
    private static func average(_ replicas: AlignedBuffer<Float>, into network: DeepMatcher, workers: Int) {
        let count = network.layoutCount
        network.storage.withUnsafeMutableBufferPointer { master in
            replicas.withUnsafeBufferPointer { r in
                let m = master.baseAddress!
                m.update(from: r.baseAddress!, count: count)
                for worker in 1..<workers { Vector.axpy(1, r.baseAddress! + worker * count, m, count: count) }
                Vector.scale(1 / Float(workers), m, count: count)
            }
        }
    }
}
