import HogwildTestSupport
import Foundation
import Hogwild
import Testing

/// Brute-force per-user AUC: every (positive, negative) pair, ties count ½.
func bruteForceAUC(scores: [Float], excluded: Set<Int>, positives: Set<Int>) -> Double? {
    let pos = positives.subtracting(excluded)
    let neg = Set(scores.indices).subtracting(excluded).subtracting(pos)
    guard !pos.isEmpty, !neg.isEmpty else { return nil }
    var wins = 0.0
    for p in pos {
        for n in neg {
            wins += scores[p] > scores[n] ? 1 : scores[p] == scores[n] ? 0.5 : 0
        }
    }
    return wins / Double(pos.count * neg.count)
}

/// Brute-force hits@k: sort candidates by (score desc, index asc), count positives in the first k.
func bruteForceHits(scores: [Float], excluded: Set<Int>, positives: Set<Int>, k: Int) -> Int {
    bruteForceTop(scores: scores, excluded: excluded, positives: positives, k: k).hits
}

/// Brute-force top-k figures from a full sort: hits, average precision@k, NDCG@k.
func bruteForceTop(scores: [Float], excluded: Set<Int>, positives: Set<Int>, k: Int) -> (hits: Int, ap: Double, ndcg: Double) {
    let relevant = positives.subtracting(excluded)
    let ranked = scores.indices.filter { !excluded.contains($0) }
        .sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        .prefix(k)
    var hits = 0, ap = 0.0, dcg = 0.0
    for (i, item) in ranked.enumerated() where relevant.contains(item) {
        hits += 1
        ap += Double(hits) / Double(i + 1)
        dcg += 1 / log2(Double(i + 2))
    }
    let ideal = (0..<min(relevant.count, k)).reduce(0.0) { $0 + 1 / log2(Double($1 + 2)) }
    return (hits, relevant.isEmpty ? 0 : ap / Double(min(relevant.count, k)), ideal == 0 ? 0 : dcg / ideal)
}

@Suite("AUC evaluator against brute force")
struct EvaluatorTests {
    @Test(arguments: [(50, false), (50, true), (300, true), (1, false), (2, true)])
    func rankMetricsMatchBruteForce(itemCount: Int, ties: Bool) {
        var rng = TestRandom(UInt64(itemCount) * (ties ? 7 : 3))
        for trial in 0..<40 {
            let scores: [Float] = (0..<itemCount).map { _ in ties ? Float(rng.below(4)) : Float(rng.unit()) }
            let excluded = Set((0..<rng.below(itemCount / 3 + 1)).map { _ in rng.below(itemCount) })
            let positives = Set((0..<(1 + rng.below(max(1, itemCount / 5)))).map { _ in rng.below(itemCount) })
            let k = 1 + rng.below(12)
            let got = AUCEvaluator.rankMetrics(scores: scores, excluded: excluded.map(Int32.init).sorted(),
                                               positives: positives.map(Int32.init).sorted(), k: k)
            let expected = bruteForceAUC(scores: scores, excluded: excluded, positives: positives)
            #expect((got == nil) == (expected == nil), "trial \(trial)")
            guard let got, let expected else { continue }
            #expect(abs(got.auc - expected) <= 1e-12, "trial \(trial): \(got.auc) vs \(expected)")
            let top = bruteForceTop(scores: scores, excluded: excluded, positives: positives, k: k)
            #expect(got.hits == top.hits, "trial \(trial)")
            #expect(abs(got.averagePrecision - top.ap) <= 1e-12, "trial \(trial): AP \(got.averagePrecision) vs \(top.ap)")
            #expect(abs(got.ndcg - top.ndcg) <= 1e-12, "trial \(trial): NDCG \(got.ndcg) vs \(top.ndcg)")
            #expect(got.positives == positives.subtracting(excluded).count)
        }
    }

    @Test func allTiedScoresGiveOneHalf() {
        let got = AUCEvaluator.rankMetrics(scores: [Float](repeating: 0.3, count: 20), excluded: [1, 2], positives: [5, 9], k: 10)
        #expect(got?.auc == 0.5)
    }

    @Test func perfectAndReversedRankings() {
        let scores: [Float] = (0..<10).map { Float($0) }
        #expect(AUCEvaluator.rankMetrics(scores: scores, excluded: [], positives: [8, 9], k: 2)?.auc == 1)
        #expect(AUCEvaluator.rankMetrics(scores: scores, excluded: [], positives: [8, 9], k: 2)?.hits == 2)
        #expect(AUCEvaluator.rankMetrics(scores: scores, excluded: [], positives: [0, 1], k: 2)?.auc == 0)
        // Excluding the two best items moves the positives 6 and 7 to the top.
        #expect(AUCEvaluator.rankMetrics(scores: scores, excluded: [8, 9], positives: [6, 7], k: 2)?.hits == 2)
    }

