import Foundation
import QuantCore
import ModelIO
import ImageIO
import Models
import FloatEngine
import Calibration
import Quantizer
import IntEngine
import Reports
import Export

/// Everything the main command needs to know; the CLI fills it from flags.
public struct QuantizeConfig: Sendable {
    /// Checkpoint file.
    public var weights: String
    /// Architecture and hyper-parameter overrides (nil fields: from metadata or tensor shapes).
    public var modelOptions: ModelOptions
    /// Calibration images (folder or data file) and how many of them to use (nil: all).
    public var calib: String
    public var calibLimit: Int?
    /// Labelled evaluation images and how many of them to use (nil: all).
    public var eval: String
    public var evalLimit: Int?
    /// Images used for the per-layer error table (from the calibration set).
    public var layerImages: Int = 64
    public var method: CalibrationMethod = .percentile
    /// Whether activation ranges are refined against the float logits after calibration.
    public var rangeSearch = true
    public var outDir: String
    public var threads: Int = 2
    public var progress: Bool = true

    public init(weights: String, modelOptions: ModelOptions, calib: String, eval: String, outDir: String) {
        self.weights = weights; self.modelOptions = modelOptions; self.calib = calib; self.eval = eval; self.outDir = outDir
    }
}

/// What the main command produced.
public struct QuantizeResult {
    public var graph: Graph
    public var folded: Graph
    public var model: QModel
    public var report: AccuracyReport
    public var blob: [UInt8]
    public var plan: MemoryPlan
    /// Files written, in the order they were written.
    public var files: [String]
}

/// Loads the checkpoint and builds its float graph.
public func loadGraph(weights: String, options: ModelOptions) throws -> Graph {
    let checkpoint = try loadCheckpoint(weights)
    let name = URL(fileURLWithPath: weights).deletingPathExtension().lastPathComponent
    return try buildGraph(checkpoint, name: name, options: options)
}

/// Loads images converted to the graph's input size and channel count.
public func loadImages(_ path: String, for graph: Graph, limit: Int?) throws -> ImageSet {
    var options = ImageSetOptions()
    options.height = graph.preprocessing.height
    options.width = graph.preprocessing.width
    options.channels = graph.preprocessing.channels
    options.limit = limit
    let set = try loadImageSet(path, options: options)
    guard set.count > 0 else { throw ToolkitError(path, "no images") }
    return set
}

/// How many workers `parallelSlices` uses for `count` items.
func workerCount(_ count: Int, threads: Int) -> Int { max(1, min(threads, count)) }

/// Runs `work(worker, range)` on `workerCount(count, threads)` contiguous slices of 0..<count in
/// parallel and returns the workers' results in slice order.
func parallelSlices<T>(count: Int, threads: Int, _ work: @escaping @Sendable (Int, Range<Int>) -> T) -> [T] {
    let t = workerCount(count, threads: threads)
    let results = SliceResults<T>(t)
    DispatchQueue.concurrentPerform(iterations: t) { w in
        let r = work(w, (w * count / t)..<((w + 1) * count / t))
        results.lock.lock(); results.items[w] = r; results.lock.unlock()
    }
    return results.items.map { $0! }
}

/// Per-channel sums of every value over images (for bias correction).
struct ChannelMeans {
    var sums: [[Double]]
    var images = 0

    init(_ graph: Graph) { sums = (0...graph.nodes.count).map { [Double](repeating: 0, count: graph.shape($0).c) } }

    mutating func add(value v: Int, _ buf: UnsafeBufferPointer<Float>) {
        add(value: v, count: buf.count) { Double(buf[$0]) }
    }

    /// Adds an int8 value, dequantized with its grid.
    mutating func add(value v: Int, _ buf: UnsafeBufferPointer<Int8>, grid: QTensorInfo) {
        add(value: v, count: buf.count) { (Double(buf[$0]) - Double(grid.zeroPoint)) * grid.scale }
    }

