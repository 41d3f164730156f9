import XCTest
import QuantCore
import ImageIO
import Models
import FloatEngine
import IntEngine
import Quantizer
import Pipeline
import Refine
import Reports

/// End-to-end: real checkpoints, real calibration and evaluation images (run in release mode).
final class EndToEndTests: XCTestCase {
    /// The shipped default: model in Models/, calibration PNGs in Calibration/, Fashion-MNIST test set
    /// in Evaluation/ (first 2,000 images here; the benchmark uses all 10,000).
    func testDefaultModelLosesLittle() throws {
        let graph = try loadGraph(weights: "Models/mobilenet_v3_small-fashion.safetensors", options: ModelOptions())
        let calib = try loadImages("Calibration", for: graph, limit: nil)
        XCTAssertEqual(calib.count, 256)
        let eval = try loadImages("Evaluation/fashion-mnist/t10k-images-idx3-ubyte.gz", for: graph, limit: 2000)
        let (_, model) = try convert(graph, calib: calib, method: .percentile, threads: 2, progress: false)
        let (f, q) = try compareLogits(graph, model, images: eval, threads: 2, progress: false)
        let r = try AccuracyReport.make(floatLogits: f, int8Logits: q, labels: eval.labels, model: graph.name,
                                        dataset: "t10k[0..<2000]", calibrationMethod: "percentile", calibrationImages: calib.count)
        // Budgets: the int8 model may lose at most 1 point of top-1 and must agree with float on ≥ 97%.
        XCTAssertGreaterThan(r.floatTop1, 90)
        XCTAssertGreaterThanOrEqual(r.int8Top1, r.floatTop1 - 1.0)
        XCTAssertGreaterThanOrEqual(r.agreementTop1, 97.0)
    }

    /// Folding batch norm and the input normalization (with mean-pixel padding) keeps the function.
    func testFoldedGraphComputesTheSameLogits() throws {
        for m in ["mobilenet_v3_small-fashion", "mobilenet_v2-cifar10", "shufflenet_v1_g3-cifar10"] {
            let graph = try loadGraph(weights: SharedData.path("models/\(m).safetensors"), options: ModelOptions())
            let folded = try foldGraph(graph)
            let eval = m.hasSuffix("fashion")
                ? try loadImages(SharedData.path("datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"), for: graph, limit: 16)
                : try loadImages(SharedData.path("datasets/cifar10/test_batch.bin"), for: graph, limit: 16)
            let a = FloatEngine(graph: graph).logits(images: eval.pixels, count: eval.count)
            let b = FloatEngine(graph: folded).logits(images: eval.pixels, count: eval.count)
            var maxErr: Float = 0
            for (x, y) in zip(a, b) { for (u, v) in zip(x, y) { maxErr = max(maxErr, abs(u - v)) } }
            XCTAssertLessThan(maxErr, 1e-3, m)
        }
    }

    /// Every shared architecture converts and runs integer-only, and agrees with float on most images
    /// (small subsets here; the full figures come from the benchmark).
    func testEveryArchitectureConvertsAndRuns() throws {
        let cifar = ["mobilenet_v1-cifar10", "mobilenet_v1_025-cifar10", "mobilenet_v2-cifar10", "mobilenet_v3_small-cifar10",
                     "mobilenet_v3_large-cifar10", "shufflenet_v1_g3-cifar10", "shufflenet_v2_x1_0-cifar10"]
        for m in cifar {
            let graph = try loadGraph(weights: SharedData.path("models/\(m).safetensors"), options: ModelOptions())
            let calib = try loadImages(SharedData.path("datasets/cifar10/calib_batch.bin"), for: graph, limit: 200)
            let eval = try loadImages(SharedData.path("datasets/cifar10/test_batch.bin"), for: graph, limit: 300)
            let (_, model) = try convert(graph, calib: calib, method: .percentile, threads: 2, progress: false)
            let (f, q) = try compareLogits(graph, model, images: eval, threads: 2, progress: false)
            let agree = zip(f, q).filter { argmax($0.0) == argmax($0.1) }.count
            XCTAssertGreaterThanOrEqual(Double(agree) / Double(eval.count), 0.93, m)
        }
    }

    func testEfficientNetLite0ConvertsAndRuns() throws {
        let graph = try loadGraph(weights: SharedData.path("models/efficientnet-lite0-57934424.pth"), options: ModelOptions())
        let all = try loadImages(SharedData.path("datasets/imagenet-sample/val224"), for: graph, limit: 60)
        let calib = all.subset(all.labels.indices.filter { all.labels[$0] % 10 == 0 })
        let eval = all.subset(all.labels.indices.filter { all.labels[$0] % 10 != 0 })
        let (_, model) = try convert(graph, calib: calib, method: .percentile, threads: 2, progress: false)
        let (f, q) = try compareLogits(graph, model, images: eval, threads: 2, progress: false)
        let agree = zip(f, q).filter { argmax($0.0) == argmax($0.1) }.count
        XCTAssertGreaterThanOrEqual(Double(agree) / Double(eval.count), 0.85)
    }
}
