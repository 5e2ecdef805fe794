import HogwildTestSupport
import Kernels
import Testing

/// Lengths that exercise an empty SIMD body, a pure scalar tail, exact lanes, and lanes + tail.
let testDimensions = [1, 3, 7, 8, 17, 64, 129]

@Suite("Vector kernels against a scalar Double reference")
struct VectorTests {
    @Test(arguments: testDimensions)
    func dotAndNorm(dimension: Int) {
        var rng = TestRandom(UInt64(dimension))
        for offset in [0, 1] {
            let a = rng.vector(dimension), b = rng.vector(dimension)
            let expected = Reference.dot(a.doubles, b.doubles)
            let bound = zip(a, b).reduce(0.0) { $0 + abs(Double($1.0 * $1.1)) } * 1e-6 + 1e-7
            let (got, _) = withRow(a, offset: offset) { pa in withRow(b, offset: offset) { pb in Vector.dot(pa, pb, count: dimension) }.0 }
            #expect(abs(Double(got) - expected) <= bound, "dot at dim \(dimension), offset \(offset): \(got) vs \(expected)")
            let (norm, _) = withRow(a, offset: offset) { Vector.squaredNorm($0, count: dimension) }
            #expect(abs(Double(norm) - Reference.dot(a.doubles, a.doubles)) <= bound + 1e-6 * Double(norm))
        }
    }

    @Test(arguments: testDimensions)
    func dotAndSquaredNormInOnePass(dimension: Int) {
        var rng = TestRandom(50 + UInt64(dimension))
        let a = rng.vector(dimension), b = rng.vector(dimension)
        let (got, _) = withRow(a, offset: 1) { pa in withRow(b) { pb in Vector.dotAndSquaredNorm(pa, pb, count: dimension) }.0 }
        #expect(abs(Double(got.dot) - Reference.dot(a.doubles, b.doubles)) <= 1e-5 * Double(dimension))
        #expect(abs(Double(got.squaredNorm) - Reference.dot(b.doubles, b.doubles)) <= 1e-5 * Double(dimension))
    }

    @Test(arguments: testDimensions)
    func cosine(dimension: Int) {
        var rng = TestRandom(100 + UInt64(dimension))
        let a = rng.vector(dimension), b = rng.vector(dimension)
        let (got, _) = withRow(a) { pa in withRow(b) { pb in Vector.cosine(pa, pb, count: dimension) }.0 }
        #expect(abs(Double(got) - Reference.cosine(a.doubles, b.doubles)) <= 1e-5)
        // Parallel vectors have cosine 1, opposite ones -1.
        let (same, _) = withRow(a) { pa in withRow(a.map { $0 * 3 }) { pb in Vector.cosine(pa, pb, count: dimension) }.0 }
        #expect(abs(same - 1) <= 1e-5)
        let (opposite, _) = withRow(a) { pa in withRow(a.map { -$0 }) { pb in Vector.cosine(pa, pb, count: dimension) }.0 }
        #expect(abs(opposite + 1) <= 1e-5)
    }

    @Test(arguments: testDimensions)
    func cosineOfZeroVectorIsZero(dimension: Int) {
        let zero = [Float](repeating: 0, count: dimension)
        var rng = TestRandom(7)
        let b = rng.vector(dimension)
        let (got, _) = withRow(zero) { pa in withRow(b) { pb in Vector.cosine(pa, pb, count: dimension) }.0 }
        #expect(got == 0)
        let (both, _) = withRow(zero) { pa in withRow(zero) { pb in Vector.cosine(pa, pb, count: dimension) }.0 }
        #expect(both == 0)
    }

