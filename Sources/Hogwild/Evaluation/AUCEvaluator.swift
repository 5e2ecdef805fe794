import Dispatch
import Kernels
#if canImport(Glibc)
import Glibc
#endif

/// Ranking quality of a model on held-out positives, averaged over users.
public struct Evaluation: Sendable, Codable, Equatable {
    /// Mean per-user ROC AUC.
    public var auc: Double
    /// Mean per-user precision@k.
    public var precisionAtK: Double
    /// Mean per-user recall@k.
    public var recallAtK: Double
    /// Mean per-user average precision@k (normalised by min(positives, k)).
    public var mapAtK: Double = 0
    /// Mean per-user NDCG@k (binary relevance, log₂ discount).
    public var ndcgAtK: Double = 0
    /// Share of users with at least one test positive in their top k.
    public var hitRateAtK: Double = 0
    /// Share of the catalogue that appears in at least one evaluated user's top k.
    public var coverage: Double = 0
    /// The cutoff of the top-k metrics.
    public var k: Int
    /// Users with at least one test positive (and at least one candidate negative).
    public var usersEvaluated: Int
    /// The spread of per-user AUC.
    public var aucDistribution = AUCDistribution()
    /// Wall time of the evaluation.
    public var seconds: Double

    /// Figures with the later metrics (MAP, NDCG, hit rate, coverage, AUC distribution) at their
    /// defaults (0, empty), for the caller to fill in.
    public init(auc: Double, precisionAtK: Double, recallAtK: Double, k: Int, usersEvaluated: Int, seconds: Double) {
        self.auc = auc
        self.precisionAtK = precisionAtK
        self.recallAtK = recallAtK
        self.k = k
        self.usersEvaluated = usersEvaluated
        self.seconds = seconds
    }

    enum CodingKeys: String, CodingKey {
        case auc, k, coverage, seconds
        case precisionAtK = "precision_at_k", recallAtK = "recall_at_k", mapAtK = "map_at_k"
        case ndcgAtK = "ndcg_at_k", hitRateAtK = "hit_rate_at_k", usersEvaluated = "users_evaluated"
        case aucDistribution = "auc_distribution"
    }

    /// Decodes reports and model headers written before the later metrics existed (they read as 0).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        auc = try c.decode(Double.self, forKey: .auc)
        precisionAtK = try c.decode(Double.self, forKey: .precisionAtK)
        recallAtK = try c.decode(Double.self, forKey: .recallAtK)
        mapAtK = try c.decodeIfPresent(Double.self, forKey: .mapAtK) ?? 0
        ndcgAtK = try c.decodeIfPresent(Double.self, forKey: .ndcgAtK) ?? 0
        hitRateAtK = try c.decodeIfPresent(Double.self, forKey: .hitRateAtK) ?? 0
        coverage = try c.decodeIfPresent(Double.self, forKey: .coverage) ?? 0
        k = try c.decode(Int.self, forKey: .k)
        usersEvaluated = try c.decode(Int.self, forKey: .usersEvaluated)
        aucDistribution = try c.decodeIfPresent(AUCDistribution.self, forKey: .aucDistribution) ?? AUCDistribution()
        seconds = try c.decode(Double.self, forKey: .seconds)
    }
}

/// Quantiles of the per-user AUC, and the users at both ends.
public struct AUCDistribution: Sendable, Codable, Equatable {
    /// The lowest, 10th-percentile, median, 90th-percentile and highest per-user AUC (nearest
    /// rank); all 0 when no user was evaluated.
    public var minimum = 0.0, p10 = 0.0, median = 0.0, p90 = 0.0, maximum = 0.0
    /// Row indices of the (up to) five users with the lowest AUC, worst first.
    public var worstUsers: [Int] = []
    /// Row indices of the (up to) five users with the highest AUC, best first.
    public var bestUsers: [Int] = []

