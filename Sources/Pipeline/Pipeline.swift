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
import Refine
import Fit

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
    /// Even out channel ranges before a depthwise convolution (`equalizeRanges`, Refine).
    public var equalize = true
    public var outDir: String
    public var threads: Int = 2
    public var progress: Bool = true
    /// The command line as typed, for the report's reproducibility section.
    public var commandLine: [String] = []
    /// Flash and SRAM the model must fit (`Fit`); empty: the all-int8 model as it converts.
    public var budget = Budget()

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
    /// Each activation's calibration histogram with its int8 range (drawn in report.html).
    public var histograms: [ActivationHistogram]
    /// Files written, in the order they were written.
    public var files: [String]
    /// Why `model.tflite` was not written (an op TFLite cannot express exactly); nil when it was.
    public var tfliteProblem: String? = nil
    /// What the budget stage chose and what it cost; nil without a budget.
    public var fit: FitSummary? = nil
}

/// Loads the checkpoint (or ONNX file, or float `.tflite`) and builds its float graph.
public func loadGraph(weights: String, options: ModelOptions) throws -> Graph {
    if isTFLiteFile(weights) { return try loadTFLiteGraph(weights, options: options) }  // before ONNX: `TFL3` files can look like protobuf
    if isONNXFile(weights) { return try loadONNXGraph(weights, options: options) }
    let checkpoint = try loadCheckpoint(weights)
    let name = URL(fileURLWithPath: weights).deletingPathExtension().lastPathComponent
    return try buildGraph(checkpoint, name: name, options: options)
}

