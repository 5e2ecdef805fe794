#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The SIMD register the kernels are written in: 16 floats, 64 bytes, one cache line.
///
/// With `-target-cpu native` this is one AVX-512 register or two AVX2 registers. Change it here
/// (e.g. to `SIMD8<Float>`) to try another width; every kernel follows.
public typealias KernelLane = SIMD16<Float>

/// Loads one lane from `pointer`, which need not be aligned.
@inlinable @inline(__always)
internal func loadLane(_ pointer: UnsafePointer<Float>) -> KernelLane {
    UnsafeRawPointer(pointer).loadUnaligned(as: KernelLane.self)
}

/// Stores one lane at `pointer`, which need not be aligned.
@inlinable @inline(__always)
internal func storeLane(_ value: KernelLane, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: KernelLane.self)
}

extension SIMD16 where Scalar == Float {
    /// The sum of the lanes, by halving: always inlined, where the standard library's `sum()`
    /// is an out-of-line call that showed up as 8 % of a sampled-softmax profile.
    @inlinable @inline(__always)
    public var laneSum: Float { (lowHalf + highHalf).laneSum }
}

extension SIMD8 where Scalar == Float {
    /// The sum of the lanes, by halving (see `SIMD16.laneSum`).
    @inlinable @inline(__always)
    public var laneSum: Float { (lowHalf + highHalf).laneSum }
}

extension SIMD4 where Scalar == Float {
    /// The sum of the lanes, by halving (see `SIMD16.laneSum`).
    @inlinable @inline(__always)
    public var laneSum: Float {
        let pair = lowHalf + highHalf
        return pair.x + pair.y
    }
}

