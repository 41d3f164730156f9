import Foundation
import XCTest
import QuantCore
@testable import ModelIO

/// The FlatBuffers reader and writer and the TFLite schema subset: the TFLite converter's four
/// shared files, round trips through the writer, and broken or malicious files.
final class TFLiteReaderTests: XCTestCase {
    static let sharedFiles = ["mobilenet_v3_small-fashion", "mobilenet_v3_small-cifar10", "mobilenet_v2-cifar10", "efficientnet_lite0-imagenet"]
        .map { SharedData.root + "/models/tflite/\($0).int8.tflite" }

    /// Every operator and tensor reference is valid and every constant's data has the size its
    /// shape and type say, in each converter file.
    func testSharedFilesAreReadConsistently() throws {
        for path in Self.sharedFiles {
            let m = try loadTFLite(path)
            XCTAssertEqual(m.version, 3, path)
            XCTAssertEqual(m.subgraphs.count, 1, path)
            XCTAssertTrue(m.buffers.first?.isEmpty ?? false, "buffer 0 is the empty sentinel")
            let g = m.subgraphs[0]
            XCTAssertEqual(g.inputs.count, 1); XCTAssertEqual(g.outputs.count, 1)
            XCTAssertEqual(g.tensors[Int(g.inputs[0])].type, .int8, path)
            XCTAssertEqual(g.tensors[Int(g.inputs[0])].shape.count, 4, path)
            var constants = 0
            for t in g.tensors where Int(t.buffer) < m.buffers.count && !m.buffers[Int(t.buffer)].isEmpty {
                let n = t.shape.reduce(1) { $0 * Int($1) }
                XCTAssertEqual(m.buffers[Int(t.buffer)].count, n * (t.type.byteSize ?? 0), "\(path) \(t.name)")
                constants += 1
            }
            XCTAssertGreaterThan(constants, 20, path)
            var names = Set<String>()
            for op in g.operators {
                XCTAssertLessThan(Int(op.opcodeIndex), m.operatorCodes.count)
                for i in op.inputs + op.outputs where i != -1 { XCTAssertLessThan(Int(i), g.tensors.count) }
                names.insert(m.opName(op))
                if m.opName(op) == "CONV_2D" {
                    guard case .conv2D = op.options else { return XCTFail("\(path): CONV_2D without Conv2DOptions") }
                    let w = g.tensors[Int(op.inputs[1])]
                    XCTAssertEqual(w.type, .int8)
                    XCTAssertEqual(w.quantization?.scale.count, Int(w.shape[0]), "per-channel weight scales")
                    XCTAssertEqual(w.quantization?.quantizedDimension, 0)
                }
            }
            XCTAssertTrue(names.isSubset(of: ["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "MUL", "MEAN", "PAD", "HARD_SWISH",
                                              "RELU_0_TO_1"]), "\(path): \(names)")
            XCTAssertTrue(names.isSuperset(of: ["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "MEAN"]), "\(path): \(names)")
            if path.contains("v3_small") { XCTAssertTrue(names.contains("HARD_SWISH") && names.contains("RELU_0_TO_1")) }
            XCTAssertTrue(m.summary(path: path).contains("CONV_2D"))
        }
    }

    /// Written by our writer and read back, each converter file is the same model; writing it again
    /// gives the same bytes; buffer data start 16-byte aligned.
    func testRoundTripThroughTheWriter() throws {
        for path in Self.sharedFiles.prefix(2) {
            let m = try loadTFLite(path)
            let bytes = serializeTFLite(m)
            let back = try parseTFLite(bytes, path: "rewritten")
            XCTAssertEqual(back, m, path)
            XCTAssertEqual(serializeTFLite(back), bytes, path)
            for b in back.buffers where !b.isEmpty { XCTAssertEqual(b.startIndex % 16, 0) }
        }
    }

    /// A small model written by the writer, for the broken-file tests.
    func smallModel() -> [UInt8] {
        var m = TFLiteModel()
        m.operatorCodes = [TFLiteOperatorCode(builtin: TFLiteOp.conv2D, version: 3), TFLiteOperatorCode(builtin: TFLiteOp.relu0To1)]
        var g = TFLiteSubGraph()
        g.tensors = [
            TFLiteTensor(shape: [1, 4, 4, 2], type: .int8, name: "in", quantization: TFLiteQuantization(scale: [0.5], zeroPoint: [-3])),
            TFLiteTensor(shape: [3, 1, 1, 2], type: .int8, buffer: 1, name: "w",
                         quantization: TFLiteQuantization(scale: [0.1, 0.2, 0.3], zeroPoint: [0, 0, 0])),
            TFLiteTensor(shape: [1, 4, 4, 3], type: .int8, name: "out", quantization: TFLiteQuantization(scale: [0.25], zeroPoint: [7])),
        ]
        g.inputs = [0]; g.outputs = [2]
        g.operators = [TFLiteOperator(opcodeIndex: 0, inputs: [0, 1, -1], outputs: [2],
                                      options: .conv2D(padding: .same, strideW: 1, strideH: 1, activation: .relu6, dilationW: 1, dilationH: 1))]
        g.name = "main"
        m.subgraphs = [g]
        m.buffers = [[], [1, 2, 3, 4, 5, 6]]
        return serializeTFLite(m)
    }

    func testSmallModelReadsBack() throws {
        let m = try parseTFLite(smallModel(), path: "small.tflite")
        XCTAssertEqual(m.opName(m.subgraphs[0].operators[0]), "CONV_2D")
        XCTAssertEqual(m.operatorCodes[1].builtin, 152, "codes above 127 come from builtin_code")
        XCTAssertEqual(m.subgraphs[0].tensors[1].quantization?.scale, [0.1, 0.2, 0.3])
        XCTAssertEqual(m.subgraphs[0].tensors[2].quantization?.zeroPoint, [7])
        XCTAssertEqual(m.subgraphs[0].operators[0].inputs, [0, 1, -1])
        XCTAssertEqual(Array(m.buffers[1]), [1, 2, 3, 4, 5, 6])
    }

    func expectError(_ bytes: [UInt8], _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try parseTFLite(bytes, path: "bad.tflite")
            XCTFail("parsed a broken file (expected \(fragment))", file: file, line: line)
        } catch let e as ToolkitError {
            XCTAssertEqual(e.file, "bad.tflite", file: file, line: line)
            XCTAssertTrue(e.message.contains(fragment), "\(e.message) (expected \(fragment))", file: file, line: line)
        } catch {
            XCTFail("\(error)", file: file, line: line)
        }
    }

    /// Every strict prefix of a valid file is refused with a ToolkitError (the writer ends on data).
    func testEveryTruncationIsAnError() throws {
        let good = smallModel()
        for n in 0..<good.count {
            XCTAssertThrowsError(try parseTFLite(Array(good.prefix(n)), path: "bad.tflite"), "prefix \(n)") { e in
                XCTAssertTrue(e is ToolkitError, "prefix \(n): \(e)")
            }
        }
    }

    func testBrokenFilesNameTheProblem() throws {
        let good = smallModel()
        var b = good
        b[4] = UInt8(ascii: "X")
        expectError(b, "not a TFLite")
        b = good
        b[0] = 0xF0; b[1] = 0xFF
        expectError(b, "root table offset")
        b = good
        b[0] = good[0] &+ 2     // root table misaligned
        expectError(b, "not 4-byte aligned")
        // The root table's vtable pointed before the start of the file.
        b = good
        let root = Int(good[0]) | Int(good[1]) << 8
        b[root] = 0xFF; b[root + 1] = 0xFF; b[root + 2] = 0; b[root + 3] = 0
        expectError(b, "vtable offset")
        // A vector length far beyond the file.
        b = good
        let m = try parseTFLite(good, path: "x")
        _ = m
        let at = try good.withByteView(file: "x") { view -> Int in
            let r = try flatBufferRoot(view, identifier: "TFL3", format: "TFLite", what: "model", budget: FlatBufferBudget(fileSize: good.count, file: "x"))
            return try r.vector(4, "buffers", elementSize: 4)!.start - 4
        }
        b[at] = 0xFF; b[at + 1] = 0xFF; b[at + 2] = 0xFF; b[at + 3] = 0x7F
        expectError(b, "runs past the end of the file")
        // A string without its NUL.
        b = good
        let nameAt = good.indices.first { i in i + 4 <= good.count && Array(good[i..<(i + 4)]) == Array("main".utf8) }!
        b[nameAt + 4] = UInt8(ascii: "!")
        expectError(b, "NUL")
    }

    /// Thousands of tensors that all point to one tensor with a long shape: the reader refuses
    /// instead of materializing (tensors × shape) values.
    func testSharedObjectsCannotExpandWithoutBound() throws {
        var m = TFLiteModel()
        var g = TFLiteSubGraph()
        g.tensors = [TFLiteTensor(shape: [Int32](repeating: 1, count: 20_000), type: .int8, name: "big")]
            + (1..<20_000).map { _ in TFLiteTensor(shape: [], type: .int8, name: "") }
        m.subgraphs = [g]
        m.buffers = [[]]
        var bytes = serializeTFLite(m)
        // Point every tensor slot at tensor 0's table.
        let (start, count) = try bytes.withByteView(file: "x") { view -> (Int, Int) in
            let r = try flatBufferRoot(view, identifier: "TFL3", format: "TFLite", what: "model", budget: FlatBufferBudget(fileSize: bytes.count, file: "x"))
            let sub = try r.tables(2, "subgraphs", label: { "\($0)" })[0]
            return try sub.vector(0, "tensors", elementSize: 4)!
        }
        XCTAssertEqual(count, 20_000)
        let first = start + Int(UInt32(bytes[start]) | UInt32(bytes[start + 1]) << 8 | UInt32(bytes[start + 2]) << 16 | UInt32(bytes[start + 3]) << 24)
        for i in 1..<count {
            let slot = start + 4 * i
            let rel = UInt32(first - slot)
            for k in 0..<4 { bytes[slot + k] = UInt8(truncatingIfNeeded: rel >> (8 * UInt32(k))) }
        }
        expectError(bytes, "refer to more data than the file holds")
    }

    /// `TFLiteModel.constant`, the one constant-tensor accessor of both importers: values decoded
    /// little-endian, every check a clear error naming the tensor.
    func testConstantTensorsAreCheckedAndDecoded() throws {
        var m = TFLiteModel()
        let ints: [Int32] = [1, -2, 70_000, Int32.min]
        let floats: [Float] = [0.5, -3.25, 1e-7]
        let le = { (w: [UInt32]) in w.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } } }
        m.buffers = [[], le(ints.map { UInt32(bitPattern: $0) })[...], le(floats.map(\.bitPattern))[...], [0x21, 0x03]]
        let i32 = TFLiteTensor(shape: [2, 2], type: .int32, buffer: 1, name: "i")
        let f32 = TFLiteTensor(shape: [3], type: .float32, buffer: 2, name: "f")
        let int4 = TFLiteTensor(shape: [3], type: .int4, buffer: 3, name: "q")
        XCTAssertEqual(try m.constant(i32, "x", path: "m.tflite", type: .int32).int32s, ints)
        XCTAssertEqual(try m.constant(i32, "x", path: "m.tflite").shape, [2, 2])
        XCTAssertEqual(try m.constant(f32, "x", path: "m.tflite", type: .float32).floats, floats)
        XCTAssertEqual(Array(try m.constant(int4, "x", path: "m.tflite").bytes), [0x21, 0x03])
        XCTAssertTrue(m.hasData(i32))
        XCTAssertFalse(m.hasData(TFLiteTensor(shape: [1], type: .int32, buffer: 0, name: "a")))

        func message(_ t: TFLiteTensor, type: TFLiteType? = nil) -> String {
            do { _ = try m.constant(t, "operator 1 (PAD): paddings", path: "m.tflite", type: type); return "no error" } catch { return "\(error)" }
        }
        let prefix = "m.tflite: operator 1 (PAD): paddings "
        XCTAssertTrue(message(f32, type: .int32).contains(prefix + "`f` is float32; supported: int32"), message(f32, type: .int32))
        var sparse = i32; sparse.isSparse = true
        XCTAssertTrue(message(sparse).contains(prefix + "`i` is sparse; supported: dense"), message(sparse))
        for buffer: UInt32 in [0, 4, 99] {
            let t = TFLiteTensor(shape: [1], type: .int32, buffer: buffer, name: "e")
            XCTAssertTrue(message(t).contains(prefix + "`e` has no data; supported: a constant"), message(t))
        }
        m.buffers.append([])  // buffer 4: present but empty
        XCTAssertTrue(message(TFLiteTensor(shape: [1], type: .int32, buffer: 4, name: "e")).contains("has no data"))
        for shape: [Int32] in [[2, -2], [Int32.max, Int32.max, 4]] {
            let t = TFLiteTensor(shape: shape, type: .int32, buffer: 1, name: "s")
            XCTAssertTrue(message(t).contains(prefix + "`s` has shape \(shape)"), message(t))
        }
        for (shape, type) in [([Int32(3)], TFLiteType.int32), ([5], .int4), ([5], .float32), ([2], TFLiteType(rawValue: 5))] {
            let t = TFLiteTensor(shape: shape, type: type, buffer: type == .int4 ? 3 : 1, name: "n")
            XCTAssertTrue(message(t).contains(prefix + "`n` holds "), message(t))
        }
    }
}
