import Foundation
import FloatEngine
import ImageIO
import ModelIO
import Models
import QuantCore
import TestSupport

/// Float engine figures: top-1 of every reference model on its full evaluation split against
/// `models/float_accuracy.json` (tolerance 0.05 points for CIFAR-10 / Fashion-MNIST, 0.3 for the
/// ImageNet sample), then images/s on 1 and 2 threads for two models beside ONNX Runtime's float
/// speed measured in the same run (`../shared/tools/ort_bench.py`, needs `pip install onnxruntime`).
/// `models` (names, `x.onnx` for the ONNX rows) restricts the top-1 rows and skips the speed part.
public func benchFloat(models: [String] = []) {
    print("== float engine: top-1 on the full evaluation splits ==")
    let reference = floatReferenceAccuracy()
    for model in floatBenchModels where models.isEmpty || models.contains(model.name) {
        do {
            let (graph, images, labels) = try floatBenchLoad(model)
            let engine = FloatEngine(graph: graph)
            let start = Date()
            let logits = engine.logits(images: images, count: labels.count, threads: 2)
            let seconds = Date().timeIntervalSince(start)
            let correct = zip(logits, labels).filter { row, label in row.indices.max { row[$0] < row[$1] } == label }.count
            let top1 = 100 * Double(correct) / Double(labels.count)
            let expected = reference[model.name] ?? reference[String(model.name.dropLast(5))] ?? model.readmeTop1
            let verdict = expected.map { abs(top1 - $0) <= model.tolerance + 1e-9 ? "ok" : "MISMATCH" } ?? "no reference"
            let referenceText = expected.map { String(format: "%.2f%%", $0) } ?? "?"
            print(model.name.padding(toLength: 30, withPad: " ", startingAt: 0)
                + String(format: " top-1 %6.2f%% (reference ", top1) + referenceText
                + String(format: ", tolerance %.2f) ", model.tolerance) + verdict
                + String(format: "  [%d images, %.1f s, 2 threads]", labels.count, seconds))
        } catch {
            print("\(model.name): \(error)")
        }
    }

    guard models.isEmpty else { return }
    print("== float engine speed vs ONNX Runtime (float, 1 thread) ==")
    for (name, onnx, images) in [("mobilenet_v3_small-cifar10", "mobilenet_v3_small-cifar10", 400),
                                 ("efficientnet_lite0-imagenet", "efficientnet_lite0-imagenet", 40)] {
        guard let model = floatBenchModels.first(where: { $0.name == name }) else { continue }
        do {
            let graph = try buildGraph(try loadCheckpoint(model.weights), name: name)
            let engine = FloatEngine(graph: graph)
            var rng = TestRandom(seed: 1)
            let pixels = (0..<(images * engine.inputCount)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            _ = engine.logits(images: pixels, count: min(images, 8), threads: 2)
            // Three interleaved rounds, best of each: the machine is shared, so the peer runs
            // right beside ours and a busy moment does not count against one side only. One
            // thread is timed as ort_bench.py does (median latency of single images); two
            // threads as batch throughput.
            var rates: [Int: Double] = [:]
            var ortBest: Double?
            var ortProblem = ""
            for _ in 0..<3 {
                let latencies = (0..<images).map { index -> Double in
                    let start = DispatchTime.now().uptimeNanoseconds
                    _ = pixels[(index * engine.inputCount)..<((index + 1) * engine.inputCount)].withUnsafeBufferPointer {
                        engine.logits(pixels: $0)
                    }
                    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                }.sorted()
                rates[1] = max(rates[1] ?? 0, 1 / latencies[latencies.count / 2])
                let start = Date()
                _ = engine.logits(images: pixels, count: images, threads: 2)
                rates[2] = max(rates[2] ?? 0, Double(images) / Date().timeIntervalSince(start))
                switch ortImagesPerSecond(SharedData.path("models/onnx/\(onnx).float.onnx")) {
                case .success(let peer): ortBest = max(ortBest ?? 0, peer)
                case .failure(let problem): ortProblem = problem.message
                }
            }
            var line = name.padding(toLength: 30, withPad: " ", startingAt: 0)
                + String(format: " %.1f MMACs: %8.1f images/s (1 thread), %8.1f images/s (2 threads)",
                         Double(graph.totalMACs) / 1e6, rates[1] ?? 0, rates[2] ?? 0)
            if let peer = ortBest {
                line += String(format: "; ORT %8.1f images/s → ratio %.2f× (1 thread)", peer, (rates[1] ?? 0) / peer)
            } else {
                line += "; ORT unavailable (\(ortProblem))"
            }
            print(line)
        } catch {
            print("\(name): \(error)")
        }
    }
}

/// A reference model of the float benchmark: checkpoint, evaluation data, tolerance.
private struct FloatBenchModel {
    var name: String
    var weights: String
    var eval: String
    var tolerance: Double
    /// Top-1 stated in `models/README.md`, for the model float_accuracy.json does not list.
    var readmeTop1: Double?
}

/// The row names `bench float --models` takes.
var floatBenchModelNames: [String] { floatBenchModels.map(\.name) }

private let floatBenchModels: [FloatBenchModel] = {
    var rows = ["mobilenet_v1-cifar10", "mobilenet_v1_025-cifar10", "mobilenet_v2-cifar10", "mobilenet_v3_small-cifar10",
                "mobilenet_v3_large-cifar10", "shufflenet_v1_g3-cifar10", "shufflenet_v2_x1_0-cifar10"].map {
        FloatBenchModel(name: $0, weights: SharedData.path("models/\($0).safetensors"),
                        eval: SharedData.path("datasets/cifar10/test_batch.bin"), tolerance: 0.05)
    }
    rows.append(FloatBenchModel(name: "mobilenet_v3_small-fashion", weights: SharedData.path("models/mobilenet_v3_small-fashion.safetensors"),
                                eval: SharedData.path("datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"), tolerance: 0.05))
    rows.append(FloatBenchModel(name: "efficientnet_lite0-imagenet", weights: SharedData.path("models/efficientnet-lite0-57934424.pth"),
                                eval: SharedData.path("datasets/imagenet-sample/val224"), tolerance: 0.3, readmeTop1: 88.44))
    // The shared float ONNX exports, imported with their checkpoint's mean / std: within 0.02.
    for m in benchModels where m.twin != nil {
        rows.append(FloatBenchModel(name: m.name, weights: m.weights, eval: m.eval, tolerance: 0.02,
                                    readmeTop1: m.name.hasPrefix("efficientnet_lite0") ? 88.44 : nil))
    }
    return rows
}()

/// The model's graph and its evaluation images (for the ImageNet sample: rows with label % 10 != 0).
private func floatBenchLoad(_ model: FloatBenchModel) throws -> (Graph, [UInt8], [Int]) {
    let graph = try benchModels.first { $0.name == model.name && $0.twin != nil }.map(benchGraph)
        ?? buildGraph(try loadCheckpoint(model.weights), name: model.name)
    let input = graph.shape(0)
    var set = try loadImageSet(model.eval, options: ImageSetOptions(height: input.h, width: input.w, channels: input.c))
    if model.name.contains("imagenet") {
        set = set.subset(set.labels.indices.filter { set.labels[$0] % 10 != 0 })
    }
    return (graph, set.pixels, set.labels)
}

/// `float_top1` per model from `models/float_accuracy.json` (empty if unreadable).
private func floatReferenceAccuracy() -> [String: Double] {
    let path = SharedData.path("models/float_accuracy.json")
    guard let data = FileManager.default.contents(atPath: path),
          let json = try? JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] else { return [:] }
    return json.compactMapValues { $0["float_top1"] as? Double }
}

/// Runs `ort_bench.py` on one thread and returns its images/s.
private func ortImagesPerSecond(_ onnx: String) -> Result<Double, ToolkitError> {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", SharedData.path("tools/ort_bench.py"), onnx, "--threads", "1"]
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    do {
        try process.run()
    } catch {
        return .failure(ToolkitError(onnx, "cannot run python3: \(error)"))
    }
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let problem = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0,
          let field = text.split(separator: " ").first(where: { $0.hasPrefix("images_per_s=") }),
          let rate = Double(field.dropFirst("images_per_s=".count).trimmingCharacters(in: .whitespacesAndNewlines)) else {
        let last = problem.split(separator: "\n").last.map(String.init) ?? "exit \(process.terminationStatus)"
        return .failure(ToolkitError(onnx, "ort_bench.py failed: \(last) (pip install onnxruntime numpy)"))
    }
    return .success(rate)
}