    @Test(arguments: testDimensions)
    func axpyAndScale(dimension: Int) {
        var rng = TestRandom(200 + UInt64(dimension))
        let x = rng.vector(dimension), y = rng.vector(dimension)
        let alpha: Float = -0.37
        let (_, updated) = withRow(y, offset: 1) { py in withRow(x) { px in Vector.axpy(alpha, px, py, count: dimension) } }
        for i in 0..<dimension {
            #expect(abs(Double(updated[i]) - (Double(y[i]) + Double(alpha) * Double(x[i]))) <= 1e-6)
        }
        let (_, scaled) = withRow(x) { Vector.scale(2.5, $0, count: dimension) }
        for i in 0..<dimension { #expect(abs(Double(scaled[i]) - 2.5 * Double(x[i])) <= 1e-6) }
    }

    @Test(arguments: testDimensions)
    func fusedUpdates(dimension: Int) {
        var rng = TestRandom(300 + UInt64(dimension))
        let x = rng.vector(dimension), y = rng.vector(dimension), g = rng.vector(dimension)
        let alpha: Float = 0.93, beta: Float = -0.41, gamma: Float = 0.27
        // x ← αx + βy
        let (_, stepped) = withRow(x, offset: 1) { px in withRow(y) { py in Vector.scaleAndAdd(px, scale: alpha, beta, py, count: dimension) } }
        for i in 0..<dimension {
            #expect(abs(Double(stepped[i]) - (Double(alpha) * Double(x[i]) + Double(beta) * Double(y[i]))) <= 1e-6)
        }
        // g ← g + γx (the old x), then x ← αx + βy
        let ((_, gathered), moved) = withRow(x) { px in
            withRow(g, offset: 1) { pg in withRow(y) { py in
                Vector.gatherAndScaleAndAdd(into: pg, gamma, px, scale: alpha, beta, py, count: dimension)
            } }
        }
        for i in 0..<dimension {
            #expect(abs(Double(gathered[i]) - (Double(g[i]) + Double(gamma) * Double(x[i]))) <= 1e-6)
            #expect(abs(Double(moved[i]) - (Double(alpha) * Double(x[i]) + Double(beta) * Double(y[i]))) <= 1e-6)
        }
    }

    @Test(arguments: testDimensions)
    func copyAndDifference(dimension: Int) {
        var rng = TestRandom(400 + UInt64(dimension))
        let a = rng.vector(dimension), d = rng.vector(dimension), y = rng.vector(dimension)
        let (_, copied) = withRow(d, offset: 1) { pd in withRow(a) { pa in Vector.copy(pa, to: pd, count: dimension) } }
        #expect(copied == a)
        // d ← a − d, y ← y + (a − d)
        let ((_, changed), added) = withRow(y, offset: 1) { py in
            withRow(d) { pd in withRow(a) { pa in Vector.differenceAndAdd(pa, pd, into: py, count: dimension) } }
        }
        for i in 0..<dimension {
            let change = Double(a[i]) - Double(d[i])
            #expect(abs(Double(changed[i]) - change) <= 1e-6)
            #expect(abs(Double(added[i]) - (Double(y[i]) + change)) <= 1e-6)
        }
    }

    @Test func laneSumsAddEveryLane() {
        var rng = TestRandom(11)
        let values = rng.vector(16)
        let lanes = SIMD16<Float>(values)
        let expected = values.doubles.reduce(0, +)
        #expect(abs(Double(lanes.laneSum) - expected) <= 1e-6)
        #expect(abs(Double(lanes.lowHalf.laneSum) - values[0..<8].map(Double.init).reduce(0, +)) <= 1e-6)
        #expect(abs(Double(lanes.lowHalf.lowHalf.laneSum) - values[0..<4].map(Double.init).reduce(0, +)) <= 1e-6)
    }

    @Test func zeroPaddingDoesNotChangeResults() {
        var rng = TestRandom(3)
        let a = rng.vector(17), b = rng.vector(17)
        let pa = a + [Float](repeating: 0, count: 15), pb = b + [Float](repeating: 0, count: 15)
        let short = withRow(a) { x in withRow(b) { y in Vector.cosine(x, y, count: 17) }.0 }.0
        let padded = withRow(pa) { x in withRow(pb) { y in Vector.cosine(x, y, count: 32) }.0 }.0
        #expect(abs(short - padded) <= 1e-6)
    }
}
