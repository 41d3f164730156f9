import Foundation
import QuantCore
import Models
import FloatEngine
import IntEngine
import Calibration
import Quantizer
import ImageIO

/// Images the range search runs through the int8 engine at once (`IntEngine.runKept(images:)`).
private let rangeSearchBatch = 8

/// Percentiles the range search tries for each activation besides the calibrated one (100 = min/max).
public let rangeSearchLevels: [Double] = [99.9, 99.999, 100]

/// Per-activation range search: for each value in graph order (except the logits, which keep
/// min/max), tries the ranges `levels` would give and keeps one only when the int8 logits get
/// closer (mean squared error, dequantized) to the float logits on `images`. Greedy and one pass;
/// the int8 values before the first node a trial changes are reused, not recomputed, and only
/// the nodes it changes are converted, checked and packed again.
func searchRanges(_ folded: Graph, ranges: [Int: (min: Float, max: Float)], session: CalibrationSession, levels: [Double],
                  images: ImageSet, options: QuantizerOptions, threads: Int, progress: Bool) throws -> [Int: (min: Float, max: Float)] {
    // The float targets and the first full int8 run, before the search proper.
    let setup = ProgressLine("range search setup", total: 2 * images.count, enabled: progress)
    let target = FloatEngine(graph: folded).logits(images: images.pixels, count: images.count, threads: threads) { _, _ in setup.advance() }
    let outputValue = folded.nodes.count
    var engine = try IntEngine(model: quantize(folded, ranges: ranges, options: options))
    let kept = KeptImages(engine.keptLayout, count: images.count)
    /// Runs `engine` from node `first` on every image into the spare values, the values before
    /// it copied from the best ones; gives up (loss nil) as soon as the images done so far
    /// already lose more than `bound` in all.
    func run(_ engine: IntEngine, from first: Int, bound: Double, line: ProgressLine? = nil) -> Double? {
        let grid = engine.model.info(outputValue)
        let total = RunningTotal(limit: bound * Double(images.count))
        let layout = kept.layout
        let (copyFrom, copyTo) = (layout.offsets[min(kept.spareValidUpTo, first + 1)], layout.offsets[first + 1])
        let parts = parallelSlices(count: images.count, threads: threads) { _, range -> Double? in
            var loss = 0.0
            var stopped = false
            // Batches of images through the engine (one GEMM per pointwise / fully connected
            // layer); the losses are summed image by image in order, as before.
            for start in stride(from: range.lowerBound, to: range.upperBound, by: rangeSearchBatch) {
                let batch = start..<min(start + rangeSearchBatch, range.upperBound)
                for n in batch {
                    let (best, spare) = (kept.best + n * layout.bytes, kept.spare + n * layout.bytes)
                    spare.advanced(by: copyFrom).update(from: best + copyFrom, count: copyTo - copyFrom)
                }
                if stopped { continue }  // the values before `first` are still copied, for the next try
                engine.runKept(kept.spare + batch.lowerBound * layout.bytes, layout: layout, images: batch.count, fromNode: first)
                for n in batch where !stopped {
                    var imageLoss = 0.0
                    let logits = kept.spare + n * layout.bytes + layout.offsets[outputValue]
                    for (k, f) in target[n].enumerated() {
                        let d = Double(f) - (Double(logits[k]) - Double(grid.zeroPoint)) * grid.scale
                        loss += d * d
                        imageLoss += d * d
                    }
                    stopped = !total.add(imageLoss)
                    line?.advance()
                }
            }
            return stopped ? nil : loss
        }
        kept.spareValidUpTo = first + 1
        // The sum is formed per slice, then over the slices in order: it does not depend on timing.
        guard parts.allSatisfy({ $0 != nil }) else { return nil }
        return parts.map { $0! }.reduce(0, +) / Double(images.count)
    }
    var ranges = ranges
    for n in 0..<images.count {
        let input = kept.spare + n * kept.layout.bytes
        for (k, p) in images.image(n).enumerated() { input[k] = Int8(truncatingIfNeeded: Int(p) - 128) }
    }
    kept.spareValidUpTo = 1  // the input
    var best = run(engine, from: 0, bound: .infinity, line: setup)!
    kept.swap(validUpTo: 0)
    let line = ProgressLine("range search", total: outputValue - 1, unit: "activations", enabled: progress)
    for v in 1..<outputValue {
        defer { line.advance() }
        guard let histogram = session.histograms[v] else { continue }
        var tried: Set<[Int]> = []  // the grids of the rejected tries on the current model
        for p in levels {
            var trial = ranges
            trial[v] = CalibrationSession.range(of: histogram, method: p >= 100 ? .minmax : .percentile, percentile: p)
            let (candidate, changed) = try reconvert(engine.model, graph: folded, ranges: trial, options: options)
            guard let first = changed.first else { continue }
            // Two levels often give the same grids (a small tensor's 99.999th percentile is its
            // maximum): the same model would lose the same again.
            guard tried.insert(gridKey(candidate, changed)).inserted else { continue }
            // Only the changed nodes are checked and get new kernels.
            let trialEngine = try engine.updated(candidate, changed: changed)
            // A try that cannot beat the best is stopped early (with a margin far above rounding).
            if let loss = run(trialEngine, from: first, bound: best * (1 + 1e-9)), loss < best {
                (ranges, engine, best) = (trial, trialEngine, loss)
                kept.swap(validUpTo: first + 1)  // the old best values agree with the new ones before `first`
                tried = []
            }
        }
    }
    return ranges
}

/// Every int8 value of every search image, twice: the best model's values and the spare ones a
/// try writes. The spare values before `spareValidUpTo` equal the best ones.
private final class KeptImages: @unchecked Sendable {
    let layout: IntEngine.KeptLayout
    var best: UnsafeMutablePointer<Int8>
    var spare: UnsafeMutablePointer<Int8>
    var spareValidUpTo = 0

    init(_ layout: IntEngine.KeptLayout, count: Int) {
        self.layout = layout
        let bytes = max(layout.bytes * count, 1)
        best = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64).bindMemory(to: Int8.self, capacity: bytes)
        spare = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64).bindMemory(to: Int8.self, capacity: bytes)
    }

    /// The spare values become the best ones; the old best ones, valid before `validUpTo`, the spare.
    func swap(validUpTo: Int) {
        (best, spare) = (spare, best)
        spareValidUpTo = validUpTo
    }

    deinit { best.deallocate(); spare.deallocate() }
}

/// The output grids of the nodes `changed` of `model` (every grid that moved is one of them).
private func gridKey(_ model: QModel, _ changed: [Int]) -> [Int] {
    changed.flatMap { [$0, Int(model.nodes[$0].output.zeroPoint), Int(truncatingIfNeeded: model.nodes[$0].output.scale.bitPattern)] }
}

/// The loss of the images finished so far, summed across workers under a lock (only to stop a
/// hopeless try early; the loss compared is summed in a fixed order).
private final class RunningTotal: @unchecked Sendable {
    private let limit: Double
    private var sum = 0.0
    private let lock = NSLock()
    init(limit: Double) { self.limit = limit }
    /// Adds `x`; false once the total exceeds the limit.
    func add(_ x: Double) -> Bool { lock.withLock { sum += x; return sum <= limit } }
}
