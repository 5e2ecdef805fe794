#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Vector {
    /// `eˣ` lane by lane, to within about 2 ulp: Cody–Waite range reduction `x = k·ln 2 + r`,
    /// `|r| ≤ ln 2 / 2`, a degree-6 polynomial for `eʳ` (Cephes' `expf` coefficients), and `2ᵏ`
    /// built in the exponent bits. Inputs are clamped to `[−87.3, 88.3]`, so the result is always
    /// a positive normal float (no infinities, no zeros, no subnormals); NaN is not handled.
    ///
    /// The standard library has no vector `exp`; calling `expf` per lane costs about ten times
    /// as much.
    ///
    /// - Complexity: O(1), about twenty vector operations.
    @inlinable @inline(__always)
    public static func exp(_ x: KernelLane) -> KernelLane {
        let x = x.clamped(lowerBound: KernelLane(repeating: -87.3), upperBound: KernelLane(repeating: 88.3))
        let k = (x * 1.442_695_04).rounded(.toNearestOrEven)
        let r = x - k * 0.693_359_375 + k * 2.121_944_4e-4
        var p = KernelLane(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        p = p * r * r + r + 1
        // 2ᵏ: k + 1.5·2²³ puts k in the low mantissa bits; shift them into the exponent field.
        let magic: Float = 12_582_912
        let bits = unsafeBitCast(k + magic, to: SIMD16<UInt32>.self) &- magic.bitPattern
        let scale = unsafeBitCast((bits &+ 127) &<< 23, to: KernelLane.self)
        return p * scale
    }
}

/// The full-softmax (multinomial likelihood) step for a block of up to 32 users against every
/// item of the catalogue, on cosine similarity.
///
/// For user `u` with training positives `P(u)`, cosines `sᵢ` to every item and
/// `q = softmax(s/τ)`, the loss is `−Σ_{p∈P(u)} log qₚ` — every positive against the whole
/// catalogue, the objective the sampled softmax estimates with a few random negatives. Items the
/// user interacted with but did not rate highly enough to make positives (`W(u)`, "seen") may
/// join with a weight `α`: the loss is `−Σ_P log qₚ − α·Σ_W log q_w`, and with
/// `n = |P| + α·|W|`, `∂loss/∂sᵢ = (n·qᵢ − cᵢ)/τ`, `cᵢ` being 1 on `P`, `α` on `W`, 0 elsewhere.
/// Each user's gradient is scaled by its weight. Because the softmax is over the whole
/// catalogue, all of a user's positives share one normaliser: the block costs a few passes over
/// the item table, not one per positive.
///
/// **Layout.** The block's users are the lanes of two `KernelLane`s (users 0–15 and 16–31): the
/// block's scores for item `i` are two lanes, computed as `Σ_d rᵢ[d]·ûᵀ[d]` from the transposed
/// unit user rows; the users' gradient is gathered the same way, transposed, and the item
/// gradient `Σ_b gᵢ[b]·û_b` is a combination of user rows. Lanes past `userCount` are zero and
/// change nothing.
///
/// **Passes.** (1) Item norms, scores, `e = exp(s/τ − 1/τ)` (cosines are at most 1, so no maximum
/// is needed for stability) and their sums. (2) Loss, violations, and the positives' correction.
/// (3) For every item: its share of the users' gradient, then its own update. (4) The users'
/// updates. The users' gradients are taken at their rows before the step, and each item's at its
/// row just before its own update. The item rows are written in pass 3 while other workers may
/// read or write them: the Hogwild race, confined to the rows as everywhere in the trainer.
///
/// L2 `λ/2·|row|²` applies to every row the step moves: every item and the block's users.
public enum FullSoftmaxStep {
    /// Users per block: two lanes' worth. Larger blocks pass over the item table less often per
    /// user, and that pass is the step's only shared memory traffic: with blocks of 16, two
    /// workers were barely faster than one on ml-100k (0.55 s against 0.60 s); with 32, 1.75×.
    /// A numpy prototype of the step ranked equally well with blocks of 8 to 128 users.
    public static let blockSize = 2 * KernelLane.scalarCount

    /// Floats of workspace `step` needs for `itemCount` items of `stride` floats.
    public static func workspaceCount(itemCount: Int, stride: Int) -> Int {
        itemCount * blockSize + itemCount + 3 * stride * blockSize + stride + blockSize
    }