    /// The distribution of no users: zeros and empty lists.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case minimum = "min", p10, median, p90, maximum = "max"
        case worstUsers = "worst_users", bestUsers = "best_users"
    }

    /// From (user, AUC) pairs; nearest-rank quantiles.
    init(_ values: [(user: Int, auc: Double)]) {
        guard !values.isEmpty else { return }
        let sorted = values.sorted { $0.auc != $1.auc ? $0.auc < $1.auc : $0.user < $1.user }
        func quantile(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int(q * Double(sorted.count)))].auc }
        minimum = sorted.first!.auc; p10 = quantile(0.1); median = quantile(0.5); p90 = quantile(0.9); maximum = sorted.last!.auc
        worstUsers = sorted.prefix(5).map(\.user)
        bestUsers = sorted.suffix(5).reversed().map(\.user)
    }
}

/// One user's ranking figures.
public struct UserRankMetrics: Sendable, Equatable {
    /// The user's ROC AUC: the share of (test positive, candidate negative) pairs in which the
    /// positive scores higher, ties counting one half.
    public var auc: Double
    /// Test positives among the top k candidates.
    public var hits: Int
    /// Test positives that are candidates (not excluded): the denominator of recall.
    public var positives: Int
    /// Average precision@k.
    public var averagePrecision: Double = 0
    /// NDCG@k.
    public var ndcg: Double = 0
}

/// What scores the items for a user: a trained model, or a baseline that every model should beat.
public enum Scorer: Sendable {
    /// The model's own score: its rows' similarity, or its MLP (`EmbeddingModel.network`).
    case model(EmbeddingModel)
    /// Each item's number of training positives, the same for every user: the classic check
    /// that a model is personalised.
    case popularity
    /// Independent uniform scores, seeded: AUC 0.5 by construction.
    case random(seed: UInt64)
}

/// Exact per-user ROC AUC and top-k metrics over *all* items.
///
/// For each user, every item is scored; the user's training positives are removed from the
/// candidates; the AUC is the probability that a test positive outscores a candidate negative,
/// ties counting one half (the Mann–Whitney statistic); precision@k and recall@k count test
/// positives among the k best candidates (ties broken towards the lower item index).
///
/// **Scoring** of bilinear models is a blocked matrix product (`ScoreBlock`): items are packed
/// once into panels of 16 (with the cosine normalisation folded in), users go 64 to a block,
/// items 1,024 to a block so a block's panels stay in L2, and a 4 × 32 register-tiled microkernel
/// fills the scores. Models with an MLP matcher are scored through it (`deepScoreAndRank`): each
/// item's half of the first layer once, then O(hidden) per (user, item).
/// **Ranking** is SIMD counting: with the excluded items and the positives masked as NaN, one
/// compare pass per positive counts the negatives below and tied with it; the top k come from a
/// threshold scan that skips 16 items at a time.
///
/// Users are spread over threads; each user's figures are written to their own slot and summed
/// in user order afterwards, so the result does not depend on the thread count.
public enum AUCEvaluator {
    static let userBlock = 64
    static let itemBlock = 1_024

    /// Evaluates `model` on `test`, excluding `train` from each user's candidates.
    ///
    /// A user is skipped when no test positive is left outside `train`, or no candidate negative
    /// is left. The result does not depend on `threads`.
    ///
    /// - Precondition: the model's users and items are `train`'s (and `test`'s).
    /// - Parameters:
    ///   - model: the model to evaluate.
    ///   - train: the training positives, removed from each user's candidates.
    ///   - test: the held-out positives.
    ///   - k: the top-k cutoff.
    ///   - threads: worker threads.
    ///   - sampleUsers: when given, evaluates only this many users with test positives, drawn
    ///     with `seed` (for data sets too large to rank every item for every user).
    ///   - seed: seeds the user sample.
    /// - Complexity: O(U·I·d) scoring plus O(U·I·P / 16) ranking, for U users, I items,
    ///   dimension d and P test positives per user.
    public static func evaluate(model: EmbeddingModel, train: InteractionMatrix, test: InteractionMatrix,
                                k: Int = 10, threads: Int, sampleUsers: Int? = nil, seed: UInt64 = 1) -> Evaluation {
        evaluate(.model(model), train: train, test: test, k: k, threads: threads, sampleUsers: sampleUsers, seed: seed)
    }

