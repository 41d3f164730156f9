import QuantCore

/// Chooses the range `[−a, b]` that minimizes the expected squared error of the asymmetric int8
/// grid (256 levels, step `s = (a + b) / 255`), estimated from a `Histogram`:
///
///     error(a, b) = Σ over values above b of (x − b)²          (clipping)
///                 + Σ over values below −a of (x + a)²          (clipping)
///                 + (number of non-zero values inside) × s² / 12   (rounding noise)
///
/// Exact zeros add no noise (the quantizer represents zero exactly). Values are taken as evenly
/// spread inside a histogram bin. Candidates for each end are the bin edges of its side plus the
/// extreme value itself (no clipping); the search scans a coarse grid of both ends and then
/// refines each end in turn at full bin resolution until neither moves.
public struct MSEObserver: RangeObserver, Equatable {
    /// The values seen.
    public private(set) var histogram = Histogram()

    public init() {}

    /// An MSE observer over values already collected.
    public init(histogram: Histogram) { self.histogram = histogram }

    public mutating func observe(_ values: UnsafeBufferPointer<Float>) { histogram.observe(values) }

    public mutating func merge(_ other: MSEObserver) { histogram.merge(other.histogram) }

    public func range() -> (min: Float, max: Float) {
        let r = histogram.mseOptimalRange()
        return validActivationRange(min: Float(-r.negative), max: Float(r.positive))
    }
}

extension Histogram {
    /// The magnitudes `(negative, positive)` of the ends of the range with the least expected
    /// int8 quantization error, and that error (sum over all values, in squared units).
    public func mseOptimalRange() -> (negative: Double, positive: Double, error: Double) {
        let pos = ClippingTable(positive, extreme: Swift.max(Double(max), 0))
        let neg = ClippingTable(negative, extreme: Swift.max(-Double(min), 0))
        let nonZero = Double(positive.total + negative.total)
        func error(_ i: Int, _ j: Int) -> Double {
            let step = (pos.threshold[i] + neg.threshold[j]) / 255
            let inside = nonZero - pos.clipped[i] - neg.clipped[j]
            return pos.clipError[i] + neg.clipError[j] + inside * step * step / 12
        }
        // Coarse grid over both ends.
        let coarse = 64
        func grid(_ n: Int) -> [Int] {
            n <= coarse ? Array(0...n) : (0...coarse).map { $0 * n / coarse }
        }
        var best = (i: pos.last, j: neg.last, e: error(pos.last, neg.last))
        for i in grid(pos.last) {
            for j in grid(neg.last) {
                let e = error(i, j)
                if e < best.e { best = (i, j, e) }
            }
        }
        // Refine one end at a time at full resolution; the error never increases, so this stops.
        var moved = true
        while moved {
            moved = false
            for i in 0...pos.last where error(i, best.j) < best.e {
                best = (i, best.j, error(i, best.j)); moved = true
            }
            for j in 0...neg.last where error(best.i, j) < best.e {
                best = (best.i, j, error(best.i, j)); moved = true
            }
        }
        return (neg.threshold[best.j], pos.threshold[best.i], best.e)
    }
}

/// For one sign: candidate clipping thresholds `t[k]` (the bin edges `k·w` for `k` below the
/// number of used bins `last`, and the extreme magnitude itself at `k = last`), with the number
/// of values above each and their summed squared distance to it.
private struct ClippingTable {
    var threshold: [Double] = [0]
    var clipped: [Double] = [0]
    var clipError: [Double] = [0]
    /// Index of the last candidate (no clipping).
    var last: Int { threshold.count - 1 }

    init(_ half: HalfHistogram, extreme: Double) {
        let used = half.usedBins
        guard used > 0 else { return }
        let w = half.binWidth
        // Suffix sums over bins j ≥ k of count, Σx and Σx² (x evenly spread in [jw, (j+1)w)).
        var s0 = [Double](repeating: 0, count: used + 1)
        var s1 = s0, s2 = s0
        for j in stride(from: used - 1, through: 0, by: -1) {
            let c = Double(half.counts[j]), center = (Double(j) + 0.5) * w
            s0[j] = s0[j + 1] + c
            s1[j] = s1[j + 1] + c * center
            s2[j] = s2[j + 1] + c * (center * center + w * w / 12)
        }
        threshold = (0..<used).map { Double($0) * w } + [extreme]
        clipped = Array(s0[0..<used]) + [0]
        clipError = (0..<used).map { k in
            let t = threshold[k]
            return Swift.max(0, s2[k] - 2 * t * s1[k] + t * t * s0[k])
        } + [0]
    }
}
