import XCTest
import CRuntime
import QuantCore
import IntEngine
@testable import Export
import TestSupport

/// The C runtime gives exactly the bytes of the Swift IntEngine (reference kernels and the
/// optimized dispatch), and q8_requantize is Swift's requantize.
final class ParityTests: XCTestCase {
    /// Compares C and Swift logits on `count` random images.
    private func assertParity(_ model: QModel, images count: Int, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) throws {
        let blob = try writeBlob(model)
        let images = TestModels.images(for: model, count: count, seed: seed)
        let c = try runC(blob: blob, images: images, count: count)
        let engine = try IntEngine(model: model)
        let reference = try IntEngine(model: model, useReference: true)
        let size = model.input.shape.count
        var distinct = Set<[Int8]>()
        for i in 0..<count {
            let input = images[(i * size)..<((i + 1) * size)].map { Int8(truncatingIfNeeded: Int($0) - 128) }
            let swift = reference.run(input: input)
            XCTAssertEqual(c[i], swift, "\(model.name) image \(i): C vs Swift reference", file: file, line: line)
            XCTAssertEqual(engine.run(input: input), swift, "\(model.name) image \(i): Swift optimized vs reference", file: file, line: line)
            distinct.insert(swift)
        }
        // The test must be able to fail: outputs depend on the input (not saturated to a constant).
        XCTAssertGreaterThanOrEqual(distinct.count, 2, "\(model.name): the output does not depend on the input", file: file, line: line)
        XCTAssertTrue(distinct.contains { logits in logits.contains { $0 != -128 && $0 != 127 } },
                      "\(model.name): every logit saturates", file: file, line: line)
    }

    func testEveryOpModels() throws {
        for seed in UInt64(1)...12 { try assertParity(TestModels.everyOp(seed: seed, size: 12 + Int(seed % 7)), images: 6, seed: seed) }
    }

    /// Int4 weights (packed two per byte in the blob) in a depthwise, a 1×1, a general and a
    /// grouped conv: C = Swift reference = Swift optimized.
    func testEveryOpModelsWithInt4Weights() throws {
        for seed in UInt64(1)...12 {
            let model = TestModels.everyOp(seed: seed, size: 12 + Int(seed % 7), int4: true)
            XCTAssertEqual(planMemory(model).weightBytes, model.nodes.reduce(0) { n, node in
                guard case .conv(let c) = node.op else { return n }
                // The hard-sigmoid gate is a UNIFORM_1X1 record: its one weight is a word of the record.
                if isUniform1x1(c, inputScale: model.info(node.inputs[0]).scale32, outputScale: node.output.scale32) { return n }
                return n + (c.weightBits == 4 ? (c.weights.count + 1) / 2 : c.weights.count)
            }, "the blob stores int4 weights packed")
            try assertParity(model, images: 6, seed: seed)
        }
    }

    /// The blob's scratch_bytes (Swift's kernelScratchBytes) is the C loader's figure of the same
    /// rule (Docs/BLOB_FORMAT.md, "Kernel scratch") on models with every op and kernel shape.
    func testKernelScratchAgreesWithC() throws {
        var models = (UInt64(1)...12).map { TestModels.everyOp(seed: $0, size: 12 + Int($0 % 7), int4: $0 % 3 == 0) }
        models += [TestModels.mobileNetV2Like(seed: 21, width: 0.35, size: 16), TestModels.shuffleNetV2Like(seed: 22, width: 0.5, size: 16)]
        // One branch of the rule each: 1×1 over 4 pixels (8·40), over 1 pixel (2·600), too wide
        // (3000 inputs: none), hard-swish and residual add over more than 256 elements, a 3×3
        // depthwise over 3 channels (none), and elementwise ops of at most 256 elements (none).
        let branches: [(Shape3, (inout ModelBuilder) -> Void)] = [
            (Shape3(4, 4, 40), { b in _ = b.conv(0, outC: 8) }),
            (Shape3(1, 1, 600), { b in _ = b.conv(0, outC: 4) }),
            (Shape3(1, 1, 3000), { b in _ = b.conv(0, outC: 2) }),
            (Shape3(16, 16, 3), { b in _ = b.hardSwish(0) }),
            (Shape3(16, 16, 3), { b in let x = b.conv(0, outC: 3, relu: false); let y = b.conv(0, outC: 3, relu: false); _ = b.residual(x, y) }),
            (Shape3(8, 8, 3), { b in _ = b.conv(0, outC: 3, kernel: 3, groups: 3) }),
            (Shape3(4, 4, 3), { b in let x = b.conv(0, outC: 3, relu: false); let y = b.hardSwish(x); _ = b.residual(x, y) }),
            // 1×1 with int4 weights and 36 inputs (not a multiple of 8): 8·36 for the widened
            // input + 4 unpacked rows of 36 (8·18).
            (Shape3(4, 4, 36), { b in _ = b.conv(0, outC: 8, weightBits: 4) }),
        ]
        for (i, (shape, build)) in branches.enumerated() {
            var b = ModelBuilder(seed: 40 + UInt64(i), input: shape)
            build(&b)
            models.append(b.model("branch\(i)"))
        }
        var figures = Set<Int>()
        for model in models {
            let blob = try writeBlob(model)
            let written = Int(blob[36]) | Int(blob[37]) << 8 | Int(blob[38]) << 16 | Int(blob[39]) << 24
            XCTAssertEqual(written, planMemory(model).scratchBytes, "\(model.name): header vs plan")
            XCTAssertEqual(cScratchRule(blob), written, "\(model.name): C rule vs Swift rule")
            figures.insert(written)
        }
        // The comparison must be able to fail: every branch gives its own figure.
        XCTAssertEqual(figures, [0, 256, 320, 432, 1200, 2048, 4096], "scratch figures")
    }

