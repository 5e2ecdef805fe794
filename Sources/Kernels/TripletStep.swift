#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fused SGD steps for one (user, positive item, negative item) triplet.
///
/// Each step reads the three rows once to compute the similarities, evaluates the loss, and — when
/// the loss has a non-zero gradient — writes all three rows in a second pass. Every gradient is
/// taken at the rows' values *before* the step. L2 regularisation `λ/2·(|u|²+|p|²+|n|²)` is
/// applied with the update, i.e. only to the rows a triplet actually moves (as LightFM does), so
/// a satisfied triplet costs reads only.
///
/// Preconditions (the caller's contract, not checked): the three rows are `count` floats each and
/// do not overlap (`positive != negative`).
///
/// The functions return the triplet's loss before the update (0 for a satisfied margin triplet).
/// The variants taking `admit` call it once, only when the step is about to write (the loss has a
/// gradient), and write nothing and return `nil` when it returns false: the trainer uses it to
/// reject negatives that are the user's positives without searching for satisfied triplets.
/// Under Hogwild training other threads may be writing the same rows concurrently; the steps
/// tolerate that by design (a torn read costs a slightly stale gradient, never a crash).
public enum TripletStep {
    /// Margin (hinge) loss on cosine similarity: `max(0, m − cos(u,p) + cos(u,n))`.
    ///
    /// With `a = 1/|u|`, `b = 1/|p|`, `c = 1/|n|`, `cp = cos(u,p)`, `cn = cos(u,n)`:
    /// - `∂/∂u = −ab·p + ac·n + (cp − cn)·a²·u`
    /// - `∂/∂p = −ab·u + cp·b²·p`
    /// - `∂/∂n = ac·u − cn·c²·n`
    ///
    /// A zero row contributes cosine 0 and a zero gradient.
    ///
    /// - Parameters:
    ///   - u: the user row (`count` floats), updated in place.
    ///   - p: the positive item row, updated in place.
    ///   - n: the negative item row, updated in place; not the same row as `p`.
    ///   - count: floats per row (the padded stride works: zero padding stays zero).
    ///   - margin: the hinge margin `m`.
    ///   - lr: the learning rate.
    ///   - l2: the L2 strength `λ`.
    /// - Returns: the loss before the update; 0 (and no write) for a satisfied triplet.
    /// - Complexity: O(`count`): five fused reductions, then three fused row updates.
    @inlinable
    public static func cosineMargin(
        user u: UnsafeMutablePointer<Float>,
        positive p: UnsafeMutablePointer<Float>,
        negative n: UnsafeMutablePointer<Float>,
        count: Int,
        margin: Float,
        learningRate lr: Float,
        l2: Float
    ) -> Float {
        cosineMargin(user: u, positive: p, negative: n, count: count, margin: margin, learningRate: lr, l2: l2,
               admit: { true })!
    }

