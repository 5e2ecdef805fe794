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

    /// As above; `admit` may veto the update (then nothing is written and the result is `nil`).
    @inlinable
    public static func cosineMargin(
        user u: UnsafeMutablePointer<Float>,
        positive p: UnsafeMutablePointer<Float>,
        negative n: UnsafeMutablePointer<Float>,
        count: Int,
        margin: Float,
        learningRate lr: Float,
        l2: Float,
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
        var uu = uuV.sum(), pp = ppV.sum(), nn = nnV.sum(), up = upV.sum(), un = unV.sum()
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
        let decay = 1 - lr * l2
        let uSelf = decay - lr * (cp - cn) * a * a, uFromP = lr * a * b, uFromN = -lr * a * c
        let pSelf = decay - lr * cp * b * b, pFromU = lr * a * b
        let nSelf = decay + lr * cn * c * c, nFromU = -lr * a * c
        combine(u, p, n, count: count,
                uSelf: uSelf, uFromP: uFromP, uFromN: uFromN,
                pSelf: pSelf, pFromU: pFromU, nSelf: nSelf, nFromU: nFromU)
        return loss
    }

    /// Margin (hinge) loss on dot products: `max(0, m − u·p + u·n)`.
    ///
    /// Gradients: `∂/∂u = n − p`, `∂/∂p = −u`, `∂/∂n = u`.
    ///
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

    /// As above; `admit` may veto the update (then nothing is written and the result is `nil`).
    @inlinable
    public static func dotMargin(
        user u: UnsafeMutablePointer<Float>,
        positive p: UnsafeMutablePointer<Float>,
        negative n: UnsafeMutablePointer<Float>,
        count: Int,
        margin: Float,
        learningRate lr: Float,
        l2: Float,
        admit: () -> Bool
    ) -> Float? {
        let (up, un) = twoDots(u, p, n, count: count)
        let loss = margin - up + un
        if loss <= 0 { return 0 }  // NaN falls through, so divergence shows in the loss sum
        guard admit() else { return nil }
        let decay = 1 - lr * l2
        combine(u, p, n, count: count,
                uSelf: decay, uFromP: lr, uFromN: -lr,
                pSelf: decay, pFromU: lr, nSelf: decay, nFromU: -lr)
        return loss
    }

    /// Bayesian personalised ranking: `−log σ(u·p − u·n)`.
    ///
    /// With `x = u·p − u·n` and `g = σ(−x)`: `∂/∂u = −g·(p − n)`, `∂/∂p = −g·u`, `∂/∂n = g·u`.
    /// The loss is evaluated in the overflow-free form `softplus(−x)`.
    ///
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

    /// As above; `admit` may veto the update (then nothing is written and the result is `nil`).
    @inlinable
    public static func dotBPR(
        user u: UnsafeMutablePointer<Float>,
        positive p: UnsafeMutablePointer<Float>,
        negative n: UnsafeMutablePointer<Float>,
        count: Int,
        learningRate lr: Float,
        l2: Float,
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
        let decay = 1 - lr * l2, step = lr * g
        combine(u, p, n, count: count,
                uSelf: decay, uFromP: step, uFromN: -step,
                pSelf: decay, pFromU: step, nSelf: decay, nFromU: -step)
        return loss
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
        var up = upV.sum(), un = unV.sum()
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
