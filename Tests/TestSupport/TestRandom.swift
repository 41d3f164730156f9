import Foundation

/// The one deterministic generator of the tests, the fuzzer and the benchmarks: SplitMix64, whose
/// every output is defined here, so a seed gives the same models, tensors and mutated files on
/// every machine and toolchain (the golden blobs of ExportTests depend on it). Also a
/// `RandomNumberGenerator`, for `Int8.random(in:using:)` and the like.
public struct TestRandom: RandomNumberGenerator {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<n (n > 0; modulo bias is irrelevant here).
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    /// True once in `oneIn` on average.
    public mutating func chance(_ oneIn: Int) -> Bool { below(oneIn) == 0 }
    /// Uniform integer in `range`.
    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
    /// Uniform int8 in lo...hi.
    public mutating func int8(_ lo: Int8, _ hi: Int8) -> Int8 { Int8(int(Int(lo)...Int(hi))) }
    public mutating func bool() -> Bool { next() & 1 == 1 }
    /// One byte (the top 8 bits of the next output).
    public mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next() >> 56) }
    public mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in byte() } }
    /// Uniform in [0, 1), 53 bits.
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    /// Uniform double in `range`.
    public mutating func double(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * unit()
    }
    /// Uniform float in [lo, hi).
    public mutating func uniform(_ lo: Float, _ hi: Float) -> Float { lo + Float(unit()) * (hi - lo) }
    /// `n` uniform floats in [lo, hi).
    public mutating func floats(_ n: Int, _ lo: Float = -1, _ hi: Float = 1) -> [Float] { (0..<n).map { _ in uniform(lo, hi) } }
    /// Standard normal (Box–Muller).
    public mutating func gaussian() -> Float {
        let u = Swift.max(unit(), 1e-300), v = unit()
        return Float((-2 * log(u)).squareRoot() * cos(2 * Double.pi * v))
    }
}