    /// Margin (hinge) loss on cosine similarity, `max(0, m − cos(u,p) + cos(u,n))`, with optional
    /// per-row Adagrad rates and a veto on the update.
    ///
    /// The gradients are those of `cosineMargin(user:positive:negative:count:margin:learningRate:l2:)`.
    ///
    /// - Parameters:
    ///   - u: the user row (`count` floats), updated in place.
    ///   - p: the positive item row, updated in place.
    ///   - n: the negative item row, updated in place; not the same row as `p`.
    ///   - count: floats per row (the padded stride works: zero padding stays zero).
    ///   - margin: the hinge margin `m`.
    ///   - lr: the learning rate (divided per row by `√G` under Adagrad).
    ///   - l2: the L2 strength `λ`.
    ///   - adagrad: the three rows' Adagrad accumulators, or `nil` for plain SGD.
    ///   - admit: called once, only when the triplet violates the margin and is about to be
    ///     written; returning false vetoes the update.
    /// - Returns: the loss before the update (0, with no write, for a satisfied triplet), or
    ///   `nil` when `admit` vetoed it (nothing written, accumulators untouched).
    /// - Complexity: O(`count`); Adagrad adds one dot product.
    @inlinable
    public static func cosineMargin(
        user u: UnsafeMutablePointer<Float>,
        positive p: UnsafeMutablePointer<Float>,
        negative n: UnsafeMutablePointer<Float>,
        count: Int,
        margin: Float,
        learningRate lr: Float,
        l2: Float,
        adagrad: AdagradSlots? = nil,
        admit: () -> Bool
    ) -> Float? {
        let width = KernelLane.scalarCount
        var uuV = KernelLane(), ppV = KernelLane(), nnV = KernelLane()
        var upV = KernelLane(), unV = KernelLane()
        var i = 0
        while i + width <= count {
            let vu = loadLane(u + i), vp = loadLane(p + i), vn = loadLane(n + i)
            uuV = uuV.addingProduct(vu, vu)
            ppV = ppV.addingProduct(vp, vp)
            nnV = nnV.addingProduct(vn, vn)
            upV = upV.addingProduct(vu, vp)
            unV = unV.addingProduct(vu, vn)
            i += width
        }
        var uu = uuV.laneSum, pp = ppV.laneSum, nn = nnV.laneSum, up = upV.laneSum, un = unV.laneSum
        var j = i
        while j < count {
            uu += u[j] * u[j]; pp += p[j] * p[j]; nn += n[j] * n[j]
            up += u[j] * p[j]; un += u[j] * n[j]
            j += 1
        }
        let a = Vector.inverseNorm(uu), b = Vector.inverseNorm(pp), c = Vector.inverseNorm(nn)
        let cp = up * a * b, cn = un * a * c
        let loss = margin - cp + cn
        if loss <= 0 { return 0 }  // NaN falls through, so divergence shows in the loss sum
        guard admit() else { return nil }

        // new = row·(1 − lr·λ) − lr·∂, written as per-row linear combinations.
        var lu = lr, lp = lr, ln = lr
        if let adagrad {
            // |∂u|² = a²(2 − 2·p̂·n̂ − (cp − cn)²), |∂p|² = b²(1 − cp²), |∂n|² = c²(1 − cn²), with
            // p̂·n̂ = (p·n)·b·c; p·n is the one product the loss did not need.
            let pn = Vector.dot(p, n, count: count) * b * c
            let d = cp - cn
            (lu, lp, ln) = adagrad.rates(lr, count: count,
                                         user: a * a * max(2 - 2 * pn - d * d, 0),
                                         positive: b * b * max(1 - cp * cp, 0),
                                         negative: c * c * max(1 - cn * cn, 0))
        }
        let uSelf = 1 - lu * l2 - lu * (cp - cn) * a * a, uFromP = lu * a * b, uFromN = -lu * a * c
        let pSelf = 1 - lp * l2 - lp * cp * b * b, pFromU = lp * a * b
        let nSelf = 1 - ln * l2 + ln * cn * c * c, nFromU = -ln * a * c
        combine(u, p, n, count: count,
                uSelf: uSelf, uFromP: uFromP, uFromN: uFromN,
                pSelf: pSelf, pFromU: pFromU, nSelf: nSelf, nFromU: nFromU)
        return loss
    }

    /// Margin (hinge) loss on dot products: `max(0, m − u·p + u·n)`.
    ///
    /// Gradients: `∂/∂u = n − p`, `∂/∂p = −u`, `∂/∂n = u`.
    ///
    /// - Parameters:
    ///   - u: the user row (`count` floats), updated in place.
    ///   - p: the positive item row, updated in place.
    ///   - n: the negative item row, updated in place; not the same row as `p`.
    ///   - count: floats per row (the padded stride works: zero padding stays zero).
    ///   - margin: the hinge margin `m`.
    ///   - lr: the learning rate.
    ///   - l2: the L2 strength `λ`.
    /// - Returns: the loss before the update; 0 (and no write) for a satisfied triplet.
    /// - Complexity: O(`count`).
    @inlinable
    public static func dotMargin(
        user u: UnsafeMutablePointer<Float>,
        positive p: UnsafeMutablePointer<Float>,
        negative n: UnsafeMutablePointer<Float>,
        count: Int,
        margin: Float,
        learningRate lr: Float,
        l2: Float
    ) -> Float {
        dotMargin(user: u, positive: p, negative: n, count: count, margin: margin, learningRate: lr, l2: l2,
               admit: { true })!
    }

