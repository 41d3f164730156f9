import QuantCore

/// Clips the rarest values: the range runs from the `(100 − p)`-th to the `p`-th percentile of the
/// values (e.g. p = 99.99 keeps all but the 0.01 % most extreme values on each side), read from
/// a `Histogram`. The estimate is within one histogram bin of the exact sorted-data percentile.
public struct PercentileObserver: RangeObserver, Equatable {
    /// The values seen.
    public private(set) var histogram = Histogram()
    /// Upper percentile, in 50...100.
    public let percentile: Double

    /// `percentile` is clamped to 50...100 (callers validate user input; see `CalibrationSession`).
    public init(percentile: Double = 99.99) {
        self.percentile = Swift.min(100, Swift.max(50, percentile.isNaN ? 100 : percentile))
    }

    /// A percentile observer over values already collected.
    public init(histogram: Histogram, percentile: Double = 99.99) {
        self.init(percentile: percentile)
        self.histogram = histogram
    }

    public mutating func observe(_ values: UnsafeBufferPointer<Float>) { histogram.observe(values) }

    public mutating func merge(_ other: PercentileObserver) { histogram.merge(other.histogram) }

    public func range() -> (min: Float, max: Float) {
        validActivationRange(min: histogram.percentile(100 - percentile), max: histogram.percentile(percentile))
    }
}

extension Histogram {
    /// The value below which `p` percent of the counted values lie (`p` in 0...100), with the
    /// same convention as NumPy's default: rank `p/100 × (count − 1)` in the sorted values,
    /// interpolated linearly between the two neighbouring values. 0 when empty.
    public func percentile(_ p: Double) -> Float {
        guard count > 0 else { return 0 }
        let rank = Swift.min(1, Swift.max(0, p.isNaN ? 1 : p / 100)) * Double(count - 1)
        let below = Int(rank.rounded(.down))
        let a = sortedValue(below), b = sortedValue(Swift.min(below + 1, count - 1))
        return Float(a + (rank - Double(below)) * (b - a))
    }

    /// Estimate of the `k`-th smallest counted value (from 0): its bin is known exactly, and the
    /// values inside a bin are taken as evenly spread. Clamped to the exact extremes.
    func sortedValue(_ k: Int) -> Double {
        var before = 0
        /// The value if rank `k` falls in a bin of `n` values spread over [lo, hi).
        func locate(_ n: Int, _ lo: Double, _ hi: Double) -> Double? {
            guard n > 0 else { return nil }
            defer { before += n }
            guard k < before + n else { return nil }
            let value = lo + (Double(k - before) + 0.5) / Double(n) * (hi - lo)
            return Swift.min(Double(max), Swift.max(Double(min), value))
        }
        let nw = negative.binWidth, pw = positive.binWidth
        for i in stride(from: negative.usedBins - 1, through: 0, by: -1) {
            if let v = locate(negative.counts[i], -Double(i + 1) * nw, -Double(i) * nw) { return v }
        }
        if let v = locate(zeros, 0, 0) { return v }
        for i in 0..<positive.usedBins {
            if let v = locate(positive.counts[i], Double(i) * pw, Double(i + 1) * pw) { return v }
        }
        return Double(max)
    }
}
