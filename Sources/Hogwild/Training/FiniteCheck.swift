import Kernels

/// Divergence is judged on the parameters themselves, not on the loss: a step that overflows can
/// leave the loss finite (a clamped exp, a hinge that saturates) while rows turn to NaN or grow
/// so long that their squares overflow — and every cosine, norm and ranking built on them is then
/// meaningless (NaN scores, or all items tied at AUC 0.5). A row is sound when its squared norm
/// is finite: that fails for a NaN or infinite entry and for an overflowing square alike.
extension EmbeddingTable {
    /// The first row whose squared norm is not finite, or `nil` when every row is sound.
    ///
    /// One SIMD pass over the whole table first (the padding is zero, and a finite sum of
    /// non-negative terms bounds every row's), then a per-row pass only when that sum is not
    /// finite, to name the row — or to clear a table whose rows are sound but whose total
    /// overflows.
    ///
    /// - Complexity: O(rows · stride).
    public func firstNonFiniteRow() -> Int? {
        guard rowCount > 0 else { return nil }
        return withUnsafeHandle { table in
            if Vector.squaredNorm(table.row(0), count: rowCount * stride).isFinite { return nil }
            return (0..<rowCount).first { !Vector.squaredNorm(table.row($0), count: stride).isFinite }
        }
    }
}

extension AlignedBuffer where Element == Float {
    /// Whether every value is finite and their squares sum to a finite number.
    ///
    /// - Complexity: O(count).
    func sumOfSquaresIsFinite() -> Bool {
        count == 0 || withUnsafeBufferPointer { Vector.squaredNorm($0.baseAddress!, count: count).isFinite }
    }
}

extension EmbeddingModel {
    /// Names the first part of the model holding a non-finite number or a row whose squared norm
    /// overflows ("item row 17", "the MLP weights", …), or `nil` when it is sound.
    ///
    /// - Complexity: O((users + items) · stride + network + accumulators).
    public func nonFinitePart() -> String? {
        if let row = itemTable.firstNonFiniteRow() { return "item row \(row)" }
        if let row = userTable.firstNonFiniteRow() { return "user row \(row)" }
        if let network, !network.storage.sumOfSquaresIsFinite() { return "the MLP weights" }
        // Accumulators are sums of squares themselves, legitimately large: only their finiteness counts.
        if let adagradAccumulators, !adagradAccumulators.withUnsafeBufferPointer({ $0.allSatisfy(\.isFinite) }) {
            return "the Adagrad accumulators"
        }
        return nil
    }
}

extension HogwildTrainer {
    /// Ends an epoch: throws when the loss or any trained parameter — user and item rows, the
    /// MLP weights, feature rows, Adagrad accumulators — is no longer finite, so that nothing
    /// non-finite is ever evaluated, checkpointed, saved or reported.
    ///
    /// - Throws: `HogwildError` naming the epoch (1-based), the learning rate and what went wrong.
    /// - Complexity: O((users + items + feature rows) · stride), one SIMD pass: well under 1 % of
    ///   an epoch, which touches every row at least once.
    func checkFinite(epoch: Int, loss: Double) throws {
        var part = model.nonFinitePart()
        if part == nil, let features {
            part = features.itemTable.firstNonFiniteRow().map { "item feature row \($0)" }
                ?? features.userTable.firstNonFiniteRow().map { "user feature row \($0)" }
        }
        var broken = part.map { "\($0) is no longer finite (or its squared norm overflows)" }
        if broken == nil && !loss.isFinite { broken = "the loss is no longer finite" }
        guard let broken else { return }
        let lr = model.configuration.learningRate
        throw HogwildError("training diverged in epoch \(epoch) at --lr \(lr): \(broken); nothing was saved or reported: lower --lr (by 10× or more)")
    }
}