    private mutating func add(value v: Int, count: Int, _ element: (Int) -> Double) {
        let c = sums[v].count
        let weight = 1 / Double(count / c)  // each position's share of this image's mean
        sums[v].withUnsafeMutableBufferPointer { s in
            for i in 0..<count { s[i % c] += element(i) * weight }
        }
        if v == 0 { images += 1 }
    }

    mutating func merge(_ other: ChannelMeans) {
        for v in sums.indices { for j in sums[v].indices { sums[v][j] += other.sums[v][j] } }
        images += other.images
    }

    func means() -> [Int: [Float]] {
        var out: [Int: [Float]] = [:]
        for v in sums.indices { out[v] = sums[v].map { Float($0 / Double(max(images, 1))) } }
        return out
    }
}

/// Per-worker results, written under a lock.
final class SliceResults<T>: @unchecked Sendable {
    var items: [T?]
    let lock = NSLock()
    init(_ n: Int) { items = Array(repeating: nil, count: n) }
}

/// Calibration: runs the folded float graph over `images` on `threads` cores and observes the
/// range of every value.
public func calibrate(_ folded: Graph, images: ImageSet, method: CalibrationMethod, percentile: Double = 99.99, threads: Int, progress: Bool) throws -> (ranges: ActivationRanges, means: [Int: [Float]], session: CalibrationSession) {
    let empty = try CalibrationSession(method: method, percentile: percentile)
    let engine = FloatEngine(graph: folded)  // thread-safe: one workspace per worker
    let line = ProgressLine("calibrating", total: images.count, enabled: progress)
    let sessions = parallelSlices(count: images.count, threads: threads) { _, range in
        var session = empty
        var means = ChannelMeans(folded)
        for i in range {
            images.image(i).withUnsafeBufferPointer { px in
                _ = engine.run(pixels: px) { v, buf in
                    if v > 0 { session.observe(value: v, buf) }
                    means.add(value: v, buf)
                }
            }
            line.advance()
        }
        return (session, means)
    }
    var merged = sessions[0].0, means = sessions[0].1
    for s in sessions.dropFirst() { merged.merge(s.0); means.merge(s.1) }
    // The logits are never clipped: a clipped top class ties with the next one at 127.
    var ranges = merged.ranges()
    let output = folded.nodes.count
    ranges.ranges[output] = merged.ranges(method: .minmax).ranges[output]
    return (ranges, means.means(), merged)
}

/// Per-channel means of every value of the int8 model on `images`, dequantized (for bias correction).
func int8Means(_ folded: Graph, _ model: QModel, images: ImageSet, threads: Int) throws -> [Int: [Float]] {
    let engines = try (0..<workerCount(images.count, threads: threads)).map { _ in try IntEngine(model: model) }
    let grids = [model.input] + model.nodes.map(\.output)
    let parts = parallelSlices(count: images.count, threads: threads) { w, range in
        var means = ChannelMeans(folded)
        for i in range {
            let input = images.image(i).map { Int8(truncatingIfNeeded: Int($0) - 128) }
            _ = engines[w].run(input: input) { v, q in means.add(value: v, q, grid: grids[v]) }
        }
        return means
    }
    var merged = parts[0]
    for p in parts.dropFirst() { merged.merge(p) }
    return merged.means()
}

/// Per-layer error of the int8 model against the folded float graph on `images`.
public func layerErrors(_ folded: Graph, _ model: QModel, images: ImageSet, threads: Int) throws -> [LayerError] {
    let fe = FloatEngine(graph: folded)  // thread-safe: one workspace per worker
    // IntEngine's single-image runs take its lock, so each worker gets its own engine.
    let engines = try (0..<workerCount(images.count, threads: threads)).map { _ in try IntEngine(model: model) }
    let accs = parallelSlices(count: images.count, threads: threads) { w, range -> Result<LayerErrorAccumulator, Error> in
        var acc = LayerErrorAccumulator(model: model)
        var failure: Error?
        for i in range where failure == nil {
            var floats: [[Float]] = Array(repeating: [], count: model.nodes.count + 1)
            images.image(i).withUnsafeBufferPointer { px in
                _ = fe.run(pixels: px) { v, buf in floats[v] = Array(buf) }
                let input = px.map { Int8(truncatingIfNeeded: Int($0) - 128) }
                _ = engines[w].run(input: input) { v, q in
                    guard v > 0, failure == nil else { return }
                    do { try floats[v].withUnsafeBufferPointer { try acc.add(value: v, float: $0, int8: q) } } catch { failure = error }
                }
            }
        }
        return failure.map { .failure($0) } ?? .success(acc)
    }
    var merged = try accs[0].get()
    for a in accs.dropFirst() { merged.merge(try a.get()) }
    return merged.results()
}

