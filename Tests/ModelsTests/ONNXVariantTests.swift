import XCTest
import FloatEngine
import ModelIO
import QuantCore
@testable import Models
import TestSupport

/// Exporter variants map to the same IR: small hand-written ONNX graphs (no exporter), each
/// written the ways PyTorch (opset 13 / 17), Keras/tf2onnx and hand-made exports write it.
final class ONNXVariantTests: XCTestCase {
    typealias B = OnnxBuild

    /// Imports hand-written bytes.
    func load(_ bytes: [UInt8], options: ModelOptions = .init()) throws -> Graph {
        let path = temporaryFile(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try loadONNXGraph(path, options: options)
    }

    func importError(_ bytes: [UInt8]) -> String {
        do { _ = try load(bytes); return "no error" } catch { return "\(error)" }
    }

    /// Float logits of a graph on fixed pseudo-random pixels.
    func logits(_ g: Graph, seed: UInt64 = 3) -> [Float] {
        var rng = TestRandom(seed: seed)
        let pixels = rng.bytes(g.shape(0).count)
        return pixels.withUnsafeBufferPointer { FloatEngine(graph: g).logits(pixels: $0) }
    }

    func maxDiff(_ a: [Float], _ b: [Float]) -> Float {
        XCTAssertEqual(a.count, b.count)
        return zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
    }

    var rng = TestRandom(seed: 11)

    /// Stem conv 3→8 (3×3, pads 1) on a 1×3×8×8 input, its weights as initializers.
    func stem(_ out: String = "y") -> (nodes: [PB], inits: [PB]) {
        let w = rng.floats(8 * 3 * 9, -0.5, 0.5), b = rng.floats(8, -0.5, 0.5)
        return ([B.node("Conv", ["x", "stem.w", "stem.b"], [out], name: "stem", [("kernel_shape", .ints([3, 3])), ("pads", .ints([1, 1, 1, 1]))])],
                [B.tensor("stem.w", [8, 3, 3, 3], w), B.tensor("stem.b", [8], b)])
    }

    /// Global pool → flatten → Gemm 8→5 from value `from`, output `logits`.
    func head(_ from: String) -> (nodes: [PB], inits: [PB]) {
        let w = rng.floats(5 * 8), b = rng.floats(5)
        return ([B.node("GlobalAveragePool", [from], ["pooled"]), B.node("Flatten", ["pooled"], ["flat"]),
                 B.node("Gemm", ["flat", "fc.w", "fc.b"], ["logits"], name: "fc", [("transB", .int(1))])],
                [B.tensor("fc.w", [5, 8], w), B.tensor("fc.b", [5], b)])
    }

    func scalar(_ name: String, _ v: Float) -> PB { B.tensor(name, [], [v]) }

    /// The same stem + head around different spellings of hard-swish.
    func testHardSwishVariantsImportToTheSameOp() throws {
        let variants: [(String, [PB], [PB], Int64)] = [
            ("HardSwish op (opset 14+)", [B.node("HardSwish", ["y"], ["a"])], [], 17),
            ("x·HardSigmoid(x) (opset 13)", [B.node("HardSigmoid", ["y"], ["hs"], [("alpha", .float(1 / 6)), ("beta", .float(0.5))]),
                                              B.node("Mul", ["y", "hs"], ["a"])], [], 13),
            ("x·Clip(x+3,0,6)/6 (Keras / tf2onnx)", [B.node("Add", ["y", "three"], ["p"]), B.node("Clip", ["p", "zero", "six"], ["c"]),
                                                      B.node("Mul", ["y", "c"], ["m"]), B.node("Div", ["m", "six"], ["a"])],
             [scalar("three", 3), scalar("zero", 0), scalar("six", 6)], 13),
            ("x·(Clip(x+3,0,6)/6), Mul by 1/6, operands swapped", [B.node("Add", ["three", "y"], ["p"]), B.node("Clip", ["p"], ["c"], [("min", .float(0)), ("max", .float(6))]),
                                                                  B.node("Mul", ["c", "sixth"], ["d"]), B.node("Mul", ["d", "y"], ["a"])],
             [scalar("three", 3), scalar("sixth", 1 / 6)], 10),
        ]
        var reference: [Float]?
        for (label, nodes, inits, opset) in variants {
            rng = TestRandom(seed: 11)  // the same weights for every variant
            let r = self
            let s = r.stem(), h = r.head("a")
            let bytes = B.model(nodes: s.nodes + nodes + h.nodes, initializers: s.inits + inits + h.inits,
                                inputDims: [-1, 3, 8, 8], output: "logits", opset: opset)
            let g = try load(bytes)
            XCTAssertEqual(g.nodes.map(\.op.kindName), ["conv3x3", "hardswish", "globalavgpool", "linear"], label)
            let l = logits(g)
            if let reference { XCTAssertLessThan(maxDiff(l, reference), 1e-5, label) } else { reference = l }
        }
    }

    /// Squeeze-excitation gates with hard-sigmoid written as the op and decomposed.
    func testHardSigmoidVariantsImportToTheSameOp() throws {
        let variants: [(String, [PB], [PB])] = [
            ("HardSigmoid op", [B.node("HardSigmoid", ["g"], ["gate"], [("alpha", .float(1 / 6)), ("beta", .float(0.5))])], []),
            ("Clip(x+3,0,6)/6", [B.node("Add", ["g", "three"], ["p"]), B.node("Clip", ["p", "zero", "six"], ["c"]), B.node("Div", ["c", "six"], ["gate"])],
             [scalar("three", 3), scalar("zero", 0), scalar("six", 6)]),
        ]
        var reference: [Float]?
        for (label, nodes, inits) in variants {
            rng = TestRandom(seed: 11)  // the same weights for every variant
            let r = self
            let s = r.stem()
            let fcw = r.rng.floats(8 * 8, -0.3, 0.3), fcb = r.rng.floats(8)
            let se = [B.node("GlobalAveragePool", ["y"], ["sq"]), B.node("Conv", ["sq", "se.w", "se.b"], ["g"], name: "se.fc", [("kernel_shape", .ints([1, 1]))])]
            let h = r.head("a")
            let bytes = B.model(nodes: s.nodes + se + nodes + [B.node("Mul", ["y", "gate"], ["a"])] + h.nodes,
                                initializers: s.inits + [B.tensor("se.w", [8, 8, 1, 1], fcw), B.tensor("se.b", [8], fcb)] + inits + h.inits,
                                inputDims: [1, 3, 8, 8], output: "logits")
            let g = try load(bytes)
            XCTAssertEqual(g.nodes.map(\.op.kindName), ["conv3x3", "globalavgpool", "conv1x1", "hardsigmoid", "mul", "globalavgpool", "linear"], label)
            let l = logits(g)
            if let reference { XCTAssertLessThan(maxDiff(l, reference), 1e-5, label) } else { reference = l }
        }
    }

    /// EfficientNet-B0-style activations: SiLU written as x·Sigmoid(x) (either operand order) and a
    /// Sigmoid-gated squeeze-excitation become lookup-table functions, with the float results of a
    /// direct evaluation; Tanh / LeakyRelu / Elu / Softplus / Gelu map to their functions too.
    func testSigmoidGateAndSiLUBecomeLookupFunctions() throws {
        rng = TestRandom(seed: 11)
        let s = stem("c")
        let fcw = rng.floats(8 * 8, -0.3, 0.3), fcb = rng.floats(8)
        let nodes = [B.node("Sigmoid", ["c"], ["sc"]), B.node("Mul", ["sc", "c"], ["y"]),  // SiLU, sigmoid first
                     B.node("GlobalAveragePool", ["y"], ["sq"]), B.node("Conv", ["sq", "se.w", "se.b"], ["g"], name: "se.fc", [("kernel_shape", .ints([1, 1]))]),
                     B.node("Sigmoid", ["g"], ["gate"]), B.node("Mul", ["y", "gate"], ["a"])]
        let h = head("a")
        let g = try load(B.model(nodes: s.nodes + nodes + h.nodes, initializers: s.inits + [B.tensor("se.w", [8, 8, 1, 1], fcw), B.tensor("se.b", [8], fcb)] + h.inits,
                                 inputDims: [1, 3, 8, 8], output: "logits"))
        XCTAssertEqual(g.nodes.map(\.op.kindName), ["conv3x3", "silu", "globalavgpool", "conv1x1", "sigmoid", "mul", "globalavgpool", "linear"])
        // The same network evaluated by hand from the stem's output: silu, pool, fc, sigmoid gate, pool, fc.
        var noHead = g
        noHead.nodes = Array(g.nodes.prefix(1))
        var p = TestRandom(seed: 3)
        let pixels = p.bytes(g.shape(0).count)
        let conv = pixels.withUnsafeBufferPointer { FloatEngine(graph: noHead).logits(pixels: $0) }
        let silu: [Double] = conv.map { Double($0) / (1 + exp(-Double($0))) }
        var pooled = [Double](repeating: 0, count: 8)
        for (k, v) in silu.enumerated() { pooled[k % 8] += v / 64 }
        /// Σ_i w[o·8 + i] · x[i] + b[o] for 8 inputs.
        func dense(_ w: [Float], _ b: [Float], _ x: [Double], _ o: Int) -> Double {
            var sum = Double(b[o])
            for i in 0..<8 { sum += Double(w[o * 8 + i]) * x[i] }
            return sum
        }
        let gate: [Double] = (0..<8).map { o in 1 / (1 + exp(-dense(fcw, fcb, pooled, o))) }
        let pooled2: [Double] = (0..<8).map { c in pooled[c] * gate[c] }
        guard case .linear(let fc) = g.nodes.last!.op else { return XCTFail("no linear head") }
        let expected: [Double] = (0..<5).map { o in dense(fc.weight, fc.bias!, pooled2, o) }
        XCTAssertLessThan(maxDiff(logits(g), expected.map(Float.init)), 1e-4)

        for (op, attrs, f) in [("Tanh", [], UnaryFunction.tanh), ("LeakyRelu", [("alpha", B.Attr.float(0.2))], .leakyRelu(alpha: Double(Float(0.2)))),
                               ("Elu", [], .elu(alpha: 1)), ("Softplus", [], .softplus), ("Gelu", [], .gelu)] as [(String, [(String, B.Attr)], UnaryFunction)] {
            rng = TestRandom(seed: 11)
            let s = stem(), h = head("a")
            let g = try load(B.model(nodes: s.nodes + [B.node(op, ["y"], ["a"], attrs)] + h.nodes, initializers: s.inits + h.inits,
                                     inputDims: [1, 3, 8, 8], output: "logits", opset: 20))
            guard case .function(let got) = g.nodes[1].op else { XCTFail("\(op): \(g.nodes[1].op.kindName)"); continue }
            XCTAssertEqual(got, f, op)
        }
    }

    /// HardSigmoid with Keras' alpha 0.2 is not the MobileNetV3 one: an affine map goes in front
    /// (folded into the conv before it), never silently the wrong function.
    func testHardSigmoidWithOtherAlphaKeepsItsFunction() throws {
        let r = self
        let s = r.stem(), h = r.head("a"), plainHead = r.head("y")
        let g = try load(B.model(nodes: s.nodes + [B.node("HardSigmoid", ["y"], ["a"], [("alpha", .float(0.2)), ("beta", .float(0.5))])] + h.nodes,
                                 initializers: s.inits + h.inits, inputDims: [1, 3, 8, 8], output: "logits"))
        XCTAssertEqual(g.nodes.map(\.op.kindName), ["conv3x3", "hardsigmoid", "globalavgpool", "linear"])
        let stemOnly = try load(B.model(nodes: s.nodes + plainHead.nodes, initializers: s.inits + plainHead.inits, inputDims: [1, 3, 8, 8], output: "logits"))
        var rng2 = TestRandom(seed: 9)
        let pixels = rng2.bytes(8 * 8 * 3)
        var y: [Float] = [], a: [Float] = []
        pixels.withUnsafeBufferPointer { px in
            _ = FloatEngine(graph: stemOnly).run(pixels: px) { v, buf in if v == 1 { y = Array(buf) } }
            _ = FloatEngine(graph: g).run(pixels: px) { v, buf in if v == 2 { a = Array(buf) } }
        }
        XCTAssertEqual(y.count, 8 * 8 * 8)
        XCTAssertLessThan(maxDiff(a, y.map { min(max(0.2 * $0 + 0.5, 0), 1) }), 1e-5)
        XCTAssertGreaterThan(maxDiff(a, y.map { min(max($0 / 6 + 0.5, 0), 1) }), 1e-3, "alpha 0.2 differs from 1/6")
    }

    /// An unfolded BatchNormalization (and a separate bias Add) folds into the conv before it.
    func testUnfoldedBatchNormFoldsIntoTheConv() throws {
        let r = self
        let w = r.rng.floats(8 * 3 * 9, -0.5, 0.5)
        let gamma = r.rng.floats(8, 0.5, 1.5), beta = r.rng.floats(8), mean = r.rng.floats(8), variance = r.rng.floats(8, 0.5, 2)
        let h = r.head("a")
        let unfolded = B.model(
            nodes: [B.node("Conv", ["x", "w"], ["c"], name: "conv", [("kernel_shape", .ints([3, 3])), ("pads", .ints([1, 1, 1, 1]))]),
                    B.node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["bn"], [("epsilon", .float(1e-3))]),
                    B.node("Relu", ["bn"], ["a"])] + h.nodes,
            initializers: [B.tensor("w", [8, 3, 3, 3], w), B.tensor("gamma", [8], gamma), B.tensor("beta", [8], beta),
                           B.tensor("mean", [8], mean), B.tensor("var", [8], variance)] + h.inits,
            inputDims: [1, 3, 8, 8], output: "logits")
        // Folded by hand, as exporters do.
        var fw = w, fb = [Float](repeating: 0, count: 8)
        for o in 0..<8 {
            let k = gamma[o] / (variance[o] + 1e-3).squareRoot()
            for j in 0..<27 { fw[o * 27 + j] *= k }
            fb[o] = beta[o] - mean[o] * k
        }
        let folded = B.model(
            nodes: [B.node("Conv", ["x", "w", "b"], ["c"], name: "conv", [("kernel_shape", .ints([3, 3])), ("pads", .ints([1, 1, 1, 1]))]),
                    B.node("Relu", ["c"], ["a"])] + h.nodes,
            initializers: [B.tensor("w", [8, 3, 3, 3], fw), B.tensor("b", [8], fb)] + h.inits,
            inputDims: [1, 3, 8, 8], output: "logits")
        let g1 = try load(unfolded), g2 = try load(folded)
        XCTAssertEqual(g1.nodes.map(\.op.kindName), ["conv3x3", "globalavgpool", "linear"])
        XCTAssertEqual(g2.nodes.map(\.op.kindName), ["conv3x3", "globalavgpool", "linear"])
        guard case .conv(let c) = g1.nodes[0].op else { return XCTFail("conv") }
        XCTAssertEqual(c.activation, .relu, "the ReLU after the batch norm is fused")
        XCTAssertLessThan(maxDiff(logits(g1), logits(g2)), 1e-5)
    }

