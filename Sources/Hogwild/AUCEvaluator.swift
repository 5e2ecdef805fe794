import Dispatch
import Kernels

/// Ranking quality of a model on held-out positives, averaged over users.
public struct Evaluation: Sendable, Codable, Equatable {
    /// Mean per-user ROC AUC.
    public var auc: Double
    /// Mean per-user precision@k.
    public var precisionAtK: Double
    /// Mean per-user recall@k.
    public var recallAtK: Double
    public var k: Int
    /// Users with at least one test positive (and at least one candidate negative).
    public var usersEvaluated: Int
    /// Wall time of the evaluation.
    public var seconds: Double
}

/// One user's ranking figures.
public struct UserRankMetrics: Sendable, Equatable {
    public var auc: Double
    /// Test positives among the top k candidates.
    public var hits: Int
    public var positives: Int
}

/// Exact per-user ROC AUC and top-k metrics over *all* items.
///
/// For each user, every item is scored; the user's training positives are removed from the
/// candidates; the AUC is the probability that a test positive outscores a candidate negative,
/// ties counting one half (the Mann–Whitney statistic); precision@k and recall@k count test
/// positives among the k best candidates (ties broken towards the lower item index).
///
/// Users are spread over threads; each user's figures are written to their own slot and summed
/// in user order afterwards, so the result does not depend on the thread count.
public enum AUCEvaluator {
    /// Evaluates `model` on `test`, excluding `train` from each user's candidates.
    ///
    /// - Complexity: O(U·I·d) scoring plus O(U·I·log P) ranking, for U users, I items,
    ///   dimension d and P test positives per user.
    /// - Parameter sampleUsers: when given, evaluates only this many users with test positives,
    ///   drawn with `seed` (for data sets too large to rank every item for every user).
    public static func evaluate(model: EmbeddingModel, train: InteractionMatrix, test: InteractionMatrix,
                                k: Int = 10, threads: Int, sampleUsers: Int? = nil, seed: UInt64 = 1) -> Evaluation {
        let started = DispatchTime.now().uptimeNanoseconds
        let userCount = model.users.count, itemCount = model.items.count
        let cosine = model.configuration.similarity == .cosine
        // Cosine ranking for a fixed user only needs item norms: u·i/|i| orders like cos(u,i).
        let itemScale = AlignedBuffer<Float>(count: itemCount)
        model.itemTable.withUnsafeHandle { items in
            itemScale.withUnsafeMutableBufferPointer { scale in
                for i in 0..<itemCount {
                    scale[i] = cosine ? Vector.inverseNorm(Vector.squaredNorm(items.row(i), count: items.stride)) : 1
                }
            }
        }
        let results = AlignedBuffer<Double>(count: userCount * 3)
        var candidates = test.withUnsafeHandle { csr in (0..<userCount).filter { !csr.row($0).isEmpty } }
        if let sampleUsers, sampleUsers < candidates.count {
            var rng = RandomSource(seed: seed ^ 0x6576_616C)  // "eval"
            candidates.shuffle(using: &rng)
            candidates = Array(candidates.prefix(sampleUsers)).sorted()
        }
        let evaluatedUsers = AlignedBuffer(candidates.map(Int32.init))
        results.withUnsafeMutableBufferPointer { $0.update(repeating: .nan) }
        let workers = max(1, min(threads, evaluatedUsers.count))
        let maxPositives = test.withUnsafeHandle { csr in (0..<userCount).map { csr.row($0).count }.max() ?? 0 }
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let scratch = RankScratch(itemCount: itemCount, maxPositives: maxPositives, k: k)
            model.userTable.withUnsafeHandle { users in
                model.itemTable.withUnsafeHandle { items in
                    itemScale.withUnsafeBufferPointer { scale in
                        train.withUnsafeHandle { trainCSR in
                            test.withUnsafeHandle { testCSR in
                                results.withUnsafeMutableBufferPointer { out in
                                  evaluatedUsers.withUnsafeBufferPointer { list in
                                    var j = worker
                                    while j < list.count {
                                        let u = Int(list[j])
                                        defer { j += workers }
                                        let positives = testCSR.row(u)
                                        let user = users.row(u)
                                        let scores = scratch.scores
                                        for i in 0..<itemCount {
                                            scores[i] = Vector.dot(user, items.row(i), count: items.stride) * scale[i]
                                        }
                                        guard let m = scratch.rank(excluded: trainCSR.row(u), positives: positives) else { continue }
                                        out[3 * u] = m.auc
                                        out[3 * u + 1] = Double(m.hits) / Double(k)
                                        out[3 * u + 2] = Double(m.hits) / Double(m.positives)
                                    }
                                  }
                                }
                            }
                        }
                    }
                }
            }
        }
        var sums = (0.0, 0.0, 0.0), evaluated = 0
        results.withUnsafeBufferPointer { r in
            for u in 0..<userCount where !r[3 * u].isNaN {
                sums.0 += r[3 * u]; sums.1 += r[3 * u + 1]; sums.2 += r[3 * u + 2]
                evaluated += 1
            }
        }
        let n = Double(max(evaluated, 1))
        return Evaluation(auc: sums.0 / n, precisionAtK: sums.1 / n, recallAtK: sums.2 / n, k: k,
                          usersEvaluated: evaluated,
                          seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
    }

