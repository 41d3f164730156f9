import XCTest
@testable import IntEngine
@testable import QuantCore
import TestSupport

/// The executor on a small hand-built model with every op, against the reference kernels run
/// one by one by hand.
final class ExecutorTests: XCTestCase {
    /// Builds the test model: stem (TF-SAME, pad values) → hard-swish → depthwise 3×3 → SE
    /// (global pool, FC + ReLU, FC, hard-sigmoid, mul) → grouped pointwise → split ×2 → add →
    /// concat → shuffle → max pool, avg pool → requantize → add → depthwise 5×5 s2 → global
    /// pool → FC logits.
    static func makeModel() -> QModel {
        var rng = TestRandom(seed: 99)
        var nodes: [QNode] = []
        var shapes = [Shape3(8, 8, 3)]
        var zps: [Int32] = [-128]
        func zp() -> Int32 { Int32.random(in: -100...100, using: &rng) }
        @discardableResult
        func add(_ name: String, _ op: QOp, _ inputs: [Int], _ shape: Shape3, _ z: Int32) -> Int {
            nodes.append(QNode(name: name, op: op, inputs: inputs, output: QTensorInfo(shape: shape, zeroPoint: z, scale: 0.05)))
            shapes.append(shape); zps.append(z)
            return nodes.count
        }
        func conv(_ name: String, _ v: Int, outC: Int, k: Int, stride: Int, groups: Int, padding: KernelParityTests.Padding,
                  padValue: Bool = false) -> Int {
            var (p, out) = KernelParityTests.randomConv(&rng, inShape: shapes[v], outChannels: outC, kernel: (k, k),
                                                        stride: (stride, stride), groups: groups, padding: padding, padValue: padValue)!
            p.inputZeroPoint = zps[v]
            return add(name, .conv(p), [v], out, p.outputZeroPoint)
        }
        func hardSwish(_ v: Int, sigmoid: Bool) -> Int {
            if sigmoid {
                return add("hsig", .conv(QConv.hardSigmoid(channels: shapes[v].c, inputScale: 0.05, inputZeroPoint: zps[v])), [v], shapes[v], -128)
            }
            let z = zp()
            let p = QHardSwish.make(inputScale: 0.05, inputZeroPoint: zps[v], outputScale: 0.04, outputZeroPoint: z)!
            return add("hswish", .hardSwish(p), [v], shapes[v], z)
        }
        func requant(_ v: Int, count: Int, relu: Bool) -> QRequantize {
            let z = zp()
            if count == 1 {
                return QRequantize.relu(relu ? .relu : .none, inputScale: 0.05, inputZeroPoint: zps[v], outputScale: 0.045, outputZeroPoint: z)
            }
            return QRequantize.mean(inputScale: 0.05, inputZeroPoint: zps[v], outputScale: 0.045, outputZeroPoint: z, count: count)
        }
        func residual(_ a: Int, _ b: Int, zeroPoint: Int32? = nil) -> Int {
            let z = zeroPoint ?? zp()
            let p = QAdd.make(input1Scale: 0.05, input1ZeroPoint: zps[a], input2Scale: 0.03, input2ZeroPoint: zps[b],
                              outputScale: 0.07, outputZeroPoint: z, actMin: -128, actMax: 127)
            return add("add", .add(p), [a, b], shapes[a], z)
        }
        let stem = conv("stem", 0, outC: 8, k: 3, stride: 2, groups: 1, padding: .tfSame, padValue: true)
        let hs = hardSwish(stem, sigmoid: false)
        let dw = conv("dw3", hs, outC: 8, k: 3, stride: 1, groups: 8, padding: .symmetric)
        let pooled = { let r = requant(dw, count: 16, relu: false); return add("gap", .globalAvgPool(r), [dw], Shape3(1, 1, 8), r.outputZeroPoint) }()
        let fc1 = conv("se.fc1", pooled, outC: 4, k: 1, stride: 1, groups: 1, padding: .symmetric)
        let fc2 = conv("se.fc2", fc1, outC: 8, k: 1, stride: 1, groups: 1, padding: .symmetric)
        let gate = hardSwish(fc2, sigmoid: true)
        let mulZp = zp()
        let se = add("se.mul", .mul(QMul.make(inputScale: 0.05, inputZeroPoint: zps[dw], gateScale: 1.0 / 256, gateZeroPoint: -128,
                                              outputScale: 0.05, outputZeroPoint: mulZp, actMin: -128, actMax: 127)), [dw, gate], shapes[dw], mulZp)
        let pw = conv("pw", se, outC: 16, k: 1, stride: 1, groups: 2, padding: .symmetric)
        let left = add("split.left", .split(start: 0, count: 8), [pw], Shape3(4, 4, 8), zps[pw])
        let right = add("split.right", .split(start: 8, count: 8), [pw], Shape3(4, 4, 8), zps[pw])
        let sum = residual(left, se, zeroPoint: zps[right])  // concat inputs share a grid
        let cat = add("concat", .concat, [sum, right], Shape3(4, 4, 16), zps[sum])
        let shuffled = add("shuffle", .shuffle(groups: 2), [cat], Shape3(4, 4, 16), zps[cat])
        let maxPooled = add("maxpool", .maxPool(QPool(kernel: 3, stride: 2, padTop: 1, padLeft: 1, requant: requant(shuffled, count: 1, relu: false))),
                            [shuffled], Shape3(2, 2, 16), zps[shuffled])
        let avgRequant = requant(shuffled, count: 9, relu: false)
        let avgPooled = add("avgpool", .avgPool(QPool(kernel: 3, stride: 2, padTop: 1, padLeft: 1, requant: avgRequant)),
                            [shuffled], Shape3(2, 2, 16), avgRequant.outputZeroPoint)
        let relu = { let r = requant(maxPooled, count: 1, relu: true); return add("relu", .requantize(r), [maxPooled], Shape3(2, 2, 16), r.outputZeroPoint) }()
        let sum2 = residual(relu, avgPooled)
        let dw5 = conv("dw5", sum2, outC: 16, k: 5, stride: 2, groups: 16, padding: .symmetric)
        _ = dw5
        let pooled2 = { var r = requant(sum2, count: 4, relu: false); r.outputZeroPoint = zps[dw5]; return add("gap2", .globalAvgPool(r), [sum2], Shape3(1, 1, 16), r.outputZeroPoint) }()
        let both = add("concat2", .concat, [pooled2, dw5], Shape3(1, 1, 32), zps[pooled2])
        _ = conv("classifier", both, outC: 10, k: 1, stride: 1, groups: 1, padding: .symmetric)
        return QModel(name: "every op", input: QTensorInfo(shape: shapes[0], zeroPoint: -128, scale: 1.0 / 255), nodes: nodes, numClasses: 10)
    }