    func testMobileNetV2Like() throws {
        try assertParity(TestModels.mobileNetV2Like(seed: 21, width: 0.35, size: 16), images: 3, seed: 5)
    }

    func testShuffleNetV2Like() throws {
        try assertParity(TestModels.shuffleNetV2Like(seed: 22, width: 0.5, size: 16), images: 3, seed: 6)
    }

    /// Every intermediate value, not only the logits: a model whose output is each op's output in turn.
    func testEveryIntermediateValue() throws {
        let full = TestModels.everyOp(seed: 31)
        let input = TestModels.images(for: full, count: 1, seed: 9).map { Int8(truncatingIfNeeded: Int($0) - 128) }
        var values: [[Int8]] = Array(repeating: [], count: full.nodes.count + 1)
        _ = try IntEngine(model: full, useReference: true).run(input: input) { v, buffer in values[v] = Array(buffer) }
        for cut in 1...full.nodes.count {
            var m = full
            m.nodes = Array(full.nodes.prefix(cut))
            m.numClasses = m.nodes[cut - 1].output.shape.count
            let (status, out) = runCInt8(blob: try writeBlob(m), input: input)
            XCTAssertEqual(status, Q8_OK)
            XCTAssertEqual(out, values[cut], "value \(cut) (\(m.nodes[cut - 1].name))")
        }
    }

    /// Requantized values near the int32 limits (saturated left shifts) plus a zero point clamp
    /// exactly, without wrapping, in both.
    func testSaturatedRequantization() throws {
        for (multiplier, shift, zp) in [(Int32.max, Int32(31), Int32(100)), (Int32.max, 31, -100), (1 << 30, 30, 127), (0, 31, -128)] {
            let input = QTensorInfo(shape: Shape3(1, 1, 16), zeroPoint: -128, scale: 1.0 / 255)
            let out = QTensorInfo(shape: input.shape, zeroPoint: zp, scale: 1)
            let node = QNode(name: "rq", op: .requantize(QRequantize(inputZeroPoint: -128, multiplier: multiplier, shift: shift,
                                                                    outputZeroPoint: zp, actMin: -128, actMax: 127)),
                             inputs: [0], output: out)
            let model = QModel(name: "saturate", input: input, nodes: [node], numClasses: 16)
            let x = (0..<16).map { Int8(truncatingIfNeeded: $0 * 16 - 128) }
            let (status, c) = runCInt8(blob: try writeBlob(model), input: x)
            XCTAssertEqual(status, Q8_OK)
            XCTAssertEqual(c, try IntEngine(model: model, useReference: true).run(input: x), "M \(multiplier) shift \(shift) zp \(zp)")
        }
    }

    func testRequantizeMatchesSwift() {
        var rng = TestRandom(seed: 99)
        let edges: [Int32] = [0, 1, -1, 2, -2, Int32.max, Int32.min, Int32.max - 1, Int32.min + 1, 1 << 30, -(1 << 30),
                              (1 << 15) + 1, -(1 << 15) - 1, 12345, -12345]
        let multipliers: [Int32] = [0, 1, 1 << 30, (1 << 30) + 1, Int32.max, Int32.max - 1, 1_500_000_000]
        for shift in Int32(-31)...31 {
            for a in edges { for m in multipliers { XCTAssertEqual(q8_requantize(a, m, shift), requantize(a, m, shift), "\(a) \(m) \(shift)") } }
        }
        for _ in 0..<200_000 {
            let a = Int32(truncatingIfNeeded: rng.next()) >> Int32(rng.int(0...31))
            let m = Int32(rng.int(0...Int(Int32.max)))
            let s = Int32(rng.int(-31...31))
            if q8_requantize(a, m, s) != requantize(a, m, s) { return XCTFail("q8_requantize(\(a), \(m), \(s)) differs") }
        }
    }
}
