#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Raw pointers to the parameters of a one-hidden-layer matcher
/// `s(u,i) = w2 · relu(Wu·u + Wi·i + b1)`.
///
/// `Wu` and `Wi` are stored transposed, one row per *input* coordinate: row `k` holds the
/// `hiddenStride` weights from coordinate `k` of the user (or item) row to every hidden unit, so
/// `Wu·u = Σ_k u[k]·row_k` is a sum of lane-wide multiply-adds with no horizontal reduction.
/// `b1` and `w2` hold `hiddenStride` floats. Everything past `hidden` is zero. The owner
/// (`DeepMatcher`) keeps the memory; these pointers must not outlive its scoped accessors.
public struct MLPWeights {
    /// `Wuᵀ`: `dimension` rows of `hiddenStride` floats.
    public var userWeights: UnsafeMutablePointer<Float>
    /// `Wiᵀ`: `dimension` rows of `hiddenStride` floats.
    public var itemWeights: UnsafeMutablePointer<Float>
    /// `b1`: `hiddenStride` floats.
    public var hiddenBias: UnsafeMutablePointer<Float>
    /// `w2`: `hiddenStride` floats.
    public var outputWeights: UnsafeMutablePointer<Float>
    /// The embedding dimension (rows of `Wuᵀ` and `Wiᵀ`).
    public var dimension: Int
    /// Hidden units rounded up to two lanes (`MLPStep.hiddenAlignment`): the row length.
    public var hiddenStride: Int
    /// Floats per embedding row (a lane multiple, zero past `dimension`).
    public var rowStride: Int

    /// A view of weights laid out as described above; nothing is copied or checked.
    @inlinable
    public init(userWeights: UnsafeMutablePointer<Float>, itemWeights: UnsafeMutablePointer<Float>,
                hiddenBias: UnsafeMutablePointer<Float>, outputWeights: UnsafeMutablePointer<Float>,
                dimension: Int, hiddenStride: Int, rowStride: Int) {
        self.userWeights = userWeights
        self.itemWeights = itemWeights
        self.hiddenBias = hiddenBias
        self.outputWeights = outputWeights
        self.dimension = dimension
        self.hiddenStride = hiddenStride
        self.rowStride = rowStride
    }
}

/// One worker's buffers for `MLPStep.triplet`: three hidden vectors (`hiddenStride` floats
/// each) and the three embedding gradients (`rowStride` floats each, whose padding past the
/// dimension the step never writes, so it stays zero). Allocated once per worker, zeroed, outside
/// the training loop.
///
/// The pointers belong to memory the caller owns; use them only inside its scoped access.
public struct MLPScratch {
    /// Three hidden vectors of `hiddenStride` floats: the pre-activations of (user, positive) and
    /// (user, negative), then their gradients; the third holds `δp + δn`.
    public var hiddenBuffers: UnsafeMutablePointer<Float>
    /// `∂L/∂u`, `rowStride` floats.
    public var userGradient: UnsafeMutablePointer<Float>
    /// `∂L/∂p`, `rowStride` floats.
    public var positiveGradient: UnsafeMutablePointer<Float>
    /// `∂L/∂n`, `rowStride` floats.
    public var negativeGradient: UnsafeMutablePointer<Float>

    /// The scratch laid out from `base`: 3 · `hiddenStride` + 3 · `rowStride` floats.
    @inlinable
    public init(base: UnsafeMutablePointer<Float>, hiddenStride: Int, rowStride: Int) {
        hiddenBuffers = base
        userGradient = base + 3 * hiddenStride
        positiveGradient = userGradient + rowStride
        negativeGradient = positiveGradient + rowStride
    }

    /// Floats a scratch needs.
    @inlinable
    public static func count(hiddenStride: Int, rowStride: Int) -> Int { 3 * hiddenStride + 3 * rowStride }
}

/// The SIMD kernels of the MLP matcher: a fused SGD step for one (user, positive, negative)
/// triplet, and the two halves of batch scoring.
///
/// Hidden vectors are processed two lanes (32 units) at a time, so `hiddenStride` is a multiple
/// of `hiddenAlignment`; the padding units have zero weights, bias and output weight, score 0,
/// get zero gradients, and stay zero.
public enum MLPStep {
    /// `hiddenStride` is a multiple of this: two lanes.
    public static let hiddenAlignment = 2 * KernelLane.scalarCount