    /// Runs the model node by node with the reference kernels on plain arrays.
    static func referenceValues(_ model: QModel, _ input: [Int8]) -> [[Int8]] {
        var values = [input]
        for node in model.nodes {
            let ins = node.inputs.map { values[$0] }
            let inShapes = node.inputs.map { model.info($0).shape }
            let outShape = node.output.shape
            var out = [Int8](repeating: 0, count: outShape.count)
            switch node.op {
            case .conv(let p): referenceConv(ins[0], inShapes[0], p, &out, outShape)
            case .add(let p): referenceAdd(ins[0], ins[1], outShape, p, &out)
            case .mul(let p): referenceMul(ins[0], outShape, ins[1], p, &out)
            case .hardSwish(let p): referenceHardSwish(ins[0], outShape, p, &out)
            case .lookup(let p): referenceLookup(ins[0], outShape, p, &out)
            case .requantize(let p): referenceRequantize(ins[0], outShape, p, &out)
            case .concat:
                let a = ins[0], b = ins[1]
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        referenceConcat([(pa.baseAddress!, inShapes[0]), (pb.baseAddress!, inShapes[1])], &out, outShape)
                    }
                }
            case .split(let start, _): referenceSplit(ins[0], inShapes[0], start: start, &out, outShape)
            case .shuffle(let groups): referenceShuffle(ins[0], outShape, groups: groups, &out)
            case .maxPool(let p): referenceMaxPool(ins[0], inShapes[0], p, &out, outShape)
            case .avgPool(let p): referenceAvgPool(ins[0], inShapes[0], p, &out, outShape)
            case .globalAvgPool(let p): referenceGlobalAvgPool(ins[0], inShapes[0], p, &out)
            }
            values.append(out)
        }
        return values
    }

    func testEveryValueMatchesTheReferenceKernels() throws {
        let model = Self.makeModel()
        XCTAssertEqual(model.nodes.count, 22)
        let fast = try IntEngine(model: model)
        let reference = try IntEngine(model: model, useReference: true)
        var rng = TestRandom(seed: 5)
        for _ in 0..<20 {
            let input = (0..<model.input.shape.count).map { _ in Int8.random(in: -128...127, using: &rng) }
            let want = Self.referenceValues(model, input)
            var seen: [Int] = []
            for engine in [fast, reference] {
                seen = []
                let logits = engine.run(input: input) { v, values in
                    seen.append(v)
                    XCTAssertEqual(Array(values), want[v], "value \(v) (\(v == 0 ? "input" : model.nodes[v - 1].name)), reference: \(engine.useReference)")
                }
                XCTAssertEqual(logits, want.last!)
                XCTAssertEqual(engine.run(input: input), want.last!)
            }
            XCTAssertEqual(seen, Array(0...model.nodes.count))
            XCTAssertGreaterThan(Set(want.last!).count, 1, "logits are degenerate")
        }
    }

    /// Kept values equal the reference's; re-running the tail of a model whose later nodes
    /// changed, on the kept prefix, gives what a full run of the changed model gives.
    func testRunKeepingValuesAndRerunningTheTail() throws {
        let model = Self.makeModel()
        let engine = try IntEngine(model: model)
        // Node k ("pw") gets another bias; the nodes before it are unchanged.
        var changed = model
        let k = try XCTUnwrap(model.nodes.firstIndex { $0.name == "pw" })
        guard case .conv(var conv) = changed.nodes[k].op else { return XCTFail("pw is not a convolution") }
        conv.bias = conv.bias.map { $0 + 400 }
        changed.nodes[k].op = .conv(conv)
        let changedEngine = try IntEngine(model: changed)
        var rng = TestRandom(seed: 11)
        for _ in 0..<5 {
            let input = (0..<model.input.shape.count).map { _ in Int8.random(in: -128...127, using: &rng) }
            var values = [input]
            engine.runKeepingValues(&values)
            XCTAssertEqual(values, Self.referenceValues(model, input))
            var tail = values
            changedEngine.runKeepingValues(&tail, fromNode: k)
            XCTAssertEqual(tail, Self.referenceValues(changed, input))
            XCTAssertEqual(Array(tail.prefix(k + 1)), Array(values.prefix(k + 1)))
            XCTAssertNotEqual(tail[k + 1], values[k + 1])
        }
    }

    /// An engine updated with only the changed node re-packed runs like a fresh engine of the
    /// changed model, and the flat kept-values run gives the reference values; a malformed
    /// changed node, or a change the list does not name, is refused.
    func testUpdatedEngineAndKeptBuffer() throws {
        let model = Self.makeModel()
        let engine = try IntEngine(model: model)
        var changed = model
        let k = try XCTUnwrap(model.nodes.firstIndex { $0.name == "pw" })
        guard case .conv(var conv) = changed.nodes[k].op else { return XCTFail("pw is not a convolution") }
        conv.bias = conv.bias.map { $0 - 300 }
        changed.nodes[k].op = .conv(conv)
        let updated = try engine.updated(changed, changed: [k])
        let layout = updated.keptLayout
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: layout.bytes, alignment: 64).bindMemory(to: Int8.self, capacity: layout.bytes)
        defer { buffer.deallocate() }
        var rng = TestRandom(seed: 12)
        for _ in 0..<5 {
            let input = (0..<model.input.shape.count).map { _ in Int8.random(in: -128...127, using: &rng) }
            let want = Self.referenceValues(changed, input)
            XCTAssertEqual(updated.run(input: input), want.last!)
            XCTAssertNotEqual(Self.referenceValues(model, input)[k + 1], want[k + 1])  // the change matters
            input.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: input.count) }
            updated.runKept(buffer, layout: layout)
            for v in 0...model.nodes.count {
                XCTAssertEqual(Array(UnsafeBufferPointer(start: buffer + layout.offsets[v], count: model.info(v).shape.count)), want[v], "value \(v)")
            }
        }
        var bad = changed
        if case .conv(var p) = bad.nodes[k].op { p.multiplier[0] = -1; bad.nodes[k].op = .conv(p) }
        XCTAssertThrowsError(try engine.updated(bad, changed: [k]))
        var moved = model
        moved.nodes[k].inputs = [0]
        XCTAssertThrowsError(try engine.updated(moved, changed: []))
    }

    func testPixelsAndBatchesGiveTheSameLogits() throws {
        let model = Self.makeModel()
        let engine = try IntEngine(model: model)
        var rng = TestRandom(seed: 8)
        let count = 13, size = model.input.shape.count
        let images = (0..<(count * size)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        var progress: [Int] = []
        let batch = engine.logits(images: images, count: count, threads: 2) { done, total in
            XCTAssertEqual(total, count)
            progress.append(done)
        }
        XCTAssertEqual(progress, Array(1...count))
        XCTAssertEqual(batch.count, count)
        for i in 0..<count {
            let pixels = Array(images[(i * size)..<((i + 1) * size)])
            let input = pixels.map { Int8(Int($0) - 128) }
            let want = Self.referenceValues(model, input).last!
            XCTAssertEqual(batch[i], want)
            XCTAssertEqual(pixels.withUnsafeBufferPointer { engine.logits(pixels: $0) }, want)
        }
        XCTAssertEqual(engine.logits(images: [], count: 0), [])
    }

    /// The engine runs in one arena of QuantCore's plan (the blob's offsets): values alive at the
    /// same node never share bytes, and the arena is smaller than one buffer per value.
    func testArenaPlanNeverOverlapsLiveValues() throws {
        let model = Self.makeModel()
        let engine = try IntEngine(model: model)
        let plan = engine.plan
        XCTAssertEqual(plan, planArena(model))
        var lastUse = Array(0...model.nodes.count).map { $0 - 1 }
        for (i, node) in model.nodes.enumerated() { for v in node.inputs { lastUse[v] = max(lastUse[v], i) } }
        for a in 1...model.nodes.count {
            XCTAssertEqual(plan.offsets[a] % 16, 0)
            XCTAssertLessThanOrEqual(plan.offsets[a] + model.info(a).shape.count, plan.arenaBytes)
            for b in (a + 1)...max(a + 1, model.nodes.count) where b <= model.nodes.count {
                // Value b is written by node b − 1; a must be dead by then unless their bytes are disjoint.
                let disjoint = plan.offsets[a] + model.info(a).shape.count <= plan.offsets[b]
                    || plan.offsets[b] + model.info(b).shape.count <= plan.offsets[a]
                if !disjoint { XCTAssertLessThan(lastUse[a], b - 1, "values \(a) and \(b) share arena bytes while both alive") }
            }
        }
        let total = (1...model.nodes.count).reduce(0) { $0 + model.info($1).shape.count }
        XCTAssertLessThan(plan.arenaBytes, total / 2)
    }

    func testMalformedModelsAreRefused() {
        let good = Self.makeModel()
        func refuses(_ change: (inout QModel) -> Void, _ words: String, line: UInt = #line) {
            var m = good
            change(&m)
            XCTAssertThrowsError(try IntEngine(model: m), line: line) { error in
                let e = error as? ToolkitError
                XCTAssertNotNil(e, line: line)
                XCTAssertTrue(e?.description.contains(words) ?? false, "\(error)", line: line)
            }
        }
        XCTAssertNoThrow(try IntEngine(model: good))
        refuses({ $0.nodes = [] }, "has no ops")
        refuses({ $0.nodes[3].inputs = [7] }, "reads value 7")
        refuses({ if case .conv(var p) = $0.nodes[0].op { p.weights.removeLast(); $0.nodes[0].op = .conv(p) } }, "weights")
        refuses({ if case .conv(var p) = $0.nodes[0].op { p.multiplier[2] = -5; $0.nodes[0].op = .conv(p) } }, "negative")
        refuses({ if case .conv(var p) = $0.nodes[0].op { p.padValue = [1]; $0.nodes[0].op = .conv(p) } }, "pad values")
        refuses({ $0.nodes[4].output.shape = Shape3(2, 2, 2) }, "op 4")
        refuses({ $0.nodes[9].op = .split(start: 10, count: 8) }, "channels [10, 18)")
        refuses({ $0.nodes[13].op = .shuffle(groups: 3) }, "groups")
        refuses({ $0.nodes[1].op = .hardSwish(QHardSwish(inputZeroPoint: $0.nodes[0].output.zeroPoint, outputZeroPoint: $0.nodes[1].output.zeroPoint,
                                                         outputMultiplier: 1 << 14, outputExponent: 1, reluishMultiplier: 1 << 14, reluishExponent: 0)) }, "output exponent")
    }
}
