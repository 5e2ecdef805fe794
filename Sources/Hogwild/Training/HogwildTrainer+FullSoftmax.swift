import Kernels

extension HogwildTrainer {
    /// One worker's full-softmax epoch (`Loss.fullSoftmax`): its users in a fresh random order,
    /// `FullSoftmaxStep.blockSize` at a time, each block scored against the whole catalogue.
    ///
    /// The worker owns its shard's users, so user rows never race; every block rewrites every
    /// item row, which the other workers read and write at the same time without a lock — the
    /// trainer's one intended race (see `HogwildTrainer`), here on every row. The learning rate
    /// falls linearly with the shard's pairs, as for the per-pair losses. The user order depends
    /// only on the seed, the epoch and the worker, so a resumed run continues exactly.
    func runFullSoftmaxShard(worker: Int, epoch: Int) -> WorkerTally {
        let plan = shardPlan(worker: worker, epoch: epoch)
        guard plan.count > 0 else { return WorkerTally() }
        let config = model.configuration
        let temperature = config.temperature(atEpoch: epoch), l2 = config.l2, seenWeight = config.seenWeight
        let block = FullSoftmaxStep.blockSize
        // The shard's users with positives, shuffled: one allocation per worker and epoch, as is
        // the workspace.
        var order = shardUsers(worker: worker)
        var rng = RandomSource.stream(seed: config.seed, epoch: epoch, worker: worker)
        var k = order.count - 1
        while k > 0 {
            order.swapAt(k, rng.next(below: k + 1))
            k -= 1
        }
        let stride = model.itemTable.stride, itemCount = model.items.count
        let workspace = AlignedBuffer<Float>(count: FullSoftmaxStep.workspaceCount(itemCount: itemCount, stride: stride))
        // Per block: user rows; positive lists, then seen lists; their lengths; user weights.
        return withFullSoftmaxViews { users, items, csr, seenRows, userWeights in
            order.withUnsafeBufferPointer { order in
                workspace.withUnsafeMutableBufferPointer { workspace in
                    withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<Float>.self, capacity: block) { rows in
                        withUnsafeTemporaryAllocation(of: UnsafePointer<Int32>.self, capacity: 2 * block) { lists in
                            withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * block) { counts in
                                withUnsafeTemporaryAllocation(of: Float.self, capacity: block) { weights in
                                    var tally = WorkerTally()
                                    var done = 0, start = 0
                                    while start < order.count {
                                        let size = min(block, order.count - start)
                                        var pairs = 0
                                        for b in 0..<size {
                                            let user = Int(order[start + b])
                                            let row = csr.row(user)
                                            rows[b] = users.row(user)
                                            lists[b] = row.baseAddress!
                                            counts[b] = row.count
                                            if let seenRows {
                                                // An empty row may have no address; it is never read.
                                                let seen = seenRows.row(user)
                                                lists[block + b] = seen.baseAddress ?? row.baseAddress!
                                                counts[block + b] = seen.count
                                            }
                                            weights[b] = userWeights?[user] ?? 1
                                            pairs += row.count
                                        }
                                        let outcome = FullSoftmaxStep.step(
                                            users: rows.baseAddress!, userCount: size, positives: lists.baseAddress!, positiveCounts: counts.baseAddress!,
                                            seen: seenRows == nil ? nil : UnsafePointer(lists.baseAddress! + block),
                                            seenCounts: seenRows == nil ? nil : UnsafePointer(counts.baseAddress! + block),
                                            seenWeight: seenWeight, weights: weights.baseAddress!,
                                            items: items.row(0), itemCount: itemCount, stride: stride, temperature: temperature,
                                            learningRate: plan.lrStart - plan.lrSlope * Float(done), l2: l2, workspace: workspace.baseAddress!)
                                        tally.loss += outcome.loss
                                        tally.violations &+= outcome.violations
                                        tally.triplets &+= outcome.positives
                                        done &+= pairs
                                        start &+= size
                                    }
                                    return tally
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Calls `body` with the raw views a full-softmax shard needs: the tables, the positives, the
    /// seen items (`nil` when not trained on) and the user weights (`nil` when pairs weigh the
    /// same). Do not escape any of them.
    private func withFullSoftmaxViews<R>(
        _ body: (EmbeddingTable.UnsafeHandle, EmbeddingTable.UnsafeHandle, InteractionMatrix.UnsafeHandle,
                 InteractionMatrix.UnsafeHandle?, UnsafePointer<Float>?) -> R
    ) -> R {
        model.userTable.withUnsafeHandle { users in
            model.itemTable.withUnsafeHandle { items in
                train.withUnsafeHandle { csr in
                    withUserWeights { userWeights in
                        guard let seen else { return body(users, items, csr, nil, userWeights) }
                        return seen.withUnsafeHandle { body(users, items, csr, $0, userWeights) }
                    }
                }
            }
        }
    }

    /// The users of `worker`'s shard that have training positives, in index order.
    func shardUsers(worker: Int) -> [Int32] {
        let range = shardUserRanges[worker]
        return train.withUnsafeHandle { csr in range.filter { !csr.row($0).isEmpty }.map(Int32.init) }
    }
}
