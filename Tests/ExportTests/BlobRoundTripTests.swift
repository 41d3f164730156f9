import XCTest
import QuantCore
import Pipeline
import CRuntime
@testable import Export
import TestSupport

/// Writing, reading back and the C header emitter.
final class BlobRoundTripTests: XCTestCase {
    func testWriteReadWriteGivesTheSameBytes() throws {
        for model in [TestModels.everyOp(seed: 1), TestModels.everyOp(seed: 2, size: 9), TestModels.everyOp(seed: 3, int4: true),
                      TestModels.shuffleNetV2Like(seed: 3, width: 0.25)] {
            let blob = try writeBlob(model)
            let back = try readBlob(blob, path: "mem.q8")
            XCTAssertEqual(try writeBlob(back), blob, model.name)
            XCTAssertEqual(back.name, model.name)
            XCTAssertEqual(back.metadata, model.metadata)
            XCTAssertEqual(back.numClasses, model.numClasses)
            XCTAssertEqual(back.input, model.input)
            XCTAssertEqual(back.nodes.map(\.name), model.nodes.map(\.name))
            XCTAssertEqual(back.nodes.map(\.inputs), model.nodes.map(\.inputs))
            XCTAssertEqual(back.nodes.map(\.output), model.nodes.map(\.output))
            for (a, b) in zip(model.nodes, back.nodes) {
                if case .conv(let x) = a.op, case .conv(let y) = b.op {
                    XCTAssertEqual(x.weights, y.weights); XCTAssertEqual(x.bias, y.bias)
                    XCTAssertEqual(x.multiplier, y.multiplier); XCTAssertEqual(x.shift, y.shift)
                    XCTAssertEqual(x.padValue, y.padValue)
                    XCTAssertEqual(x.weightBits, y.weightBits)
                    XCTAssertEqual(x.weightScales.map(\.bitPattern), y.weightScales.map(\.bitPattern), "weight scales, stored or recovered")
                    XCTAssertEqual([x.kernelH, x.kernelW, x.strideH, x.strideW, x.padTop, x.padLeft, x.groups],
                                   [y.kernelH, y.kernelW, y.strideH, y.strideW, y.padTop, y.padLeft, y.groups])
                }
            }
        }
    }

    /// `quantize inspect model.q8` (modelSummary of the read blob) names each conv's weight
    /// precision and counts the weight bytes as stored.
    func testInspectShowsWeightPrecision() throws {
        let model = TestModels.everyOp(seed: 4, int4: true)
        let text = modelSummary(try readBlob(try writeBlob(model), path: "m.q8"))
        let lines = text.split(separator: "\n")
        XCTAssertTrue(lines.contains { $0.contains(".dw3s2 ") && $0.contains("int4") }, text)
        XCTAssertTrue(lines.contains { $0.contains(".stem ") && $0.contains("int8") }, text)
        let bytes = model.nodes.reduce(0) { n, node in
            guard case .conv(let c) = node.op else { return n }
            return n + (c.weightBits == 4 ? (c.weights.count + 1) / 2 : c.weights.count)
        }
        XCTAssertTrue(text.contains("weights: \(bytes) bytes (") && text.contains("4 int4 layers"), text)
    }

