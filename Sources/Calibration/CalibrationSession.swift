import Foundation
import QuantCore

/// The calibrated range of every observed activation tensor, by value id.
public struct ActivationRanges: Sendable {
    /// The method the ranges were chosen with.
    public var method: CalibrationMethod
    /// Value id → range (always contains zero, never empty).
    public var ranges: [Int: (min: Float, max: Float)]

    public init(method: CalibrationMethod, ranges: [Int: (min: Float, max: Float)]) {
        self.method = method
        self.ranges = ranges
    }

    /// The range of value `v`, if it was observed.
    public subscript(_ v: Int) -> (min: Float, max: Float)? { ranges[v] }
}

/// Collects ranges for many activation tensors during calibration: one histogram per value id,
/// fed with `observe(value:_:)` — for instance from the float engine's per-value callback.
/// Each worker thread owns a session; `merge` combines them (the result does not depend on how
/// the images were split). Since every observer works from the same histogram, one calibration
/// pass gives the ranges of every method (`ranges(method:)`).
public struct CalibrationSession: Sendable {
    /// The method `ranges()` uses.
    public let method: CalibrationMethod
    /// Upper percentile of the percentile method, in 50...100.
    public let percentile: Double
    /// Value id → the values seen so far.
    public private(set) var histograms: [Int: Histogram] = [:]

    /// Throws when `percentile` is not in 50...100 (e.g. a fraction like 0.9999 by mistake).
    public init(method: CalibrationMethod, percentile: Double = 99.99) throws {
        guard percentile >= 50 && percentile <= 100 else {
            throw ToolkitError("calibration", "percentile must be between 50 and 100 (e.g. 99.99), got \(percentile)")
        }
        self.method = method
        self.percentile = percentile
    }

    /// Adds the values of activation `value` for one image (or any batch of them).
    public mutating func observe(value: Int, _ values: UnsafeBufferPointer<Float>) {
        histograms[value, default: Histogram()].observe(values)
    }

    /// Adds everything another session (another worker) has observed.
    public mutating func merge(_ other: CalibrationSession) {
        for (value, histogram) in other.histograms {
            histograms[value, default: Histogram()].merge(histogram)
        }
    }

    /// The ranges chosen with this session's method.
    public func ranges() -> ActivationRanges { ranges(method: method) }

    /// The ranges another method would choose from the same observations.
    public func ranges(method: CalibrationMethod) -> ActivationRanges {
        let items = histograms.sorted { $0.key < $1.key }
        // Entropy and MSE searches take milliseconds per tensor: spread them over the cores.
        let results = parallelMap(count: items.count, threads: ProcessInfo.processInfo.activeProcessorCount) { _, k in
            CalibrationSession.range(of: items[k].value, method: method, percentile: percentile)
        }
        var ranges: [Int: (min: Float, max: Float)] = [:]
        for (k, item) in items.enumerated() { ranges[item.key] = results[k] }
        return ActivationRanges(method: method, ranges: ranges)
    }

    /// The range `method` chooses for the values in `histogram`.
    public static func range(of histogram: Histogram, method: CalibrationMethod, percentile: Double = 99.99) -> (min: Float, max: Float) {
        switch method {
        case .minmax:
            return histogram.min <= histogram.max
                ? validActivationRange(min: histogram.min, max: histogram.max) : validActivationRange(min: 0, max: 0)
        case .percentile: return PercentileObserver(histogram: histogram, percentile: percentile).range()
        case .mse: return MSEObserver(histogram: histogram).range()
        case .entropy: return EntropyObserver(histogram: histogram).range()
        }
    }
}