    /// One step for a block of users. See the type's documentation for the loss and the passes.
    ///
    /// Preconditions (not checked): `1 ≤ userCount ≤ blockSize`; every user has at least one
    /// positive, and its positives are distinct items below `itemCount`; the user rows overlap
    /// neither each other nor the item table; `stride` is a multiple of `KernelLane.scalarCount`
    /// and every row's padding is zero; `workspace` holds `workspaceCount(itemCount:stride:)`
    /// floats; `temperature` is at least 0.03 (below that, `exp` of the lowest scores would
    /// underflow its clamp).
    ///
    /// - Parameters:
    ///   - users: the block's `userCount` user rows, updated in place.
    ///   - positives: per user, its training positives (item indices).
    ///   - positiveCounts: per user, how many.
    ///   - seen: per user, the items it interacted with that are not positives (distinct, and
    ///     none of them a positive), or `nil` for none.
    ///   - seenCounts: per user, how many (read only with `seen`).
    ///   - seenWeight: `α`, the weight of a seen item (read only with `seen`).
    ///   - weights: per user, the scale of its gradient.
    ///   - items: the item table (`itemCount` rows of `stride` floats), updated in place.
    ///   - temperature: `τ`, dividing the cosines.
    ///   - lr: the learning rate.
    ///   - l2: the L2 strength `λ`.
    ///   - workspace: scratch memory, overwritten.
    /// - Returns: the block's summed loss (before the step), its positives, and how many of them
    ///   some item that is not a positive (a seen one included) scored at least as high as.
    /// - Complexity: O(`itemCount · stride · blockSize`): about `3·blockSize` multiply-adds per
    ///   item entry, whatever `userCount`.
    @inlinable
    public static func step(
        users: UnsafePointer<UnsafeMutablePointer<Float>>,
        userCount: Int,
        positives: UnsafePointer<UnsafePointer<Int32>>,
        positiveCounts: UnsafePointer<Int>,
        seen: UnsafePointer<UnsafePointer<Int32>>? = nil,
        seenCounts: UnsafePointer<Int>? = nil,
        seenWeight: Float = 0,
        weights: UnsafePointer<Float>,
        items: UnsafeMutablePointer<Float>,
        itemCount: Int,
        stride: Int,
        temperature: Float,
        learningRate lr: Float,
        l2: Float,
        workspace: UnsafeMutablePointer<Float>
    ) -> (loss: Double, positives: Int, violations: Int) {
        let block = blockSize, half = KernelLane.scalarCount
        let scores = workspace, inverseNorms = scores + itemCount * block
        let unitUsersT = inverseNorms + itemCount, unitUsers = unitUsersT + stride * block
        let userGradientT = unitUsers + stride * block, itemGradient = userGradientT + stride * block
        let factors = itemGradient + stride
        let inverseTemperature = 1 / temperature

        // Unit user rows, row-major and transposed (user b at column b); empty lanes zero.
        for b in 0..<block {
            let unit = unitUsers + b * stride
            if b < userCount {
                let a = Vector.inverseNorm(Vector.squaredNorm(users[b], count: stride))
                for d in 0..<stride { unit[d] = users[b][d] * a }
            } else {
                for d in 0..<stride { unit[d] = 0 }
            }
            for d in 0..<stride { unitUsersT[d * block + b] = unit[d] }
        }

        // Pass 1: e = exp((s − 1)/τ) for every item, and its sums per user. Four independent
        // accumulators (two lanes × even/odd entries) keep the multiply-adds flowing.
        var sumsLow = KernelLane(), sumsHigh = KernelLane()
        let shift = KernelLane(repeating: inverseTemperature)
        for i in 0..<itemCount {
            let r = items + i * stride
            let c = Vector.inverseNorm(Vector.squaredNorm(r, count: stride))
            inverseNorms[i] = c
            var low0 = KernelLane(), low1 = KernelLane(), high0 = KernelLane(), high1 = KernelLane()
            var d = 0
            while d < stride {
                let t = unitUsersT + d * block
                low0 = low0.addingProduct(loadLane(t), r[d])
                high0 = high0.addingProduct(loadLane(t + half), r[d])
                low1 = low1.addingProduct(loadLane(t + block), r[d + 1])
                high1 = high1.addingProduct(loadLane(t + block + half), r[d + 1])
                d &+= 2
            }
            let scale = c * inverseTemperature
            let eLow = Vector.exp((low0 + low1) * scale - shift)
            let eHigh = Vector.exp((high0 + high1) * scale - shift)
            storeLane(eLow, scores + i * block)
            storeLane(eHigh, scores + i * block + half)
            sumsLow += eLow
            sumsHigh += eHigh
        }

        // Pass 2: loss and violations per user, then turn each score into the gradient factor
        // gᵢ = coefficient·eᵢ, with eᵢ reduced by cᵢ·sum/n at the positives and seen items, so
        // that gᵢ = w·(n·qᵢ − cᵢ)/τ.
        var loss: Double = 0
        var positiveTotal = 0, violations = 0
        var coefficientsLow = KernelLane(), coefficientsHigh = KernelLane()
        for b in 0..<userCount {
            let list = positives[b], count = positiveCounts[b]
            let sum = b < half ? sumsLow[b] : sumsHigh[b - half]
            var logSum: Double = 0
            for k in 0..<count {
                let slot = scores + Int(list[k]) * block + b
                logSum += Double(logf(slot.pointee))
                slot.pointee = -slot.pointee  // marks a positive for the maximum below
            }
            let seenCount = seen == nil ? 0 : seenCounts![b]
            if let seen {
                var seenLogSum: Double = 0
                for k in 0..<seenCount { seenLogSum += Double(logf(scores[Int(seen[b][k]) * block + b])) }
                logSum += Double(seenWeight) * seenLogSum
            }
            let n = Float(count) + seenWeight * Float(seenCount)
            loss += Double(n) * Double(logf(sum)) - logSum
            positiveTotal += count
            let coefficient = weights[b] * n * inverseTemperature / sum
            if b < half { coefficientsLow[b] = coefficient } else { coefficientsHigh[b - half] = coefficient }
        }
        // The best non-positive score per user: positives are negative now, all others positive.
        var bestLow = KernelLane(repeating: -.greatestFiniteMagnitude), bestHigh = bestLow
        for i in 0..<itemCount {
            bestLow = pointwiseMax(bestLow, loadLane(scores + i * block))
            bestHigh = pointwiseMax(bestHigh, loadLane(scores + i * block + half))
        }
        for b in 0..<userCount {
            let list = positives[b], count = positiveCounts[b]
            let sum = b < half ? sumsLow[b] : sumsHigh[b - half]
            let best = b < half ? bestLow[b] : bestHigh[b - half]
            let seenCount = seen == nil ? 0 : seenCounts![b]
            let correction = sum / (Float(count) + seenWeight * Float(seenCount))
            for k in 0..<count {
                let slot = scores + Int(list[k]) * block + b
                let e = -slot.pointee
                if e <= best { violations += 1 }
                slot.pointee = e - correction
            }
            if let seen {
                for k in 0..<seenCount { scores[Int(seen[b][k]) * block + b] -= seenWeight * correction }
            }
        }

        // Pass 3: every item's share of the users' gradient (transposed), then its own update.
        for k in 0..<(stride * block) { userGradientT[k] = 0 }
        for i in 0..<itemCount {
            let r = items + i * stride
            let c = inverseNorms[i]
            let gLow = loadLane(scores + i * block) * coefficientsLow
            let gHigh = loadLane(scores + i * block + half) * coefficientsHigh
            // ∂loss/∂û_b += g[b]·c·rᵢ for every user b at once.
            let gcLow = gLow * c, gcHigh = gHigh * c
            var d = 0
            while d < stride {
                let t = userGradientT + d * block
                storeLane(loadLane(t).addingProduct(gcLow, r[d]), t)
                storeLane(loadLane(t + half).addingProduct(gcHigh, r[d]), t + half)
                d &+= 1
            }
            // ∂loss/∂v̂ᵢ = Σ_b g[b]·û_b; ∂loss/∂rᵢ = c·(that − (that·v̂ᵢ)·v̂ᵢ).
            storeLane(gLow, factors)
            storeLane(gHigh, factors + half)
            var along: Float = 0
            var chunk = 0
            while chunk < stride {
                var even = KernelLane(), odd = KernelLane()
                var b = 0
                while b &+ 1 < userCount {
                    even = even.addingProduct(factors[b], loadLane(unitUsers + b * stride + chunk))
                    odd = odd.addingProduct(factors[b + 1], loadLane(unitUsers + (b + 1) * stride + chunk))
                    b &+= 2
                }
                if b < userCount { even = even.addingProduct(factors[b], loadLane(unitUsers + b * stride + chunk)) }
                let sum = even + odd
                storeLane(sum, itemGradient + chunk)
                along += (sum * loadLane(r + chunk)).laneSum
                chunk &+= half
            }
            Vector.scaleAndAdd(r, scale: 1 - lr * l2 + lr * c * c * c * along, -lr * c, itemGradient, count: stride)
        }

        // Pass 4: the users' updates, from the transposed gradient.
        for b in 0..<userCount {
            for d in 0..<stride { itemGradient[d] = userGradientT[d * block + b] }
            let u = users[b], unit = unitUsers + b * stride
            let a = Vector.inverseNorm(Vector.squaredNorm(u, count: stride))
            let along = Vector.dot(itemGradient, unit, count: stride)
            // ∂loss/∂u = a·(grad − (grad·û)·û), û = a·u.
            Vector.scaleAndAdd(u, scale: 1 - lr * l2 + lr * a * a * along, -lr * a, itemGradient, count: stride)
        }
        return (loss, positiveTotal, violations)
    }
}