    /// Evaluates any `Scorer` on `test`, excluding `train` from each user's candidates: a model
    /// (as `evaluate(model:train:test:k:threads:sampleUsers:seed:)`) or a baseline.
    ///
    /// - Precondition: for `.model`, the model's users and items are `train`'s.
    /// - Complexity: as for a model; the baselines skip the scoring product.
    public static func evaluate(_ scorer: Scorer, train: InteractionMatrix, test: InteractionMatrix,
                                k: Int = 10, threads: Int, sampleUsers: Int? = nil, seed: UInt64 = 1) -> Evaluation {
        let started = DispatchTime.now().uptimeNanoseconds
        let userCount = train.userCount, itemCount = train.itemCount
        var candidates = test.withUnsafeHandle { csr in (0..<userCount).filter { !csr.row($0).isEmpty } }
        if let sampleUsers, sampleUsers < candidates.count {
            var rng = RandomSource(seed: seed ^ 0x6576_616C)  // "eval"
            candidates.shuffle(using: &rng)
            candidates = Array(candidates.prefix(sampleUsers)).sorted()
        }
        let evaluatedUsers = AlignedBuffer(candidates.map(Int32.init))
        let fields = 6  // auc, precision, recall, AP, NDCG, hit
        let results = AlignedBuffer<Double>(count: userCount * fields)
        results.withUnsafeMutableBufferPointer { $0.update(repeating: .nan) }
        let maxPositives = test.withUnsafeHandle { csr in (0..<userCount).map { csr.row($0).count }.max() ?? 0 }
        let workers = max(1, threads)
        let covered = AlignedBuffer<UInt8>(count: workers * itemCount)
        let makeScratch = { @Sendable (worker: Int) in RankScratch(itemCount: itemCount, maxPositives: maxPositives, k: k, worker: worker) }
        let rank = { @Sendable (scratch: RankScratch, user: Int, scores: UnsafeMutablePointer<Float>) in
            let m = train.withUnsafeHandle { trainCSR in
                test.withUnsafeHandle { testCSR in
                    scratch.rank(scores: scores, excluded: trainCSR.row(user), positives: testCSR.row(user))
                }
            }
            guard let m else { return }
            results.withUnsafeMutableBufferPointer { out in
                let o = fields * user
                out[o] = m.auc
                out[o + 1] = Double(m.hits) / Double(k)
                out[o + 2] = Double(m.hits) / Double(m.positives)
                out[o + 3] = m.averagePrecision
                out[o + 4] = m.ndcg
                out[o + 5] = m.hits > 0 ? 1 : 0
            }
            covered.withUnsafeMutableBufferPointer { c in
                for item in scratch.topItems { c[scratch.worker * itemCount + Int(item)] = 1 }
            }
        }
        switch scorer {
        case .model(let model):
            precondition(model.users.count == userCount && model.items.count == itemCount)
            if let network = model.network {
                deepScoreAndRank(model: model, network: network, users: evaluatedUsers, threads: workers,
                                 makeScratch: makeScratch, rank: rank)
            } else {
                let panels = ItemPanels(model: model, threads: threads)
                scoreAndRank(model: model, panels: panels, users: evaluatedUsers, threads: workers, makeScratch: makeScratch, rank: rank)
            }
        case .popularity, .random:
            let popularity = train.withUnsafeHandle { csr in
                var counts = [Float](repeating: 0, count: itemCount)
                for u in 0..<userCount { for item in csr.row(u) { counts[Int(item)] += 1 } }
                return AlignedBuffer(counts)
            }
            let blockCount = evaluatedUsers.count
            DispatchQueue.concurrentPerform(iterations: max(1, min(workers, blockCount))) { worker in
                let scratch = makeScratch(worker)
                let scores = AlignedBuffer<Float>(count: itemCount)
                var j = worker
                while j < blockCount {
                    let user = evaluatedUsers.withUnsafeBufferPointer { Int($0[j]) }
                    scores.withUnsafeMutableBufferPointer { row in
                        if case .random(let seed) = scorer {
                            var rng = RandomSource.stream(seed: seed, epoch: -2, worker: user)
                            for i in 0..<itemCount { row[i] = rng.nextUnitFloat() }
                        } else {
                            popularity.withUnsafeBufferPointer { p in _ = row.update(fromContentsOf: p) }
                        }
                        rank(scratch, user, row.baseAddress!)
                    }
                    j += min(workers, blockCount)
                }
            }
        }
        var sums = [Double](repeating: 0, count: fields), perUser: [(user: Int, auc: Double)] = []
        results.withUnsafeBufferPointer { r in
            for u in 0..<userCount where !r[fields * u].isNaN {
                for f in 0..<fields { sums[f] += r[fields * u + f] }
                perUser.append((u, r[fields * u]))
            }
        }
        let n = Double(max(perUser.count, 1))
        var e = Evaluation(auc: sums[0] / n, precisionAtK: sums[1] / n, recallAtK: sums[2] / n, k: k,
                           usersEvaluated: perUser.count, seconds: 0)
        e.mapAtK = sums[3] / n
        e.ndcgAtK = sums[4] / n
        e.hitRateAtK = sums[5] / n
        e.coverage = covered.withUnsafeBufferPointer { c in
            Double((0..<itemCount).filter { i in (0..<workers).contains { c[$0 * itemCount + i] != 0 } }.count) / Double(max(itemCount, 1))
        }
        e.aucDistribution = AUCDistribution(perUser)
        e.seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return e
    }