    /// The full evaluator (scoring through the tables, exclusion, averaging) against a Double
    /// re-implementation, for both similarities, and independent of the thread count.
    @Test(arguments: [Similarity.cosine, .dot])
    func evaluateMatchesIndependentComputation(similarity: Similarity) {
        var config = TrainingConfiguration(loss: .margin)
        config.dimension = 5
        config.similarity = similarity
        config.loss = similarity == .dot ? .bpr : .margin
        config.seed = 42
        let users = 30, items = 40
        let model = EmbeddingModel(configuration: config, users: idMap(users, prefix: "u"), items: idMap(items, prefix: "i"))
        var rng = TestRandom(5)
        var tu: [Int32] = [], ti: [Int32] = [], su: [Int32] = [], si: [Int32] = []
        for u in 0..<users {
            for _ in 0..<rng.below(8) { tu.append(Int32(u)); ti.append(Int32(rng.below(items))) }
            if u % 4 != 0 { for _ in 0..<(1 + rng.below(3)) { su.append(Int32(u)); si.append(Int32(rng.below(items))) } }
        }
        let train = InteractionMatrix(userCount: users, itemCount: items, users: tu, items: ti)
        let test = InteractionMatrix(userCount: users, itemCount: items, users: su, items: si)
        var aucSum = 0.0, precisionSum = 0.0, recallSum = 0.0, evaluated = 0
        for u in 0..<users {
            let uv = model.userTable.row(u).map(Double.init)
            let scores: [Float] = (0..<items).map { i in
                let iv = model.itemTable.row(i).map(Double.init)
                let d = zip(uv, iv).reduce(0) { $0 + $1.0 * $1.1 }
                return Float(similarity == .cosine ? d / iv.map { $0 * $0 }.reduce(0, +).squareRoot() : d)
            }
            let excluded = Set(train.items(of: u).map(Int.init)), positives = Set(test.items(of: u).map(Int.init))
            guard let auc = bruteForceAUC(scores: scores, excluded: excluded, positives: positives) else { continue }
            let hits = bruteForceHits(scores: scores, excluded: excluded, positives: positives, k: 5)
            aucSum += auc
            precisionSum += Double(hits) / 5
            recallSum += Double(hits) / Double(positives.subtracting(excluded).count)
            evaluated += 1
        }
        for threads in [1, 3] {
            let e = AUCEvaluator.evaluate(model: model, train: train, test: test, k: 5, threads: threads)
            #expect(e.usersEvaluated == evaluated)
            // Float scores vs Double scores can swap near-ties; a 1e-3 tolerance allows one such swap.
            #expect(abs(e.auc - aucSum / Double(evaluated)) <= 1e-3)
            #expect(abs(e.precisionAtK - precisionSum / Double(evaluated)) <= 1e-2)
            #expect(abs(e.recallAtK - recallSum / Double(evaluated)) <= 1e-2)
        }
        // Baselines through the same ranking: popularity against brute force, random near ½.
        let counts = (0..<items).map { i in Float((0..<users).filter { train.contains(user: $0, item: i) }.count) }
        var popularitySum = 0.0, popularityUsers = 0
        for u in 0..<users {
            let excluded = Set(train.items(of: u).map(Int.init)), positives = Set(test.items(of: u).map(Int.init))
            if let auc = bruteForceAUC(scores: counts, excluded: excluded, positives: positives) { popularitySum += auc; popularityUsers += 1 }
        }
        let popularity = AUCEvaluator.evaluate(.popularity, train: train, test: test, k: 5, threads: 2)
        #expect(popularity.usersEvaluated == popularityUsers)
        #expect(abs(popularity.auc - popularitySum / Double(popularityUsers)) <= 1e-12)
        let random = AUCEvaluator.evaluate(.random(seed: 3), train: train, test: test, k: 5, threads: 2)
        #expect(abs(random.auc - 0.5) < 0.15)
        #expect(random.coverage > popularity.coverage)  // popularity recommends the same few items to all

        let one = AUCEvaluator.evaluate(model: model, train: train, test: test, k: 5, threads: 1)
        let three = AUCEvaluator.evaluate(model: model, train: train, test: test, k: 5, threads: 3)
        #expect(one == Evaluation?.some(three).map { var t = $0; t.seconds = one.seconds; return t })
        #expect(one.aucDistribution.minimum <= one.aucDistribution.median && one.aucDistribution.median <= one.aucDistribution.maximum)
        #expect(one.aucDistribution.worstUsers.count == 5 && one.coverage > 0 && one.coverage <= 1)
    }
}
