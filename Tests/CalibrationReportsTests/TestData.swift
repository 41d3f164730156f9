import Foundation
import Calibration
import QuantCore
import TestSupport

/// Synthetic activation tensors.
enum Synthetic {
    static func uniform(_ n: Int, _ lo: Float, _ hi: Float, seed: UInt64 = 1) -> [Float] {
        var r = TestRandom(seed: seed)
        return (0..<n).map { _ in r.uniform(lo, hi) }
    }

    static func gaussian(_ n: Int, sigma: Float = 1, mean: Float = 0, seed: UInt64 = 2) -> [Float] {
        var r = TestRandom(seed: seed)
        return (0..<n).map { _ in mean + sigma * r.gaussian() }
    }

    /// N(0, 1) with every `every`-th value replaced by ±`outlier`.
    static func gaussianWithOutliers(_ n: Int, every: Int, outlier: Float, seed: UInt64 = 3) -> [Float] {
        var values = gaussian(n, seed: seed)
        for k in stride(from: every / 2, to: n, by: every) { values[k] = (k / every) % 2 == 0 ? outlier : -outlier }
        return values
    }

    /// ReLU of N(0, 1): half exact zeros, half a half-normal.
    static func reluGaussian(_ n: Int, seed: UInt64 = 4) -> [Float] { gaussian(n, seed: seed).map { Swift.max($0, 0) } }

    /// N(0, 1) where every 100th value has a 10 times larger deviation.
    static func contaminatedGaussian(_ n: Int, seed: UInt64 = 6) -> [Float] {
        var r = TestRandom(seed: seed)
        return (0..<n).map { k in r.gaussian() * (k % 100 == 0 ? 10 : 1) }
    }

    /// Laplace(0, 1) (heavy tails compared to a Gaussian).
    static func laplace(_ n: Int, seed: UInt64 = 5) -> [Float] {
        var r = TestRandom(seed: seed)
        return (0..<n).map { _ in
            let u = r.unit() - 0.5
            return Float(-(u < 0 ? -1.0 : 1.0) * log(Swift.max(1 - 2 * abs(u), 1e-300)))
        }
    }
}

/// Mean squared error of quantizing `values` to the int8 grid of `range` and back.
func quantizationMSE(_ values: [Float], _ range: (min: Float, max: Float)) -> Double {
    let p = activationQuantParams(min: range.min, max: range.max)
    var sum = 0.0
    for x in values {
        let d = dequantize(quantize(x, p), p)
        sum += (Double(x) - d) * (Double(x) - d)
    }
    return sum / Double(values.count)
}

/// Round to nearest (half away from zero) and clamp to int8.
func quantize(_ x: Float, _ p: (scale: Double, zeroPoint: Int32)) -> Int8 {
    let q = (Double(x) / p.scale).rounded() + Double(p.zeroPoint)
    return Int8(Swift.max(-128, Swift.min(127, q)))
}

func dequantize(_ q: Int8, _ p: (scale: Double, zeroPoint: Int32)) -> Double { p.scale * Double(Int32(q) - p.zeroPoint) }

/// NumPy's default ("linear") percentile of the values.
func exactPercentile(_ sorted: [Float], _ p: Double) -> Float {
    let h = p / 100 * Double(sorted.count - 1)
    let lo = Int(h.rounded(.down)), hi = Swift.min(lo + 1, sorted.count - 1)
    return Float(Double(sorted[lo]) + (h - Double(lo)) * Double(sorted[hi] - sorted[lo]))
}

extension Histogram {
    mutating func observe(_ values: [Float]) { values.withUnsafeBufferPointer { observe($0) } }
}

extension RangeObserver {
    mutating func observe(_ values: [Float]) { values.withUnsafeBufferPointer { observe($0) } }
}

extension CalibrationSession {
    mutating func observe(value: Int, _ values: [Float]) { values.withUnsafeBufferPointer { observe(value: value, $0) } }
}
