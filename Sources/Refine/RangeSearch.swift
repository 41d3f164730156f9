import Foundation
import QuantCore
import Models
import FloatEngine
import IntEngine
import Calibration
import Quantizer
import ImageIO

/// Percentiles the range search tries for each activation besides the calibrated one (100 = min/max).
public let rangeSearchLevels: [Double] = [99.9, 99.999, 100]

/// Per-activation range search: for each value in graph order (except the logits, which keep
/// min/max), tries the ranges `levels` would give and keeps one only when the int8 logits get
/// closer (mean squared error, dequantized) to the float logits on `images`. Greedy and one pass;
/// the int8 values before the first node a trial changes are reused, not recomputed.
func searchRanges(_ folded: Graph, ranges: [Int: (min: Float, max: Float)], session: CalibrationSession, levels: [Double],
                  images: ImageSet, options: QuantizerOptions, threads: Int, progress: Bool) throws -> [Int: (min: Float, max: Float)] {
    // The float targets and the first full int8 run, before the search proper.
    let setup = ProgressLine("range search setup", total: 2 * images.count, enabled: progress)
    let target = FloatEngine(graph: folded).logits(images: images.pixels, count: images.count, threads: threads) { _, _ in setup.advance() }
    let outputValue = folded.nodes.count
    /// Runs `engine` from node `first` on every image, reusing `base`'s earlier values.
    func run(_ engine: IntEngine, from first: Int, base: [[[Int8]]], line: ProgressLine? = nil) -> (values: [[[Int8]]], loss: Double) {
        let grid = engine.model.info(outputValue)
        let parts = parallelSlices(count: images.count, threads: threads) { _, range -> ([[[Int8]]], Double) in
            var loss = 0.0
            let values = range.map { n -> [[Int8]] in
                var vals = base.isEmpty ? [images.image(n).map { Int8(truncatingIfNeeded: Int($0) - 128) }] : base[n]
                engine.runKeepingValues(&vals, fromNode: first)
                for (f, q) in zip(target[n], vals[outputValue]) {
                    let d = Double(f) - (Double(q) - Double(grid.zeroPoint)) * grid.scale
                    loss += d * d
                }
                line?.advance()
                return vals
            }
            return (values, loss)
        }
        return (parts.flatMap(\.0), parts.map(\.1).reduce(0, +) / Double(images.count))
    }
    var ranges = ranges
    var model = try quantize(folded, ranges: ranges, options: options)
    var (cache, best) = run(try IntEngine(model: model), from: 0, base: [], line: setup)
    let line = ProgressLine("range search", total: outputValue - 1, unit: "activations", enabled: progress)
    for v in 1..<outputValue {
        defer { line.advance() }
        guard let histogram = session.histograms[v] else { continue }
        for p in levels {
            var trial = ranges
            trial[v] = CalibrationSession.range(of: histogram, method: p >= 100 ? .minmax : .percentile, percentile: p)
            let (candidate, first) = try reconvert(model, graph: folded, ranges: trial, options: options)
            guard let first else { continue }
            let (values, loss) = run(try IntEngine(model: candidate), from: first, base: cache)
            if loss < best { (ranges, model, cache, best) = (trial, candidate, values, loss) }
        }
    }
    return ranges
}
