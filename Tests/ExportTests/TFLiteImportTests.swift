import Foundation
import XCTest
import QuantCore
import ModelIO
import ImageIO
import IntEngine
import TestSupport
@testable import Export

/// `.tflite` import: the TFLite converter's four int8 files (`../shared/models/tflite/`) become
/// QModels that the Swift engine and the C runtime run with the same bytes on 256 evaluation
/// images each, with the accuracy the converter's files have; TensorFlow Lite Micro's logits for
/// the same inputs are compared by `Scripts/tflm_check.py` on the folders left in
/// `.build/tflm-check/NAME.tflite-import/`. Broken and unsupported files are refused, naming the operator.
final class TFLiteImportTests: XCTestCase {
    struct Case { var file: String; var data: String; var mean: [Float]; var std: [Float]; var minTop1: Double }
    static let cases = [
        Case(file: "mobilenet_v3_small-fashion", data: "datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", mean: [0.286], std: [0.353], minTop1: 85),
        Case(file: "mobilenet_v3_small-cifar10", data: "datasets/cifar10/test_batch.bin", mean: [0.4914, 0.4822, 0.4465],
             std: [0.247, 0.2435, 0.2616], minTop1: 75),
        Case(file: "mobilenet_v2-cifar10", data: "datasets/cifar10/test_batch.bin", mean: [0.4914, 0.4822, 0.4465],
             std: [0.247, 0.2435, 0.2616], minTop1: 75),
        // EfficientNet-Lite0: x = (pixel − 127) / 128.
        Case(file: "efficientnet_lite0-imagenet", data: "datasets/imagenet-sample/val224", mean: [127.0 / 255], std: [128.0 / 255], minTop1: 70),
    ]

    /// The converter's input quantization of the normalized image: `q = round(x / s) + z`, clamped.
    static func quantizeInputs(_ pixels: [UInt8], channels: Int, mean: [Float], std: [Float], scale: Double, zeroPoint: Int32) -> [Int8] {
        pixels.enumerated().map { i, p in
            let c = i % channels
            let x = (Double(p) / 255 - Double(mean[c % mean.count])) / Double(std[c % std.count])
            return Int8(max(-128, min(127, (x / scale).rounded() + Double(zeroPoint))))
        }
    }

    func testConverterFilesRunInSwiftAndC() throws {
        for c in Self.cases {
            let path = SharedData.path("models/tflite/\(c.file).int8.tflite")
            let model = try loadTFLiteModel(path)
            XCTAssertEqual(model.metadata["input"], importedInputMetadata)
            let s = model.input.shape
            let images = try loadImageSet(SharedData.path(c.data), options: .init(height: s.h, width: s.w, channels: s.c, limit: 256))
            XCTAssertEqual(images.count, 256)
            let inputs = Self.quantizeInputs(images.pixels, channels: s.c, mean: c.mean, std: c.std, scale: model.input.scale,
                                             zeroPoint: model.input.zeroPoint)
            let engine = try IntEngine(model: model)
            let blob = try writeBlob(model)
            let back = try readBlob(blob, path: "imported.q8")
            XCTAssertEqual(back.input, model.input, "the blob keeps the file's input quantization")
            var swift: [[Int8]] = [], correct = 0, differing = 0
            for i in 0..<256 {
                let x = Array(inputs[(i * s.count)..<((i + 1) * s.count)])
                let logits = engine.run(input: x)
                let (status, cLogits) = runCInt8(blob: blob, input: x)
                XCTAssertEqual(statusName(status), "Q8_OK")
                differing += zip(logits, cLogits).filter { $0 != $1 }.count
                swift.append(logits)
                if logits.firstIndex(of: logits.max()!) == images.labels[i] { correct += 1 }
            }
            XCTAssertEqual(differing, 0, "\(c.file): Swift vs C")
            let top1 = Double(correct) / 2.56
            XCTAssertGreaterThanOrEqual(top1, c.minTop1, "\(c.file): top-1 \(top1) on 256 images")
            print("\(c.file): imported \(model.nodes.count) nodes, top-1 \(top1) % on 256 images, Swift = C")
            // For TFLM (Scripts/tflm_check.py): the original file, the int8 inputs, our logits.
            let dir = FileManager.default.currentDirectoryPath + "/.build/tflm-check/\(c.file).tflite-import"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try FileManager.default.removeItem(atPath: dir)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try Data(contentsOf: URL(fileURLWithPath: path)).write(to: URL(fileURLWithPath: dir + "/model.tflite"))
            try Data(blob).write(to: URL(fileURLWithPath: dir + "/model.q8"))
            try Data(inputs.map { UInt8(bitPattern: $0) }).write(to: URL(fileURLWithPath: dir + "/inputs.raw"))
            try Data(swift.flatMap { $0.map { UInt8(bitPattern: $0) } }).write(to: URL(fileURLWithPath: dir + "/logits.raw"))
            let plan = planMemory(model)
            let info: [String: Any] = ["name": c.file + " (imported)", "images": 256, "arena": plan.arenaBytes + plan.scratchBytes,
                                       "input_is_pixels": false]
            try JSONSerialization.data(withJSONObject: info, options: [.sortedKeys]).write(to: URL(fileURLWithPath: dir + "/info.json"))
        }
    }

