/// A mergeable, memory-bounded histogram of one activation tensor: the data behind the
/// percentile, MSE and entropy observers.
///
/// Positive values, negative values (by magnitude) and exact zeros are counted apart. Each sign
/// has `Histogram.binsPerSide` equal bins over `[0, limit)`, where `limit` is the smallest power of
/// two above every magnitude seen; when a larger value arrives the limit doubles and neighbouring
/// bins are added in pairs. Because bin edges are always power-of-two multiples, this re-binning is
/// exact: the final counts do not depend on the order of the values or on how workers split them,
/// so merging per-worker histograms gives exactly the single-pass histogram.
public struct Histogram: Sendable, Equatable {
    /// Bins per sign (4096: at least 2048 bins always span the data of a side).
    public static let binsPerSide = 4096

    /// Counts of the positive values.
    public private(set) var positive = HalfHistogram(bins: Histogram.binsPerSide)
    /// Counts of the magnitudes of the negative values.
    public private(set) var negative = HalfHistogram(bins: Histogram.binsPerSide)
    /// Number of values exactly equal to zero (the int8 grid represents them exactly).
    public private(set) var zeros = 0
    /// Smallest finite value seen (+infinity before any).
    public private(set) var min: Float = .infinity
    /// Largest finite value seen (−infinity before any).
    public private(set) var max: Float = -.infinity
    /// Number of NaN or infinite values seen; they are not counted anywhere else.
    public private(set) var nonFinite = 0

    public init() {}

    /// Number of finite values counted.
    public var count: Int { positive.total + negative.total + zeros }

    /// Adds a batch of values (two passes: extremes first, so the counting loop never re-bins).
    public mutating func observe(_ values: UnsafeBufferPointer<Float>) {
        var lo = Float.infinity, hi = -Float.infinity, bad = 0
        for x in values {
            if x.isFinite {
                lo = Swift.min(lo, x)
                hi = Swift.max(hi, x)
            } else {
                bad += 1
            }
        }
        nonFinite += bad
        guard lo <= hi else { return }
        min = Swift.min(min, lo)
        max = Swift.max(max, hi)
        if hi > 0 { positive.cover(Double(hi)) }
        if lo < 0 { negative.cover(Double(-lo)) }
        let posScale = positive.inverseWidth, negScale = negative.inverseWidth
        var zeroCount = 0, posCount = 0, negCount = 0
        positive.counts.withUnsafeMutableBufferPointer { pos in
            negative.counts.withUnsafeMutableBufferPointer { neg in
                for x in values where x.isFinite {
                    if x > 0 {
                        pos[Int(Double(x) * posScale)] += 1
                        posCount += 1
                    } else if x < 0 {
                        neg[Int(Double(-x) * negScale)] += 1
                        negCount += 1
                    } else {
                        zeroCount += 1
                    }
                }
            }
        }
        positive.total += posCount
        negative.total += negCount
        zeros += zeroCount
    }

    /// Adds everything `other` counted.
    public mutating func merge(_ other: Histogram) {
        positive.merge(other.positive)
        negative.merge(other.negative)
        zeros += other.zeros
        nonFinite += other.nonFinite
        min = Swift.min(min, other.min)
        max = Swift.max(max, other.max)
    }
}

/// Counts of the magnitudes of one sign: bin `i` holds magnitudes in `[i·w, (i+1)·w)` with
/// `w = limit / bins`, and `limit` a power of two greater than every magnitude counted.
public struct HalfHistogram: Sendable, Equatable {
    /// One count per bin.
    public fileprivate(set) var counts: [Int]
    /// Upper end of the last bin; 0 while nothing has been counted.
    public private(set) var limit: Double = 0
    /// Sum of `counts`.
    public fileprivate(set) var total = 0

    init(bins: Int) { counts = [Int](repeating: 0, count: bins) }

    /// Width of one bin (0 while empty).
    public var binWidth: Double { limit / Double(counts.count) }

    /// Number of bins up to and including the last non-empty one.
    public var usedBins: Int { (counts.lastIndex { $0 != 0 } ?? -1) + 1 }

    /// Bins per unit of magnitude (a power of two, so `x × inverseWidth` is exact).
    var inverseWidth: Double { limit > 0 ? Double(counts.count) / limit : 0 }

    /// Grows `limit` (re-binning exactly) until it is greater than `magnitude`.
    mutating func cover(_ magnitude: Double) {
        if limit == 0 {
            // Smallest power of two strictly greater than the magnitude.
            limit = Double(sign: .plus, exponent: magnitude.exponent + 1, significand: 1)
            return
        }
        while limit <= magnitude { doubleLimit() }
    }

    /// Doubles the range: bins 2i and 2i+1 become bin i.
    private mutating func doubleLimit() {
        let half = counts.count / 2
        for i in 0..<half { counts[i] = counts[2 * i] + counts[2 * i + 1] }
        for i in half..<counts.count { counts[i] = 0 }
        limit *= 2
    }

    /// Adds the counts of `other` (the one with the smaller limit is re-binned first).
    mutating func merge(_ other: HalfHistogram) {
        guard other.limit > 0 else { return }
        var theirs = other
        if limit < theirs.limit {
            if limit == 0 { limit = theirs.limit } else { while limit < theirs.limit { doubleLimit() } }
        } else {
            while theirs.limit < limit { theirs.doubleLimit() }
        }
        for i in counts.indices { counts[i] += theirs.counts[i] }
        total += theirs.total
    }
}
