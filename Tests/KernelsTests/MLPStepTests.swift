import HogwildTestSupport
import Foundation
import Kernels
import Testing

/// An independent scalar `Double` model of the MLP matcher, `s(u,i) = Σ_h w2[h]·relu(b1[h] +
/// Wu[h]·u + Wi[h]·i)`, with every parameter in one flat vector so that finite differences can
/// run over all of them.
struct ReferenceMLP {
    let dimension: Int, hidden: Int
    /// Wu (hidden × dimension), Wi (hidden × dimension), b1, w2, u, p, n.
    var theta: [Double]

    var offsets: (wu: Int, wi: Int, b1: Int, w2: Int, u: Int, p: Int, n: Int) {
        let w = hidden * dimension
        return (0, w, 2 * w, 2 * w + hidden, 2 * w + 2 * hidden, 2 * w + 2 * hidden + dimension, 2 * w + 2 * hidden + 2 * dimension)
    }

    /// Pre-activations of hidden unit `h` for item row starting at `itemOffset`.
    func preactivation(_ t: [Double], _ h: Int, item itemOffset: Int) -> Double {
        let o = offsets
        var z = t[o.b1 + h]
        for k in 0..<dimension {
            z += t[o.wu + h * dimension + k] * t[o.u + k] + t[o.wi + h * dimension + k] * t[itemOffset + k]
        }
        return z
    }

    func score(_ t: [Double], item itemOffset: Int) -> Double {
        (0..<hidden).reduce(0.0) { $0 + t[offsets.w2 + $1] * max(0, preactivation(t, $1, item: itemOffset)) }
    }

    func loss(_ t: [Double], margin: Double, bpr: Bool, l2: Double) -> Double {
        let o = offsets
        let x = score(t, item: o.p) - score(t, item: o.n)
        let rows = t[o.u..<(o.n + dimension)]
        let reg = l2 / 2 * rows.reduce(0) { $0 + $1 * $1 }
        return (bpr ? log1p(exp(-x)) : max(0, margin - x)) + reg
    }

    /// Central differences of `loss` over every parameter.
    func gradient(margin: Double, bpr: Bool, l2: Double) -> [Double] {
        let h = 1e-6
        return theta.indices.map { i in
            var plus = theta, minus = theta
            plus[i] += h
            minus[i] -= h
            return (loss(plus, margin: margin, bpr: bpr, l2: l2) - loss(minus, margin: margin, bpr: bpr, l2: l2)) / (2 * h)
        }
    }

    /// The smallest |pre-activation| over both items: kinks of relu near 0 spoil finite differences.
    var smallestPreactivation: Double {
        (0..<hidden).flatMap { [abs(preactivation(theta, $0, item: offsets.p)), abs(preactivation(theta, $0, item: offsets.n))] }.min()!
    }
}

/// The kernel's buffers for a `ReferenceMLP`'s parameters, laid out as `DeepMatcher` stores
/// them, and the step run on them.
struct KernelMLP {
    let dimension: Int, hidden: Int, stride: Int, hiddenStride: Int
    /// [Wuᵀ | Wiᵀ (dimension rows of hiddenStride) | b1 | w2 | u | p | n (stride each) | scratch],
    /// zero past `hidden` and past `dimension`.
    var buffer: [Float]

    init(_ reference: ReferenceMLP) {
        dimension = reference.dimension
        hidden = reference.hidden
        stride = (dimension + 15) / 16 * 16
        hiddenStride = (hidden + 31) / 32 * 32
        buffer = [Float](repeating: 0, count: (2 * dimension + 2) * hiddenStride + 3 * stride
                         + MLPScratch.count(hiddenStride: hiddenStride, rowStride: stride))
        let o = reference.offsets
        for h in 0..<hidden {
            for k in 0..<dimension {
                buffer[k * hiddenStride + h] = Float(reference.theta[o.wu + h * dimension + k])
                buffer[(dimension + k) * hiddenStride + h] = Float(reference.theta[o.wi + h * dimension + k])
            }
            buffer[2 * dimension * hiddenStride + h] = Float(reference.theta[o.b1 + h])
            buffer[(2 * dimension + 1) * hiddenStride + h] = Float(reference.theta[o.w2 + h])
        }
        for (row, offset) in [o.u, o.p, o.n].enumerated() {
            for k in 0..<dimension { buffer[rowStart(row) + k] = Float(reference.theta[offset + k]) }
        }
    }

