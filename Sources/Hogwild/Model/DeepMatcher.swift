import Dispatch
import Kernels

/// The MLP matcher: scores a (user, item) pair by a one-hidden-layer network over the
/// concatenation of their embedding rows,
///
///     s(u, i) = w2 · relu(W1 [u; i] + b1) = w2 · relu(Wu·u + Wi·i + b1),
///
/// with `W1 = [Wu | Wi]` split so that `Wu·u + b1` is computed once per user and `Wi·i` once per
/// item when many pairs are scored. There is no output bias: it would cancel in every pairwise
/// loss and leave every ranking unchanged.
///
/// **Layout.** One 64-byte aligned `AlignedBuffer`: `Wuᵀ` then `Wiᵀ` (each `dimension` rows of
/// `hiddenStride` floats: row `k` holds the weights from input coordinate `k` to every hidden
/// unit), then `b1` and `w2` (`hiddenStride` floats each); everything past `hidden` is zero.
/// Transposed weights let the forward pass accumulate whole lanes of hidden units in registers
/// with no horizontal sums. Against row-major weights (one dot per hidden unit, the backward pass
/// skipping inactive units), `perf/mlp_layout.swift` measures the forward pass (all a satisfied
/// triplet costs) about 35% faster and a full step about 25% faster at dim 64, hidden 128. The
/// trainer copies this layout per worker for averaged dense weights (`DenseWeightSharing`).
/// `values(_:)` and the model file use the plain order `[h · dimension + k]` instead.
///
/// Training writes the weights with no lock (see `HogwildTrainer`); scoring only reads them.
public final class DeepMatcher: @unchecked Sendable {
    /// The embedding dimension the network reads.
    public let dimension: Int
    /// Hidden units.
    public let hidden: Int
    /// Floats per embedding row: `EmbeddingTable.stride(forDimension: dimension)`.
    public let rowStride: Int
    /// `hidden` rounded up to `MLPStep.hiddenAlignment`: the length of every hidden vector and
    /// weight row.
    public let hiddenStride: Int
    let storage: AlignedBuffer<Float>

    /// The parameter groups, in storage (and model file) order.
    public enum Part: CaseIterable, Sendable {
        /// `Wu`: `hidden × dimension`; `values(_:)` lists it row by row (`[h · dimension + k]`).
        case userWeights
        /// `Wi`: `hidden × dimension`, listed likewise.
        case itemWeights
        /// `b1`: `hidden`.
        case hiddenBias
        /// `w2`: `hidden`.
        case outputWeights
    }

    /// A network of zeros.
    public init(dimension: Int, hidden: Int) {
        precondition(dimension >= 1 && hidden >= 1)
        self.dimension = dimension
        self.hidden = hidden
        rowStride = EmbeddingTable.stride(forDimension: dimension)
        let alignment = MLPStep.hiddenAlignment
        hiddenStride = (hidden + alignment - 1) / alignment * alignment
        storage = AlignedBuffer(count: (2 * dimension + 2) * hiddenStride)
    }

    /// A network initialised for ReLU: `Wu`, `Wi` ~ N(0, 2/fan-in) with fan-in `2·dimension`
    /// (He), `w2` ~ N(0, 1/hidden) (Xavier for a linear output), `b1 = 0`; seeded.
    public convenience init(dimension: Int, hidden: Int, seed: UInt64) {
        self.init(dimension: dimension, hidden: hidden)
        var rng = RandomSource(seed: seed)
        let inner = (2 / Float(2 * dimension)).squareRoot(), outer = (1 / Float(hidden)).squareRoot()
        for part in [Part.userWeights, .itemWeights, .outputWeights] {
            let std = part == .outputWeights ? outer : inner
            setValues(part, (0..<valueCount(part)).map { _ in rng.nextGaussian() * std })
        }
    }

    /// The number of floats in the whole layout (one worker's copy).
    public var layoutCount: Int { storage.count }

    /// The number of meaningful values of `part` (`hidden × dimension` or `hidden`).
    public func valueCount(_ part: Part) -> Int {
        part == .userWeights || part == .itemWeights ? hidden * dimension : hidden
    }

    /// Where `part` starts in the layout, in floats.
    func offset(_ part: Part) -> Int {
        switch part {
        case .userWeights: 0
        case .itemWeights: dimension * hiddenStride
        case .hiddenBias: 2 * dimension * hiddenStride
        case .outputWeights: (2 * dimension + 1) * hiddenStride
        }
    }

