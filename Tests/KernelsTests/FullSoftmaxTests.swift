import Foundation
import HogwildTestSupport
import Kernels
import Testing

/// The full-softmax objective of a block in `Double`, written from its definition, with
/// `ℓ_b(i) = −log(e^(s_bi/τ) / Σⱼ e^(s_bj/τ))` and `s` the cosines:
/// `Σ_b w_b·(Σ_{p∈P(b)} ℓ_b(p) + α·Σ_{v∈W(b)} ℓ_b(v)) + λ/2·(Σ_b |u_b|² + Σᵢ |rᵢ|²)`.
private func fullSoftmaxLoss(users: [[Double]], items: [[Double]], positives: [[Int]], seen: [[Int]], seenWeight: Double,
                             weights: [Double], temperature: Double, l2: Double) -> Double {
    var total = 0.0
    for (b, u) in users.enumerated() {
        let z = items.map { Reference.cosine(u, $0) / temperature }
        let m = z.max()!
        let logSum = log(z.reduce(0) { $0 + exp($1 - m) }) + m
        let liked = positives[b].reduce(0) { $0 + logSum - z[$1] }
        let watched = seen[b].reduce(0) { $0 + logSum - z[$1] }
        total += weights[b] * (liked + seenWeight * watched)
    }
    let rows = users + items
    return total + l2 / 2 * rows.reduce(0) { $0 + Reference.dot($1, $1) }
}

/// One block: random rows, distinct random positives and seen items per user, random weights.
private struct Block {
    var users: [[Float]], items: [[Float]], positives: [[Int]], seen: [[Int]], weights: [Float]

    init(users userCount: Int, items itemCount: Int, dimension: Int, seed: UInt64) {
        var rng = TestRandom(seed)
        users = (0..<userCount).map { _ in rng.vector(dimension) }
        items = (0..<itemCount).map { _ in rng.vector(dimension) }
        positives = (0..<userCount).map { _ in
            let count = 1 + rng.below(4)
            var chosen: [Int] = []
            while chosen.count < count {
                let item = rng.below(itemCount)
                if !chosen.contains(item) { chosen.append(item) }
            }
            return chosen
        }
        seen = positives.map { liked in
            (0..<itemCount).filter { !liked.contains($0) && rng.below(3) == 0 }
        }
        weights = (0..<userCount).map { _ in Float(0.5 + rng.unit()) }
    }

    /// Runs `FullSoftmaxStep.step` on padded copies; returns its outcome and the rows after it.
    func step(temperature: Float, lr: Float, l2: Float, seenWeight: Float = 0) -> (outcome: (loss: Double, positives: Int, violations: Int), users: [[Float]], items: [[Float]]) {
        let dimension = users[0].count
        let stride = (dimension + 15) / 16 * 16
        var userRows = users.map { $0 + [Float](repeating: 0, count: stride - dimension) }
        var itemTable = items.flatMap { $0 + [Float](repeating: 0, count: stride - dimension) }
        var workspace = [Float](repeating: .nan, count: FullSoftmaxStep.workspaceCount(itemCount: items.count, stride: stride))
        let positiveCounts = positives.map(\.count), seenCounts = seen.map(\.count)
        let outcome = withRows(&userRows) { rows in
            withLists(positives.map { $0.map(Int32.init) }) { positiveLists in
                withLists(seen.map { $0.map(Int32.init) }) { seenLists in
                    itemTable.withUnsafeMutableBufferPointer { table in
                        workspace.withUnsafeMutableBufferPointer { workspace in
                            FullSoftmaxStep.step(users: rows, userCount: users.count, positives: positiveLists, positiveCounts: positiveCounts,
                                                 seen: seenWeight > 0 ? seenLists : nil, seenCounts: seenCounts, seenWeight: seenWeight,
                                                 weights: weights, items: table.baseAddress!, itemCount: items.count, stride: stride,
                                                 temperature: temperature, learningRate: lr, l2: l2, workspace: workspace.baseAddress!)
                        }
                    }
                }
            }
        }
        let newItems = items.indices.map { Array(itemTable[($0 * stride)..<($0 * stride + stride)]) }
        return (outcome, userRows, newItems)
    }
}

/// Calls `body` with pointers to the rows of `rows` (valid only inside it).
private func withRows<R>(_ rows: inout [[Float]], _ body: (UnsafePointer<UnsafeMutablePointer<Float>>) -> R) -> R {
    let pointers = rows.map { row -> UnsafeMutablePointer<Float> in
        let p = UnsafeMutablePointer<Float>.allocate(capacity: row.count)
        p.initialize(from: row, count: row.count)
        return p
    }
    defer { pointers.forEach { $0.deallocate() } }
    let result = pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    for r in rows.indices { rows[r] = Array(UnsafeBufferPointer(start: pointers[r], count: rows[r].count)) }
    return result
}

/// Calls `body` with pointers to the lists (valid only inside it).
private func withLists<R>(_ lists: [[Int32]], _ body: (UnsafePointer<UnsafePointer<Int32>>) -> R) -> R {
    let pointers = lists.map { list -> UnsafeMutablePointer<Int32> in
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: max(list.count, 1))
        p.initialize(from: list, count: list.count)
        return p
    }
    defer { pointers.forEach { $0.deallocate() } }
    return pointers.map { UnsafePointer($0) }.withUnsafeBufferPointer { body($0.baseAddress!) }
}

