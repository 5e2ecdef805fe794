import HogwildTestSupport
import Kernels
import Testing

@Suite("Fused triplet steps: loss values and finite-difference gradients")
struct TripletStepTests {
    typealias Step = (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                      Int, Float, Float, Float) -> Float

    static func kernel(_ objective: Reference.Objective) -> Step {
        switch objective {
        case .cosineMargin:
            return { TripletStep.cosineMargin(user: $0, positive: $1, negative: $2, count: $3, margin: $4, learningRate: $5, l2: $6) }
        case .dotMargin:
            return { TripletStep.dotMargin(user: $0, positive: $1, negative: $2, count: $3, margin: $4, learningRate: $5, l2: $6) }
        case .dotBPR:
            return { u, p, n, c, _, lr, l2 in TripletStep.dotBPR(user: u, positive: p, negative: n, count: c, learningRate: lr, l2: l2) }
        }
    }

    /// Runs one step on copies of the rows; returns the loss and the rows after it.
    static func step(_ objective: Reference.Objective, _ u: [Float], _ p: [Float], _ n: [Float],
                     margin: Float, lr: Float, l2: Float, offset: Int = 0) -> (Float, [Float], [Float], [Float]) {
        let run = kernel(objective)
        var newP: [Float] = [], newN: [Float] = [], loss: Float = 0
        let (_, newU) = withRow(u, offset: offset) { pu in
            (_, newP) = withRow(p, offset: offset) { pp in
                (_, newN) = withRow(n, offset: offset) { pn in
                    loss = run(pu, pp, pn, u.count, margin, lr, l2)
                }
            }
        }
        return (loss, newU, newP, newN)
    }

    static let objectives: [Reference.Objective] = [.cosineMargin, .dotMargin, .dotBPR]

    @Test(arguments: objectives, testDimensions)
    func gradientMatchesFiniteDifferences(objective: Reference.Objective, dimension: Int) {
        var rng = TestRandom(1000 + UInt64(dimension))
        // Rows scaled so dot losses stay in their smooth region; a margin of 2.5 keeps every cosine
        // triplet violated (cosines differ by at most 2), and a large dot margin likewise.
        let scale: Float = objective == .cosineMargin ? 1 : 0.5
        let u = rng.vector(dimension, scale: scale), p = rng.vector(dimension, scale: scale), n = rng.vector(dimension, scale: scale)
        let margin: Float = objective == .cosineMargin ? 2.5 : 10
        let lr: Float = 0.05, l2: Float = 0.1
        let (loss, nu, np, nn) = TripletStepTests.step(objective, u, p, n, margin: margin, lr: lr, l2: l2, offset: dimension % 2)
        let reg = Double(l2) / 2 * (Reference.dot(u.doubles, u.doubles) + Reference.dot(p.doubles, p.doubles) + Reference.dot(n.doubles, n.doubles))
        let expectedLoss = Reference.loss(objective, u: u.doubles, p: p.doubles, n: n.doubles, margin: Double(margin), l2: Double(l2)) - reg
        #expect(abs(Double(loss) - expectedLoss) <= 1e-4 * max(1, abs(expectedLoss)), "loss \(loss) vs \(expectedLoss)")
        let g = Reference.gradient(objective, u: u.doubles, p: p.doubles, n: n.doubles, margin: Double(margin), l2: Double(l2))
        for (old, new, grad, name) in [(u, nu, g.u, "u"), (p, np, g.p, "p"), (n, nn, g.n, "n")] {
            for i in 0..<dimension {
                let implied = (Double(old[i]) - Double(new[i])) / Double(lr)  // the step's gradient
                #expect(abs(implied - grad[i]) <= 2e-3 * max(1, abs(grad[i])),
                        "\(objective) dim \(dimension) ∂/∂\(name)[\(i)]: step \(implied) vs finite difference \(grad[i])")
            }
        }
    }

    @Test(arguments: [Reference.Objective.cosineMargin, .dotMargin], testDimensions)
    func satisfiedTripletReturnsZeroAndWritesNothing(objective: Reference.Objective, dimension: Int) {
        var rng = TestRandom(2000 + UInt64(dimension))
        let u = rng.vector(dimension)
        let p = u.map { $0 * 2 }, n = u.map { -$0 }  // cos(u,p) = 1, cos(u,n) = -1
        let (loss, nu, np, nn) = TripletStepTests.step(objective, u, p, n, margin: 0.5, lr: 0.1, l2: 0.1)
        #expect(loss == 0)
        #expect(nu == u && np == p && nn == n)
    }

    @Test(arguments: testDimensions)
    func zeroUserRowStaysFiniteAndZero(dimension: Int) {
        var rng = TestRandom(3000 + UInt64(dimension))
        let zero = [Float](repeating: 0, count: dimension)
        let p = rng.vector(dimension), n = rng.vector(dimension)
        let (loss, nu, np, nn) = TripletStepTests.step(.cosineMargin, zero, p, n, margin: 1, lr: 0.1, l2: 0)
        #expect(abs(loss - 1) <= 1e-6)  // both cosines are 0
        #expect(nu == zero)
        #expect(np == p && nn == n)  // the cosine gradients through a zero user vanish
        #expect((nu + np + nn).allSatisfy { $0.isFinite })
    }

    @Test func bprLossIsStableForLargeScoreGaps() {
        let dimension = 16
        let u = [Float](repeating: 1, count: dimension)
        let p = [Float](repeating: 10, count: dimension), n = [Float](repeating: -10, count: dimension)
        let (easy, _, _, _) = TripletStepTests.step(.dotBPR, u, p, n, margin: 0, lr: 0.01, l2: 0)
        #expect(easy >= 0 && easy < 1e-30)  // x = 320: no overflow, loss ≈ e^-320 → 0
        let (hard, nu, _, _) = TripletStepTests.step(.dotBPR, u, n, p, margin: 0, lr: 0.01, l2: 0)
        #expect(abs(Double(hard) - 320) <= 1e-3)  // x = −320: loss ≈ 320, not inf
        #expect(nu.allSatisfy { $0.isFinite })
    }
}
