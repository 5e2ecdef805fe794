/// Blocked scoring of many users against many items: the evaluator's matrix product.
///
/// Items are packed into *panels*: 16 items stored dimension-major (`panel[d·16 + j]` is
/// dimension `d` of the panel's item `j`), so one lane load fetches one dimension of 16 items. The
/// microkernel keeps a 4-user × 32-item tile of scores in eight lane registers, and for each
/// dimension does two panel loads, four broadcasts and eight fused multiply-adds — the classic
/// outer-product GEMM kernel, bound by FMA throughput rather than loads.
public enum ScoreBlock {
    /// Items per panel (one lane).
    public static let panelWidth = KernelLane.scalarCount

    /// Writes `scores[r·scoreStride + j] = Σ_d user_r[d] · panel item j` for 4 users and the
    /// 32 items of two consecutive panels.
    ///
    /// Every one of the 4 × 32 scores is written (padding items of a panel score 0 when their
    /// entries are 0). Nothing is checked: the pointers must cover the extents below.
    ///
    /// - Parameters:
    ///   - u0: the first user row (`dimension` floats).
    ///   - u1: the second user row.
    ///   - u2: the third user row.
    ///   - u3: the fourth user row.
    ///   - panels: the first of two consecutive panels (`2 · dimension · 16` floats).
    ///   - dimension: the number of dimensions summed over.
    ///   - scores: the 4 × 32 destination, row `r` at `scores + r·scoreStride`.
    ///   - scoreStride: the distance between destination rows, in floats (at least 32).
    /// - Complexity: O(dimension), 256 FLOP per dimension.
    @inlinable
    public static func score4x32(
        _ u0: UnsafePointer<Float>, _ u1: UnsafePointer<Float>, _ u2: UnsafePointer<Float>, _ u3: UnsafePointer<Float>,
        panels: UnsafePointer<Float>, dimension: Int,
        scores: UnsafeMutablePointer<Float>, scoreStride: Int
    ) {
        let width = KernelLane.scalarCount
        let second = panels + dimension * width
        var a00 = KernelLane(), a01 = KernelLane(), a10 = KernelLane(), a11 = KernelLane()
        var a20 = KernelLane(), a21 = KernelLane(), a30 = KernelLane(), a31 = KernelLane()
        var d = 0
        while d < dimension {
            let p0 = loadLane(panels + d * width), p1 = loadLane(second + d * width)
            let b0 = KernelLane(repeating: u0[d]), b1 = KernelLane(repeating: u1[d])
            let b2 = KernelLane(repeating: u2[d]), b3 = KernelLane(repeating: u3[d])
            a00 = a00.addingProduct(b0, p0); a01 = a01.addingProduct(b0, p1)
            a10 = a10.addingProduct(b1, p0); a11 = a11.addingProduct(b1, p1)
            a20 = a20.addingProduct(b2, p0); a21 = a21.addingProduct(b2, p1)
            a30 = a30.addingProduct(b3, p0); a31 = a31.addingProduct(b3, p1)
            d &+= 1
        }
        storeLane(a00, scores); storeLane(a01, scores + width)
        storeLane(a10, scores + scoreStride); storeLane(a11, scores + scoreStride + width)
        storeLane(a20, scores + 2 * scoreStride); storeLane(a21, scores + 2 * scoreStride + width)
        storeLane(a30, scores + 3 * scoreStride); storeLane(a31, scores + 3 * scoreStride + width)
    }

    /// Counts how many of `values[0..<count]` are below `threshold`, and how many equal it.
    ///
    /// NaN entries count as neither, so callers mask out entries by setting them to NaN (the
    /// evaluator's AUC counts negatives below and tied with each positive this way).
    ///
    /// - Returns: the two counts.
    /// - Complexity: O(count), one compare pair per 16 values.
    @inlinable
    public static func countBelowAndEqual(_ values: UnsafePointer<Float>, count: Int, threshold: Float) -> (below: Int, equal: Int) {
        let width = KernelLane.scalarCount
        let t = KernelLane(repeating: threshold)
        var below = KernelLane.MaskStorage(), equal = KernelLane.MaskStorage()
        var i = 0
        while i + width <= count {
            let v = loadLane(values + i)
            // A true mask lane is all ones (−1): subtracting counts it.
            below &-= unsafeBitCast(v .< t, to: KernelLane.MaskStorage.self)
            equal &-= unsafeBitCast(v .== t, to: KernelLane.MaskStorage.self)
            i += width
        }
        var b = Int(below.wrappedSum()), e = Int(equal.wrappedSum())
        while i < count {
            if values[i] < threshold { b += 1 } else if values[i] == threshold { e += 1 }
            i += 1
        }
        return (b, e)
    }

    /// Skips, 16 values at a time, the blocks of `values[start..<count]` in which no value is above
    /// `threshold`: lets a top-k scan pass over hopeless items cheaply.
    ///
    /// Blocks are counted from `start` (`start`, `start + 16`, …), not aligned in memory.
    ///
    /// - Returns: the start of the first whole block holding a value above `threshold`; else the
    ///   start of the final partial block (fewer than 16 values, *not* examined), which the caller
    ///   must scan itself; else `count`.
    /// - Complexity: O(count − start).
    @inlinable
    public static func firstBlockAbove(_ values: UnsafePointer<Float>, from start: Int, count: Int, threshold: Float) -> Int {
        let width = KernelLane.scalarCount
        let t = KernelLane(repeating: threshold)
        var i = start
        while i + width <= count {
            if any(loadLane(values + i) .> t) { return i }
            i += width
        }
        return i < count ? i : count
    }
}