@Suite struct FullSoftmaxTests {
    @Test func vectorExpMatchesTheLibraryToAFewUlp() {
        var worst = 0.0
        for k in 0...20_000 {
            let x = -87.0 + 175.0 * Double(k) / 20_000
            let lane = Vector.exp(KernelLane(repeating: Float(x)))
            let exact = exp(Double(Float(x)))
            worst = max(worst, abs(Double(lane[0]) - exact) / exact)
        }
        #expect(worst < 5e-7, "worst relative error \(worst)")
        // Lanes are independent, and the clamp keeps extremes finite and positive.
        let mixed = Vector.exp(KernelLane(0, 1, -1, 0.5, -0.5, 10, -10, 2, -2, 3, -3, 20, -20, 0.1, -0.1, 88))
        for i in 0..<16 {
            let x = [0, 1, -1, 0.5, -0.5, 10, -10, 2, -2, 3, -3, 20, -20, 0.1, -0.1, 88][i]
            #expect(abs(Double(mixed[i]) - exp(x)) <= 5e-7 * exp(x), "lane \(i): exp(\(x))")
        }
        let low = Vector.exp(KernelLane(repeating: -500)), high = Vector.exp(KernelLane(repeating: 500))
        #expect(low[0] > 0 && low[0].isNormal && low[0] < 1e-37)
        #expect(high[0].isFinite && high[0] > 1e38)
    }

    /// One step is one gradient step on the objective: every row moves by −lr times the
    /// finite-difference gradient of the `Double` reference, for blocks filling one lane, part of
    /// one, and spilling into the second.
    @Test(arguments: [(3, 9, 5, 0), (16, 11, 16, 0), (21, 7, 20, 0.3), (32, 12, 3, 0), (32, 12, 3, 0.1)])
    func oneStepIsOneGradientStepOnTheReference(userCount: Int, itemCount: Int, dimension: Int, seenWeight: Float) {
        let block = Block(users: userCount, items: itemCount, dimension: dimension, seed: UInt64(userCount * 100 + itemCount))
        let temperature: Float = 0.3, lr: Float = 0.01, l2: Float = 0.05
        let du = block.users.map { $0.map(Double.init) }, di = block.items.map { $0.map(Double.init) }
        let weights = block.weights.map(Double.init)
        func loss(_ rows: [[Double]]) -> Double {
            fullSoftmaxLoss(users: Array(rows[0..<userCount]), items: Array(rows[userCount...]), positives: block.positives,
                            seen: block.seen, seenWeight: Double(seenWeight), weights: weights, temperature: Double(temperature), l2: Double(l2))
        }
        let rows = du + di, h = 1e-6
        let gradient = rows.indices.map { r in
            rows[r].indices.map { d in
                var plus = rows, minus = rows
                plus[r][d] += h; minus[r][d] -= h
                return (loss(plus) - loss(minus)) / (2 * h)
            }
        }
        let (outcome, users, items) = block.step(temperature: temperature, lr: lr, l2: l2, seenWeight: seenWeight)
        let after = users.map { Array($0[0..<dimension]) } + items.map { Array($0[0..<dimension]) }
        var worst = 0.0
        for r in rows.indices {
            for d in 0..<dimension {
                let expected = rows[r][d] - Double(lr) * gradient[r][d]
                worst = max(worst, abs(Double(after[r][d]) - expected))
            }
        }
        #expect(worst < 2e-5, "worst deviation \(worst)")
        // Padding stays zero.
        #expect(users.allSatisfy { $0[dimension...].allSatisfy { $0 == 0 } } && items.allSatisfy { $0[dimension...].allSatisfy { $0 == 0 } })

        // The loss (unweighted, no L2) and the violations, from the definitions.
        let unweighted = fullSoftmaxLoss(users: du, items: di, positives: block.positives, seen: block.seen, seenWeight: Double(seenWeight),
                                         weights: Array(repeating: 1, count: userCount), temperature: Double(temperature), l2: 0)
        #expect(abs(outcome.loss - unweighted) < 1e-4 * max(1, unweighted), "loss \(outcome.loss) vs \(unweighted)")
        #expect(outcome.positives == block.positives.reduce(0) { $0 + $1.count })
        var violations = 0
        for (b, u) in du.enumerated() {
            let s = di.map { Reference.cosine(u, $0) }
            let best = s.indices.filter { !block.positives[b].contains($0) }.map { s[$0] }.max() ?? -.infinity
            violations += block.positives[b].filter { s[$0] <= best }.count
        }
        #expect(outcome.violations == violations)
    }

    @Test func aStepLowersTheLossAndRaisesThePositives() {
        let block = Block(users: 20, items: 40, dimension: 16, seed: 7)
        var current = block
        var losses: [Double] = []
        for _ in 0..<30 {
            let (outcome, users, items) = current.step(temperature: 0.25, lr: 0.05, l2: 0)
            losses.append(outcome.loss)
            current.users = users.map { Array($0[0..<16]) }
            current.items = items.map { Array($0[0..<16]) }
        }
        #expect(losses.last! < 0.5 * losses.first!, "\(losses.first!) → \(losses.last!)")
    }
}
