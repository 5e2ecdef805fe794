import Kernels

/// Per-worker scratch rows of the hybrid step: the composed user, positive and negative vectors
/// the kernel updates in place, and their values before the update. One allocation per worker and
/// epoch, 64-byte aligned and a whole number of cache lines, so no two workers share a line.
final class HybridScratch: @unchecked Sendable {
    let stride: Int
    let storage: AlignedBuffer<Float>

    init(stride: Int) {
        self.stride = stride
        storage = AlignedBuffer(count: 6 * stride)
    }
}

extension HogwildTrainer {
    /// One worker's epoch of a hybrid model (`SideFeatures`).
    ///
    /// Per triplet: compose the user's, positive's and negative's effective vectors
    /// `v = e + (1/|F|)·Σ x_f` into scratch rows, run the same fused `TripletStep` kernel as the
    /// plain trainer on those copies (it updates them in place), then add each copy's change
    /// `Δ = after − before` to the entity's own row and `Δ/|F|` to each of its feature rows —
    /// exactly the SGD step on `e` and the `x_f`, since `∂v/∂e = I` and `∂v/∂x_f = I/|F|`. A
    /// feature shared by the positive and the negative receives both changes, the gradient of the
    /// sum. L2 (when set) decays the composed vector, spread the same way.
    ///
    /// **The race.** Feature rows are shared by many users or items and so by all workers; they
    /// are read and written without synchronisation, the same intended Hogwild race as item rows
    /// (user rows stay private to their worker's shard). The scratch rows are per worker.
    ///
    /// Negatives are drawn, and the "is it a positive?" check is made, as in `runShard`. There is
    /// no prefetch pipeline: the feature tables are small, and hybrid models are for catalogues
    /// with metadata, not for the largest synthetic sets.
    func runHybridShard(worker: Int, epoch: Int) -> WorkerTally {
        switch (model.configuration.loss, model.configuration.similarity) {
        case (.margin, .cosine): runHybridShard(CosineMarginObjective.self, worker: worker, epoch: epoch)
        case (.margin, .dot): runHybridShard(DotMarginObjective.self, worker: worker, epoch: epoch)
        case (.bpr, _): runHybridShard(DotBPRObjective.self, worker: worker, epoch: epoch)
        case (.warp, _), (.softmax, _): preconditionFailure("the initialiser refuses WARP and softmax with side features")
        }
    }

    private func runHybridShard<Objective: TripletObjective>(_: Objective.Type, worker: Int, epoch: Int) -> WorkerTally {
        let config = model.configuration
        let features = features!
        let plan = shardPlan(worker: worker, epoch: epoch)
        let lo = plan.start, count = plan.count, lrStart = plan.lrStart, lrSlope = plan.lrSlope
        guard count > 0 else { return WorkerTally() }
        var rng = RandomSource.stream(seed: config.seed, epoch: epoch, worker: worker)
        let margin = config.margin, l2 = config.l2
        let excludePositives = config.negatives == .unseen
        let scratch = HybridScratch(stride: model.userTable.stride)

        return pairs.withUnsafeMutableBufferPointer { allPairs in
            model.userTable.withUnsafeHandle { users in
            model.itemTable.withUnsafeHandle { items in
            features.userTable.withUnsafeHandle { userFeatureRows in
            features.itemTable.withUnsafeHandle { itemFeatureRows in
            features.users.incidence.withUnsafeHandle { userFeatures in
            features.items.incidence.withUnsafeHandle { itemFeatures in
            train.withUnsafeHandle { csr in
            scratch.storage.withUnsafeMutableBufferPointer { rows in
            withNegativeSampler { popular in
                let shard = allPairs.baseAddress! + lo
                HogwildTrainer.shuffle(shard, count: count, &rng)
                let itemCount = items.rowCount, stride = users.stride
                let u = rows.baseAddress!, p = u + stride, n = p + stride
                let uBefore = n + stride, pBefore = uBefore + stride, nBefore = pBefore + stride

                // Composes an effective vector into `row` and keeps a copy in `before`.
                @inline(__always) func compose(_ row: UnsafeMutablePointer<Float>, _ before: UnsafeMutablePointer<Float>,
                                               own: UnsafeMutablePointer<Float>, features: UnsafeBufferPointer<Int32>,
                                               table: EmbeddingTable.UnsafeHandle) {
                    SideFeatures.composeRow(row, own: own, features: features, table: table, count: stride)
                    before.update(from: row, count: stride)
                }
                // Spreads the change of a composed row: Δ to the own row, Δ/|F| to each feature row.
                @inline(__always) func spread(_ row: UnsafeMutablePointer<Float>, _ before: UnsafeMutablePointer<Float>,
                                              own: UnsafeMutablePointer<Float>, features: UnsafeBufferPointer<Int32>,
                                              table: EmbeddingTable.UnsafeHandle) {
                    Vector.scale(-1, before, count: stride)
                    Vector.axpy(1, row, before, count: stride)  // before = Δ
                    Vector.axpy(1, before, own, count: stride)
                    let k = features.count
                    guard k > 0 else { return }
                    let weight = 1 / Float(k)
                    var j = 0
                    while j < k {
                        Vector.axpy(weight, before, table.row(Int(features[j])), count: stride)
                        j &+= 1
                    }
                }

                var lossSum = 0.0, violations = 0, skipped = 0
                let threshold = Objective.violationThreshold
                var i = 0
                while i < count {
                    let pair = shard[i]
                    let user = Int(pair.user), positive = Int(pair.item)
                    var negative = popular?.sample(&rng) ?? rng.next(below: itemCount)
                    while negative == positive { negative = popular?.sample(&rng) ?? rng.next(below: itemCount) }
                    let uf = userFeatures.row(user), pf = itemFeatures.row(positive), nf = itemFeatures.row(negative)
                    let uOwn = users.row(user), pOwn = items.row(positive), nOwn = items.row(negative)
                    compose(u, uBefore, own: uOwn, features: uf, table: userFeatureRows)
                    compose(p, pBefore, own: pOwn, features: pf, table: itemFeatureRows)
                    compose(n, nBefore, own: nOwn, features: nf, table: itemFeatureRows)
                    let lr = lrStart - lrSlope * Float(i)
                    let loss = Objective.step(u, p, n, count: stride, margin: margin, lr: lr, l2: l2, adagrad: nil) {
                        !excludePositives || !csr.contains(user: user, item: Int32(truncatingIfNeeded: negative))
                    }
                    if let loss {
                        lossSum += Double(loss)
                        violations &+= loss > threshold ? 1 : 0
                        // A satisfied margin triplet (loss 0) wrote nothing; BPR's loss is positive.
                        if loss != 0 {
                            spread(u, uBefore, own: uOwn, features: uf, table: userFeatureRows)
                            spread(p, pBefore, own: pOwn, features: pf, table: itemFeatureRows)
                            spread(n, nBefore, own: nOwn, features: nf, table: itemFeatureRows)
                        }
                    } else {
                        skipped &+= 1
                    }
                    i &+= 1
                }
                var tally = WorkerTally()
                tally.loss = lossSum
                tally.violations = violations
                tally.triplets = count - skipped
                tally.skipped = skipped
                return tally
            } } } } } } } } }
        }
    }
}
