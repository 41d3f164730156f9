import XCTest
import QuantCore
import ImageIO
import Models
import IntEngine
import Export
import Pipeline
import Refine

/// Swift-vs-C parity on every shared checkpoint: each model is calibrated (100 images of its
/// calibration split), written as a blob, and run by the C runtime and by the Swift IntEngine on
/// 256 evaluation images. Every logit byte must agree. (Release mode: `Scripts/test.sh`.) Each
/// model is also written as `.tflite` with those images and logits into `.build/tflm-check/NAME/`,
/// where `Scripts/tflm_check.py` has TensorFlow Lite Micro run it (`Scripts/test.sh`).
final class RealModelParityTests: XCTestCase {
    func check(_ weights: String, calib: String, eval: String, tflite: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws {
        let graph = try loadGraph(weights: SharedData.path(weights), options: ModelOptions())
        var calibSet: ImageSet, evalSet: ImageSet
        if calib == eval {  // ImageNet sample: one folder, label % 10 == 0 calibrates
            let all = try loadImages(SharedData.path(eval), for: graph, limit: nil)
            calibSet = all.subset(Array(all.labels.indices.filter { all.labels[$0] % 10 == 0 }.prefix(100)))
            evalSet = all.subset(Array(all.labels.indices.filter { all.labels[$0] % 10 != 0 }.prefix(256)))
        } else {
            calibSet = try loadImages(SharedData.path(calib), for: graph, limit: 100)
            evalSet = try loadImages(SharedData.path(eval), for: graph, limit: 256)
        }
        XCTAssertEqual(evalSet.count, 256, file: file, line: line)
        let (_, model) = try convert(graph, calib: calibSet, method: .percentile, rangeSearch: false, threads: 2, progress: false)
        let blob = try writeBlob(model)
        let swift = try IntEngine(model: model).logits(images: evalSet.pixels, count: evalSet.count)
        let c = try runC(blob: blob, images: evalSet.pixels, count: evalSet.count)
        var differing = 0
        for (a, b) in zip(swift, c) { differing += zip(a, b).filter { $0 != $1 }.count }
        XCTAssertEqual(c.count, swift.count, file: file, line: line)
        XCTAssertEqual(differing, 0, "\(weights): \(differing) differing logit bytes", file: file, line: line)
        if tflite { try writeTFLMCheck(model, blob: blob, pixels: evalSet.pixels, logits: swift, name: graph.name) }
    }

    func testCIFAR10Models() throws {
        for m in ["mobilenet_v1-cifar10", "mobilenet_v1_025-cifar10", "mobilenet_v2-cifar10", "mobilenet_v3_small-cifar10",
                  "mobilenet_v3_large-cifar10", "shufflenet_v1_g3-cifar10", "shufflenet_v2_x1_0-cifar10"] {
            try check("models/\(m).safetensors", calib: "datasets/cifar10/calib_batch.bin", eval: "datasets/cifar10/test_batch.bin")
        }
    }

    func testTorchZipTwin() throws {
        try check("models/mobilenet_v1_025-cifar10.pth", calib: "datasets/cifar10/calib_batch.bin", eval: "datasets/cifar10/test_batch.bin",
                  tflite: false)
    }

    func testFashionModel() throws {
        try check("models/mobilenet_v3_small-fashion.safetensors", calib: "datasets/fashion-mnist/heldout-images-idx3-ubyte.gz",
                  eval: "datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
    }

    func testEfficientNetLite0() throws {
        try check("models/efficientnet-lite0-57934424.pth", calib: "datasets/imagenet-sample/val224", eval: "datasets/imagenet-sample/val224")
    }
}
