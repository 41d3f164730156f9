import Foundation

/// Scale and zero point of the asymmetric int8 activation grid [−128, 127] for a float range,
/// the TFLite way: the range is first widened to contain zero (`validActivationRange`), then
/// `scale = (max − min) / 255` and the zero point is `−128 − min / scale` rounded to the nearest
/// integer (half away from zero), so that the real value 0 is exactly the integer `zeroPoint`.
/// This "nudges" the represented range `scale × ([−128, 127] − zeroPoint)` by less than half a
/// step. The scale is never zero (see `minimumActivationRangeSpan`).
public func activationQuantParams(min: Float, max: Float) -> (scale: Double, zeroPoint: Int32) {
    let r = validActivationRange(min: min, max: max)
    let lo = Double(r.min), hi = Double(r.max)
    let scale = (hi - lo) / 255
    let zeroPoint = (-128 - lo / scale).rounded()
    return (scale, Int32(Swift.min(127, Swift.max(-128, zeroPoint))))
}