/// Loads images converted to the graph's input size and channel count; class folders are matched
/// to the graph's classes (see `loadImageSet`).
public func loadImages(_ path: String, for graph: Graph, limit: Int?, progress: Bool = false) throws -> ImageSet {
    var options = ImageSetOptions()
    options.height = graph.preprocessing.height
    options.width = graph.preprocessing.width
    options.channels = graph.preprocessing.channels
    options.limit = limit
    options.classCount = graph.numClasses
    options.classNames = graph.classNames
    options.progress = progress
    let set = try loadImageSet(path, options: options)
    guard set.count > 0 else { throw ToolkitError(path, "no images") }
    return set
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
    try checkOutputFolder(config.outDir)  // before any work: a bad --out should not cost a calibration
    let graph = try loadGraph(weights: config.weights, options: config.modelOptions)
    log("model: \(graph.name) (\(graph.arch), input \(graph.shape(0)), \(graph.numClasses) classes, \(graph.nodes.count) ops)")
    for note in graph.notes { log(note) }
    for s in graph.settings { log("  \(s.line)") }
    var warnings: [String] = []
    func warn(_ w: [String]) { for line in w { log("warning: \(line)") }; warnings += w }
    let calib = try loadImages(config.calib, for: graph, limit: config.calibLimit, progress: config.progress)
    log("calibration: \(calib.count) images from \(config.calib)")
    for note in calib.notes { log("  note: \(note)") }
    warn(dataWarnings(calib, graph: graph, role: "calibration"))
    // The evaluation data is read and checked before the long conversion.
    let eval = try loadImages(config.eval, for: graph, limit: config.evalLimit, progress: config.progress)
    try requireLabels(eval, path: config.eval)
    log("evaluation: \(eval.count) images from \(config.eval)")
    for note in eval.notes { log("  note: \(note)") }
    warn(dataWarnings(eval, graph: graph, role: "evaluation"))

    var session: CalibrationSession?
    var equalizedPairs: Int?  // stays nil with equalization off
    var (folded, model) = try convert(graph, calib: calib, method: config.method, rangeSearch: config.rangeSearch, equalize: config.equalize,
                                      threads: config.threads, progress: config.progress, onEqualized: { equalizedPairs = $0 }) { session = $0 }
    log("converted: \(model.nodes.count) integer ops")
    for s in graph.settings { model.metadata["model." + s.name.replacingOccurrences(of: " ", with: "_")] = "\(s.value) (\(s.source))" }

    // The budget stage: int4 weights where the flash needs them, a schedule where the SRAM does
    // (every budget that cannot be met is an error before any output).
    let allInt8 = model
    var layerByLayer = model  // the model written, without its SRAM schedule (same logits)
    var fit: FitSummary?
    if !config.budget.isEmpty {
        let r = try fitBudget(config.budget, graph: graph, folded: folded, base: model, calib: calib, file: config.weights,
                              method: config.method, rangeSearch: config.rangeSearch, equalize: config.equalize,
                              threads: config.threads, progress: config.progress, log: log)
        (model, layerByLayer, fit) = (r.model, r.layerByLayer, r.summary)
    }

    let layerSet = calib.subset(Array(0..<min(config.layerImages, calib.count)))
    let layers = try layerErrors(folded, model, images: layerSet, threads: config.threads, progress: config.progress)

    let (floatLogits, intLogits) = try compareLogits(graph, model, images: eval, threads: config.threads, progress: config.progress)
    if fit?.flash != nil {  // what the int4 layers cost, against the all-int8 model on the same images
        let line = ProgressLine("all-int8 eval", total: eval.count, enabled: config.progress)
        let base = try IntEngine(model: allInt8).logits(images: eval.pixels, count: eval.count, threads: config.threads) { _, _ in line.advance() }
        fit?.cost = fitCost(float: floatLogits, int8: base, written: intLogits, labels: eval.labels)
    }
    if let s = fit?.sram, s.schedule != "layer by layer" {  // the schedule's claim, checked: the same logits as layer by layer
        let line = ProgressLine("layer-by-layer eval", total: eval.count, enabled: config.progress)
        let plain = try IntEngine(model: layerByLayer).logits(images: eval.pixels, count: eval.count, threads: config.threads) { _, _ in line.advance() }
        fit?.scheduleCheck = (eval.count, zip(plain, intLogits).filter { $0 != $1 }.count)
    }

    let blob = try writeBlob(model)
    let plan = planMemory(model)
    var isFolder: ObjCBool = false
    let evalHasFiles = FileManager.default.fileExists(atPath: config.eval, isDirectory: &isFolder) && isFolder.boolValue
    var report = try AccuracyReport.make(floatLogits: floatLogits, int8Logits: intLogits, labels: eval.labels,
                                         classNames: eval.classNames, imageFiles: evalHasFiles ? eval.names : [],
                                         model: graph.name, dataset: config.eval,
                                         calibrationMethod: config.method.rawValue, calibrationImages: calib.count,
                                         layers: layers)
    report.blobBytes = blob.count
    report.arenaBytes = plan.arenaBytes
    if let w = chanceWarning(floatTop1: report.floatTop1, classes: graph.numClasses) { warn([w]) }
    report.settings = graph.settings
    report.warnings = warnings
    report.extras["memory"] = plan.report()
    if let f = fit { report.extras["fit"] = f.markdown() }
    report.calibration = CalibrationSettings(
        method: config.method.rawValue, percentile: config.method == .percentile ? 99.99 : nil, images: calib.count,
        source: config.calib, equalizedPairs: equalizedPairs,
        rangeSearchImages: model.metadata["range_search_images"].flatMap { Int($0) },
        biasCorrection: true, layerErrorImages: layerSet.count)
    // Digests of the inputs, the report's charts and thumbnails, the files: seconds on big inputs.
    let finishing = ProgressLine("reports and files", total: 4, unit: "steps", enabled: config.progress)
    report.run = RunInfo(commandLine: config.commandLine, toolVersion: toolkitVersion, gitCommit: gitCommit(),
                         inputs: try [config.weights, config.calib, config.eval].map(inputDigest))
    finishing.advance()
    let histograms = session.map { activationHistograms($0, model: model) } ?? []
    let thumbnails = try changedThumbnails(report, images: eval)
    finishing.advance()

    let c = cHeaderSource(blob, symbol: cSymbol(graph.name), model: model)
    // The whole set is written at once (temporary names, then renamed): never half of it.
    var outputs: [(name: String, data: Data)] = [
        ("model.q8", Data(blob)),
        ("model_data.h", Data(c.header.utf8)),
        ("model_data.c", Data(c.source.utf8)),
        ("report.md", Data(report.markdown().utf8)),
        ("report.json", try report.json()),
        ("report.html", Data(report.html(histograms: histograms, thumbnails: thumbnails).utf8)),
        ("memory.md", Data((plan.report(model: graph.name) + (fit.map { "\n" + $0.markdown() } ?? "")).utf8)),
    ]
    // The same model for TensorFlow Lite Micro, when every op has an exact TFLite form.
    var tfliteProblem: String?
    do {
        outputs.insert(("model.tflite", Data(try writeTFLite(model))), at: 1)
    } catch let e as ToolkitError {
        tfliteProblem = e.message
    }
    finishing.advance()
    let files = try writeOutputFiles(outputs, to: config.outDir)
    if tfliteProblem != nil {  // no stale model.tflite of an earlier run beside this model.q8
        try? FileManager.default.removeItem(atPath: (config.outDir as NSString).appendingPathComponent("model.tflite"))
    }
    finishing.advance()
    return QuantizeResult(graph: graph, folded: folded, model: model, report: report, blob: blob, plan: plan, histograms: histograms,
                          files: files, tfliteProblem: tfliteProblem, fit: fit)
}

/// Top-1 and agreement of the all-int8 model and of the model written, on the same images.
func fitCost(float: [[Float]], int8: [[Int8]], written: [[Int8]], labels: [Int]) -> FitCost {
    let n = Double(max(1, labels.count))
    let f = float.map(argmax), a = int8.map(argmax), w = written.map(argmax)
    func share(_ x: [Int], _ y: [Int]) -> Double { 100 * Double(zip(x, y).filter { $0 == $1 }.count) / n }
    return FitCost(images: labels.count, int8Top1: share(a, labels), int8Agreement: share(a, f),
                   top1: share(w, labels), agreement: share(w, f), sameAsInt8: share(w, a))
}

/// A C identifier from a model name (`mobilenet_v3_small-fashion` → `mobilenet_v3_small_fashion`).
public func cSymbol(_ name: String) -> String {
    let s = String(name.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    return s.first?.isNumber == true ? "m_" + s : s
}