    /// Every `.tflite` the exporter writes imports back as the same model: the every-op models
    /// (int8 and int4, seeds 1…6; every op the exporter writes: PAD/PADV2/constant borders, SPLIT →
    /// CONV_2D → CONCATENATION, SLICE, RESHAPE–TRANSPOSE–RESHAPE, MAX_POOL_2D, the depthwise
    /// convolution of ones, QUANTIZE/RELU, MEAN, FULLY_CONNECTED, INT4 filters), a per-channel and a
    /// one-value stem padding, and MobileNetV2- and ShuffleNetV2-shaped models. The imported model's
    /// blob is byte for byte the original's and its logits are the same on 32 random images. (The
    /// shared models are checked the same way where CI exports them: `writeTFLMCheck`.)
    func testExportedModelsImportBack() throws {
        var models: [QModel] = []
        for seed in UInt64(1)...6 {
            models.append(TestModels.everyOp(seed: seed, size: 12 + Int(seed % 7)))
            models.append(TestModels.everyOp(seed: seed, size: 13, int4: true))
        }
        for values in [[Int8(-20), -13, -6], [-5, -5, -5]] {
            var m = TestModels.everyOp(seed: 2, size: 12)
            guard case .conv(var stem) = m.nodes[0].op else { return XCTFail("a stem conv") }
            stem.padValue = values
            m.nodes[0].op = .conv(stem)
            models.append(m)
        }
        // A requantization without a clamp (QUANTIZE).
        var requantized = TestModels.everyOp(seed: 3, size: 12)
        for (i, node) in requantized.nodes.enumerated() {
            guard case .requantize(var r) = node.op else { continue }
            let m = QuantizedMultiplier(Double(requantized.info(node.inputs[0]).scale32) / Double(node.output.scale32))
            (r.multiplier, r.shift, r.actMin, r.actMax) = (m.multiplier, m.shift, -128, 127)
            requantized.nodes[i].op = .requantize(r)
        }
        models.append(requantized)
        models.append(TestModels.mobileNetV2Like(seed: 3, width: 0.25, size: 16))
        models.append(TestModels.shuffleNetV2Like(seed: 4, width: 0.25, size: 16))
        var ops = Set<String>()
        for model in models {
            let file = try parseTFLite(try writeTFLite(model), path: "m.tflite")
            ops.formUnion(file.subgraphs[0].operators.map { file.opName($0) })
            let back = try importTFLite(file, path: "m.tflite", name: "other")
            XCTAssertEqual(back.name, model.name)
            XCTAssertEqual(back.nodes.count, model.nodes.count, model.name)
            XCTAssertTrue(try writeBlob(back) == writeBlob(model), "\(model.name): the imported blob differs")
            let images = TestModels.images(for: model, count: 32, seed: 5)
            XCTAssertEqual(try IntEngine(model: back).logits(images: images, count: 32),
                           try IntEngine(model: model).logits(images: images, count: 32), model.name)
        }
        XCTAssertEqual(ops, ["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "MUL", "HARD_SWISH", "MEAN", "MAX_POOL_2D",
                             "CONCATENATION", "PAD", "PADV2", "SPLIT", "SLICE", "RESHAPE", "TRANSPOSE", "RELU", "QUANTIZE"])
    }