    /// One SGD step on the pairwise loss of `Δ = s(u,p) − s(u,n)`: hinge `max(0, margin − Δ)`, or
    /// with `bpr` the logistic `−log σ(Δ)`.
    ///
    /// Forward, per block of 32 hidden units, six register accumulators run over the input
    /// coordinates: `Wu·u + b1` (shared by both items), `Wi·p` and `Wi·n`. Backward, with
    /// `g = ∂L/∂s(u,p)`, `δp = g·w2 ⊙ [zp > 0]`, `δn = −g·w2 ⊙ [zn > 0]`:
    /// `∂w2 = g·(relu(zp) − relu(zn))`, `∂b1 = δp + δn`, `∂Wu = (δp + δn)·uᵀ`,
    /// `∂Wi = δp·pᵀ + δn·nᵀ`, `∂u = Wuᵀ(δp + δn)`, `∂p = Wiᵀδp`, `∂n = Wiᵀδn`. One pass per input
    /// coordinate takes the three embedding-gradient dots from the old weights and writes the new
    /// weights. Every gradient is taken at the values before the step. L2 (`λ/2·|row|²`) applies
    /// to the three embedding rows, as in `TripletStep`. An output bias would cancel in `Δ`, so
    /// the matcher has none.
    ///
    /// `admit` is called once, only when the step is about to write; when it returns false
    /// nothing is written and the result is `nil`. Returns the loss before the step (0 for a
    /// satisfied hinge).
    ///
    /// Preconditions (not checked): the three embedding rows are `w.rowStride` floats, zero past
    /// `w.dimension`, and distinct; `s` was laid out for `w`'s strides and its gradient padding
    /// is zero.
    ///
    /// - Parameters:
    ///   - w: the network's weights, updated in place.
    ///   - s: the worker's scratch.
    ///   - u: the user row, updated in place.
    ///   - p: the positive item row, updated in place.
    ///   - n: the negative item row, updated in place.
    ///   - margin: the hinge margin (ignored with `bpr`).
    ///   - bpr: whether the loss is BPR's logistic loss instead of the hinge.
    ///   - lr: the learning rate, for the weights and the rows alike.
    ///   - l2: the L2 strength on the three embedding rows.
    ///   - admit: the veto, as above.
    /// - Returns: the loss before the step, or `nil` when `admit` vetoed it.
    ///
    /// - Complexity: O(dimension · hiddenStride): 3 fused multiply-adds per weight forward, 6
    ///   backward (measured against a row-major layout in perf/mlp_layout.swift).
    @inlinable
    public static func triplet(
        _ w: MLPWeights, scratch s: MLPScratch,
        user u: UnsafeMutablePointer<Float>, positive p: UnsafeMutablePointer<Float>,
        negative n: UnsafeMutablePointer<Float>,
        margin: Float, bpr: Bool, learningRate lr: Float, l2: Float, admit: () -> Bool
    ) -> Float? {
        let width = KernelLane.scalarCount
        let dimension = w.dimension, hs = w.hiddenStride
        let zps = s.hiddenBuffers, zns = zps + hs, dus = zns + hs
        // Forward.
        var spV = KernelLane(), snV = KernelLane()
        var block = 0
        while block < hs {
            var a0 = loadLane(w.hiddenBias + block), a1 = loadLane(w.hiddenBias + block + width)
            var p0 = KernelLane(), p1 = KernelLane(), n0 = KernelLane(), n1 = KernelLane()
            var k = 0
            while k < dimension {
                let wu = w.userWeights + k &* hs + block, wi = w.itemWeights + k &* hs + block
                let bu = KernelLane(repeating: u[k]), bp = KernelLane(repeating: p[k]), bn = KernelLane(repeating: n[k])
                let vi0 = loadLane(wi), vi1 = loadLane(wi + width)
                a0 = a0.addingProduct(bu, loadLane(wu)); a1 = a1.addingProduct(bu, loadLane(wu + width))
                p0 = p0.addingProduct(bp, vi0); p1 = p1.addingProduct(bp, vi1)
                n0 = n0.addingProduct(bn, vi0); n1 = n1.addingProduct(bn, vi1)
                k &+= 1
            }
            let zp0 = a0 + p0, zp1 = a1 + p1, zn0 = a0 + n0, zn1 = a1 + n1
            storeLane(zp0, zps + block); storeLane(zp1, zps + block + width)
            storeLane(zn0, zns + block); storeLane(zn1, zns + block + width)
            let o0 = loadLane(w.outputWeights + block), o1 = loadLane(w.outputWeights + block + width)
            spV = spV.addingProduct(o0, relu(zp0)).addingProduct(o1, relu(zp1))
            snV = snV.addingProduct(o0, relu(zn0)).addingProduct(o1, relu(zn1))
            block &+= 2 * width
        }
        // Loss and g = ∂L/∂s(u,p) = −∂L/∂s(u,n).
        let x = spV.laneSum - snV.laneSum
        let loss: Float, g: Float
        if bpr {
            // softplus(−x) as in TripletStep.dotBPR, stable for large |x|.
            let e = expf(-abs(x))
            loss = (e < 1e-4 ? e * (1 - 0.5 * e) : logf(1 + e)) + max(-x, 0)
            g = -(x >= 0 ? e / (1 + e) : 1 / (1 + e))
        } else {
            loss = margin - x
            if loss <= 0 { return 0 }  // NaN falls through, so divergence shows in the loss sum
            g = -1
        }
        guard admit() else { return nil }

        // Backward, hidden layer: δp, δn (over the pre-activations) and δu = δp + δn; w2, b1.
        let vg = KernelLane(repeating: g), vlr = KernelLane(repeating: lr), zero = KernelLane()
        var h = 0
        while h < hs {
            let zp = loadLane(zps + h), zn = loadLane(zns + h), o = loadLane(w.outputWeights + h)
            storeLane(o - vlr * vg * (relu(zp) - relu(zn)), w.outputWeights + h)
            let dp = (vg * o).replacing(with: zero, where: .!(zp .> zero))
            let dn = (-vg * o).replacing(with: zero, where: .!(zn .> zero))
            let du = dp + dn
            storeLane(loadLane(w.hiddenBias + h) - vlr * du, w.hiddenBias + h)
            storeLane(dp, zps + h); storeLane(dn, zns + h); storeLane(du, dus + h)
            h &+= width
        }
        // Backward, first layer: per input coordinate, the embedding gradients from the old
        // weights, then the new weights.
        let dps = zps, dns = zns
        var k = 0
        while k < dimension {
            let wu = w.userWeights + k &* hs, wi = w.itemWeights + k &* hs
            let su = KernelLane(repeating: -lr * u[k]), sp = KernelLane(repeating: -lr * p[k]), sn = KernelLane(repeating: -lr * n[k])
            var gu = KernelLane(), gp = KernelLane(), gn = KernelLane()
            h = 0
            while h < hs {
                let dp = loadLane(dps + h), dn = loadLane(dns + h), du = loadLane(dus + h)
                let vu = loadLane(wu + h), vi = loadLane(wi + h)
                gu = gu.addingProduct(du, vu); gp = gp.addingProduct(dp, vi); gn = gn.addingProduct(dn, vi)
                storeLane(vu.addingProduct(su, du), wu + h)
                storeLane(vi.addingProduct(sp, dp).addingProduct(sn, dn), wi + h)
                h &+= width
            }
            s.userGradient[k] = gu.laneSum; s.positiveGradient[k] = gp.laneSum; s.negativeGradient[k] = gn.laneSum
            k &+= 1
        }
        // Embedding rows: row·(1 − lr·λ) − lr·∂row (the gradients' padding is zero).
        let decay = KernelLane(repeating: 1 - lr * l2), step = -vlr
        k = 0
        while k < w.rowStride {
            storeLane((loadLane(u + k) * decay).addingProduct(step, loadLane(s.userGradient + k)), u + k)
            storeLane((loadLane(p + k) * decay).addingProduct(step, loadLane(s.positiveGradient + k)), p + k)
            storeLane((loadLane(n + k) * decay).addingProduct(step, loadLane(s.negativeGradient + k)), n + k)
            k &+= width
        }
        return loss
    }

