import QuantCore

/// Reference hard-swish, element-wise: TFLite's int8 `HARD_SWISH` (`reference_ops::HardSwish`),
/// int16 fixed point (see `QHardSwish` and Docs/ARITHMETIC.md).
public func referenceHardSwish(_ input: UnsafePointer<Int8>, _ shape: Shape3, _ p: QHardSwish,
                               _ output: UnsafeMutablePointer<Int8>) {
    for i in 0..<shape.count { output[i] = hardSwishElement(input[i], p) }
}

/// Hard-swish of one int8 value, step by step as TFLite computes it (all int16 unless said).
public func hardSwishElement(_ q: Int8, _ p: QHardSwish) -> Int8 {
    let v = Int16(truncatingIfNeeded: (Int32(q) - p.inputZeroPoint) * 128)
    let preshift = roundingDoublingHighMul16(v, Int16(truncatingIfNeeded: p.outputMultiplier))
    var r = v
    if p.reluishExponent > 0 { r = saturatingLeftShift16(r, p.reluishExponent - 1) }
    r = roundingDoublingHighMul16(r, Int16(truncatingIfNeeded: p.reluishMultiplier))
    if p.reluishExponent > 0 { r = saturatingLeftShift16(r, 1) }
    if p.reluishExponent < 0 { r = Int16(truncatingIfNeeded: roundingDivideByPowerOfTwo(Int32(r), -p.reluishExponent)) }
    let unit = Int16(truncatingIfNeeded: (Int32(r) + 32768) >> 1)   // relu6(x + 3) / 6 in Q15, 0…32767
    let product = doublingHighMul16(unit, preshift)
    let shifted = roundingDivideByPowerOfTwo(Int32(product), -p.outputExponent)
    let out = Int32(Int16(truncatingIfNeeded: shifted + p.outputZeroPoint))
    return Int8(min(max(out, -128), 127))
}

/// gemmlowp's int16 `SaturatingRoundingDoublingHighMul`: `(a·b ± 2^14) / 2^15` truncated toward
/// zero (nudge +2^14 for a·b ≥ 0, 1 − 2^14 otherwise); −32768 · −32768 saturates to 32767.
@inline(__always)
func roundingDoublingHighMul16(_ a: Int16, _ b: Int16) -> Int16 {
    if a == Int16.min && b == Int16.min { return Int16.max }
    let ab = Int32(a) * Int32(b)
    let nudge: Int32 = ab >= 0 ? (1 << 14) : (1 - (1 << 14))
    return Int16(truncatingIfNeeded: (ab + nudge) / (1 << 15))
}

/// TFLite's `SaturatingDoublingHighMul` (int16, no rounding): `a·b / 2^15` truncated toward zero.
@inline(__always)
func doublingHighMul16(_ a: Int16, _ b: Int16) -> Int16 {
    if a == Int16.min && b == Int16.min { return Int16.max }
    return Int16(truncatingIfNeeded: (Int32(a) * Int32(b)) / (1 << 15))
}

/// TFLite's `SaturatingLeftShift` (int16): `x · 2^amount` saturated to int16.
@inline(__always)
func saturatingLeftShift16(_ x: Int16, _ amount: Int32) -> Int16 {
    Int16(min(max(Int64(x) << Int64(amount), Int64(Int16.min)), Int64(Int16.max)))
}
