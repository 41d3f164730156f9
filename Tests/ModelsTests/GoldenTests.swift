import XCTest
import FloatEngine
import ImageIO
import ModelIO
import QuantCore
@testable import Models

/// Where each data set's evaluation images are (the golden logits use the first 64).
func evaluationSetPath(_ dataset: String) -> String {
    switch dataset {
    case "cifar10": return SharedData.path("datasets/cifar10/test_batch.bin")
    case "fashion": return SharedData.path("datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
    default: return SharedData.path("datasets/imagenet-sample/val224")
    }
}

/// The golden float logits `[64, classes]` of a reference model.
func goldenLogits(_ model: String) throws -> NPYArray {
    let path = SharedData.path("models/golden/\(model).logits64.npy")
    return try readNPY(try readFileBytes(path), path: path)
}

/// How many of the 64 golden images a model is checked on: all in release builds; in debug builds
/// (unoptimized SIMD code, ~150× slower) a prefix, `debugCount`.
func goldenImageCount(debugCount: Int) -> Int {
    #if DEBUG
    return debugCount
    #else
    return 64
    #endif
}

final class GoldenTests: XCTestCase {
    /// Max |logit − golden| over the first `count` golden images of one model.
    func maxError(_ model: ReferenceModel, count: Int) throws -> Float {
        let graph = try buildGraph(try loadCheckpoint(model.path), name: model.name)
        let engine = FloatEngine(graph: graph)
        let golden = try goldenLogits(model.name)
        guard case .float32(let expected) = golden.values else { throw ToolkitError(model.name, "golden logits are not float32") }
        XCTAssertEqual(golden.shape, [64, graph.numClasses])
        let images = try loadImageSet(evaluationSetPath(model.dataset), options: ImageSetOptions(limit: count))
        XCTAssertEqual(images.count, count)
        XCTAssertEqual([images.height, images.width, images.channels], [graph.shape(0).h, graph.shape(0).w, graph.shape(0).c])
        let logits = engine.logits(images: images.pixels, count: count, threads: 2)
        XCTAssertEqual(logits.count, count)
        var worst: Float = 0
        for (i, row) in logits.enumerated() {
            XCTAssertEqual(row.count, graph.numClasses)
            for (j, value) in row.enumerated() {
                let error = abs(value - expected[i * graph.numClasses + j])
                worst = error.isNaN ? .infinity : max(worst, error)
            }
        }
        return worst
    }

    /// Every CIFAR-10 / Fashion-MNIST model, both formats of MobileNetV1 ×0.25, within 1e-3 absolute.
    func testSmallModelsMatchGoldenLogits() throws {
        for model in ReferenceModel.all where model.dataset != "imagenet" {
            let count = goldenImageCount(debugCount: 8)
            let error = try maxError(model, count: count)
            print("golden \(model.file): max abs error \(error) over \(count) images")
            XCTAssertLessThan(error, 1e-3, model.file)
        }
    }

    /// EfficientNet-Lite0 on 64 decoded ImageNet JPEGs (385 MMACs per image: slow in debug builds).
    func testEfficientNetLite0MatchesGoldenLogits() throws {
        for model in ReferenceModel.all where model.dataset == "imagenet" {
            let count = goldenImageCount(debugCount: 2)
            let error = try maxError(model, count: count)
            print("golden \(model.file): max abs error \(error) over \(count) images")
            XCTAssertLessThan(error, 1e-3, model.file)
        }
    }
}