    /// `out = Σ_k x[k]·weights_k (+ bias)` over `dimension` transposed weight rows of
    /// `hiddenStride` floats: `Wu·u + b1` (with the bias) or `Wi·i` (without), the two halves of
    /// every score.
    ///
    /// Preconditions (not checked): `hiddenStride` is a multiple of the lane width; `weights`
    /// holds `dimension · hiddenStride` floats, `bias` (when given) and `out` `hiddenStride`, and
    /// `x` `dimension`.
    ///
    /// - Complexity: O(dimension · hiddenStride).
    @inlinable
    public static func project(_ weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?, dimension: Int,
                               hiddenStride: Int, _ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let width = KernelLane.scalarCount
        var h = 0
        while h < hiddenStride {
            storeLane(bias.map { loadLane($0 + h) } ?? KernelLane(), out + h)
            h &+= width
        }
        var k = 0
        while k < dimension {
            Vector.axpy(x[k], weights + k &* hiddenStride, out, count: hiddenStride)
            k &+= 1
        }
    }

    /// The score `w2 · relu(a + b)` from a user's `a = Wu·u + b1` and an item's `b = Wi·i`, all
    /// `hiddenStride` floats.
    ///
    /// - Precondition: `hiddenStride` is a multiple of `hiddenAlignment` (not checked).
    /// - Complexity: O(hiddenStride): per lane one add, one max, one fused multiply-add.
    @inlinable @inline(__always)
    public static func score(user a: UnsafePointer<Float>, item b: UnsafePointer<Float>,
                             outputWeights w2: UnsafePointer<Float>, hiddenStride: Int) -> Float {
        let width = KernelLane.scalarCount
        var acc0 = KernelLane(), acc1 = KernelLane()
        var k = 0
        while k < hiddenStride {
            acc0 = acc0.addingProduct(loadLane(w2 + k), relu(loadLane(a + k) + loadLane(b + k)))
            acc1 = acc1.addingProduct(loadLane(w2 + k + width), relu(loadLane(a + k + width) + loadLane(b + k + width)))
            k &+= 2 * width
        }
        return (acc0 + acc1).laneSum
    }

    /// Lane-wise `max(x, 0)`, keeping NaN (so a diverged model shows as NaN, not as 0).
    @inlinable @inline(__always)
    static func relu(_ x: KernelLane) -> KernelLane { x.replacing(with: 0, where: x .< 0) }
}
