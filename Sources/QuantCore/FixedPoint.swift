import Foundation

/// A real multiplier as Q31 fixed point: `M ≈ multiplier × 2^(shift − 31)`, with `multiplier`
/// in [2^30, 2^31) (or 0 for M = 0). See Docs/ARITHMETIC.md.
public struct QuantizedMultiplier: Sendable, Equatable {
    public var multiplier: Int32
    public var shift: Int32
    public init(multiplier: Int32, shift: Int32) { self.multiplier = multiplier; self.shift = shift }

    /// Converts a non-negative real multiplier exactly as TFLite's `QuantizeMultiplier` does
    /// (`frexp`, `round(f · 2^31)` half away from zero, 2^31 → 2^30 with the exponent + 1).
    /// Multipliers below 2^−32 become 0 (as in TFLite); ones too large for a shift of 30 (or
    /// infinite) saturate to `(2^31 − 1, 31)`, which no derivation from sane scales produces.
    public init(_ real: Double) {
        precondition(real >= 0, "multiplier must be non-negative, got \(real)")
        if real == 0 { self.init(multiplier: 0, shift: 0); return }
        if !real.isFinite { self.init(multiplier: Int32.max, shift: 31); return }
        let f = frexp(real)
        var q = Int64((f.0 * Double(1 << 31)).rounded())
        var e = f.1
        if q == (1 << 31) { q /= 2; e += 1 }
        if e < -31 { self.init(multiplier: 0, shift: 0); return }
        if e > 30 { self.init(multiplier: Int32.max, shift: 31); return }
        self.init(multiplier: Int32(q), shift: Int32(e))
    }

    /// The real value this fixed-point multiplier stands for.
    public var real: Double { Double(multiplier) * pow(2.0, Double(shift) - 31) }
}

/// Saturating rounding doubling high multiply (gemmlowp / TFLite / CMSIS-NN): `a × b / 2^31`
/// rounded to nearest with exact halves rounded UP, i.e. `floor((a × b + 2^30) / 2^31)`. The
/// nudge-and-truncate idiom below rounds a positive half away from zero but a negative half
/// toward zero (−0.5 → 0, −1.5 → −1); this is kept for bit-exactness with TFLite. The single
/// overflow case (INT32_MIN × INT32_MIN) saturates to INT32_MAX.
@inlinable
public func saturatingRoundingDoublingHighMul(_ a: Int32, _ b: Int32) -> Int32 {
    if a == Int32.min && b == Int32.min { return Int32.max }
    let ab = Int64(a) * Int64(b)
    let nudge: Int64 = ab >= 0 ? (1 << 30) : (1 - (1 << 30))
    return Int32(truncatingIfNeeded: (ab + nudge) / (1 << 31))
}

/// Divides by 2^exponent rounding to nearest, half away from zero (exponent in 0...31).
@inlinable
public func roundingDivideByPowerOfTwo(_ x: Int32, _ exponent: Int32) -> Int32 {
    let mask: Int32 = exponent >= 31 ? Int32.max : (Int32(1) << exponent) &- 1
    let remainder = x & mask
    let threshold = (mask >> 1) &+ (x < 0 ? 1 : 0)
    return (x >> exponent) &+ (remainder > threshold ? 1 : 0)
}

/// THE requantization of the toolkit (its C twin is `q8_requantize` in Targets/runtime):
/// `acc × M0 × 2^(shift − 31)` with TFLite's double rounding: saturating left shift by
/// `max(shift, 0)`, then `saturatingRoundingDoublingHighMul` (halves up), then
/// `roundingDivideByPowerOfTwo` by `min(−shift, 31)` when shift < 0 (halves away from zero).
@inlinable
public func requantize(_ acc: Int32, _ multiplier: Int32, _ shift: Int32) -> Int32 {
    var x = acc
    if shift > 0 {
        let wide = Int64(acc) << Int64(shift)
        x = Int32(clamping: wide)
    }
    let high = saturatingRoundingDoublingHighMul(x, multiplier)
    return shift < 0 ? roundingDivideByPowerOfTwo(high, min(-shift, 31)) : high
}

/// Requantizes, adds the output zero point and clamps to [lo, hi] — exactly, even when the
/// requantized value is near the int32 limits (a saturated left shift): it is computed as
/// `clamp(v, lo − zp, hi − zp) + zp`, which equals `clamp(v + zp, lo, hi)` without the int32
/// overflow of `v + zp` (for zp, lo, hi in int8 range).
@inlinable
public func requantizeToInt8(_ acc: Int32, _ multiplier: Int32, _ shift: Int32, zeroPoint: Int32, lo: Int32, hi: Int32) -> Int8 {
    let v = requantize(acc, multiplier, shift)
    return Int8(truncatingIfNeeded: Swift.min(Swift.max(v, lo &- zeroPoint), hi &- zeroPoint) &+ zeroPoint)
}
