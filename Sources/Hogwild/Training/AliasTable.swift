/// Walker/Vose alias table: O(1) draws from a discrete distribution — one uniform index, one
/// uniform float, one compare.
///
/// Used by the synthetic generator and, through `withUnsafeSampler`, by the trainer's inner loop
/// for popularity-weighted negatives.
public struct AliasTable: Sendable {
    @usableFromInline let probability: AlignedBuffer<Float>
    @usableFromInline let alias: AlignedBuffer<Int32>

    /// A table drawing index i with probability weights[i] / Σ weights.
    ///
    /// - Precondition: weights are finite, ≥ 0, and not all 0.
    /// - Complexity: O(n).
    public init(weights: [Double]) {
        let n = weights.count
        let total = weights.reduce(0, +)
        precondition(n > 0 && total > 0 && total.isFinite, "alias table needs positive weights")
        var scaled = weights.map { $0 * Double(n) / total }
        var prob = [Float](repeating: 1, count: n), alias = [Int32](repeating: 0, count: n)
        var small = [Int](), large = [Int]()
        for (i, w) in scaled.enumerated() { if w < 1 { small.append(i) } else { large.append(i) } }
        while !small.isEmpty, let l = large.last {
            let s = small.removeLast()
            prob[s] = Float(scaled[s])
            alias[s] = Int32(l)
            scaled[l] -= 1 - scaled[s]
            if scaled[l] < 1 { large.removeLast(); small.append(l) }
        }
        for i in small + large { prob[i] = 1; alias[i] = Int32(i) }  // leftovers: rounding residue
        probability = AlignedBuffer(prob)
        self.alias = AlignedBuffer(alias)
    }

    /// The number of outcomes.
    public var count: Int { probability.count }

    /// One draw: index `i` with probability `weights[i] / Σ weights`.
    ///
    /// - Complexity: O(1).
    public func sample(_ rng: inout RandomSource) -> Int {
        withUnsafeSampler { $0.sample(&rng) }
    }

    /// Calls `body` with an unchecked sampler for inner loops. Do not escape it.
    @inlinable
    public func withUnsafeSampler<R>(_ body: (UnsafeSampler) throws -> R) rethrows -> R {
        try probability.withUnsafeBufferPointer { p in
            try alias.withUnsafeBufferPointer { a in
                try body(UnsafeSampler(probability: p.baseAddress!, alias: a.baseAddress!, count: p.count))
            }
        }
    }

    /// Draws without bounds checks; valid only inside the `withUnsafeSampler` closure that
    /// produced it.
    public struct UnsafeSampler {
        @usableFromInline let probability: UnsafePointer<Float>
        @usableFromInline let alias: UnsafePointer<Int32>
        @usableFromInline let count: Int

        @inlinable
        init(probability: UnsafePointer<Float>, alias: UnsafePointer<Int32>, count: Int) {
            self.probability = probability
            self.alias = alias
            self.count = count
        }

        /// One draw, as `AliasTable.sample(_:)`.
        @inlinable @inline(__always)
        public func sample(_ rng: inout RandomSource) -> Int {
            let i = rng.next(below: count)
            return rng.nextUnitFloat() < probability[i] ? i : Int(alias[i])
        }
    }
}