    /// TF-SAME padding computed at run time from Shape (as EfficientNet's exports do) becomes
    /// static padding equal to `auto_pad = SAME_UPPER`.
    func testDynamicSamePaddingIsFolded() throws {
        let r = self
        let w = r.rng.floats(8 * 3 * 9, -0.5, 0.5)
        let h = r.head("a")
        func i64(_ name: String, _ v: [Int64], dims: [Int]? = nil) -> PB { B.intTensor(name, dims ?? [v.count], v) }
        // total = max((ceil(H/2) − 1)·2 + 3 − H, 0); before = total / 2; after = total − before.
        let padNodes: [PB] = [
            B.node("Shape", ["x"], ["shape"]), B.node("Gather", ["shape", "two"], ["H"], [("axis", .int(0))]),
            B.node("Add", ["H", "one"], ["h1"]), B.node("Div", ["h1", "twoS"], ["outH"]),
            B.node("Sub", ["outH", "one"], ["o1"]), B.node("Mul", ["o1", "twoS"], ["o2"]), B.node("Add", ["o2", "three"], ["o3"]),
            B.node("Sub", ["o3", "H"], ["t0"]), B.node("Max", ["t0", "zeroS"], ["total"]),
            B.node("Div", ["total", "twoS"], ["before"]), B.node("Sub", ["total", "before"], ["after"]),
            B.node("Unsqueeze", ["before", "axis0"], ["b1"]), B.node("Unsqueeze", ["after", "axis0"], ["a1"]),
            B.node("Concat", ["zeros2", "b1", "b1", "zeros2", "a1", "a1"], ["pads"], [("axis", .int(0))]),
            B.node("Cast", ["pads"], ["padsI"], [("to", .int(7))]),
            B.node("Pad", ["x", "padsI", ""], ["xp"], [("mode", .string("constant"))]),
            B.node("Conv", ["xp", "w"], ["c"], name: "conv", [("kernel_shape", .ints([3, 3])), ("strides", .ints([2, 2])), ("pads", .ints([0, 0, 0, 0]))]),
            B.node("Clip", ["c", "zeroF", "sixF"], ["a"]),
        ]
        let padInits = [i64("two", [2], dims: []), i64("one", [1], dims: []), i64("twoS", [2], dims: []), i64("three", [3], dims: []),
                        i64("zeroS", [0], dims: []), i64("axis0", [0]), i64("zeros2", [0, 0]), scalar("zeroF", 0), scalar("sixF", 6),
                        B.tensor("w", [8, 3, 3, 3], w)]
        let dynamic = try load(B.model(nodes: padNodes + h.nodes, initializers: padInits + h.inits, inputDims: [-1, 3, 8, 8], output: "logits"))
        let same = try load(B.model(
            nodes: [B.node("Conv", ["x", "w"], ["c"], name: "conv", [("kernel_shape", .ints([3, 3])), ("strides", .ints([2, 2])), ("auto_pad", .string("SAME_UPPER"))]),
                    B.node("Clip", ["c", "zeroF", "sixF"], ["a"])] + h.nodes,
            initializers: [scalar("zeroF", 0), scalar("sixF", 6), B.tensor("w", [8, 3, 3, 3], w)] + h.inits, inputDims: [1, 3, 8, 8], output: "logits"))
        for g in [dynamic, same] {
            XCTAssertEqual(g.nodes.map(\.op.kindName), ["conv3x3", "globalavgpool", "linear"])
            guard case .conv(let c) = g.nodes[0].op else { return XCTFail("conv") }
            XCTAssertEqual(c.padding, .tfSame)
            XCTAssertEqual(c.activation, .relu6)
            XCTAssertEqual(g.nodes[0].shape, Shape3(4, 4, 8))
        }
        XCTAssertLessThan(maxDiff(logits(dynamic), logits(same)), 1e-6)
    }

