import Foundation
import XCTest
import QuantCore
import ModelIO
import ImageIO
import Models
import FloatEngine
import IntEngine
import Pipeline
import Refine

/// A float32 `.tflite` goes through calibration like a checkpoint. The float files are made at
/// test time by `Scripts/float_tflite.py` from the TFLite converter's int8 files in
/// `../shared/models/tflite` ("the dequantized network": weights and biases dequantized, every
/// activation float32); TensorFlow Lite Micro (the `tflite-micro` package) runs the same network
/// as the oracle, with RELU_0_TO_1 (no TFLM kernel) as MAXIMUM(x, 0) then MINIMUM(·, 1).
final class FloatTFLiteTests: XCTestCase {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Scripts/float_tflite.py").standardized.path

    func python(_ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Self.script] + args
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw ToolkitError(Self.script, "exited with status \(p.terminationStatus) for \(args)") }
    }

    func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "float-tflite-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    /// The float file and TFLM's copy of it, made from the shared int8 file `name`.
    func floatFiles(_ name: String, in dir: String) throws -> (float: String, oracle: String) {
        let (float, oracle) = (dir + "/\(name).float.tflite", dir + "/\(name).oracle.tflite")
        try python(["make", SharedData.path("models/tflite/\(name).int8.tflite"), float, oracle])
        return (float, oracle)
    }

    /// Float logits of our engine on the imported graph vs TFLM on the oracle file (128 evaluation
    /// images): max |Δ| ≤ 1e-4 of the logits' range. Then the graph is calibrated (256 images) and
    /// converted (`convert`, everything on, as the main command runs it) and the int8 model's top-1
    /// class must equal the float one on ≥ 97 % of 512 evaluation images.
    func check(_ name: String, calib calibPath: String, eval evalPath: String, mean: [Float], std: [Float]) throws {
        try check(name, mean: mean, std: std, tflmImages: 128) { graph in
            (try loadImages(calibPath, for: graph, limit: 256), try loadImages(evalPath, for: graph, limit: 512))
        }
    }

    /// `check` on the calibration and evaluation sets `images` loads for the graph; TFLM runs the
    /// first `tflmImages` evaluation images.
    func check(_ name: String, mean: [Float], std: [Float], tflmImages n: Int,
               images: (Graph) throws -> (calib: ImageSet, eval: ImageSet)) throws {
        let dir = try tempDir()
        let (floatPath, oraclePath) = try floatFiles(name, in: dir)
        let graph = try loadGraph(weights: floatPath, options: ModelOptions(mean: mean, std: std))
        XCTAssertEqual(graph.name, name)
        XCTAssertEqual(graph.arch, "tflite")
        XCTAssertEqual(graph.preprocessing.mean, mean.count == graph.preprocessing.channels ? mean : [Float](repeating: mean[0], count: graph.preprocessing.channels))
        let (calib, eval) = try images(graph)
        XCTAssertGreaterThanOrEqual(eval.count, n)
        let floatLogits = FloatEngine(graph: graph).logits(images: eval.pixels, count: eval.count, threads: 2)

        // TFLM on the first n images, fed the normalized image x = (pixel/255 − mean) / std.
        let size = graph.shape(0).count, c = graph.preprocessing.channels
        let pre = graph.preprocessing
        var inputs = [Float](repeating: 0, count: n * size)
        for i in 0..<(n * size) {
            let ch = i % c
            inputs[i] = (Float(eval.pixels[i]) / 255 - pre.mean[ch]) / pre.std[ch]
        }
        try inputs.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: dir + "/inputs.f32")) }
        try python(["run", oraclePath, dir + "/inputs.f32", dir + "/tflm.f32"])
        let tflmData = try Data(contentsOf: URL(fileURLWithPath: dir + "/tflm.f32"))
        let tflm = tflmData.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let classes = graph.numClasses
        XCTAssertEqual(tflm.count, n * classes, "\(name): TFLM's outputs")
        guard tflm.count == n * classes else { return }
        let ours = floatLogits.prefix(n).flatMap { $0 }
        let range = Double(ours.max()! - ours.min()!)
        let maxDiff = zip(ours, tflm).map { Double(abs($0 - $1)) }.max()!
        print("\(name): float logits vs TFLM on \(n) images: max |Δ| \(maxDiff) (logit range \(range), \(maxDiff / range) of it)")
        XCTAssertLessThanOrEqual(maxDiff, 1e-4 * range, "\(name): our float engine vs TFLM on the float .tflite")

        // Through our calibration and conversion like a checkpoint.
        let model = try convert(graph, calib: calib, method: .percentile, threads: 2, progress: false).model
        let int8 = try IntEngine(model: model).logits(images: eval.pixels, count: eval.count, threads: 2)
        func top1(_ v: [Float]) -> Int { v.indices.max { v[$0] < v[$1] }! }
        func top1(_ v: [Int8]) -> Int { v.indices.max { v[$0] < v[$1] }! }
        let agree = zip(floatLogits, int8).filter { top1($0.0) == top1($0.1) }.count
        let correctFloat = zip(floatLogits, eval.labels).filter { top1($0.0) == $0.1 }.count
        let correctInt8 = zip(int8, eval.labels).filter { top1($0.0) == $0.1 }.count
        print("\(name): \(eval.count) images: float top-1 \(correctFloat), int8 top-1 \(correctInt8), agreement \(agree)")
        XCTAssertGreaterThanOrEqual(Double(agree), 0.97 * Double(eval.count), "\(name): int8 vs float top-1 agreement")
    }

    func testMobileNetV2CIFAR10() throws {
        try check("mobilenet_v2-cifar10", calib: SharedData.path("datasets/cifar10/calib_batch.bin"),
                  eval: SharedData.path("datasets/cifar10/test_batch.bin"), mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616])
    }

    /// MobileNetV3: HARD_SWISH, MUL gates, RELU_0_TO_1 after the squeeze-excitation convolutions,
    /// the classifier's hard-swish as FULLY_CONNECTED · FULLY_CONNECTED(RELU6).
    func testMobileNetV3SmallFashion() throws {
        try check("mobilenet_v3_small-fashion", calib: "Calibration", eval: SharedData.path("datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"),
                  mean: [0.286], std: [0.353])
    }

    /// EfficientNet-Lite0 (224×224, TF-SAME convolutions, RELU6): the ImageNet sample's split
    /// (label % 10 == 0 calibrates, the other 900 evaluate), TFLM on 64 of them.
    func testEfficientNetLite0ImageNet() throws {
        try check("efficientnet_lite0-imagenet", mean: [127 / 255], std: [128 / 255], tflmImages: 64) { graph in
            let all = try loadImages(SharedData.path("datasets/imagenet-sample/val224"), for: graph, limit: nil)
            return (all.subset(all.labels.indices.filter { all.labels[$0] % 10 == 0 }), all.subset(all.labels.indices.filter { all.labels[$0] % 10 != 0 }))
        }
    }

    /// An operator the importer does not read, an int8 file, a PAD feeding something else, a
    /// filter cut short or holding NaN, and a RELU_0_TO_1 on a feature map other ops read are
    /// errors naming the file and the operator.
    func testBadInputIsAClearError() throws {
        let dir = try tempDir()
        let (floatPath, _) = try floatFiles("mobilenet_v2-cifar10", in: dir)
        let file = try loadTFLite(floatPath)
        let ops = file.subgraphs[0].operators
        guard let k = ops.firstIndex(where: { file.opName($0) == "MEAN" }) else { return XCTFail("the float file has no MEAN") }
        var bad = file
        bad.operatorCodes[Int(ops[k].opcodeIndex)].builtin = 82  // REDUCE_MAX
        let badPath = dir + "/reduce_max.tflite"
        try Data(serializeTFLite(bad)).write(to: URL(fileURLWithPath: badPath))
        XCTAssertThrowsError(try loadGraph(weights: badPath, options: ModelOptions())) { e in
            let text = "\(e)"
            XCTAssertTrue(text.hasPrefix(badPath + ": operator \(k) (REDUCE_MAX): not supported"), text)
            XCTAssertTrue(text.contains("supported: CONV_2D"), text)
        }
        let int8Path = SharedData.path("models/tflite/mobilenet_v2-cifar10.int8.tflite")
        XCTAssertThrowsError(try loadGraph(weights: int8Path, options: ModelOptions())) { e in
            XCTAssertTrue("\(e)".hasPrefix(int8Path + ": the model's input is not float32"), "\(e)")
        }
        // The first PAD's output read by an ADD instead of its convolution.
        guard let p = ops.firstIndex(where: { file.opName($0) == "PAD" }),
              let a = ops.indices.first(where: { $0 > p && file.opName(ops[$0]) == "ADD" }) else { return XCTFail("no PAD, then ADD") }
        var padded = file
        padded.subgraphs[0].operators[a].inputs[0] = ops[p].outputs[0]
        let paddedPath = dir + "/pad_add.tflite"
        try Data(serializeTFLite(padded)).write(to: URL(fileURLWithPath: paddedPath))
        XCTAssertThrowsError(try loadGraph(weights: paddedPath, options: ModelOptions())) { e in
            XCTAssertTrue("\(e)".hasPrefix(paddedPath + ": operator \(a) (ADD): a PAD output is read by something other than"), "\(e)")
        }
        // The first convolution's filter cut short by one element, then holding a NaN: each named
        // with its operator.
        guard let c = ops.firstIndex(where: { file.opName($0) == "CONV_2D" }) else { return XCTFail("no CONV_2D") }
        let filter = file.subgraphs[0].tensors[Int(ops[c].inputs[1])]
        let buffer = Array(file.buffers[Int(filter.buffer)])
        for (label, bytes, message) in [("short", Array(buffer.dropLast(4)), "holds \(buffer.count - 4) bytes, not its"),
                                        ("nan", withUnsafeBytes(of: Float.nan.bitPattern.littleEndian, Array.init) + buffer.dropFirst(4), "holds NaN or infinity")] {
            var broken = file
            broken.buffers[Int(filter.buffer)] = bytes[...]
            let brokenPath = dir + "/filter_\(label).tflite"
            try Data(serializeTFLite(broken)).write(to: URL(fileURLWithPath: brokenPath))
            XCTAssertThrowsError(try loadGraph(weights: brokenPath, options: ModelOptions())) { e in
                XCTAssertTrue("\(e)".hasPrefix(brokenPath + ": operator \(c) (CONV_2D): filter `\(filter.name)` \(message)"), "\(e)")
            }
        }
        // RELU_0_TO_1 is a hard-sigmoid only where that is exact: not on a value others read too.
        let (v3Path, _) = try floatFiles("mobilenet_v3_small-fashion", in: dir)
        let v3 = try loadTFLite(v3Path)
        let v3ops = v3.subgraphs[0].operators
        guard let r = v3ops.firstIndex(where: { v3.opName($0) == "RELU_0_TO_1" }),
              let mul = v3ops.indices.first(where: { $0 > r && v3.opName(v3ops[$0]) == "MUL" }) else { return XCTFail("no RELU_0_TO_1, then MUL") }
        var clamped = v3
        clamped.subgraphs[0].operators[r].inputs[0] = v3ops[mul].inputs[1] == v3ops[r].outputs[0] ? v3ops[mul].inputs[0] : v3ops[mul].inputs[1]
        let clampedPath = dir + "/relu0to1.tflite"
        try Data(serializeTFLite(clamped)).write(to: URL(fileURLWithPath: clampedPath))
        XCTAssertThrowsError(try loadGraph(weights: clampedPath, options: ModelOptions())) { e in
            XCTAssertTrue("\(e)".hasPrefix(clampedPath + ": operator \(r) (RELU_0_TO_1): RELU_0_TO_1 is imported only right after"), "\(e)")
        }
    }
}