    /// Where embedding row 0 (u), 1 (p) or 2 (n) starts; row 3 is the scratch.
    func rowStart(_ row: Int) -> Int { (2 * dimension + 2) * hiddenStride + row * stride }

    /// The parameters in `ReferenceMLP.theta` order.
    var theta: [Float] {
        var t: [Float] = []
        for part in 0..<2 { for h in 0..<hidden { for k in 0..<dimension { t.append(buffer[(part * dimension + k) * hiddenStride + h]) } } }
        for vector in 0..<2 { for h in 0..<hidden { t.append(buffer[(2 * dimension + vector) * hiddenStride + h]) } }
        for row in 0..<3 { for k in 0..<dimension { t.append(buffer[rowStart(row) + k]) } }
        return t
    }

    /// Every float that must stay zero: weights of padding units, embedding row padding.
    var padding: [Float] {
        var pad: [Float] = []
        for r in 0..<(2 * dimension + 2) { pad += buffer[(r * hiddenStride + hidden)..<((r + 1) * hiddenStride)] }
        for row in 0..<3 { pad += buffer[(rowStart(row) + dimension)..<(rowStart(row) + stride)] }
        return pad
    }

    mutating func step(margin: Float, bpr: Bool, lr: Float, l2: Float, admit: Bool = true) -> Float? {
        let (dimension, hiddenStride, stride) = (self.dimension, self.hiddenStride, self.stride)
        let rows = rowStart(0)
        return buffer.withUnsafeMutableBufferPointer { b in
            let base = b.baseAddress!
            let w = MLPWeights(userWeights: base, itemWeights: base + dimension * hiddenStride,
                               hiddenBias: base + 2 * dimension * hiddenStride, outputWeights: base + (2 * dimension + 1) * hiddenStride,
                               dimension: dimension, hiddenStride: hiddenStride, rowStride: stride)
            let s = MLPScratch(base: base + rows + 3 * stride, hiddenStride: hiddenStride, rowStride: stride)
            return MLPStep.triplet(w, scratch: s, user: base + rows, positive: base + rows + stride, negative: base + rows + 2 * stride,
                                   margin: margin, bpr: bpr, learningRate: lr, l2: l2, admit: { admit })
        }
    }
}

@Suite("MLP matcher step: loss and finite-difference gradients of every parameter")
struct MLPStepTests {
    /// (dimension, hidden): odd dimensions exercise the row padding, hidden sizes the unit loops.
    static let shapes = [(1, 1), (7, 5), (17, 17), (64, 9), (16, 33)]

    /// A random reference model whose pre-activations are all clear of relu's kink.
    static func randomModel(dimension: Int, hidden: Int, seed: UInt64) -> ReferenceMLP {
        var rng = TestRandom(seed)
        while true {
            let w = hidden * dimension
            let theta = rng.vector(2 * w, scale: 0.5).map(Double.init) + rng.vector(hidden, scale: 0.3).map(Double.init)
                + rng.vector(hidden, scale: 1).map(Double.init) + rng.vector(3 * dimension, scale: 1).map(Double.init)
            let model = ReferenceMLP(dimension: dimension, hidden: hidden, theta: theta)
            if model.smallestPreactivation > 1e-3 { return model }
        }
    }