    /// Asymmetric pads that are neither symmetric nor TF-SAME stay explicit and are honoured.
    func testAsymmetricPaddingIsExplicit() throws {
        let r = self
        let w = r.rng.floats(8 * 3 * 9, -0.5, 0.5)
        let h = r.head("c")
        let g = try load(B.model(
            nodes: [B.node("Conv", ["x", "w"], ["c"], name: "conv", [("kernel_shape", .ints([3, 3])), ("pads", .ints([1, 0, 0, 2]))])] + h.nodes,
            initializers: [B.tensor("w", [8, 3, 3, 3], w)] + h.inits, inputDims: [1, 3, 8, 8], output: "logits"))
        guard case .conv(let c) = g.nodes[0].op else { return XCTFail("conv") }
        XCTAssertEqual(c.padding, .explicit(top: 1, left: 0, bottom: 0, right: 2))
        XCTAssertEqual(g.nodes[0].shape, Shape3(7, 8, 8))
        // The conv alone against the plain-loop reference.
        var rng2 = TestRandom(seed: 5)
        let pixels = rng2.bytes(8 * 8 * 3)
        let only = Graph(name: "c", arch: "test", preprocessing: Preprocessing(height: 8, width: 8, channels: 3, mean: [0, 0, 0], std: [1 / 255, 1 / 255, 1 / 255]),
                         nodes: [g.nodes[0]], numClasses: 7 * 8 * 8)
        let got = pixels.withUnsafeBufferPointer { FloatEngine(graph: only).logits(pixels: $0) }
        let want = referenceConv(pixels.map { Float($0) }, Shape3(8, 8, 3), c)
        XCTAssertLessThan(maxDiff(got, want), 1e-3)
    }