    /// The number of users `evaluate` would rank (before any sampling): those with a test
    /// positive outside their `train` row and at least one other item left as a negative.
    /// Zero means there is nothing to evaluate — e.g. the test file is the training file.
    ///
    /// - Complexity: O(users + pairs · log(pairs per user)).
    public static func evaluableUsers(train: InteractionMatrix, test: InteractionMatrix) -> Int {
        train.withUnsafeHandle { trainCSR in
            test.withUnsafeHandle { testCSR in
                (0..<test.userCount).filter { u in
                    let fresh = testCSR.row(u).filter { !trainCSR.contains(user: u, item: $0) }.count
                    return fresh > 0 && train.itemCount - trainCSR.row(u).count - fresh > 0
                }.count
            }
        }
    }

    /// Scores every item for the first `users` users and nothing else, for benchmarking the
    /// blocked `ScoreBlock` product (used on the model's rows even for an MLP model).
    ///
    /// - Returns: the wall time in seconds (packing the item panels included).
    public static func timeScoring(model: EmbeddingModel, users: Int, threads: Int) -> Double {
        let started = DispatchTime.now().uptimeNanoseconds
        let panels = ItemPanels(model: model, threads: threads)
        let list = AlignedBuffer((0..<min(users, model.users.count)).map(Int32.init))
        scoreAndRank(model: model, panels: panels, users: list, threads: threads,
                     makeScratch: { _ in () }, rank: { _, _, _ in })
        return Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
    }

