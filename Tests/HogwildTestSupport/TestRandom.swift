/// A deterministic source of test data (SplitMix64), independent of the engine's generator so
/// that tests never share a bug with the code they check.
public struct TestRandom {
    public var state: UInt64

    public init(_ seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `0..<n` (modulo; the bias is irrelevant for tests).
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in [−1, 1).
    public mutating func symmetric() -> Float { Float(unit() * 2 - 1) }

    /// `count` values uniform in [−scale, scale).
    public mutating func vector(_ count: Int, scale: Float = 1) -> [Float] { (0..<count).map { _ in symmetric() * scale } }
}