    /// An imported converter model's input is not pixel − 128: `inputIsPixels` is false, the Swift
    /// API (`QModel.input(fromPixels:)`) throws, the C runtime's `q8_input_from_pixels` returns
    /// `Q8_ERR_NOT_PIXELS` and the C header says `_INPUT_IS_PIXELS 0`; the same for our own model
    /// with another input grid, or marked `input = tflite-quantized`. Our own model, and its
    /// `.tflite` imported back, take pixels.
    func testImportedInputIsNotPixels() throws {
        let converted = try loadTFLiteModel(SharedData.path("models/tflite/mobilenet_v3_small-fashion.int8.tflite"))
        let own = TestModels.everyOp(seed: 1, size: 12)
        var marked = own
        marked.metadata["input"] = importedInputMetadata
        var otherGrid = own
        guard case .conv(var stem) = otherGrid.nodes[0].op else { return XCTFail("a stem conv") }
        stem.inputZeroPoint = -3
        stem.padValue = nil
        otherGrid.nodes[0].op = .conv(stem)
        otherGrid.input.zeroPoint = -3
        let back = try importTFLite(try parseTFLite(try writeTFLite(own), path: "own.tflite"), path: "own.tflite", name: "own")
        for (model, pixels) in [(converted, false), (marked, false), (otherGrid, false), (own, true), (back, true)] {
            XCTAssertEqual(model.inputIsPixels, pixels, model.name)
            let image = [UInt8](repeating: 7, count: model.input.shape.count)
            if pixels {
                XCTAssertEqual(try model.input(fromPixels: image), [Int8](repeating: -121, count: image.count))
            } else {
                XCTAssertThrowsError(try model.input(fromPixels: image)) { e in
                    XCTAssertTrue("\(e)".contains("not pixel − 128"), "\(e)")
                }
            }
            let blob = try writeBlob(model)
            XCTAssertEqual(statusName(cPixelStatus(blob)), pixels ? "Q8_OK" : "Q8_ERR_NOT_PIXELS", model.name)
            XCTAssertTrue(cHeaderSource(blob, symbol: "m", model: model).header.contains("M_INPUT_IS_PIXELS \(pixels ? 1 : 0)"), model.name)
        }
    }

