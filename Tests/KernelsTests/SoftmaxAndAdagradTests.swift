import Foundation
import HogwildTestSupport
import Kernels
import Testing

/// The sampled-softmax objective in `Double`, written from its definition:
/// `−log(e^(s₀/τ) / Σⱼ e^(sⱼ/τ)) + λ/2·(|u|² + Σⱼ|rⱼ|²)`.
private func softmaxLoss(u: [Double], items: [[Double]], cosine: Bool, temperature: Double, l2: Double) -> Double {
    let s = items.map { cosine ? Reference.cosine(u, $0) : Reference.dot(u, $0) }
    let z = s.map { $0 / temperature }
    let m = z.max()!
    let logSum = log(z.reduce(0) { $0 + exp($1 - m) }) + m
    let reg = l2 / 2 * (Reference.dot(u, u) + items.reduce(0) { $0 + Reference.dot($1, $1) })
    return logSum - z[0] + reg
}

/// Central finite differences of `softmaxLoss` with respect to u and every item row.
private func softmaxGradient(u: [Double], items: [[Double]], cosine: Bool, temperature: Double, l2: Double) -> [[Double]] {
    let h = 1e-6
    let rows = [u] + items
    return rows.indices.map { which in
        rows[which].indices.map { i in
            var plus = rows, minus = rows
            plus[which][i] += h
            minus[which][i] -= h
            let fp = softmaxLoss(u: plus[0], items: Array(plus.dropFirst()), cosine: cosine, temperature: temperature, l2: l2)
            let fm = softmaxLoss(u: minus[0], items: Array(minus.dropFirst()), cosine: cosine, temperature: temperature, l2: l2)
            return (fp - fm) / (2 * h)
        }
    }
}

/// Runs `sampledSoftmax` on copies of the rows (misaligned by one float when `offset` is 1).
/// Returns the outcome, the rows after the step (user first) and, with Adagrad, the
/// accumulators after it (user first, all starting at 1).
private func runSoftmax(u: [Float], items: [[Float]], cosine: Bool, temperature: Float, lr: Float, l2: Float,
                        adagrad: Bool, offset: Int = 0) -> (loss: Float, violated: Bool, rows: [[Float]], accumulators: [Float]) {
    let dim = u.count, k = items.count
    let stride = dim + offset
    let storage = UnsafeMutablePointer<Float>.allocate(capacity: (k + 1) * stride + dim + 3 * k + 1)
    defer { storage.deallocate() }
    let rowAt = { (r: Int) in storage + offset + r * stride }
    for (r, values) in ([u] + items).enumerated() { for (i, v) in values.enumerated() { rowAt(r)[i] = v } }
    let scratch = storage + (k + 1) * stride + 1
    let pointers = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: 2 * k)
    defer { pointers.deallocate() }
    let accumulators = UnsafeMutablePointer<Float>.allocate(capacity: k + 1)
    defer { accumulators.deallocate() }
    accumulators.initialize(repeating: 1, count: k + 1)
    for j in 0..<k {
        pointers[j] = rowAt(j + 1)
        pointers[k + j] = accumulators + 1 + j
    }
    let slots = adagrad ? SoftmaxAdagradSlots(user: accumulators, items: pointers + k) : nil
    let outcome = TripletStep.sampledSoftmax(user: rowAt(0), items: pointers, itemCount: k, count: dim, cosine: cosine,
                                             temperature: temperature, learningRate: lr, l2: l2, scratch: scratch, adagrad: slots)
    let rows = (0...k).map { r in (0..<dim).map { rowAt(r)[$0] } }
    return (outcome.loss, outcome.violated, rows, (0...k).map { accumulators[$0] })
}