    /// The blocked scoring loop shared by evaluation and benchmarks: each worker takes blocks of
    /// `userBlock` users from `users`, fills their score rows, and hands each row to `rank`.
    static func scoreAndRank<Scratch>(
        model: EmbeddingModel, panels: ItemPanels, users: AlignedBuffer<Int32>, threads: Int,
        makeScratch: @Sendable (Int) -> Scratch,
        rank: @Sendable (Scratch, Int, UnsafeMutablePointer<Float>) -> Void
    ) {
        let blockCount = (users.count + userBlock - 1) / userBlock
        let workers = max(1, min(threads, blockCount))
        let rowStride = panels.paddedItemCount
        let dimension = model.configuration.dimension
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let scratch = makeScratch(worker)
            let scores = AlignedBuffer<Float>(count: userBlock * rowStride)
            model.userTable.withUnsafeHandle { userRows in
                panels.storage.withUnsafeBufferPointer { packed in
                    scores.withUnsafeMutableBufferPointer { scoreBuffer in
                        users.withUnsafeBufferPointer { list in
                            let out = scoreBuffer.baseAddress!, panelBase = packed.baseAddress!
                            let panelFloats = dimension * ScoreBlock.panelWidth
                            var block = worker
                            while block < blockCount {
                                let first = block * userBlock, count = min(userBlock, list.count - first)
                                var itemStart = 0
                                while itemStart < rowStride {
                                    let itemEnd = min(itemStart + itemBlock, rowStride)
                                    var r = 0
                                    while r < count {
                                        // Rows past the block's end repeat its last user; their scores are ignored.
                                        let u0 = userRows.row(Int(list[first + r]))
                                        let u1 = userRows.row(Int(list[first + min(r + 1, count - 1)]))
                                        let u2 = userRows.row(Int(list[first + min(r + 2, count - 1)]))
                                        let u3 = userRows.row(Int(list[first + min(r + 3, count - 1)]))
                                        var item = itemStart
                                        while item < itemEnd {
                                            ScoreBlock.score4x32(u0, u1, u2, u3,
                                                                 panels: panelBase + (item / ScoreBlock.panelWidth) * panelFloats,
                                                                 dimension: dimension,
                                                                 scores: out + r * rowStride + item, scoreStride: rowStride)
                                            item += 2 * ScoreBlock.panelWidth
                                        }
                                        r += 4
                                    }
                                    itemStart = itemEnd
                                }
                                for r in 0..<count { rank(scratch, Int(list[first + r]), out + r * rowStride) }
                                block += workers
                            }
                        }
                    }
                }
            }
        }
    }

    /// The MLP matcher's scoring loop: `Wi·e_i` for every item once (`DeepMatcher.itemProjections`),
    /// then per user `Wu·e_u + b1` and O(hidden) per item; each user's row goes to `rank`.
    ///
    /// - Complexity: O(I·H·d + U·(H·d + I·H)) for U users, I items, H hidden units, dimension d.
    static func deepScoreAndRank<Scratch>(
        model: EmbeddingModel, network: DeepMatcher, users: AlignedBuffer<Int32>, threads: Int,
        makeScratch: @Sendable (Int) -> Scratch,
        rank: @Sendable (Scratch, Int, UnsafeMutablePointer<Float>) -> Void
    ) {
        let projections = network.itemProjections(model.itemTable, threads: threads)
        let itemCount = model.items.count
        let workers = max(1, min(threads, users.count))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let scratch = makeScratch(worker)
            let scores = AlignedBuffer<Float>(count: itemCount)
            let activation = AlignedBuffer<Float>(count: network.hiddenStride)
            model.userTable.withUnsafeHandle { userRows in
                projections.withUnsafeBufferPointer { b in
                    scores.withUnsafeMutableBufferPointer { s in
                        activation.withUnsafeMutableBufferPointer { a in
                            users.withUnsafeBufferPointer { list in
                                var j = worker
                                while j < list.count {
                                    let user = Int(list[j])
                                    network.scoreRow(user: userRows.row(user), projections: b.baseAddress!, itemCount: itemCount,
                                                     activation: a.baseAddress!, scores: s.baseAddress!)
                                    rank(scratch, user, s.baseAddress!)
                                    j += workers
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Refuses a top-k cutoff larger than the catalogue, where precision@k and the other top-k
    /// figures would be measured against more items than there are.
    ///
    /// - Throws: `HogwildError` naming `--k` and the item count.
    public static func checkCutoff(_ k: Int, itemCount: Int) throws {
        guard k <= itemCount else {
            throw HogwildError("--k \(k) is more than the \(itemCount) items: give --k between 1 and \(itemCount)")
        }
    }

    /// Ranking figures for one user given every item's score.
    ///
    /// - Parameters:
    ///   - scores: one score per item.
    ///   - excluded: items removed from the candidates (the user's training positives), sorted
    ///     and distinct.
    ///   - positives: the test positives, sorted and distinct; those also in `excluded` are
    ///     ignored.
    ///   - k: the top-k cutoff.
    /// - Returns: `nil` when there is no positive or no negative candidate.
    public static func rankMetrics(scores: [Float], excluded: [Int32], positives: [Int32], k: Int) -> UserRankMetrics? {
        let scratch = RankScratch(itemCount: scores.count, maxPositives: positives.count, k: k)
        var copy = scores
        return copy.withUnsafeMutableBufferPointer { s in
            excluded.withUnsafeBufferPointer { e in
                positives.withUnsafeBufferPointer { p in scratch.rank(scores: s.baseAddress!, excluded: e, positives: p) }
            }
        }
    }
}

/// The item table packed into `ScoreBlock` panels, scaled by 1/|item| for cosine models (u·i/|i|
/// orders items like cos(u,i) for a fixed user). The panel count is even and the padding items
/// are zero, so the 4 × 32 kernel never needs a tail.
final class ItemPanels: @unchecked Sendable {
    let paddedItemCount: Int
    let storage: AlignedBuffer<Float>

    init(model: EmbeddingModel, threads: Int) {
        let width = ScoreBlock.panelWidth
        let dimension = model.configuration.dimension, itemCount = model.items.count
        paddedItemCount = max(2 * width, (itemCount + 2 * width - 1) / (2 * width) * (2 * width))
        storage = AlignedBuffer(count: paddedItemCount * dimension)
        let cosine = model.configuration.similarity == .cosine
        let panelCount = paddedItemCount / width
        let workers = max(1, min(threads, panelCount))
        DispatchQueue.concurrentPerform(iterations: workers) { [storage] worker in
            model.itemTable.withUnsafeHandle { items in
                storage.withUnsafeMutableBufferPointer { packed in
                    var panel = worker
                    while panel < panelCount {
                        for j in 0..<width where panel * width + j < itemCount {
                            let row = items.row(panel * width + j)
                            let scale = cosine ? Vector.inverseNorm(Vector.squaredNorm(row, count: items.stride)) : 1
                            for d in 0..<dimension { packed[(panel * dimension + d) * width + j] = row[d] * scale }
                        }
                        panel += workers
                    }
                }
            }
        }
    }
}

/// Per-worker buffers for ranking one user at a time, allocated once per evaluation. Owned by
/// one worker; the pointers never leave it.
final class RankScratch {
    let itemCount: Int
    let k: Int
    /// The worker that owns this scratch.
    let worker: Int
    /// The last ranked user's top k, best first.
    private(set) var topItems: [Int32] = []
    /// 2 marks the current user's admitted test positives; all 0 between users.
    private let flags: UnsafeMutablePointer<UInt8>
    private let positiveScores: UnsafeMutablePointer<Float>
    private let positiveItems: UnsafeMutablePointer<Int32>
    private let heapScores: UnsafeMutablePointer<Float>
    private let heapItems: UnsafeMutablePointer<Int32>

    init(itemCount: Int, maxPositives: Int, k: Int, worker: Int = 0) {
        self.itemCount = itemCount
        self.k = k
        self.worker = worker
        // The top k never holds more than the catalogue: a huge k costs no more than k = items.
        let kept = max(min(k, itemCount), 1)
        topItems.reserveCapacity(kept)
        flags = .allocate(capacity: max(itemCount, 1))
        flags.initialize(repeating: 0, count: max(itemCount, 1))
        positiveScores = .allocate(capacity: max(maxPositives, 1))
        positiveItems = .allocate(capacity: max(maxPositives, 1))
        heapScores = .allocate(capacity: kept)
        heapItems = .allocate(capacity: kept)
    }

    deinit {
        flags.deallocate(); positiveScores.deallocate(); positiveItems.deallocate()
        heapScores.deallocate(); heapItems.deallocate()
    }

    /// Ranks one user's `scores` (which it overwrites). Returns `nil` when there is no positive
    /// or no negative candidate.
    func rank(scores: UnsafeMutablePointer<Float>, excluded: UnsafeBufferPointer<Int32>,
              positives: UnsafeBufferPointer<Int32>) -> UserRankMetrics? {
        var np = 0
        for item in positives where !Self.contains(excluded, item) {
            positiveItems[np] = item
            positiveScores[np] = scores[Int(item)]
            np += 1
        }
        let negativeCount = itemCount - excluded.count - np
        guard np > 0, negativeCount > 0 else { return nil }
        // Mask everything but the negatives as NaN, which compares as neither below nor equal.
        for item in excluded { scores[Int(item)] = .nan }
        for j in 0..<np { scores[Int(positiveItems[j])] = .nan }
        var wins = 0.0
        for j in 0..<np {
            let (below, equal) = ScoreBlock.countBelowAndEqual(scores, count: itemCount, threshold: positiveScores[j])
            wins += Double(below) + 0.5 * Double(equal)
        }
        let auc = wins / (Double(np) * Double(negativeCount))
        // Top k over the candidates: positives back, excluded items at −∞.
        for j in 0..<np {
            scores[Int(positiveItems[j])] = positiveScores[j]
            flags[Int(positiveItems[j])] = 2
        }
        for item in excluded { scores[Int(item)] = -.infinity }
        fillTop(scores)
        // Position metrics over the top k, best first (binary relevance).
        var hits = 0, precisionSum = 0.0, dcg = 0.0
        for (position, item) in topItems.enumerated() where flags[Int(item)] == 2 {
            hits += 1
            precisionSum += Double(hits) / Double(position + 1)
            dcg += 1 / (Double(position) + 2).log2
        }
        var idcg = 0.0
        for position in 0..<min(np, k) { idcg += 1 / (Double(position) + 2).log2 }
        for j in 0..<np { flags[Int(positiveItems[j])] = 0 }
        return UserRankMetrics(auc: auc, hits: hits, positives: np,
                               averagePrecision: precisionSum / Double(min(np, k)), ndcg: dcg / idcg)
    }

    @inline(__always)
    private static func contains(_ sorted: UnsafeBufferPointer<Int32>, _ item: Int32) -> Bool {
        var lo = 0, hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if sorted[mid] < item { lo = mid + 1 } else { hi = mid }
        }
        return lo < sorted.count && sorted[lo] == item
    }

    /// The k best items into `topItems`, best first: a size-k min-heap keyed by (score, −index),
    /// fed by a scan that skips any 16 items none of which beats the heap's minimum.
    private func fillTop(_ scores: UnsafeMutablePointer<Float>) {
        let hs = heapScores, hi = heapItems, k = min(self.k, itemCount)
        topItems.removeAll(keepingCapacity: true)
        guard k > 0 else { return }
        // `a` ranks below `b`: lower score, or equal score and higher index.
        @inline(__always) func worse(_ a: Int, _ b: Int) -> Bool {
            hs[a] < hs[b] || (hs[a] == hs[b] && hi[a] > hi[b])
        }
        func siftDown(_ start: Int) {
            var parent = start
            while true {
                let left = 2 * parent + 1
                if left >= k { return }
                var child = left
                if left + 1 < k && worse(left + 1, left) { child = left + 1 }
                if !worse(child, parent) { return }
                swap(&hs[child], &hs[parent]); swap(&hi[child], &hi[parent])
                parent = child
            }
        }
        for i in 0..<k { hs[i] = scores[i]; hi[i] = Int32(i) }
        for p in stride(from: k / 2 - 1, through: 0, by: -1) { siftDown(p) }
        var i = k
        while i < itemCount {
            let block = ScoreBlock.firstBlockAbove(scores, from: i, count: itemCount, threshold: hs[0])
            let end = min(block + ScoreBlock.panelWidth, itemCount)
            var j = block
            while j < end {
                if scores[j] > hs[0] {  // on a tie the lower index, already held, stays
                    hs[0] = scores[j]; hi[0] = Int32(j)
                    siftDown(0)
                }
                j += 1
            }
            i = end
        }
        for j in 0..<k where hs[j] > -.infinity { topItems.append(hi[j]) }  // excluded items are no candidates
        topItems.sort { a, b in
            let sa = scores[Int(a)], sb = scores[Int(b)]
            return sa != sb ? sa > sb : a < b
        }
    }
}


private extension Double {
    var log2: Double { Glibc.log2(self) }
}
