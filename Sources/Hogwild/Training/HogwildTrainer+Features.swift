import Kernels

/// Raw views of a hybrid model's feature half for one worker's epoch, with the two operations
/// the hybrid loops are built from. Valid only inside `HogwildTrainer.withHybridRows`.
struct HybridRows {
    let userFeatures: InteractionMatrix.UnsafeHandle
    let itemFeatures: InteractionMatrix.UnsafeHandle
    let userFeatureRows: EmbeddingTable.UnsafeHandle
    let itemFeatureRows: EmbeddingTable.UnsafeHandle
    let stride: Int

    /// Composes user `index`'s effective vector `e + (1/|F|)·Σ x_f` into `row`, and a copy into `before`.
    @inline(__always)
    func composeUser(_ index: Int, own: UnsafeMutablePointer<Float>, into row: UnsafeMutablePointer<Float>, before: UnsafeMutablePointer<Float>) {
        SideFeatures.composeRow(row, own: own, features: userFeatures.row(index), table: userFeatureRows, count: stride)
        Vector.copy(row, to: before, count: stride)
    }

    /// Composes item `index`'s effective vector into `row`, and a copy into `before`.
    @inline(__always)
    func composeItem(_ index: Int, own: UnsafeMutablePointer<Float>, into row: UnsafeMutablePointer<Float>, before: UnsafeMutablePointer<Float>) {
        composeItem(index, own: own, into: row)
        Vector.copy(row, to: before, count: stride)
    }

    /// Composes item `index`'s effective vector into `row` (a candidate that is only scored).
    @inline(__always)
    func composeItem(_ index: Int, own: UnsafeMutablePointer<Float>, into row: UnsafeMutablePointer<Float>) {
        SideFeatures.composeRow(row, own: own, features: itemFeatures.row(index), table: itemFeatureRows, count: stride)
    }

    /// Spreads the change `Δ = row − before` of a composed user vector: Δ to the own row, Δ/|F| to
    /// each feature row. Overwrites `before`.
    @inline(__always)
    func spreadUser(_ index: Int, own: UnsafeMutablePointer<Float>, row: UnsafeMutablePointer<Float>, before: UnsafeMutablePointer<Float>) {
        spread(own: own, features: userFeatures.row(index), table: userFeatureRows, row: row, before: before)
    }

    /// As `spreadUser`, for an item.
    @inline(__always)
    func spreadItem(_ index: Int, own: UnsafeMutablePointer<Float>, row: UnsafeMutablePointer<Float>, before: UnsafeMutablePointer<Float>) {
        spread(own: own, features: itemFeatures.row(index), table: itemFeatureRows, row: row, before: before)
    }

    @inline(__always)
    private func spread(own: UnsafeMutablePointer<Float>, features: UnsafeBufferPointer<Int32>, table: EmbeddingTable.UnsafeHandle,
                        row: UnsafeMutablePointer<Float>, before: UnsafeMutablePointer<Float>) {
        Vector.differenceAndAdd(row, before, into: own, count: stride)  // before = Δ, own += Δ
        let k = features.count
        guard k > 0 else { return }
        let weight = 1 / Float(k)
        var j = 0
        while j < k {
            Vector.axpy(weight, before, table.row(Int(features[j])), count: stride)
            j &+= 1
        }
    }
}