    /// A leading Sub/Div normalization folds into the preprocessing (no op is added).
    func testInputNormalizationFoldsIntoPreprocessing() throws {
        let r = self
        let s = r.stem(), h = r.head("y")
        let mean: [Float] = [0.5, 0.4, 0.3], std: [Float] = [0.2, 0.25, 0.3]
        let norm = [B.node("Sub", ["x", "mean"], ["xm"]), B.node("Div", ["xm", "std"], ["xn"])]
        var stemNodes = s.nodes
        stemNodes[0] = B.node("Conv", ["xn", "stem.w", "stem.b"], ["y"], name: "stem", [("kernel_shape", .ints([3, 3])), ("pads", .ints([1, 1, 1, 1]))])
        let withNorm = try load(B.model(nodes: norm + stemNodes + h.nodes,
                                        initializers: [B.tensor("mean", [1, 3, 1, 1], mean), B.tensor("std", [1, 3, 1, 1], std)] + s.inits + h.inits,
                                        inputDims: [1, 3, 8, 8], output: "logits"))
        let plain = try load(B.model(nodes: s.nodes + h.nodes, initializers: s.inits + h.inits, inputDims: [1, 3, 8, 8], output: "logits"),
                             options: ModelOptions(mean: mean, std: std))
        XCTAssertEqual(withNorm.nodes.count, plain.nodes.count)
        for c in 0..<3 {
            XCTAssertEqual(withNorm.preprocessing.mean[c], mean[c], accuracy: 1e-6)
            XCTAssertEqual(withNorm.preprocessing.std[c], std[c], accuracy: 1e-6)
        }
        XCTAssertLessThan(maxDiff(logits(withNorm), logits(plain)), 1e-5)
        XCTAssertTrue(withNorm.notes.joined().contains("folded"))
    }