    @Test(arguments: [false, true], shapes)
    func gradientOfEveryParameterMatchesFiniteDifferences(bpr: Bool, shape: (Int, Int)) {
        let (dimension, hidden) = shape
        let reference = Self.randomModel(dimension: dimension, hidden: hidden, seed: 77 + UInt64(dimension * 100 + hidden))
        // A margin of 100 keeps the hinge violated, so every parameter has a gradient.
        let margin: Float = 100, lr: Float = 0.01, l2: Float = 0.1
        var kernel = KernelMLP(reference)
        let before = kernel.theta
        let loss = kernel.step(margin: margin, bpr: bpr, lr: lr, l2: l2)
        let expectedLoss = reference.loss(reference.theta, margin: Double(margin), bpr: bpr, l2: 0)
        #expect(abs(Double(loss ?? .nan) - expectedLoss) <= 1e-4 * max(1, abs(expectedLoss)), "loss \(String(describing: loss)) vs \(expectedLoss)")
        let gradient = reference.gradient(margin: Double(margin), bpr: bpr, l2: Double(l2))
        // The reference's L2 term covers the three embedding rows only, as the kernel's does.
        let after = kernel.theta
        var worst = 0.0, worstIndex = 0
        for i in gradient.indices {
            let implied = (Double(before[i]) - Double(after[i])) / Double(lr)
            let expected = gradient[i]
            let error = abs(implied - expected) / max(1, abs(expected))
            if error > worst { worst = error; worstIndex = i }
        }
        #expect(worst <= 2e-3, "\(bpr ? "BPR" : "hinge") dim \(dimension) hidden \(hidden): parameter \(worstIndex) step gradient \((Double(before[worstIndex]) - Double(after[worstIndex])) / Double(lr)) vs finite difference \(gradient[worstIndex])")
        #expect(kernel.padding.allSatisfy { $0 == 0 })
    }

    @Test(arguments: shapes)
    func satisfiedOrVetoedStepsWriteNothing(shape: (Int, Int)) {
        let (dimension, hidden) = shape
        let reference = Self.randomModel(dimension: dimension, hidden: hidden, seed: 5 + UInt64(dimension))
        let o = reference.offsets
        let x = reference.score(reference.theta, item: o.p) - reference.score(reference.theta, item: o.n)
        // Orient the triplet so that the positive wins, then ask for a margin it already beats.
        var kernel = KernelMLP(reference)
        if x < 0 {
            for k in 0..<dimension { kernel.buffer.swapAt(kernel.rowStart(1) + k, kernel.rowStart(2) + k) }
        }
        let before = kernel.buffer
        #expect(kernel.step(margin: Float(abs(x)) * 0.5, bpr: false, lr: 0.1, l2: 0.1) == 0)
        #expect(kernel.buffer.prefix(kernel.rowStart(3)) == before.prefix(kernel.rowStart(3)))
        // A violated step that `admit` vetoes writes nothing and returns nil.
        #expect(kernel.step(margin: 100, bpr: false, lr: 0.1, l2: 0.1, admit: false) == nil)
        #expect(kernel.step(margin: 0, bpr: true, lr: 0.1, l2: 0.1, admit: false) == nil)
        #expect(kernel.buffer.prefix(kernel.rowStart(3)) == before.prefix(kernel.rowStart(3)))
    }

    @Test(arguments: shapes)
    func projectAndScoreMatchTheReference(shape: (Int, Int)) {
        let (dimension, hidden) = shape
        let reference = Self.randomModel(dimension: dimension, hidden: hidden, seed: 9 + UInt64(hidden))
        var kernel = KernelMLP(reference)
        let hiddenStride = kernel.hiddenStride, rows = kernel.rowStart(0)
        var a = [Float](repeating: .nan, count: hiddenStride), b = [Float](repeating: .nan, count: hiddenStride)
        let score: Float = kernel.buffer.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            MLPStep.project(base, bias: base + 2 * dimension * hiddenStride, dimension: dimension, hiddenStride: hiddenStride,
                            base + rows, into: &a)
            MLPStep.project(base + dimension * hiddenStride, bias: nil, dimension: dimension, hiddenStride: hiddenStride,
                            base + rows + kernel.stride, into: &b)
            return MLPStep.score(user: a, item: b, outputWeights: base + (2 * dimension + 1) * hiddenStride, hiddenStride: hiddenStride)
        }
        let expected = reference.score(reference.theta, item: reference.offsets.p)
        #expect(abs(Double(score) - expected) <= 1e-5 * max(1, abs(expected)), "\(score) vs \(expected)")
        #expect(a[hidden...].allSatisfy { $0 == 0 } && b[hidden...].allSatisfy { $0 == 0 })
    }
}