/// SIMD primitives over raw `Float` rows of any length.
///
/// Every function processes whole `KernelLane`s first and finishes the last `count % 16`
/// elements with scalar code, so rows need not be padded; rows whose length is a multiple of
/// the lane width (as `EmbeddingTable` pads them) take no scalar tail at all.
///
/// The pointers must stay valid for `count` elements for the duration of the call. Nothing is
/// allocated and nothing is checked beyond `count >= 0`, which is the caller's contract.
public enum Vector {
    /// The inner product `Σ a[i]·b[i]`.
    ///
    /// - Complexity: O(`count`), two independent accumulators for instruction-level parallelism.
    @inlinable @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        let width = KernelLane.scalarCount
        var acc0 = KernelLane(), acc1 = KernelLane()
        var i = 0
        while i + 2 * width <= count {
            acc0 = acc0.addingProduct(loadLane(a + i), loadLane(b + i))
            acc1 = acc1.addingProduct(loadLane(a + i + width), loadLane(b + i + width))
            i += 2 * width
        }
        if i + width <= count {
            acc0 = acc0.addingProduct(loadLane(a + i), loadLane(b + i))
            i += width
        }
        var sum = (acc0 + acc1).laneSum
        while i < count {
            sum += a[i] * b[i]
            i += 1
        }
        return sum
    }

    /// The squared Euclidean norm `Σ a[i]²`.
    ///
    /// - Complexity: O(`count`).
    @inlinable @inline(__always)
    public static func squaredNorm(_ a: UnsafePointer<Float>, count: Int) -> Float {
        dot(a, a, count: count)
    }

    /// The cosine similarity `a·b / (|a|·|b|)`, or 0 when either vector is zero.
    ///
    /// All three reductions run in one pass over the rows.
    ///
    /// - Complexity: O(`count`).
    @inlinable @inline(__always)
    public static func cosine(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        let width = KernelLane.scalarCount
        var ab = KernelLane(), aa = KernelLane(), bb = KernelLane()
        var i = 0
        while i + width <= count {
            let va = loadLane(a + i), vb = loadLane(b + i)
            ab = ab.addingProduct(va, vb)
            aa = aa.addingProduct(va, va)
            bb = bb.addingProduct(vb, vb)
            i += width
        }
        var sab = ab.laneSum, saa = aa.laneSum, sbb = bb.laneSum
        while i < count {
            sab += a[i] * b[i]
            saa += a[i] * a[i]
            sbb += b[i] * b[i]
            i += 1
        }
        return sab * inverseNorm(saa) * inverseNorm(sbb)
    }

    /// `(a·b, |b|²)` in one pass: ranking candidate rows `b` by cosine against a fixed `a` needs
    /// only `a·b/|b|`, since `|a|` is common to all of them.
    ///
    /// - Complexity: O(`count`).
    @inlinable @inline(__always)
    public static func dotAndSquaredNorm(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> (dot: Float, squaredNorm: Float) {
        let width = KernelLane.scalarCount
        var ab = KernelLane(), bb = KernelLane()
        var i = 0
        while i + width <= count {
            let vb = loadLane(b + i)
            ab = ab.addingProduct(loadLane(a + i), vb)
            bb = bb.addingProduct(vb, vb)
            i += width
        }
        var sab = ab.laneSum, sbb = bb.laneSum
        while i < count {
            sab += a[i] * b[i]
            sbb += b[i] * b[i]
            i += 1
        }
        return (sab, sbb)
    }

    /// `y[i] += alpha · x[i]`.
    ///
    /// - Complexity: O(`count`).
    @inlinable @inline(__always)
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        let width = KernelLane.scalarCount
        let va = KernelLane(repeating: alpha)
        var i = 0
        while i + width <= count {
            storeLane(loadLane(y + i).addingProduct(va, loadLane(x + i)), y + i)
            i += width
        }
        while i < count {
            y[i] += alpha * x[i]
            i += 1
        }
    }

    /// `x[i] *= alpha`.
    ///
    /// - Complexity: O(`count`).
    @inlinable @inline(__always)
    public static func scale(_ alpha: Float, _ x: UnsafeMutablePointer<Float>, count: Int) {
        let width = KernelLane.scalarCount
        let va = KernelLane(repeating: alpha)
        var i = 0
        while i + width <= count {
            storeLane(loadLane(x + i) * va, x + i)
            i += width
        }
        while i < count {
            x[i] *= alpha
            i += 1
        }
    }

    /// `y[i] = x[i]`, inlined: for rows of a few lanes a library `memmove` call costs more than
    /// the copy.
    ///
    /// - Complexity: O(`count`).
    @inlinable @inline(__always)
    public static func copy(_ x: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, count: Int) {
        let width = KernelLane.scalarCount
        var i = 0
        while i + width <= count {
            storeLane(loadLane(x + i), y + i)
            i += width
        }
        while i < count {
            y[i] = x[i]
            i += 1
        }
    }

    /// `d[i] = a[i] − d[i]`, then `y[i] += d[i]`, in one pass: with `a` a row after a step and `d`
    /// its copy from before, `d` becomes the step's change, already added to `y`.
    ///
    /// - Complexity: O(`count`).
    @inlinable @inline(__always)
    public static func differenceAndAdd(_ a: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        let width = KernelLane.scalarCount
        var i = 0
        while i + width <= count {
            let change = loadLane(a + i) - loadLane(d + i)
            storeLane(change, d + i)
            storeLane(loadLane(y + i) + change, y + i)
            i += width
        }
        while i < count {
            let change = a[i] - d[i]
            d[i] = change
            y[i] += change
            i += 1
        }
    }

    /// `x[i] = alpha·x[i] + beta·y[i]`: a decay and a step in one pass.
    ///
    /// - Complexity: O(`count`).
    @inlinable @inline(__always)
    public static func scaleAndAdd(_ x: UnsafeMutablePointer<Float>, scale alpha: Float, _ beta: Float, _ y: UnsafePointer<Float>, count: Int) {
        let width = KernelLane.scalarCount
        let va = KernelLane(repeating: alpha), vb = KernelLane(repeating: beta)
        var i = 0
        while i + width <= count {
            storeLane((loadLane(x + i) * va).addingProduct(vb, loadLane(y + i)), x + i)
            i += width
        }
        while i < count {
            x[i] = alpha * x[i] + beta * y[i]
            i += 1
        }
    }

    /// `g[i] += gamma·x[i]`, then `x[i] = alpha·x[i] + beta·y[i]`, in one pass: a row's share of
    /// another row's gradient is gathered from its value before its own step.
    ///
    /// - Complexity: O(`count`).
    @inlinable @inline(__always)
    public static func gatherAndScaleAndAdd(into g: UnsafeMutablePointer<Float>, _ gamma: Float, _ x: UnsafeMutablePointer<Float>,
                                            scale alpha: Float, _ beta: Float, _ y: UnsafePointer<Float>, count: Int) {
        let width = KernelLane.scalarCount
        let vg = KernelLane(repeating: gamma), va = KernelLane(repeating: alpha), vb = KernelLane(repeating: beta)
        var i = 0
        while i + width <= count {
            let old = loadLane(x + i)
            storeLane(loadLane(g + i).addingProduct(vg, old), g + i)
            storeLane((old * va).addingProduct(vb, loadLane(y + i)), x + i)
            i += width
        }
        while i < count {
            let old = x[i]
            g[i] += gamma * old
            x[i] = alpha * old + beta * y[i]
            i += 1
        }
    }

    /// `1/√s` for a squared norm `s`, and 0 for the zero vector, so that cosine terms and their
    /// gradients vanish instead of becoming NaN.
    @inlinable @inline(__always)
    public static func inverseNorm(_ squaredNorm: Float) -> Float {
        squaredNorm > 0 ? 1 / squaredNorm.squareRoot() : 0
    }
}