    /// Unsupported ops, attributes and patterns name the file, the node and what is supported.
    func testUnsupportedInputsAreNamedErrors() throws {
        let r = self
        let s = r.stem(), h = r.head("a")
        func model(_ mid: [PB], _ inits: [PB] = [], dims: [Int] = [1, 3, 8, 8]) -> [UInt8] {
            B.model(nodes: s.nodes + mid + h.nodes, initializers: s.inits + inits + h.inits, inputDims: dims, output: "logits")
        }
        let resize = importError(model([B.node("Resize", ["y"], ["a"], name: "up1")]))
        XCTAssertTrue(resize.contains(".onnx: node up1 (Resize): this op has no int8 equivalent here — supported: "), resize)
        let clip = importError(model([B.node("Clip", ["y", "lo", "hi"], ["a"], name: "clamp")], [scalar("lo", -1), scalar("hi", 1)]))
        XCTAssertTrue(clip.contains("node clamp (Clip): Clip to [-1.0, 1.0] — supported: [0, 6] (ReLU6), [0, ∞) (ReLU)"), clip)
        let dilated = importError(B.model(nodes: [B.node("Conv", ["x", "stem.w"], ["a"], name: "dil", [("dilations", .ints([2, 2]))])] + h.nodes,
                                          initializers: s.inits + h.inits, inputDims: [1, 3, 8, 8], output: "logits"))
        XCTAssertTrue(dilated.contains("node dil (Conv): dilations [2, 2] — supported: 1"), dilated)
        let product = importError(model([B.node("Mul", ["y", "y"], ["a"], name: "sq")]))
        XCTAssertTrue(product.contains("node sq (Mul): the product of two full feature maps"), product)
        let dynamic = importError(model([B.node("Relu", ["y"], ["a"])], dims: [1, 3, -1, -1]))
        XCTAssertTrue(dynamic.contains("input height is dynamic (`n`): pass --input-size"), dynamic)
        XCTAssertNoThrow(try load(model([B.node("Relu", ["y"], ["a"])], dims: [1, 3, -1, -1]), options: ModelOptions(inputSize: 8)))
        let unknown = importError(model([B.node("Relu", ["nothing"], ["a"], name: "r")]))
        XCTAssertTrue(unknown.contains("node r (Relu): input `nothing` is not produced by any earlier node"), unknown)
    }
}