@Suite("Sampled softmax and Adagrad steps against a Double reference with finite differences")
struct SoftmaxAndAdagradTests {
    @Test(arguments: [true, false], testDimensions)
    func softmaxStepFollowsTheFiniteDifferenceGradient(cosine: Bool, dimension: Int) {
        var rng = TestRandom(4000 + UInt64(dimension) + (cosine ? 1 : 0))
        let scale: Float = cosine ? 1 : 0.4
        let u = rng.vector(dimension, scale: scale)
        let items = (0..<5).map { _ in rng.vector(dimension, scale: scale) }
        let temperature: Float = cosine ? 0.3 : 1, lr: Float = 0.01, l2: Float = 0.05
        let run = runSoftmax(u: u, items: items, cosine: cosine, temperature: temperature, lr: lr, l2: l2,
                             adagrad: false, offset: dimension % 2)
        let rows = [u] + items
        let reg = Double(l2) / 2 * rows.reduce(0) { $0 + Reference.dot($1.doubles, $1.doubles) }
        let expected = softmaxLoss(u: u.doubles, items: items.map(\.doubles), cosine: cosine,
                                   temperature: Double(temperature), l2: Double(l2)) - reg
        #expect(abs(Double(run.loss) - expected) <= 1e-4 * max(1, abs(expected)), "loss \(run.loss) vs \(expected)")
        let gradient = softmaxGradient(u: u.doubles, items: items.map(\.doubles), cosine: cosine,
                                       temperature: Double(temperature), l2: Double(l2))
        for r in rows.indices {
            for i in 0..<dimension {
                let implied = (Double(rows[r][i]) - Double(run.rows[r][i])) / Double(lr)
                #expect(abs(implied - gradient[r][i]) <= 3e-3 * max(1, abs(gradient[r][i])),
                        "\(cosine ? "cosine" : "dot") dim \(dimension) row \(r)[\(i)]: step \(implied) vs finite difference \(gradient[r][i])")
            }
        }
        let violated = items.dropFirst().contains { item in
            cosine ? Reference.cosine(u.doubles, item.doubles) >= Reference.cosine(u.doubles, items[0].doubles)
                   : Reference.dot(u.doubles, item.doubles) >= Reference.dot(u.doubles, items[0].doubles)
        }
        #expect(run.violated == violated)
    }

    @Test(arguments: [true, false])
    func softmaxAdagradScalesEachRowByItsAccumulator(cosine: Bool) {
        let dimension = 17
        var rng = TestRandom(5000 + (cosine ? 1 : 0))
        let scale: Float = cosine ? 1 : 0.4
        let u = rng.vector(dimension, scale: scale)
        let items = (0..<4).map { _ in rng.vector(dimension, scale: scale) }
        let lr: Float = 0.01
        let run = runSoftmax(u: u, items: items, cosine: cosine, temperature: 0.5, lr: lr, l2: 0, adagrad: true)
        let gradient = softmaxGradient(u: u.doubles, items: items.map(\.doubles), cosine: cosine, temperature: 0.5, l2: 0)
        let rows = [u] + items
        for r in rows.indices {
            // G = 1 + |∂row|²/dim, and the row moved by lr/√G · ∂row.
            let g2 = Reference.dot(gradient[r], gradient[r])
            let expectedG = 1 + g2 / Double(dimension)
            #expect(abs(Double(run.accumulators[r]) - expectedG) <= 1e-3 * expectedG, "row \(r): G \(run.accumulators[r]) vs \(expectedG)")
            let rate = Double(lr) / expectedG.squareRoot()
            for i in 0..<dimension {
                let implied = (Double(rows[r][i]) - Double(run.rows[r][i])) / rate
                #expect(abs(implied - gradient[r][i]) <= 3e-3 * max(1, abs(gradient[r][i])), "row \(r)[\(i)]")
            }
        }
    }

    @Test(arguments: [Reference.Objective.cosineMargin, .dotMargin, .dotBPR], [7, 64])
    func tripletAdagradScalesEachRowByItsAccumulator(objective: Reference.Objective, dimension: Int) {
        var rng = TestRandom(6000 + UInt64(dimension))
        let scale: Float = objective == .cosineMargin ? 1 : 0.5
        let u = rng.vector(dimension, scale: scale), p = rng.vector(dimension, scale: scale), n = rng.vector(dimension, scale: scale)
        let margin: Float = objective == .cosineMargin ? 2.5 : 10, lr: Float = 0.01
        var accumulators: [Float] = [1, 1, 1]
        var nu: [Float] = [], np: [Float] = [], nn: [Float] = []
        accumulators.withUnsafeMutableBufferPointer { g in
            let slots = AdagradSlots(user: g.baseAddress!, positive: g.baseAddress! + 1, negative: g.baseAddress! + 2)
            (_, nu) = withRow(u) { pu in
                (_, np) = withRow(p) { pp in
                    (_, nn) = withRow(n) { pn in
                        switch objective {
                        case .cosineMargin:
                            _ = TripletStep.cosineMargin(user: pu, positive: pp, negative: pn, count: dimension, margin: margin,
                                                         learningRate: lr, l2: 0, adagrad: slots) { true }
                        case .dotMargin:
                            _ = TripletStep.dotMargin(user: pu, positive: pp, negative: pn, count: dimension, margin: margin,
                                                      learningRate: lr, l2: 0, adagrad: slots) { true }
                        case .dotBPR:
                            _ = TripletStep.dotBPR(user: pu, positive: pp, negative: pn, count: dimension,
                                                   learningRate: lr, l2: 0, adagrad: slots) { true }
                        }
                    }
                }
            }
        }
        let g = Reference.gradient(objective, u: u.doubles, p: p.doubles, n: n.doubles, margin: Double(margin), l2: 0)
        for (index, (old, new, grad)) in [(u, nu, g.u), (p, np, g.p), (n, nn, g.n)].enumerated() {
            let expectedG = 1 + Reference.dot(grad, grad) / Double(dimension)
            #expect(abs(Double(accumulators[index]) - expectedG) <= 1e-3 * expectedG,
                    "\(objective) row \(index): G \(accumulators[index]) vs \(expectedG)")
            let rate = Double(lr) / expectedG.squareRoot()
            for i in 0..<dimension {
                let implied = (Double(old[i]) - Double(new[i])) / rate
                #expect(abs(implied - grad[i]) <= 2e-3 * max(1, abs(grad[i])), "\(objective) row \(index)[\(i)]")
            }
        }
    }
}