    /// Margin (hinge) loss on dot products, `max(0, m − u·p + u·n)`, with optional per-row
    /// Adagrad rates and a veto on the update.
    ///
    /// - Parameters:
    ///   - u: the user row (`count` floats), updated in place.
    ///   - p: the positive item row, updated in place.
    ///   - n: the negative item row, updated in place; not the same row as `p`.
    ///   - count: floats per row (the padded stride works: zero padding stays zero).
    ///   - margin: the hinge margin `m`.
    ///   - lr: the learning rate (divided per row by `√G` under Adagrad).
    ///   - l2: the L2 strength `λ`.
    ///   - adagrad: the three rows' Adagrad accumulators, or `nil` for plain SGD.
    ///   - admit: called once, only when the triplet violates the margin and is about to be
    ///     written; returning false vetoes the update.
    /// - Returns: the loss before the update (0, with no write, for a satisfied triplet), or
    ///   `nil` when `admit` vetoed it.
    /// - Complexity: O(`count`); Adagrad adds one pass for the rows' norms.
    @inlinable
    public static func dotMargin(
        user u: UnsafeMutablePointer<Float>,
        positive p: UnsafeMutablePointer<Float>,
        negative n: UnsafeMutablePointer<Float>,
        count: Int,
        margin: Float,
        learningRate lr: Float,
        l2: Float,
        adagrad: AdagradSlots? = nil,
        admit: () -> Bool
    ) -> Float? {
        let (up, un) = twoDots(u, p, n, count: count)
        let loss = margin - up + un
        if loss <= 0 { return 0 }  // NaN falls through, so divergence shows in the loss sum
        guard admit() else { return nil }
        let (lu, lp, ln) = adagrad?.dotRates(lr, u, p, n, count: count, gradientScale: 1) ?? (lr, lr, lr)
        combine(u, p, n, count: count,
                uSelf: 1 - lu * l2, uFromP: lu, uFromN: -lu,
                pSelf: 1 - lp * l2, pFromU: lp, nSelf: 1 - ln * l2, nFromU: -ln)
        return loss
    }

    /// Bayesian personalised ranking: `−log σ(u·p − u·n)`.
    ///
    /// With `x = u·p − u·n` and `g = σ(−x)`: `∂/∂u = −g·(p − n)`, `∂/∂p = −g·u`, `∂/∂n = g·u`.
    /// The loss is evaluated in the overflow-free form `softplus(−x)`. BPR has a gradient for
    /// every triplet, so every call writes the three rows.
    ///
    /// - Parameters:
    ///   - u: the user row (`count` floats), updated in place.
    ///   - p: the positive item row, updated in place.
    ///   - n: the negative item row, updated in place; not the same row as `p`.
    ///   - count: floats per row (the padded stride works: zero padding stays zero).
    ///   - lr: the learning rate.
    ///   - l2: the L2 strength `λ`.
    /// - Returns: the loss before the update.
    /// - Complexity: O(`count`).
    @inlinable
    public static func dotBPR(
        user u: UnsafeMutablePointer<Float>,
        positive p: UnsafeMutablePointer<Float>,
        negative n: UnsafeMutablePointer<Float>,
        count: Int,
        learningRate lr: Float,
        l2: Float
    ) -> Float {
        dotBPR(user: u, positive: p, negative: n, count: count, learningRate: lr, l2: l2, admit: { true })!
    }

