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