    /// Ranking figures for one user given every item's score.
    ///
    /// - Parameters:
    ///   - scores: one score per item.
    ///   - excluded: items removed from the candidates (the user's training positives), sorted.
    ///   - positives: the test positives, sorted; those also in `excluded` are ignored.
    /// - Returns: `nil` when there is no positive or no negative candidate.
    public static func rankMetrics(scores: [Float], excluded: [Int32], positives: [Int32], k: Int) -> UserRankMetrics? {
        let scratch = RankScratch(itemCount: scores.count, maxPositives: positives.count, k: k)
        for (i, s) in scores.enumerated() { scratch.scores[i] = s }
        return excluded.withUnsafeBufferPointer { e in
            positives.withUnsafeBufferPointer { p in scratch.rank(excluded: e, positives: p) }
        }
    }
}

/// Per-worker buffers for ranking one user at a time, allocated once per evaluation. Owned by
/// one worker; the pointers never leave it.
final class RankScratch {
    let itemCount: Int
    let k: Int
    /// One score per item, filled by the caller before `rank`.
    let scores: UnsafeMutablePointer<Float>
    /// 0 = negative candidate, 1 = excluded, 2 = test positive; all 0 between users.
    private let flags: UnsafeMutablePointer<UInt8>
    private let positiveScores: UnsafeMutablePointer<Float>
    private let heapScores: UnsafeMutablePointer<Float>
    private let heapItems: UnsafeMutablePointer<Int32>

    init(itemCount: Int, maxPositives: Int, k: Int) {
        self.itemCount = itemCount
        self.k = k
        scores = .allocate(capacity: max(itemCount, 1))
        scores.initialize(repeating: 0, count: max(itemCount, 1))
        flags = .allocate(capacity: max(itemCount, 1))
        flags.initialize(repeating: 0, count: max(itemCount, 1))
        positiveScores = .allocate(capacity: max(maxPositives, 1))
        heapScores = .allocate(capacity: max(k, 1))
        heapItems = .allocate(capacity: max(k, 1))
    }

    deinit {
        scores.deallocate(); flags.deallocate(); positiveScores.deallocate()
        heapScores.deallocate(); heapItems.deallocate()
    }

    /// Ranks the current `scores`. Returns `nil` when there is no positive or no negative.
    func rank(excluded: UnsafeBufferPointer<Int32>, positives: UnsafeBufferPointer<Int32>) -> UserRankMetrics? {
        for i in excluded { flags[Int(i)] = 1 }
        var np = 0
        for i in positives where flags[Int(i)] == 0 {
            flags[Int(i)] = 2
            positiveScores[np] = scores[Int(i)]
            np += 1
        }
        defer {
            for i in excluded { flags[Int(i)] = 0 }
            for i in positives { flags[Int(i)] = 0 }
        }
        let negativeCount = itemCount - excluded.count - np
        guard np > 0, negativeCount > 0 else { return nil }
        var sorted = UnsafeMutableBufferPointer(start: positiveScores, count: np)
        sorted.sort()
        // Σ over negatives of (#positives above) + ½(#positives tied).
        var wins = 0.0
        for i in 0..<itemCount where flags[i] == 0 {
            let s = scores[i]
            let below = lowerBound(sorted, s), notAbove = upperBound(sorted, s)
            wins += Double(np - notAbove) + 0.5 * Double(notAbove - below)
        }
        return UserRankMetrics(auc: wins / (Double(np) * Double(negativeCount)), hits: topHits(), positives: np)
    }

    /// Test positives among the k best candidates: a size-k min-heap keyed by (score, −index).
    private func topHits() -> Int {
        let hs = heapScores, hi = heapItems, k = self.k
        // `a` ranks below `b`: lower score, or equal score and higher index.
        @inline(__always) func worse(_ a: Int, _ b: Int) -> Bool {
            hs[a] < hs[b] || (hs[a] == hs[b] && hi[a] > hi[b])
        }
        func siftDown(_ start: Int, _ size: Int) {
            var parent = start
            while true {
                let left = 2 * parent + 1
                if left >= size { return }
                var child = left
                if left + 1 < size && worse(left + 1, left) { child = left + 1 }
                if !worse(child, parent) { return }
                swap(&hs[child], &hs[parent]); swap(&hi[child], &hi[parent])
                parent = child
            }
        }
        var size = 0
        for i in 0..<itemCount where flags[i] != 1 {
            let s = scores[i]
            if size < k {
                hs[size] = s; hi[size] = Int32(i); size += 1
                if size == k { for p in stride(from: k / 2 - 1, through: 0, by: -1) { siftDown(p, k) } }
            } else if s > hs[0] {  // on a tie the lower index, already held, stays
                hs[0] = s; hi[0] = Int32(i)
                siftDown(0, k)
            }
        }
        var hits = 0
        for j in 0..<size where flags[Int(hi[j])] == 2 { hits += 1 }
        return hits
    }
}

@inline(__always)
private func lowerBound(_ a: UnsafeMutableBufferPointer<Float>, _ x: Float) -> Int {
    var lo = 0, hi = a.count
    while lo < hi {
        let mid = (lo + hi) >> 1
        if a[mid] < x { lo = mid + 1 } else { hi = mid }
    }
    return lo
}

@inline(__always)
private func upperBound(_ a: UnsafeMutableBufferPointer<Float>, _ x: Float) -> Int {
    var lo = 0, hi = a.count
    while lo < hi {
        let mid = (lo + hi) >> 1
        if a[mid] <= x { lo = mid + 1 } else { hi = mid }
    }
    return lo
}