    /// Bayesian personalised ranking, `−log σ(u·p − u·n)`, with optional per-row Adagrad rates
    /// and a veto on the update.
    ///
    /// - Parameters:
    ///   - u: the user row (`count` floats), updated in place.
    ///   - p: the positive item row, updated in place.
    ///   - n: the negative item row, updated in place; not the same row as `p`.
    ///   - count: floats per row (the padded stride works: zero padding stays zero).
    ///   - lr: the learning rate (divided per row by `√G` under Adagrad).
    ///   - l2: the L2 strength `λ`.
    ///   - adagrad: the three rows' Adagrad accumulators, or `nil` for plain SGD.
    ///   - admit: called once, first, since every BPR triplet is about to be written; returning
    ///     false vetoes the update before anything is read.
    /// - Returns: the loss before the update, or `nil` when `admit` vetoed it.
    /// - Complexity: O(`count`); Adagrad adds one pass for the rows' norms.
    @inlinable
    public static func dotBPR(
        user u: UnsafeMutablePointer<Float>,
        positive p: UnsafeMutablePointer<Float>,
        negative n: UnsafeMutablePointer<Float>,
        count: Int,
        learningRate lr: Float,
        l2: Float,
        adagrad: AdagradSlots? = nil,
        admit: () -> Bool
    ) -> Float? {
        guard admit() else { return nil }
        let (up, un) = twoDots(u, p, n, count: count)
        let x = up - un
        // softplus(−x) = log(1 + e^−|x|) + max(−x, 0); with e = e^−|x| ∈ (0, 1], log(1 + e) is
        // computed as logf (several times cheaper than log1pf) except for tiny e, where it is e.
        let e = expf(-abs(x))
        let softplus = e < 1e-4 ? e * (1 - 0.5 * e) : logf(1 + e)
        let loss = softplus + max(-x, 0)
        let g = x >= 0 ? e / (1 + e) : 1 / (1 + e)
        let (lu, lp, ln) = adagrad?.dotRates(lr, u, p, n, count: count, gradientScale: g) ?? (lr, lr, lr)
        combine(u, p, n, count: count,
                uSelf: 1 - lu * l2, uFromP: lu * g, uFromN: -lu * g,
                pSelf: 1 - lp * l2, pFromU: lp * g, nSelf: 1 - ln * l2, nFromU: -ln * g)
        return loss
    }

    /// `(|u|², |p|², |n|², p·n)` in one pass: what the dot losses' gradient norms need.
    @inlinable @inline(__always)
    internal static func gramTerms(
        _ u: UnsafePointer<Float>, _ p: UnsafePointer<Float>, _ n: UnsafePointer<Float>, count: Int
    ) -> (uu: Float, pp: Float, nn: Float, pn: Float) {
        let width = KernelLane.scalarCount
        var uuV = KernelLane(), ppV = KernelLane(), nnV = KernelLane(), pnV = KernelLane()
        var i = 0
        while i + width <= count {
            let vu = loadLane(u + i), vp = loadLane(p + i), vn = loadLane(n + i)
            uuV = uuV.addingProduct(vu, vu)
            ppV = ppV.addingProduct(vp, vp)
            nnV = nnV.addingProduct(vn, vn)
            pnV = pnV.addingProduct(vp, vn)
            i += width
        }
        var uu = uuV.laneSum, pp = ppV.laneSum, nn = nnV.laneSum, pn = pnV.laneSum
        while i < count {
            uu += u[i] * u[i]; pp += p[i] * p[i]; nn += n[i] * n[i]; pn += p[i] * n[i]
            i += 1
        }
        return (uu, pp, nn, pn)
    }