/// Folds, calibrates on `calib` and converts: the float graph the int8 model is compared with
/// layer by layer, and the int8 model. With `rangeSearch`, each activation's range is then
/// refined against the float logits (`searchRanges`); with `biasCorrection`, every convolution's
/// bias absorbs the mean error its int8 input and rounded weights cause.
public func convert(_ graph: Graph, calib: ImageSet, method: CalibrationMethod, percentile: Double = 99.99,
                    biasCorrection: Bool = true, rangeSearch: Bool = true, threads: Int, progress: Bool) throws -> (folded: Graph, model: QModel) {
    let folded = try foldGraph(graph)
    var (ranges, means, session) = try calibrate(folded, images: calib, method: method, percentile: percentile, threads: threads, progress: progress)
    var meta = ["calibration": method.rawValue, "calibration_images": "\(calib.count)", "calibration_data": calib.source,
                "bias_correction": "\(biasCorrection)"]
    var options = QuantizerOptions(metadata: meta, channelMeans: biasCorrection ? means : [:])
    if rangeSearch {
        // Every int8 value of every search image is kept: at most ~1 GB of them.
        let perImage = (0...folded.nodes.count).reduce(0) { $0 + folded.shape($1).count }
        let images = calib.subset(Array(0..<min(calib.count, 256, max(16, (1 << 30) / perImage))))
        ranges.ranges = try searchRanges(folded, ranges: ranges.ranges, session: session, levels: rangeSearchLevels,
                                         images: images, options: options, threads: threads, progress: progress)
        meta["range_search_images"] = "\(images.count)"
        options.metadata = meta
    }
    var model = try quantize(folded, ranges: ranges.ranges, options: options)
    // Bias correction against the int8 model's own input means, one layer at a time in graph
    // order, so each layer absorbs the mean error the corrected int8 layers before it leave.
    if biasCorrection {
        for (i, node) in folded.nodes.enumerated() {
            switch node.op { case .conv, .linear: break; default: continue }
            options.int8Means = try int8Means(folded, model, images: calib, threads: threads)
            try reconvertWeighted(&model, graph: folded, node: i, options: options)
        }
    }
    return (folded, model)
}

/// Float logits of `graph` and int8 logits of `model` on the same images (both cores each).
public func compareLogits(_ graph: Graph, _ model: QModel, images: ImageSet, threads: Int, progress: Bool) throws -> (float: [[Float]], int8: [[Int8]]) {
    let fe = FloatEngine(graph: graph)
    let fl = ProgressLine("float eval", total: images.count, enabled: progress)
    let f = fe.logits(images: images.pixels, count: images.count, threads: threads) { _, _ in fl.advance() }
    let ie = try IntEngine(model: model)
    let il = ProgressLine("int8 eval", total: images.count, enabled: progress)
    let q = ie.logits(images: images.pixels, count: images.count, threads: threads) { _, _ in il.advance() }
    return (f, q)
}