extension HogwildTrainer {
    /// One worker's epoch of a hybrid model (`SideFeatures`).
    ///
    /// Per training pair: compose the effective vectors `v = e + (1/|F|)·Σ x_f` of the user, the
    /// positive and the negative(s) into per-worker scratch rows, run the same kernel as the plain
    /// trainer on those copies (it updates them in place), then add each copy's change
    /// `Δ = after − before` to the entity's own row and `Δ/|F|` to each of its feature rows —
    /// exactly the SGD step on `e` and the `x_f`, since `∂v/∂e = I` and `∂v/∂x_f = I/|F|`. A
    /// feature shared by several rows of a step receives every change, the gradient of the sum.
    /// L2 (when set) decays the composed vectors, spread the same way. Margin and BPR losses draw
    /// one negative, or mine the hardest of `negativeCandidates` composed candidates; the softmax
    /// loss composes all its negatives.
    ///
    /// **The race.** Feature rows are shared by many users or items and so by all workers; they
    /// are read and written without synchronisation, the same intended Hogwild race as item rows
    /// (user rows stay private to their worker's shard). The scratch rows are per worker.
    func runHybridShard(worker: Int, epoch: Int) -> WorkerTally {
        switch (model.configuration.loss, model.configuration.similarity) {
        case (.margin, .cosine): runHybridTripletShard(CosineMarginObjective.self, worker: worker, epoch: epoch)
        case (.margin, .dot): runHybridTripletShard(DotMarginObjective.self, worker: worker, epoch: epoch)
        case (.bpr, _): runHybridTripletShard(DotBPRObjective.self, worker: worker, epoch: epoch)
        case (.softmax, _): runHybridSoftmaxShard(worker: worker, epoch: epoch)
        case (.warp, _), (.fullSoftmax, _): preconditionFailure("the initialiser refuses WARP and the full softmax with side features")
        }
    }

    /// Calls `body` with the feature half's raw views and `rows` scratch rows of `stride` floats
    /// (64-byte aligned, one allocation per worker and epoch). Do not escape either.
    private func withHybridRows<R>(rows: Int, _ body: (HybridRows, UnsafeMutablePointer<Float>) -> R) -> R {
        let features = features!, stride = model.userTable.stride
        let scratch = AlignedBuffer<Float>(count: rows * stride)
        return features.userTable.withUnsafeHandle { userFeatureRows in
            features.itemTable.withUnsafeHandle { itemFeatureRows in
                features.users.incidence.withUnsafeHandle { userFeatures in
                    features.items.incidence.withUnsafeHandle { itemFeatures in
                        scratch.withUnsafeMutableBufferPointer { buffer in
                            body(HybridRows(userFeatures: userFeatures, itemFeatures: itemFeatures, userFeatureRows: userFeatureRows,
                                            itemFeatureRows: itemFeatureRows, stride: stride), buffer.baseAddress!)
                        }
                    }
                }
            }
        }
    }

    private func runHybridTripletShard<Objective: TripletObjective>(_: Objective.Type, worker: Int, epoch: Int) -> WorkerTally {
        let config = model.configuration
        let margin = config.margin, l2 = config.l2, candidates = config.negativeCandidates
        let cosine = config.similarity == .cosine
        return withHybridRows(rows: 7) { hybrid, scratch in
            withShard(worker: worker, epoch: epoch) { view, rng in
                let shard = view.pairs, users = view.users, items = view.items, stride = users.stride
                let u = scratch, p = u + stride, n = p + stride
                let uBefore = n + stride, pBefore = uBefore + stride, nBefore = pBefore + stride
                let candidate = nBefore + stride
                var tally = WorkerTally()
                let threshold = Objective.violationThreshold
                var i = 0
                while i < view.count {
                    let pair = shard[i]
                    let user = Int(pair.user), positive = Int(pair.item)
                    hybrid.composeUser(user, own: users.row(user), into: u, before: uBefore)
                    var negative = -1
                    if candidates == 1 {
                        negative = view.drawItem(&rng)
                        while negative == positive { negative = view.drawItem(&rng) }
                        hybrid.composeItem(negative, own: items.row(negative), into: n, before: nBefore)
                    } else {
                        // The hardest of the composed candidates (see `runHardNegativeShard`).
                        var bestScore = -Float.infinity
                        var c = 0
                        while c < candidates {
                            c &+= 1
                            let draw = view.drawItem(&rng)
                            if draw == positive { continue }
                            hybrid.composeItem(draw, own: items.row(draw), into: candidate)
                            let score = HogwildTrainer.candidateScore(u, candidate, count: stride, cosine: cosine)
                            guard score > bestScore, !view.isPositive(user: user, item: draw) else { continue }
                            negative = draw
                            bestScore = score
                            Vector.copy(candidate, to: n, count: stride)
                            Vector.copy(candidate, to: nBefore, count: stride)
                        }
                        if negative < 0 {
                            tally.record(nil, threshold: threshold)
                            i &+= 1
                            continue
                        }
                    }
                    hybrid.composeItem(positive, own: items.row(positive), into: p, before: pBefore)
                    let loss = Objective.step(u, p, n, count: stride, margin: margin, lr: view.learningRate(at: i, user: user), l2: l2, adagrad: nil) {
                        candidates > 1 || !view.isPositive(user: user, item: negative)
                    }
                    tally.record(loss, threshold: threshold)
                    // A satisfied margin triplet (loss 0) wrote nothing; BPR's loss is positive.
                    if let loss, loss != 0 {
                        hybrid.spreadUser(user, own: users.row(user), row: u, before: uBefore)
                        hybrid.spreadItem(positive, own: items.row(positive), row: p, before: pBefore)
                        hybrid.spreadItem(negative, own: items.row(negative), row: n, before: nBefore)
                    }
                    i &+= 1
                }
                return tally
            }
        }
    }