    /// `(u·p, u·n)` in one pass.
    @inlinable @inline(__always)
    internal static func twoDots(
        _ u: UnsafePointer<Float>, _ p: UnsafePointer<Float>, _ n: UnsafePointer<Float>, count: Int
    ) -> (Float, Float) {
        let width = KernelLane.scalarCount
        var upV = KernelLane(), unV = KernelLane()
        var i = 0
        while i + width <= count {
            let vu = loadLane(u + i)
            upV = upV.addingProduct(vu, loadLane(p + i))
            unV = unV.addingProduct(vu, loadLane(n + i))
            i += width
        }
        var up = upV.laneSum, un = unV.laneSum
        while i < count {
            up += u[i] * p[i]
            un += u[i] * n[i]
            i += 1
        }
        return (up, un)
    }

    /// Writes, from the rows' current values,
    /// `u ← uSelf·u + uFromP·p + uFromN·n`, `p ← pSelf·p + pFromU·u`, `n ← nSelf·n + nFromU·u`.
    @inlinable @inline(__always)
    internal static func combine(
        _ u: UnsafeMutablePointer<Float>, _ p: UnsafeMutablePointer<Float>, _ n: UnsafeMutablePointer<Float>,
        count: Int,
        uSelf: Float, uFromP: Float, uFromN: Float,
        pSelf: Float, pFromU: Float, nSelf: Float, nFromU: Float
    ) {
        let width = KernelLane.scalarCount
        let cuu = KernelLane(repeating: uSelf), cup = KernelLane(repeating: uFromP)
        let cun = KernelLane(repeating: uFromN), cpp = KernelLane(repeating: pSelf)
        let cpu = KernelLane(repeating: pFromU), cnn = KernelLane(repeating: nSelf)
        let cnu = KernelLane(repeating: nFromU)
        var i = 0
        while i + width <= count {
            let vu = loadLane(u + i), vp = loadLane(p + i), vn = loadLane(n + i)
            storeLane((vu * cuu).addingProduct(cup, vp).addingProduct(cun, vn), u + i)
            storeLane((vp * cpp).addingProduct(cpu, vu), p + i)
            storeLane((vn * cnn).addingProduct(cnu, vu), n + i)
            i += width
        }
        while i < count {
            let su = u[i], sp = p[i], sn = n[i]
            u[i] = uSelf * su + uFromP * sp + uFromN * sn
            p[i] = pSelf * sp + pFromU * su
            n[i] = nSelf * sn + nFromU * su
            i += 1
        }
    }
}

/// Per-row Adagrad (Duchi, Hazan & Singer, 2011) for one triplet: where the three rows keep their
/// accumulated mean squared gradient `G` (one `Float` per row, starting at 1).
///
/// A step adds `|∂row|²/count` to the row's `G` and moves the row with the rate `lr/√G`: rows
/// that are updated often (popular items, active users) slow down, rarely seen ones keep a large
/// step. One scalar per row instead of one per coordinate keeps the state at 1/dim of the table
/// and the update a single fused pass; the L2 term is not accumulated.
///
/// Under Hogwild training the item slots are shared, racy scalars like the item rows themselves.
///
/// The slots are raw pointers into an accumulator buffer the caller owns: they are valid only
/// inside that buffer's scoped `withUnsafe…` closure and must not be stored beyond it.
public struct AdagradSlots {
    /// The user row's accumulator.
    public var user: UnsafeMutablePointer<Float>
    /// The positive item row's accumulator.
    public var positive: UnsafeMutablePointer<Float>
    /// The negative item row's accumulator.
    public var negative: UnsafeMutablePointer<Float>

    /// The slots of one triplet's three rows.
    @inlinable
    public init(user: UnsafeMutablePointer<Float>, positive: UnsafeMutablePointer<Float>, negative: UnsafeMutablePointer<Float>) {
        self.user = user
        self.positive = positive
        self.negative = negative
    }

    /// Accumulates the three squared gradient norms and returns the rows' learning rates.
    @inlinable @inline(__always)
    func rates(_ lr: Float, count: Int, user gu: Float, positive gp: Float, negative gn: Float) -> (Float, Float, Float) {
        let inverseCount = 1 / Float(count)
        user.pointee += gu * inverseCount
        positive.pointee += gp * inverseCount
        negative.pointee += gn * inverseCount
        return (lr / user.pointee.squareRoot(), lr / positive.pointee.squareRoot(), lr / negative.pointee.squareRoot())
    }