    /// A copy of `part`'s values: weights row by row (`[h · dimension + k]`), vectors in order.
    public func values(_ part: Part) -> [Float] {
        storage.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress! + offset(part)
            if part == .userWeights || part == .itemWeights {
                return (0..<(hidden * dimension)).map { base[($0 % dimension) * hiddenStride + $0 / dimension] }
            }
            return Array(UnsafeBufferPointer(start: base, count: hidden))
        }
    }

    /// Overwrites `part` with `values` (exactly `valueCount(part)` of them, ordered as `values`).
    public func setValues(_ part: Part, _ values: [Float]) {
        precondition(values.count == valueCount(part), "\(values.count) values for \(valueCount(part))")
        storage.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress! + offset(part)
            if part == .userWeights || part == .itemWeights {
                for h in 0..<hidden {
                    for k in 0..<dimension { base[k * hiddenStride + h] = values[h * dimension + k] }
                }
            } else {
                for h in 0..<hidden { base[h] = values[h] }
            }
        }
    }

    /// Overwrites every weight with `other`'s (same shape): snapshots for early stopping.
    public func copyContents(from other: DeepMatcher) {
        precondition(other.dimension == dimension && other.hidden == hidden)
        storage.withUnsafeMutableBufferPointer { destination in
            other.storage.withUnsafeBufferPointer { source in _ = destination.update(fromContentsOf: source) }
        }
    }

    /// The kernel's view of a copy of the layout starting at `base`.
    func weights(at base: UnsafeMutablePointer<Float>) -> MLPWeights {
        MLPWeights(userWeights: base + offset(.userWeights), itemWeights: base + offset(.itemWeights),
                   hiddenBias: base + offset(.hiddenBias), outputWeights: base + offset(.outputWeights),
                   dimension: dimension, hiddenStride: hiddenStride, rowStride: rowStride)
    }

    /// Calls `body` with the kernel's view of the weights. Do not escape the pointers.
    func withUnsafeWeights<R>(_ body: (MLPWeights) throws -> R) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer { try body(weights(at: $0.baseAddress!)) }
    }

    // MARK: - Scoring

    /// `Wi·e_i` for every row of `items`, `hiddenStride` floats per item: the item half of every
    /// score, computed once so that scoring a (user, item) pair costs O(hidden).
    ///
    /// - Complexity: O(items · hidden · dimension), spread over `threads`.
    func itemProjections(_ items: EmbeddingTable, threads: Int) -> AlignedBuffer<Float> {
        precondition(items.stride == rowStride)
        let out = AlignedBuffer<Float>(count: items.rowCount * hiddenStride)
        let workers = max(1, min(threads, items.rowCount / 64 + 1))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            withUnsafeWeights { w in
                items.withUnsafeHandle { rows in
                    out.withUnsafeMutableBufferPointer { projected in
                        var i = worker
                        while i < rows.rowCount {
                            MLPStep.project(w.itemWeights, bias: nil, dimension: dimension, hiddenStride: hiddenStride,
                                            rows.row(i), into: projected.baseAddress! + i * hiddenStride)
                            i += workers
                        }
                    }
                }
            }
        }
        return out
    }

    /// Fills `scores[0..<itemCount]` with `user`'s score of every item, given `projections` from
    /// `itemProjections` and `activation`, scratch for `hiddenStride` floats.
    ///
    /// - Complexity: O(hidden · dimension + items · hidden).
    func scoreRow(user: UnsafePointer<Float>, projections: UnsafePointer<Float>, itemCount: Int,
                  activation: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>) {
        withUnsafeWeights { w in
            MLPStep.project(w.userWeights, bias: w.hiddenBias, dimension: dimension, hiddenStride: hiddenStride,
                            user, into: activation)
            var i = 0
            while i < itemCount {
                scores[i] = MLPStep.score(user: activation, item: projections + i * hiddenStride,
                                          outputWeights: w.outputWeights, hiddenStride: hiddenStride)
                i += 1
            }
        }
    }

    /// `user`'s score of every row of `items` (both rows `rowStride` floats apart, as
    /// `EmbeddingTable` lays them out).
    ///
    /// - Precondition: `user` is a row of `users`; both tables have `dimension` columns.
    ///
    /// - Complexity: O(items · hidden · dimension).
    public func scores(user: Int, users: EmbeddingTable, items: EmbeddingTable) -> [Float] {
        precondition(user >= 0 && user < users.rowCount && users.stride == rowStride)
        let projections = itemProjections(items, threads: 1)
        let activation = AlignedBuffer<Float>(count: hiddenStride)
        var scores = [Float](repeating: 0, count: items.rowCount)
        users.withUnsafeHandle { u in
            projections.withUnsafeBufferPointer { b in
                activation.withUnsafeMutableBufferPointer { a in
                    scores.withUnsafeMutableBufferPointer { s in
                        scoreRow(user: u.row(user), projections: b.baseAddress!, itemCount: items.rowCount,
                                 activation: a.baseAddress!, scores: s.baseAddress!)
                    }
                }
            }
        }
        return scores
    }

    /// The score of one pair of rows (`dimension` floats each).
    ///
    /// - Precondition: `user` and `item` point to at least `dimension` floats (not checked).
    /// - Complexity: O(hidden · dimension), and a small allocation per call: for single pairs;
    ///   rank many items with `scores(user:users:items:)`.
    public func score(user: UnsafePointer<Float>, item: UnsafePointer<Float>) -> Float {
        let buffers = AlignedBuffer<Float>(count: 2 * hiddenStride)
        return withUnsafeWeights { w in
            buffers.withUnsafeMutableBufferPointer { b in
                let a = b.baseAddress!, p = a + hiddenStride
                MLPStep.project(w.userWeights, bias: w.hiddenBias, dimension: dimension, hiddenStride: hiddenStride,
                                user, into: a)
                MLPStep.project(w.itemWeights, bias: nil, dimension: dimension, hiddenStride: hiddenStride,
                                item, into: p)
                return MLPStep.score(user: a, item: p, outputWeights: w.outputWeights, hiddenStride: hiddenStride)
            }
        }
    }
}
