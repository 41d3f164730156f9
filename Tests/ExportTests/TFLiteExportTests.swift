import Foundation
import XCTest
import QuantCore
import ModelIO
import IntEngine
import TestSupport
@testable import Export

/// `.tflite` export: the graph it writes (read back with ModelIO's reader), exact-only refusals,
/// padding. The logits are checked by TensorFlow Lite Micro itself in `Scripts/tflm_check.py`
/// on the folders these tests and `RealModelParityTests` leave in `.build/tflm-check/`.
final class TFLiteExportTests: XCTestCase {
    func opNames(_ m: TFLiteModel) -> [String] { m.subgraphs[0].operators.map { m.opName($0) } }

    /// Every op of the every-op models becomes builtin TFLite ops; the file reads back with one
    /// int8 input [1, H, W, C] on the pixel − 128 grid and one int8 output of the class count.
    /// Seed 1 (with 256 random images, Swift logits) goes to TFLM in Scripts/test.sh.
    func testEveryOpModelsExport() throws {
        for seed in UInt64(1)...6 {
            let model = TestModels.everyOp(seed: seed, size: 12 + Int(seed % 7))
            let bytes = try writeTFLite(model)
            let m = try parseTFLite(bytes, path: "every-op.tflite")
            let g = m.subgraphs[0]
            let input = g.tensors[Int(g.inputs[0])]
            XCTAssertEqual(input.shape, [1, Int32(model.input.shape.h), Int32(model.input.shape.w), Int32(model.input.shape.c)])
            XCTAssertEqual(input.quantization?.zeroPoint, [-128])
            XCTAssertEqual(input.quantization?.scale, [Float(model.input.scale)])
            XCTAssertEqual(g.tensors[Int(g.outputs[0])].shape.last, Int32(model.numClasses))
            let names = Set(opNames(m))
            XCTAssertTrue(names.isSuperset(of: ["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "MUL", "HARD_SWISH", "MEAN",
                                                "MAX_POOL_2D", "CONCATENATION"]), "\(names)")
            XCTAssertTrue(names.isSubset(of: ["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "MUL", "HARD_SWISH", "MEAN",
                                              "MAX_POOL_2D", "CONCATENATION", "PAD", "PADV2", "SPLIT", "SLICE", "RESHAPE", "TRANSPOSE",
                                              "RELU", "RELU6", "QUANTIZE"]), "\(names)")
            // Every weight tensor is per-channel with zero points 0, its scales the model's float32 weight scales.
            for op in g.operators where ["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"].contains(m.opName(op)) {
                let w = g.tensors[Int(op.inputs[1])]
                let dim = m.opName(op) == "DEPTHWISE_CONV_2D" ? 3 : 0
                XCTAssertEqual(w.quantization?.scale.count, Int(w.shape[dim]))
                XCTAssertEqual(w.quantization?.quantizedDimension, Int32(dim))
                XCTAssertTrue(w.quantization?.zeroPoint.allSatisfy { $0 == 0 } ?? false)
            }
            if seed == 1 {
                let count = 256
                let images = TestModels.images(for: model, count: count, seed: 99)
                let engine = try IntEngine(model: model)
                let size = model.input.shape.count
                let logits = (0..<count).map { i in engine.run(input: images[(i * size)..<((i + 1) * size)].map { Int8(truncatingIfNeeded: Int($0) - 128) }) }
                XCTAssertEqual(try runC(blob: try writeBlob(model), images: images, count: count), logits)
                XCTAssertGreaterThan(Set(logits).count, 1)
                try writeTFLMCheck(model, blob: try writeBlob(model), pixels: images, logits: logits, name: "every-op")
            }
        }
    }

    /// TFLite's SAME and VALID where they place the padding as we do; explicit rows otherwise.
    func testWindowPadding() throws {
        func p(_ i: Int, _ k: Int, _ s: Int, _ pad: Int, _ o: Int) throws -> WindowPadding {
            try windowPadding(inH: i, inW: i, kH: k, kW: k, sH: s, sW: s, padTop: pad, padLeft: pad, outH: o, outW: o)
        }
        guard case .same = try p(16, 3, 1, 1, 16) else { return XCTFail("3x3 s1 pad 1 is SAME") }
        guard case .valid = try p(16, 1, 1, 0, 16) else { return XCTFail("1x1 is VALID") }
        guard case .same = try p(15, 3, 2, 1, 8) else { return XCTFail("odd input, s2: SAME puts 1 on each side") }
        guard case let .explicit(t, b, _, _) = try p(16, 3, 2, 1, 8) else { return XCTFail("even input, s2, PyTorch pad 1: explicit") }
        XCTAssertEqual([t, b], [1, 0])
        guard case .valid = try p(8, 1, 2, 0, 4) else { return XCTFail("1x1 s2 on 8 is VALID") }
        XCTAssertThrowsError(try p(16, 3, 1, -1, 14), "negative padding has no TFLite form")
    }

