import Foundation
import QuantCore

/// TensorRT's entropy calibration: chooses a clipping threshold `T` on the magnitudes so that the
/// distribution of the clipped values loses the least information (KL divergence) when squeezed
/// into 128 quantization levels; the range is then `[max(min, −T), min(max, T)]`.
///
/// From a `Histogram`: both signs are combined into one histogram of magnitudes of at most 2048
/// bins over `[0, max |x|]` (exact zeros are left out: the int8 grid represents them exactly, and
/// their spike would otherwise dominate the first level). For each candidate of `i` bins
/// (`i` = 128 ... all), the reference distribution P is the first `i` bins with everything beyond
/// added to the last of them (what clipping does); Q takes the same `i` bins without the
/// outliers, adds them up in 128 groups and spreads each group's total evenly over the bins
/// where P is non-zero (what rounding does). Bins where only outliers land get a tiny share
/// (1e-4) of Q so the divergence stays finite. The `i` with the smallest KL(P ‖ Q) gives
/// `T = i × bin width` (the largest such `i` on a tie).
public struct EntropyObserver: RangeObserver, Equatable {
    /// Number of quantization levels a candidate distribution is squeezed into.
    public static let levels = 128
    /// Largest number of histogram bins the search runs over.
    public static let maxBins = 2048

    /// The values seen.
    public private(set) var histogram = Histogram()

    public init() {}

    /// An entropy observer over values already collected.
    public init(histogram: Histogram) { self.histogram = histogram }

    public mutating func observe(_ values: UnsafeBufferPointer<Float>) { histogram.observe(values) }

    public mutating func merge(_ other: EntropyObserver) { histogram.merge(other.histogram) }

    public func range() -> (min: Float, max: Float) {
        guard histogram.min <= histogram.max else { return validActivationRange(min: 0, max: 0) }
        let t = Float(histogram.entropyThreshold())
        return validActivationRange(min: Swift.max(histogram.min, -t), max: Swift.min(histogram.max, t))
    }
}

extension Histogram {
    /// The magnitude threshold with the least KL divergence (see `EntropyObserver`); the largest
    /// magnitude seen when there are too few bins to clip anything, 0 when there are no values.
    public func entropyThreshold() -> Double {
        let largest = Swift.max(Double(max), -Double(min), 0)
        let (bins, width) = magnitudeBins()
        let levels = EntropyObserver.levels
        guard bins.count > levels else { return largest }
        var beyond = [Double](repeating: 0, count: bins.count + 1)
        for k in stride(from: bins.count - 1, through: 0, by: -1) { beyond[k] = beyond[k + 1] + bins[k] }
        let total = beyond[0]
        var best = (i: bins.count, kl: Double.infinity)
        var p = [Double](repeating: 0, count: bins.count)
        var q = p
        for i in levels...bins.count {
            let kept = total - beyond[i]
            guard kept > 0 else { continue }
            for k in 0..<i { p[k] = bins[k] }
            p[i - 1] += beyond[i]
            var missing = 0
            for g in 0..<levels {
                let start = g * i / levels, end = (g + 1) * i / levels
                var mass = 0.0, nonEmpty = 0
                for k in start..<end {
                    mass += bins[k]
                    if p[k] > 0 { nonEmpty += 1 }
                }
                for k in start..<end {
                    q[k] = p[k] > 0 ? mass / Double(nonEmpty) : 0
                    if p[k] > 0 && q[k] == 0 { missing += 1 }
                }
            }
            // Q has no mass where only the folded outliers are: give those bins a tiny share
            // (otherwise the divergence is infinite), then renormalize.
            let epsilon = 1e-4, qScale = 1 / (1 + epsilon * Double(missing))
            var kl = 0.0
            for k in 0..<i where p[k] > 0 {
                let pn = p[k] / total
                let qn = (q[k] > 0 ? q[k] / kept : epsilon) * qScale
                kl += pn * log(pn / qn)
            }
            // On a tie the wider threshold wins.
            if kl <= best.kl { best = (i, kl) }
        }
        return best.i == bins.count ? largest : Double(best.i) * width
    }

    /// Counts of non-zero magnitudes of both signs on one bin width, trimmed after the last
    /// non-empty bin and halved (pairs of bins added) until at most `EntropyObserver.maxBins`.
    func magnitudeBins() -> (counts: [Double], width: Double) {
        var combined = positive
        combined.merge(negative)
        var counts = combined.counts[0..<combined.usedBins].map(Double.init)
        var width = combined.binWidth
        while counts.count > EntropyObserver.maxBins {
            counts = stride(from: 0, to: counts.count, by: 2).map { k in
                counts[k] + (k + 1 < counts.count ? counts[k + 1] : 0)
            }
            width *= 2
        }
        return (counts, width)
    }
}