    private func runHybridSoftmaxShard(worker: Int, epoch: Int) -> WorkerTally {
        let config = model.configuration
        let l2 = config.l2, candidates = config.negativeCandidates, temperature = config.temperature(atEpoch: epoch)
        let cosine = config.similarity == .cosine
        let slots = candidates + 1, stride = model.userTable.stride
        // Rows: the user and its copy, then every slot's composed row and copy, then the kernel's scratch.
        let kernelRows = (stride + 3 * slots + stride - 1) / stride
        return withHybridRows(rows: 2 + 2 * slots + kernelRows) { hybrid, scratch in
            withShard(worker: worker, epoch: epoch) { view, rng in
                withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<Float>.self, capacity: slots) { pointers in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: slots) { indices in
                    let shard = view.pairs, users = view.users, items = view.items
                    let u = scratch, uBefore = u + stride
                    let composed = uBefore + stride, before = composed + slots * stride
                    let kernelScratch = before + slots * stride
                    let rows = pointers.baseAddress!, item = indices.baseAddress!
                    var tally = WorkerTally()
                    var i = 0
                    while i < view.count {
                        let pair = shard[i]
                        let user = Int(pair.user), positive = Int(pair.item)
                        item[0] = positive
                        var used = 1
                        view.drawNegatives(user: user, positive: positive, candidates: candidates, &rng) { negative in
                            item[used] = negative
                            used &+= 1
                        }
                        if used == 1 {
                            tally.record(nil, threshold: 0)
                            i &+= 1
                            continue
                        }
                        hybrid.composeUser(user, own: users.row(user), into: u, before: uBefore)
                        var k = 0
                        while k < used {
                            rows[k] = composed + k &* stride
                            hybrid.composeItem(item[k], own: items.row(item[k]), into: rows[k], before: before + k &* stride)
                            k &+= 1
                        }
                        let outcome = TripletStep.sampledSoftmax(
                            user: u, items: rows, itemCount: used, count: stride, cosine: cosine, temperature: temperature,
                            learningRate: view.learningRate(at: i, user: user), l2: l2, scratch: kernelScratch)
                        tally.loss += Double(outcome.loss)
                        tally.violations &+= outcome.violated ? 1 : 0
                        tally.triplets &+= 1
                        hybrid.spreadUser(user, own: users.row(user), row: u, before: uBefore)
                        k = 0
                        while k < used {
                            hybrid.spreadItem(item[k], own: items.row(item[k]), row: rows[k], before: before + k &* stride)
                            k &+= 1
                        }
                        i &+= 1
                    }
                    return tally
                } }
            }
        }
    }
}