/// The main job: calibrate, convert, evaluate float vs int8, report, export.
public func runQuantize(_ config: QuantizeConfig, log: (String) -> Void) throws -> QuantizeResult {
    let graph = try loadGraph(weights: config.weights, options: config.modelOptions)
    log("model: \(graph.name) (\(graph.arch), input \(graph.shape(0)), \(graph.numClasses) classes, \(graph.nodes.count) ops)")
    let calib = try loadImages(config.calib, for: graph, limit: config.calibLimit)
    log("calibration: \(calib.count) images from \(config.calib)")
    for note in calib.notes { log("  note: \(note)") }

    let (folded, model) = try convert(graph, calib: calib, method: config.method, rangeSearch: config.rangeSearch,
                                      threads: config.threads, progress: config.progress)
    log("converted: \(model.nodes.count) integer ops")

    let layerSet = calib.subset(Array(0..<min(config.layerImages, calib.count)))
    let layers = try layerErrors(folded, model, images: layerSet, threads: config.threads)

    let eval = try loadImages(config.eval, for: graph, limit: config.evalLimit)
    for note in eval.notes { log("  note: \(note)") }
    let (floatLogits, intLogits) = try compareLogits(graph, model, images: eval, threads: config.threads, progress: config.progress)
    log("evaluation: \(eval.count) images from \(config.eval)")

    let blob = try writeBlob(model)
    let plan = planMemory(model)
    var report = try AccuracyReport.make(floatLogits: floatLogits, int8Logits: intLogits, labels: eval.labels,
                                         classNames: eval.classNames, model: graph.name, dataset: config.eval,
                                         calibrationMethod: config.method.rawValue, calibrationImages: calib.count,
                                         layers: layers)
    report.extras["blob_bytes"] = "\(blob.count)"
    report.extras["arena_bytes"] = "\(plan.arenaBytes)"
    report.extras["memory"] = plan.report()

    let fm = FileManager.default
    try fm.createDirectory(atPath: config.outDir, withIntermediateDirectories: true)
    var files: [String] = []
    func write(_ name: String, _ data: Data) throws {
        let path = config.outDir + "/" + name
        do { try data.write(to: URL(fileURLWithPath: path)) } catch {
            throw ToolkitError(path, "cannot write: \(error.localizedDescription)")
        }
        files.append(path)
    }
    let symbol = cSymbol(graph.name)
    let c = cHeaderSource(blob, symbol: symbol)
    try write("model.q8", Data(blob))
    try write("model_data.h", Data(c.header.utf8))
    try write("model_data.c", Data(c.source.utf8))
    try write("report.md", Data(report.markdown().utf8))
    try write("report.json", try report.json())
    try write("memory.md", Data(plan.report().utf8))
    return QuantizeResult(graph: graph, folded: folded, model: model, report: report, blob: blob, plan: plan, files: files)
}

/// A C identifier from a model name (`mobilenet_v3_small-fashion` → `mobilenet_v3_small_fashion`).
public func cSymbol(_ name: String) -> String {
    let s = String(name.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    return s.first?.isNumber == true ? "m_" + s : s
}


/// Percentiles the range search tries for each activation besides the calibrated one (100 = min/max).
public let rangeSearchLevels: [Double] = [99.9, 99.999, 100]

/// Per-activation range search: for each value in graph order (except the logits, which keep
/// min/max), tries the ranges `levels` would give and keeps one only when the int8 logits get
/// closer (mean squared error, dequantized) to the float logits on `images`. Greedy and one pass;
/// the int8 values before the first node a trial changes are reused, not recomputed.
func searchRanges(_ folded: Graph, ranges: [Int: (min: Float, max: Float)], session: CalibrationSession, levels: [Double],
                  images: ImageSet, options: QuantizerOptions, threads: Int, progress: Bool) throws -> [Int: (min: Float, max: Float)] {
    let target = FloatEngine(graph: folded).logits(images: images.pixels, count: images.count, threads: threads) { _, _ in }
    let outputValue = folded.nodes.count
    /// Runs `engine` from node `first` on every image, reusing `base`'s earlier values.
    func run(_ engine: IntEngine, from first: Int, base: [[[Int8]]]) -> (values: [[[Int8]]], loss: Double) {
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
                return vals
            }
            return (values, loss)
        }
        return (parts.flatMap(\.0), parts.map(\.1).reduce(0, +) / Double(images.count))
    }
    var ranges = ranges
    var model = try quantize(folded, ranges: ranges, options: options)
    var (cache, best) = run(try IntEngine(model: model), from: 0, base: [])
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