    func testWritingIsDeterministic() throws {
        let a = try writeBlob(TestModels.everyOp(seed: 7))
        let b = try writeBlob(TestModels.everyOp(seed: 7))
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, try writeBlob(TestModels.everyOp(seed: 8)), "different weights must give different bytes")
        // Metadata order must not depend on dictionary order.
        var m = TestModels.everyOp(seed: 7)
        m.metadata = [:]
        for k in (0..<20).reversed() { m.metadata["key\(k)"] = "v\(k)" }
        var n = m
        n.metadata = [:]
        for k in 0..<20 { n.metadata["key\(k)"] = "v\(k)" }
        XCTAssertEqual(try writeBlob(m), try writeBlob(n))
    }

    func testLayoutIsAlignedAndSized() throws {
        let model = TestModels.everyOp(seed: 3)
        let blob = try writeBlob(model)
        let r = TestFields(bytes: blob)
        XCTAssertEqual(Array(blob[0..<4]), Array("Q8MB".utf8))
        XCTAssertEqual(Int(r.u32(12)), blob.count)
        XCTAssertEqual(blob.count % 16, 0)
        for field in [80, 84, 92, 96, 104] { XCTAssertEqual(r.u32(field) % 16, 0, "region at header offset \(field)") }
        let tensors = Int(r.u32(28))
        XCTAssertEqual(tensors, model.nodes.reduce(0) { n, node in
            // weights, bias, multipliers, shifts (+ pad values) (+ weight scales the multipliers do not determine)
            if case .conv(let c) = node.op {
                let sIn = model.info(node.inputs[0]).scale32, sOut = node.output.scale32
                if isUniform1x1(c, inputScale: sIn, outputScale: sOut) { return n }  // 8 words, no tensors
                let stored = weightScalesRecoverable(c, inputScale: sIn, outputScale: sOut) ? 0 : 1
                return n + (c.padValue == nil ? 4 : 5) + stored
            }
            return n
        })
        for t in 0..<tensors { XCTAssertEqual(r.u32(Int(r.u32(92)) + 16 * t) % 16, 0, "tensor \(t)") }
        XCTAssertEqual(crc32(blob[20...]), r.u32(16))
        XCTAssertEqual(Int(r.u32(32)), planMemory(model).arenaBytes)
    }

    func testWriterRefusesInvalidModels() {
        var m = TestModels.everyOp(seed: 4)
        guard case .conv(var c) = m.nodes[0].op else { return XCTFail("the first node is the stem conv") }
        c.weights = Array(c.weights.dropLast())
        m.nodes[0].op = .conv(c)
        XCTAssertThrowsError(try writeBlob(m)) { error in
            XCTAssertTrue("\(error)".contains("bad tensor"), "\(error)")
        }
        var overflow = TestModels.everyOp(seed: 4)
        guard case .conv(var big) = overflow.nodes[0].op else { return XCTFail() }
        big.bias[0] = Int32.max - 10
        overflow.nodes[0].op = .conv(big)
        XCTAssertThrowsError(try writeBlob(overflow)) { error in
            XCTAssertTrue("\(error)".contains("accumulator"), "\(error)")
        }
        let empty = QModel(name: "empty", input: m.input, nodes: [], numClasses: 0)
        XCTAssertThrowsError(try writeBlob(empty))
    }

    func testCHeaderSource() throws {
        let model = TestModels.everyOp(seed: 5)
        let blob = try writeBlob(model)
        let (header, source) = cHeaderSource(blob, symbol: "model-data", model: model)
        XCTAssertTrue(header.contains("extern const uint8_t model_data[\(blob.count)];"))
        XCTAssertTrue(header.contains("extern const size_t model_data_size;"))
        XCTAssertTrue(source.contains("__attribute__((aligned(16)))"))
        XCTAssertTrue(source.contains("const size_t model_data_size = \(blob.count);"))
        // The bytes in the source are exactly the blob.
        let body = source[source.range(of: "= {")!.upperBound...]
        let bytes = body.split(whereSeparator: { ",\n };".contains($0) }).compactMap { UInt8($0.dropFirst(2), radix: 16) }
        XCTAssertEqual(bytes, blob)
        XCTAssertEqual(cIdentifier("3x"), "_3x")
        XCTAssertEqual(cIdentifier(""), "_")
    }

    /// The generated files compile as C99 and the array they define is the blob, 16-byte aligned;
    /// the header's size macros are what the C runtime computes from the blob.
    func testCHeaderCompiles() throws {
        let model = TestModels.everyOp(seed: 5)
        let blob = try writeBlob(model)
        let (header, source) = cHeaderSource(blob, symbol: "model_data", model: model)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("export-cheader-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try header.write(to: dir.appendingPathComponent("model_data.h"), atomically: true, encoding: .utf8)
        try source.write(to: dir.appendingPathComponent("model_data.c"), atomically: true, encoding: .utf8)
        let main = """
            #include <stdio.h>
            #include <stdint.h>
            #include "model_data.h"
            int main(void) {
                unsigned long sum = 0; size_t i;
                for (i = 0; i < model_data_size; ++i) sum = sum * 31u + model_data[i];
                printf("%lu %lu %d\\n", (unsigned long)model_data_size, sum, (int)((uintptr_t)model_data % 16u));
                printf("%lu %d %d %d %lu %d\\n", (unsigned long)MODEL_DATA_ARENA_SIZE, MODEL_DATA_INPUT_HEIGHT, MODEL_DATA_INPUT_WIDTH,
                       MODEL_DATA_INPUT_CHANNELS, (unsigned long)MODEL_DATA_INPUT_SIZE, MODEL_DATA_NUM_CLASSES);
                return 0;
            }
            """
        try main.write(to: dir.appendingPathComponent("main.c"), atomically: true, encoding: .utf8)
        guard let cc = ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("no C compiler")
        }
        let exe = dir.appendingPathComponent("main").path
        XCTAssertEqual(try run(cc, ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-o", exe,
                                    dir.appendingPathComponent("main.c").path, dir.appendingPathComponent("model_data.c").path]).status, 0)
        let out = try run(exe, [])
        var sum: UInt = 0
        for byte in blob { sum = sum &* 31 &+ UInt(byte) }
        var m = q8_model()
        let status = blob.withUnsafeBufferPointer { q8_model_init(&m, $0.baseAddress, $0.count) }
        XCTAssertEqual(status, Q8_OK)
        let s = model.input.shape
        XCTAssertEqual(out.output.trimmingCharacters(in: .whitespacesAndNewlines),
                       "\(blob.count) \(sum) 0\n\(q8_arena_size(&m)) \(s.h) \(s.w) \(s.c) \(q8_input_size(&m)) \(model.numClasses)")
    }

    private func run(_ path: String, _ args: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
