import Kernels

/// A table of `rowCount` embedding rows of `dimension` floats.
///
/// Rows start on 64-byte boundaries and are padded with zeros to `stride`, a multiple of the
/// kernels' lane width, so every kernel call on a row takes the pure-SIMD path. The padding stays
/// zero under training: every kernel's update of a coordinate is a linear combination of the same
/// coordinate of the rows involved.
///
/// The table is a reference type shared by the workers of the Hogwild trainer, which read and
/// write rows without synchronisation — that race is the algorithm (Recht et al., 2011), confined
/// to the row contents, and documented at `HogwildTrainer`.
public final class EmbeddingTable: @unchecked Sendable {
    /// The number of rows.
    public let rowCount: Int
    /// The number of meaningful floats per row.
    public let dimension: Int
    /// The distance between row starts, in floats: `dimension` rounded up to a lane multiple.
    public let stride: Int
    @usableFromInline internal let storage: AlignedBuffer<Float>

    /// A table of zero rows.
    ///
    /// - Complexity: O(`rowCount · stride`).
    public init(rowCount: Int, dimension: Int) {
        precondition(rowCount >= 0 && dimension >= 1)
        self.rowCount = rowCount
        self.dimension = dimension
        stride = EmbeddingTable.stride(forDimension: dimension)
        storage = AlignedBuffer(count: rowCount * stride)
    }

    /// The row stride for `dimension`: rounded up to whole lanes, so no kernel call on a row takes
    /// a scalar tail.
    public static func stride(forDimension dimension: Int) -> Int {
        let lane = KernelLane.scalarCount
        return (dimension + lane - 1) / lane * lane
    }

    /// Fills the first `dimension` floats of every row with independent `N(0, standardDeviation²)`
    /// values from `seed` (the padding stays zero).
    ///
    /// - Complexity: O(`rowCount · dimension`).
    public func randomize(seed: UInt64, standardDeviation: Float) {
        var rng = RandomSource(seed: seed)
        withUnsafeHandle { table in
            for r in 0..<rowCount {
                let row = table.row(r)
                for c in 0..<dimension { row[c] = rng.nextGaussian() * standardDeviation }
            }
        }
    }

    /// A scoped view of the rows. Do not escape the handle or its pointers from the closure.
    @inlinable
    public func withUnsafeHandle<R>(_ body: (UnsafeHandle) throws -> R) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer { buffer in
            try body(UnsafeHandle(base: buffer.baseAddress!, stride: stride, rowCount: rowCount))
        }
    }

    /// Overwrites every row with `other`'s (same shape): snapshots for early stopping.
    ///
    /// - Complexity: O(rows · stride), one memory copy.
    public func copyContents(from other: EmbeddingTable) {
        precondition(other.rowCount == rowCount && other.stride == stride)
        storage.withUnsafeMutableBufferPointer { destination in
            other.storage.withUnsafeBufferPointer { source in
                _ = destination.update(fromContentsOf: source)
            }
        }
    }

    /// A copy of row `index`'s `dimension` values.
    public func row(_ index: Int) -> [Float] {
        precondition(index >= 0 && index < rowCount, "row \(index) out of range 0..<\(rowCount)")
        return withUnsafeHandle { Array(UnsafeBufferPointer(start: $0.row(index), count: dimension)) }
    }

    /// Overwrites row `index` with `values` (exactly `dimension` of them).
    public func setRow(_ index: Int, _ values: [Float]) {
        precondition(index >= 0 && index < rowCount && values.count == dimension)
        withUnsafeHandle { table in
            let row = table.row(index)
            for c in 0..<dimension { row[c] = values[c] }
        }
    }

    /// Unchecked row access for the kernels: raw pointers into the table, valid only inside the
    /// `withUnsafeHandle` closure that produced the handle.
    public struct UnsafeHandle {
        @usableFromInline internal let base: UnsafeMutablePointer<Float>
        /// Floats between row starts.
        public let stride: Int
        /// The number of rows.
        public let rowCount: Int

        @inlinable
        internal init(base: UnsafeMutablePointer<Float>, stride: Int, rowCount: Int) {
            self.base = base
            self.stride = stride
            self.rowCount = rowCount
        }

        /// The first float of row `index` (`stride` floats, zero past the table's `dimension`).
    ///
    /// - Precondition: `0 <= index < rowCount` (not checked).
        @inlinable @inline(__always)
        public func row(_ index: Int) -> UnsafeMutablePointer<Float> {
            base + index &* stride
        }
    }
}
