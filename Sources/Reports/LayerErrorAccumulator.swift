import Foundation
import QuantCore

/// Accumulates, per activation, the error between the float value `f` and the dequantized int8
/// value `d = scale × (q − zeroPoint)` over any number of images. Workers each own one and
/// `merge` them; `results()` turns the sums into `LayerError`s.
public struct LayerErrorAccumulator: Sendable {
    /// Value id → what the activation is.
    public let layers: [Int: LayerInfo]
    private var sums: [Int: Sums] = [:]

    public init(layers: [Int: LayerInfo]) { self.layers = layers }

    /// Every value of a quantized model (see `LayerInfo.all(in:)`).
    public init(model: QModel) { self.init(layers: LayerInfo.all(in: model)) }

    /// Adds one image's activation `value`: its float values and the int8 values, same layout
    /// (HWC). Throws when the value id is unknown or the two buffers differ in length.
    public mutating func add(value: Int, float: UnsafeBufferPointer<Float>, int8: UnsafeBufferPointer<Int8>) throws {
        guard let info = layers[value] else {
            throw ToolkitError("layer error", "value \(value) is not a known activation")
        }
        guard float.count == int8.count, float.count == info.shape.count else {
            throw ToolkitError(info.name, "float activation has \(float.count) values, int8 has \(int8.count), shape \(info.shape) needs \(info.shape.count)")
        }
        sums[value, default: Sums(channels: info.shape.c)].add(float, int8, scale: info.scale, zeroPoint: info.zeroPoint)
    }

    /// Adds everything another accumulator (another worker) has seen.
    public mutating func merge(_ other: LayerErrorAccumulator) {
        for (value, s) in other.sums {
            if var mine = sums[value] { mine.merge(s); sums[value] = mine } else { sums[value] = s }
        }
    }

    /// One `LayerError` per activation that received data, by value id.
    public func results() -> [LayerError] {
        var out: [LayerError] = []
        var sqnrOf: [Int: Double] = [:]
        for value in sums.keys.sorted() {
            guard let s = sums[value], let info = layers[value] else { continue }
            let sqnr = s.sqnrDB
            sqnrOf[value] = sqnr
            let inputSQNRs = info.inputs.compactMap { sqnrOf[$0] }
            let n = Double(s.count)
            out.append(LayerError(
                name: info.name, op: info.op, shape: info.shape.description, valueId: value,
                scale: info.scale, zeroPoint: info.zeroPoint, sqnrDB: sqnr, cosine: s.cosine,
                maxAbsError: s.maxAbsError, meanAbsError: s.sumAbsError / n, floatRMS: (s.sumF2 / n).squareRoot(),
                rangeMin: Double(s.floatMin), rangeMax: Double(s.floatMax), clippedFraction: Double(s.clipped) / n,
                channelRangeRatio: s.channelRangeRatio, sqnrDropDB: inputSQNRs.min().map { $0 - sqnr }, count: s.count))
        }
        return out
    }
}

/// Running sums for one activation.
private struct Sums: Sendable {
    var count = 0
    var sumF2 = 0.0, sumD2 = 0.0, sumFD = 0.0, sumE2 = 0.0, sumAbsError = 0.0, maxAbsError = 0.0
    var floatMin = Float.infinity, floatMax = -Float.infinity
    var clipped = 0
    /// Largest |f| per channel.
    var channelMax: [Float]

    init(channels: Int) { channelMax = [Float](repeating: 0, count: Swift.max(channels, 1)) }

    mutating func add(_ f: UnsafeBufferPointer<Float>, _ q: UnsafeBufferPointer<Int8>, scale: Double, zeroPoint: Int32) {
        // Float values beyond these bounds saturate the grid (error above half a step).
        let grid = gridRange(scale: scale, zeroPoint: zeroPoint)
        let low = grid.min - scale / 2, high = grid.max + scale / 2
        let channels = channelMax.count
        var f2 = 0.0, d2 = 0.0, fd = 0.0, e2 = 0.0, absSum = 0.0, absMax = maxAbsError
        var lo = floatMin, hi = floatMax, out = 0
        channelMax.withUnsafeMutableBufferPointer { chMax in
            var c = 0
            for k in 0..<f.count {
                let x = Double(f[k])
                let d = scale * Double(Int32(q[k]) - zeroPoint)
                let e = x - d
                f2 += x * x; d2 += d * d; fd += x * d; e2 += e * e
                absSum += abs(e); absMax = Swift.max(absMax, abs(e))
                lo = Swift.min(lo, f[k]); hi = Swift.max(hi, f[k])
                if x < low || x > high { out += 1 }
                chMax[c] = Swift.max(chMax[c], abs(f[k]))
                c += 1
                if c == channels { c = 0 }
            }
        }
        count += f.count
        sumF2 += f2; sumD2 += d2; sumFD += fd; sumE2 += e2; sumAbsError += absSum; maxAbsError = absMax
        floatMin = lo; floatMax = hi; clipped += out
    }

    mutating func merge(_ o: Sums) {
        count += o.count
        sumF2 += o.sumF2; sumD2 += o.sumD2; sumFD += o.sumFD; sumE2 += o.sumE2; sumAbsError += o.sumAbsError
        maxAbsError = Swift.max(maxAbsError, o.maxAbsError)
        floatMin = Swift.min(floatMin, o.floatMin); floatMax = Swift.max(floatMax, o.floatMax)
        clipped += o.clipped
        for c in channelMax.indices where c < o.channelMax.count { channelMax[c] = Swift.max(channelMax[c], o.channelMax[c]) }
    }

    /// 10·log10(signal / noise); +infinity when the noise is zero.
    var sqnrDB: Double {
        if sumE2 == 0 { return .infinity }
        return 10 * log10(sumF2 / sumE2)
    }

    /// Cosine similarity; 1 when both are all zero, 0 when only one is.
    var cosine: Double {
        if sumF2 == 0 && sumD2 == 0 { return 1 }
        if sumF2 == 0 || sumD2 == 0 { return 0 }
        return sumFD / (sumF2 * sumD2).squareRoot()
    }

    /// Largest channel max |f| over the median one, among channels that are not all zero
    /// (1 when there are none).
    var channelRangeRatio: Double {
        let live = channelMax.filter { $0 > 0 }.sorted()
        guard let top = live.last else { return 1 }
        return Double(top) / Double(live[live.count / 2])
    }
}