    /// A lookup-table op has no TFLM form: the export is refused, naming the node.
    func testLookupIsRefused() throws {
        let info = QTensorInfo(shape: Shape3(2, 2, 3), zeroPoint: -128, scale: 1.0 / 255)
        let table = QLookup(table: (0..<256).map { Int8(truncatingIfNeeded: 255 - $0) })
        let model = QModel(name: "lookup", input: info, nodes: [QNode(name: "f", op: .lookup(table), inputs: [0], output: info)], numClasses: 12)
        XCTAssertThrowsError(try writeTFLite(model)) { e in
            let t = e as? ToolkitError
            XCTAssertEqual(t?.file, "lookup")
            XCTAssertTrue(t?.message.contains("node 0 (f, lookup)") ?? false, "\(e)")
        }
    }

    /// A model whose integers are not TFLM's derivation from its scales is refused.
    func testForeignMultiplierIsRefused() throws {
        var model = TestModels.everyOp(seed: 3, size: 12)
        for i in model.nodes.indices {
            if case .conv(var c) = model.nodes[i].op {
                c.multiplier[0] &+= 1
                model.nodes[i].op = .conv(c)
                break
            }
        }
        XCTAssertThrowsError(try writeTFLite(model)) { e in XCTAssertTrue("\(e)".contains("multiplier"), "\(e)") }
    }

    /// Int4 layers become INT4 filter tensors holding exactly the blob's packed bytes where the
    /// layout is the same (CONV_2D: OHWI; FULLY_CONNECTED), the depthwise one packed from its
    /// [1, kh, kw, C] order; int8 layers stay INT8. Seed 1 (256 random images, Swift logits) goes to
    /// TFLM in Scripts/test.sh as `every-op-int4`.
    func testInt4WeightsExportAsINT4Tensors() throws {
        var model = TestModels.everyOp(seed: 1, size: 13, int4: true)
        // The classifier in int4 too (its values clamped to −8…7, same scales): the model's output
        // is then written by a CONV_2D.
        guard case .conv(var classifier) = model.nodes[model.nodes.count - 1].op else { return XCTFail("a classifier conv") }
        classifier.weights = classifier.weights.map { max(-8, min(7, $0)) }
        classifier.weightBits = 4
        model.nodes[model.nodes.count - 1].op = .conv(classifier)
        let m = try parseTFLite(try writeTFLite(model), path: "every-op-int4.tflite")
        let g = m.subgraphs[0]
        var int4Tensors = 0
        for (i, node) in model.nodes.enumerated() {
            guard case .conv(let c) = node.op else { continue }
            let filters = g.tensors.filter { $0.name.hasPrefix(node.name + "/weights") }
            XCTAssertFalse(filters.isEmpty, "node \(i) \(node.name)")
            for f in filters { XCTAssertEqual(f.type, c.weightBits == 4 ? .int4 : .int8, "\(node.name)") }
            if c.weightBits == 4 {
                int4Tensors += filters.count
                if c.groups == 1, let f = filters.first {
                    XCTAssertEqual(Array(m.buffers[Int(f.buffer)]), packInt4(c.weights), "\(node.name): the blob's packed bytes")
                }
            }
        }
        XCTAssertGreaterThanOrEqual(int4Tensors, 4)
        let count = 256
        let images = TestModels.images(for: model, count: count, seed: 98)
        let engine = try IntEngine(model: model)
        let size = model.input.shape.count
        let logits = (0..<count).map { i in engine.run(input: images[(i * size)..<((i + 1) * size)].map { Int8(truncatingIfNeeded: Int($0) - 128) }) }
        XCTAssertEqual(try runC(blob: try writeBlob(model), images: images, count: count), logits)
        XCTAssertGreaterThan(Set(logits).count, 1)
        try writeTFLMCheck(model, blob: try writeBlob(model), pixels: images, logits: logits, name: "every-op-int4")
    }

    /// The stem's padding with a per-channel mean pixel: constant borders joined by CONCATENATION
    /// when the channels differ, one PADV2 when they agree.
    func testStemPaddingValues() throws {
        var model = TestModels.everyOp(seed: 2, size: 12)
        guard case .conv(var stem) = model.nodes[0].op, stem.padValue != nil else { return XCTFail("the every-op stem pads with a value") }
        let channels = stem.inChannels
        stem.padValue = (0..<channels).map { Int8(-20 + 7 * $0) }
        model.nodes[0].op = .conv(stem)
        var m = try tfliteModel(model)
        let first = opNames(m).prefix(3)
        XCTAssertTrue(first.contains("CONCATENATION") && !first.contains("PADV2"), "\(first)")
        let border = m.subgraphs[0].tensors.first { $0.name.hasSuffix("/pad_top") }
        XCTAssertNotNil(border)
        if let border { XCTAssertEqual(Array(m.buffers[Int(border.buffer)].prefix(channels)).map { Int8(bitPattern: $0) }, stem.padValue!) }
        stem.padValue = [Int8](repeating: -5, count: channels)
        model.nodes[0].op = .conv(stem)
        m = try tfliteModel(model)
        XCTAssertEqual(opNames(m).first, "PADV2")
    }
}
