/// wyrand: a 64-bit generator with one multiply per number, passing BigCrush and PractRand.
///
/// Every worker owns one, derived from `(seed, epoch, worker)` by `stream(seed:epoch:worker:)`,
/// so a run with a given seed and thread count is reproducible and no generator is shared.
public struct RandomSource: RandomNumberGenerator, Sendable, BitwiseCopyable {
    @usableFromInline internal var state: UInt64

    /// A generator started from `seed` (any value, 0 included).
    public init(seed: UInt64) {
        state = RandomSource.mix(seed)
    }

    /// An independent stream for one worker of one epoch: the same arguments always give the
    /// same stream.
    public static func stream(seed: UInt64, epoch: Int, worker: Int) -> RandomSource {
        RandomSource(seed: mix(seed ^ mix(UInt64(truncatingIfNeeded: epoch) &+ 0x9E37_79B9) ^
                               mix(UInt64(truncatingIfNeeded: worker) &* 0xD1B5_4A32_D192_ED03)))
    }

    /// SplitMix64's finaliser: a bijective avalanche of 64 bits.
    @inlinable
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The next 64 random bits: one wyrand step (an add, a 64 × 64 → 128-bit multiply, an xor).
    @inlinable @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0xA076_1D64_78BD_642F
        let product = state.multipliedFullWidth(by: state ^ 0xE703_7ED1_A0B4_28DB)
        return product.high ^ product.low
    }

    /// A uniform integer in `0..<bound` by Lemire's multiply-shift (bias below `bound / 2⁶⁴`).
    ///
    /// - Precondition: `bound > 0` (not checked: 0 gives 0).
    @inlinable @inline(__always)
    public mutating func next(below bound: Int) -> Int {
        Int(truncatingIfNeeded: UInt64(truncatingIfNeeded: bound).multipliedFullWidth(by: next()).high)
    }

    /// A uniform `Float` in `[0, 1)` with 24 random bits.
    @inlinable @inline(__always)
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A standard normal deviate (Box–Muller; one of the pair is discarded — used only for init).
    public mutating func nextGaussian() -> Float {
        let u1 = Double(next() >> 11) * 0x1p-53, u2 = Double(next() >> 11) * 0x1p-53
        let r = (-2 * _log(max(u1, .leastNonzeroMagnitude))).squareRoot()
        return Float(r * _cos(2 * Double.pi * u2))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@inline(__always) private func _log(_ x: Double) -> Double { log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { cos(x) }