    /// The rates for a dot-product loss whose gradients are `scale·(n − p)`, `−scale·u`, `scale·u`.
    @inlinable @inline(__always)
    func dotRates(_ lr: Float, _ u: UnsafePointer<Float>, _ p: UnsafePointer<Float>, _ n: UnsafePointer<Float>,
                  count: Int, gradientScale g: Float) -> (Float, Float, Float) {
        let t = TripletStep.gramTerms(u, p, n, count: count)
        let g2 = g * g
        return rates(lr, count: count, user: g2 * max(t.pp + t.nn - 2 * t.pn, 0), positive: g2 * t.uu, negative: g2 * t.uu)
    }
}

extension TripletStep {
    /// Sampled softmax (InfoNCE): one SGD step for a user row against `itemCount` item rows,
    /// `items[0]` the positive and the rest sampled negatives.
    ///
    /// With similarities `sₖ` (cosine, or dot products) and `q = softmax(s/τ)`, the loss is
    /// `−log q₀` and `∂loss/∂sₖ = (qₖ − [k = 0])/τ`: every negative is pushed down in proportion
    /// to its share of the softmax, so the hardest get most of the step. For cosine, with
    /// `a = 1/|u|`, `cₖ = 1/|rₖ|`: `∂sₖ/∂u = a·cₖ·rₖ − sₖ·a²·u`, `∂sₖ/∂rₖ = a·cₖ·u − sₖ·cₖ²·rₖ`.
    /// L2 `λ/2·|row|²` is applied to every row the step moves. All gradients are taken at the rows'
    /// values before the step: item rows are written first, from the old user row, whose gradient
    /// is gathered in `scratch` and applied last.
    ///
    /// With `adagrad`, each row's rate is `lr/√G` after adding `|∂row|²/count` to its accumulator
    /// `G` (see `AdagradSlots`).
    ///
    /// Preconditions (not checked): `itemCount ≥ 1`; the rows are `count` floats each and the user
    /// row overlaps none of them; `scratch` holds `count + 3·itemCount` floats. An item row may
    /// appear more than once (negatives are drawn with replacement): each copy takes its step in
    /// turn, so a later copy's user gradient reads the row after the earlier copies' updates.
    ///
    /// - Parameters:
    ///   - u: the user row (`count` floats), updated in place.
    ///   - items: `itemCount` item row pointers: the positive, then the negatives.
    ///   - k: the number of item rows, at least 1.
    ///   - count: floats per row (the padded stride works: zero padding stays zero).
    ///   - cosine: whether the similarities are cosines (else dot products).
    ///   - temperature: `τ`, dividing the similarities before the softmax.
    ///   - lr: the learning rate (divided per row by `√G` under Adagrad).
    ///   - l2: the L2 strength `λ`.
    ///   - scratch: `count + 3·itemCount` floats of working memory, overwritten.
    ///   - adagrad: the rows' Adagrad accumulators, or `nil` for plain SGD.
    /// - Returns: the loss before the step, and whether a negative scored at least as high as the
    ///   positive.
    /// - Complexity: O(`itemCount · count`): one fused reduction per row, then one update per row.
    @inlinable
    public static func sampledSoftmax(
        user u: UnsafeMutablePointer<Float>,
        items: UnsafePointer<UnsafeMutablePointer<Float>>,
        itemCount k: Int,
        count: Int,
        cosine: Bool,
        temperature: Float,
        learningRate lr: Float,
        l2: Float,
        scratch: UnsafeMutablePointer<Float>,
        adagrad: SoftmaxAdagradSlots? = nil
    ) -> (loss: Float, violated: Bool) {
        let gradient = scratch, sim = scratch + count, inv = sim + k, weight = inv + k
        let inverseTemperature = 1 / temperature
        let a: Float = cosine ? Vector.inverseNorm(Vector.squaredNorm(u, count: count)) : 1
        var maxZ = -Float.infinity
        for j in 0..<k {
            if cosine {
                let (ur, rr) = Vector.dotAndSquaredNorm(u, items[j], count: count)
                inv[j] = Vector.inverseNorm(rr)
                sim[j] = ur * a * inv[j]
            } else {
                inv[j] = 1
                sim[j] = Vector.dot(u, items[j], count: count)
            }
            maxZ = max(maxZ, sim[j] * inverseTemperature)
        }
        var total: Float = 0
        var violated = false
        for j in 0..<k {
            weight[j] = expf(sim[j] * inverseTemperature - maxZ)
            total += weight[j]
            if j > 0 && sim[j] >= sim[0] { violated = true }
        }
        // −log q₀ = log Σ e^(zⱼ − max) − (z₀ − max).
        let loss = logf(total) - (sim[0] * inverseTemperature - maxZ)
        for d in 0..<count { gradient[d] = 0 }
        var uSelf: Float = 0  // the user gradient is `gradient + uSelf·u`
        let uu: Float = adagrad != nil && !cosine ? Vector.squaredNorm(u, count: count) : 0
        for j in 0..<k {
            let g = (weight[j] / total - (j == 0 ? 1 : 0)) * inverseTemperature
            let r = items[j]
            let toR = a * inv[j]  // 1 for dot products
            if cosine { uSelf -= g * sim[j] * a * a }
            var rate = lr
            if let adagrad {
                // |∂sⱼ/∂rⱼ|² = cⱼ²(1 − sⱼ²) for cosine, |u|² for dot products.
                let g2 = cosine ? inv[j] * inv[j] * max(1 - sim[j] * sim[j], 0) : uu
                rate = adagrad.rate(adagrad.items[j], lr, squaredGradient: g * g * g2, count: count)
            }
            let rSelf = 1 - rate * l2 + (cosine ? rate * g * sim[j] * inv[j] * inv[j] : 0)
            Vector.gatherAndScaleAndAdd(into: gradient, g * toR, r, scale: rSelf, -rate * g * toR, u, count: count)
        }
        var rate = lr
        if let adagrad {
            // |gradient + uSelf·u|² = |gradient|² + 2·uSelf·(gradient·u) + uSelf²·|u|².
            let g2 = Vector.squaredNorm(gradient, count: count) + 2 * uSelf * Vector.dot(gradient, u, count: count)
                + uSelf * uSelf * Vector.squaredNorm(u, count: count)
            rate = adagrad.rate(adagrad.user, lr, squaredGradient: max(g2, 0), count: count)
        }
        Vector.scaleAndAdd(u, scale: 1 - rate * l2 - rate * uSelf, -rate, gradient, count: count)
        return (loss, violated)
    }
}

/// Per-row Adagrad accumulators for a sampled-softmax step: the user's, and one per item row in
/// the step's order (see `AdagradSlots`). Valid, like those, only inside the owner's scoped
/// access to the accumulators.
public struct SoftmaxAdagradSlots {
    /// The user row's accumulator.
    public var user: UnsafeMutablePointer<Float>
    /// One accumulator per item row, in the order of the step's `items` (positive first).
    public var items: UnsafePointer<UnsafeMutablePointer<Float>>

    /// The slots of one sampled-softmax step: `items` must hold as many slots as the step has
    /// item rows.
    @inlinable
    public init(user: UnsafeMutablePointer<Float>, items: UnsafePointer<UnsafeMutablePointer<Float>>) {
        self.user = user
        self.items = items
    }

    /// Adds `squaredGradient/count` to `slot` and returns `lr/√slot`.
    @inlinable @inline(__always)
    func rate(_ slot: UnsafeMutablePointer<Float>, _ lr: Float, squaredGradient: Float, count: Int) -> Float {
        slot.pointee += squaredGradient / Float(count)
        return lr / slot.pointee.squareRoot()
    }
}
