/// How an activation range is chosen from the values seen during calibration.
public enum CalibrationMethod: String, CaseIterable, Sendable {
    /// The smallest and largest value seen (nothing is clipped).
    case minmax
    /// The low and high percentiles of the values (outliers are clipped).
    case percentile
    /// The range that minimizes the expected int8 quantization error (rounding noise + clipping).
    case mse
    /// The range that minimizes the KL divergence between the value distribution and its
    /// 128-level quantized form (TensorRT's calibrator).
    case entropy
}

/// Collects the values of one activation tensor over all calibration images and turns them into
/// a range for the int8 grid. Workers observe in parallel and merge their observers at the end.
public protocol RangeObserver: Sendable {
    /// Adds a batch of values. Non-finite values (NaN, ±infinity) are ignored.
    mutating func observe(_ values: UnsafeBufferPointer<Float>)
    /// Adds everything `other` has observed, as if `self` had observed it too.
    mutating func merge(_ other: Self)
    /// The chosen range. It always contains zero and is never empty (see `validActivationRange`).
    func range() -> (min: Float, max: Float)
}

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
