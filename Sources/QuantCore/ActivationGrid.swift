import Foundation

// The int8 activation grid: how a float range becomes a scale and a zero point (the Quantizer,
// the calibration observers) and which float range a grid covers (the reports).

/// The smallest width an activation range may have: a tensor that was (almost) constant zero
/// during calibration gets `[0, minimumActivationRangeSpan]`, so its scale is never zero.
public let minimumActivationRangeSpan: Float = 1e-6

/// Makes a range usable for the asymmetric int8 grid: widens it to contain zero, replaces NaN by 0
/// and infinities by the largest finite float, and widens a range narrower than
/// `minimumActivationRangeSpan` (on the side of its larger magnitude).
public func validActivationRange(min lo: Float, max hi: Float) -> (min: Float, max: Float) {
    func finite(_ x: Float) -> Float {
        if x.isNaN { return 0 }
        return Swift.max(-Float.greatestFiniteMagnitude, Swift.min(Float.greatestFiniteMagnitude, x))
    }
    var a = Swift.min(finite(lo), 0)
    var b = Swift.max(finite(hi), 0)
    if b - a < minimumActivationRangeSpan {
        if -a > b { a = b - minimumActivationRangeSpan } else { b = a + minimumActivationRangeSpan }
    }
    // Write a zero end as +0 (an end computed as −0 would print as "-0.0").
    return (a == 0 ? 0 : a, b == 0 ? 0 : b)
}

/// Scale and zero point of the asymmetric int8 activation grid [−128, 127] for a float range,
/// the TFLite way: the range is first widened to contain zero (`validActivationRange`), then
/// `scale = (max − min) / 255` and the zero point is `−128 − min / scale` rounded to the nearest
/// integer (half away from zero), so that the real value 0 is exactly the integer `zeroPoint`.
/// The scale is rounded up to `scaleSignificantBits` (`shortScale`) first.
/// This "nudges" the represented range `scale × ([−128, 127] − zeroPoint)` by less than half a
/// step. The scale is never zero (see `minimumActivationRangeSpan`).
public func activationQuantParams(min: Float, max: Float) -> (scale: Double, zeroPoint: Int32) {
    let r = validActivationRange(min: min, max: max)
    let lo = Double(r.min), hi = Double(r.max)
    let scale = shortScale((hi - lo) / 255)
    let zeroPoint = (-128 - lo / scale).rounded()
    return (scale, Int32(Swift.min(127, Swift.max(-128, zeroPoint))))
}

/// The float range a grid represents: `scale × (−128 − zeroPoint)` … `scale × (127 − zeroPoint)`.
public func gridRange(scale: Double, zeroPoint: Int32) -> (min: Double, max: Double) {
    (scale * Double(-128 - Int(zeroPoint)), scale * Double(127 - Int(zeroPoint)))
}

/// Significant bits every scale the quantizer chooses keeps (`shortScale`).
public let scaleSignificantBits = 8

/// `s` rounded up to `scaleSignificantBits` significant bits (a float32 value). The quantizer
/// passes every activation and weight scale it derives through this, so that noise in the last bits
/// of the float model — the same network exported by another tool folds its batch norms a few ulps
/// differently — almost never changes a scale, hence a multiplier, a weight or a bias: the int8
/// model depends on the network, not on how its floats were rounded. Rounding up keeps the range
/// covered; the step grows by less than 2⁻⁷ (0.8 %). Zero, negative and non-finite values pass.
public func shortScale(_ s: Double) -> Double {
    guard s.isFinite, s > 0 else { return s }
    let unit = Double(sign: .plus, exponent: s.exponent - (scaleSignificantBits - 1), significand: 1)
    return (s / unit).rounded(.up) * unit
}