    /// The converter's MobileNetV3 files use one 1024×576 weight tensor for two FULLY_CONNECTED ops
    /// (the classifier's hard-swish as `FC(x) · relu6(FC(x) + 3)/6`): the blob stores it once, both
    /// readers accept the repeated table entry (and refuse it when its size differs), and the C
    /// runtime gives the Swift engine's logits. The toolkit's own models share nothing.
    func testSharedWeightTensorIsStoredOnce() throws {
        let model = try loadTFLiteModel(SharedData.path("models/tflite/mobilenet_v3_small-fashion.int8.tflite"))
        let layout = BlobLayout(model)
        XCTAssertEqual(layout.sharedWeightBytes, 1024 * 576)
        var blob = try writeBlob(model)
        XCTAssertEqual(blob.count, layout.totalSize)
        let back = try readBlob(blob, path: "shared.q8")
        let fcs = back.nodes.compactMap { n -> [Int8]? in
            if case .conv(let c) = n.op, c.weights.count == 1024 * 576 { return c.weights }
            return nil
        }
        XCTAssertEqual(fcs.count, 2)
        XCTAssertTrue(fcs.count == 2 && fcs[0] == fcs[1])
        XCTAssertEqual(statusName(cLoadStatus(blob)), "Q8_OK")
        let input = (0..<model.input.shape.count).map { Int8(truncatingIfNeeded: ($0 * 37) % 251 - 120) }
        XCTAssertEqual(runCInt8(blob: blob, input: input).1, try IntEngine(model: model).run(input: input))
        XCTAssertEqual(BlobLayout(TestModels.mobileNetV2Like(seed: 3, width: 0.5, size: 16)).sharedWeightBytes, 0)
        // The repeated entry with another size: refused by both readers.
        let table = Int(UInt32(blob[92]) | UInt32(blob[93]) << 8 | UInt32(blob[94]) << 16 | UInt32(blob[95]) << 24)
        let offsets = layout.tensorOffsets
        guard let repeated = offsets.indices.first(where: { k in offsets[..<k].contains(offsets[k]) }) else { return XCTFail("a repeated entry") }
        let smaller = UInt32(1024 * 576 - 16)
        for k in 0..<4 { blob[table + 16 * repeated + 4 + k] = UInt8(truncatingIfNeeded: smaller >> (8 * UInt32(k))) }
        let crc = crc32(blob[20...])
        for k in 0..<4 { blob[16 + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
        XCTAssertEqual(statusName(cLoadStatus(blob)), "Q8_ERR_BOUNDS")
        XCTAssertThrowsError(try readBlob(blob, path: "bad.q8")) { e in XCTAssertTrue("\(e)".contains("overlaps"), "\(e)") }
    }

    /// The blob writer finds shared weight tensors by kind, size and CRC-32 and confirms the bytes:
    /// the converter's two FULLY_CONNECTED weight tensors, made different but with the same CRC-32
    /// (the CRC polynomial's 33 bits XORed in, `41 06 71 db 01` as bytes), are stored twice and read
    /// back as they were.
    func testSameCRCOtherWeightsAreStoredTwice() throws {
        var model = try loadTFLiteModel(SharedData.path("models/tflite/mobilenet_v3_small-fashion.int8.tflite"))
        let fcs = model.nodes.indices.filter { i in
            if case .conv(let c) = model.nodes[i].op { return c.weights.count == 1024 * 576 }
            return false
        }
        guard fcs.count == 2, case .conv(var second) = model.nodes[fcs[1]].op else { return XCTFail("two 1024×576 FCs") }
        for (k, d) in [0x41, 0x06, 0x71, 0xdb, 0x01].enumerated() { second.weights[1000 + k] ^= Int8(bitPattern: UInt8(d)) }
        model.nodes[fcs[1]].op = .conv(second)
        guard case .conv(let first) = model.nodes[fcs[0]].op else { return XCTFail("a conv") }
        XCTAssertTrue(first.weights != second.weights)
        XCTAssertEqual(crc32(first.weights.map { UInt8(bitPattern: $0) }), crc32(second.weights.map { UInt8(bitPattern: $0) }))
        XCTAssertEqual(BlobLayout(model).sharedWeightBytes, 0)
        let back = try readBlob(try writeBlob(model), path: "collision.q8")
        for i in fcs {
            guard case .conv(let a) = back.nodes[i].op, case .conv(let b) = model.nodes[i].op else { return XCTFail("a conv") }
            XCTAssertTrue(a.weights == b.weights, "\(model.nodes[i].name): the weights read back differ")
        }
    }

    /// A file from elsewhere whose toolkit metadata claims a pixel input keeps the file's own input
    /// quantization when its input grid is not the pixel grid.
    func testForeignInputGridStaysQuantized() throws {
        var model = TestModels.everyOp(seed: 1, size: 12)
        guard case .conv(var stem) = model.nodes[0].op else { return XCTFail("a stem conv") }
        stem.inputZeroPoint = -3
        stem.padValue = nil
        model.nodes[0].op = .conv(stem)
        model.input.zeroPoint = -3
        let back = try importTFLite(try parseTFLite(try writeTFLite(model), path: "m.tflite"), path: "m.tflite", name: "m")
        XCTAssertEqual(back.metadata["input"], importedInputMetadata)
        XCTAssertEqual(back.input.zeroPoint, -3)
    }

    /// Unsupported content is refused with the operator's name.
    func testUnsupportedContentIsRefused() throws {
        let path = SharedData.path("models/tflite/mobilenet_v3_small-fashion.int8.tflite")
        let file = try loadTFLite(path)
        func expect(_ f: TFLiteModel, _ fragment: String, line: UInt = #line) {
            XCTAssertThrowsError(try importTFLite(f, path: "x.tflite", name: "x"), line: line) { e in
                let t = e as? ToolkitError
                XCTAssertEqual(t?.file, "x.tflite", line: line)
                XCTAssertTrue(t?.message.contains(fragment) ?? false, "\(e) (expected \(fragment))", line: line)
            }
        }
        // Per-tensor weights on the first convolution.
        var f = file
        let conv = f.subgraphs[0].operators[0]
        f.subgraphs[0].tensors[Int(conv.inputs[1])].quantization?.scale = [0.01]
        expect(f, "operator 0 (CONV_2D)")
        // Asymmetric weights.
        f = file
        let zp = f.subgraphs[0].tensors[Int(conv.inputs[1])].quantization!.zeroPoint.count
        f.subgraphs[0].tensors[Int(conv.inputs[1])].quantization?.zeroPoint = [Int64](repeating: 3, count: zp)
        expect(f, "asymmetric")
        // An operator outside the supported set.
        f = file
        f.operatorCodes[Int(f.subgraphs[0].operators[1].opcodeIndex)].builtin = TFLiteOp.softmax
        expect(f, "operator 1 (SOFTMAX): operator not supported")
        // A SPLIT without outputs (found by the fuzz harness: it trapped before), and one with
        // more parts than its options say.
        var exported = try parseTFLite(try writeTFLite(TestModels.everyOp(seed: 1, size: 12)), path: "x.tflite")
        guard let split = exported.subgraphs[0].operators.firstIndex(where: { exported.opName($0) == "SPLIT" }) else { return XCTFail("a SPLIT") }
        let outputs = exported.subgraphs[0].operators[split].outputs
        exported.subgraphs[0].operators[split].outputs = []
        expect(exported, "operator \(split) (SPLIT): 0 outputs")
        exported.subgraphs[0].operators[split].outputs = outputs + [outputs[0]]
        expect(exported, "operator \(split) (SPLIT): missing SplitOptions or wrong output count")
        // A float model.
        f = file
        f.subgraphs[0].tensors[Int(f.subgraphs[0].inputs[0])].type = .float32
        expect(f, "only int8 models")
    }
}
