import QuantCore

/// Running minimum and maximum: the range covers every value seen, nothing is clipped.
/// Exact, tiny and order-independent, but a single outlier stretches the whole int8 grid.
public struct MinMaxObserver: RangeObserver, Equatable {
    /// Smallest finite value seen (+infinity before any).
    public private(set) var min: Float = .infinity
    /// Largest finite value seen (−infinity before any).
    public private(set) var max: Float = -.infinity

    public init() {}

    public mutating func observe(_ values: UnsafeBufferPointer<Float>) {
        var lo = min, hi = max
        for x in values where x.isFinite {
            lo = Swift.min(lo, x)
            hi = Swift.max(hi, x)
        }
        min = lo
        max = hi
    }

    public mutating func merge(_ other: MinMaxObserver) {
        min = Swift.min(min, other.min)
        max = Swift.max(max, other.max)
    }

    public func range() -> (min: Float, max: Float) {
        min <= max ? validActivationRange(min: min, max: max) : validActivationRange(min: 0, max: 0)
    }
}
