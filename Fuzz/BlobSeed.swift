/// A small but complete int8 model, written as a `.q8` blob, to seed the blob reader: one op of
/// nearly every type (conv with pad values, depthwise conv, hard-swish, hard-sigmoid, residual add,
/// squeeze-excitation multiply, pools, concat, shuffle, split), with real requantization parameters.
import Export
import QuantCore
import TestSupport

/// The blob of the seed model, or nil if the writer refuses it (reported by the caller).
func seedBlob() throws -> [UInt8] {
    var rng = TestRandom(seed: 8)
    var nodes: [QNode] = []
    let input = QTensorInfo(shape: Shape3(8, 8, 3), zeroPoint: -128, scale: 1.0 / 255)
    func info(_ v: Int) -> QTensorInfo { v == 0 ? input : nodes[v - 1].output }
    func add(_ name: String, _ op: QOp, _ inputs: [Int], _ output: QTensorInfo) -> Int {
        nodes.append(QNode(name: name, op: op, inputs: inputs, output: output))
        return nodes.count
    }
    func activation(_ shape: Shape3) -> QTensorInfo {
        QTensorInfo(shape: shape, zeroPoint: Int32(rng.below(100)) - 80, scale: 0.02 + Double(rng.below(80)) / 1000)
    }
    func conv(_ x: Int, outC: Int, kernel: Int, stride: Int, groups: Int = 1, padValue: Bool = false, name: String) -> Int {
        let i = info(x)
        let pad = (kernel - 1) / 2
        let outH = (i.shape.h + 2 * pad - kernel) / stride + 1, outW = (i.shape.w + 2 * pad - kernel) / stride + 1
        let perChannel = kernel * kernel * (i.shape.c / groups)
        let weights = (0..<(outC * perChannel)).map { _ in Int8(truncatingIfNeeded: rng.below(255) - 127) }
        let bias = (0..<outC).map { _ in Int32(rng.below(6000) - 3000) }
        let m = (0..<outC).map { _ in QuantizedMultiplier(0.016 / Double(perChannel).squareRoot()) }
        let out = activation(Shape3(outH, outW, outC))
        let op = QConv(inChannels: i.shape.c, outChannels: outC, kernelH: kernel, kernelW: kernel, strideH: stride, strideW: stride,
                       padTop: pad, padLeft: pad, groups: groups, weights: weights, bias: bias,
                       multiplier: m.map(\.multiplier), shift: m.map(\.shift), inputZeroPoint: i.zeroPoint,
                       outputZeroPoint: out.zeroPoint, actMin: max(-128, out.zeroPoint), actMax: 127,
                       padValue: padValue ? (0..<i.shape.c).map { _ in Int8(truncatingIfNeeded: rng.below(256) - 128) } : nil)
        return add(name, .conv(op), [x], out)
    }
    func hardSwish(_ x: Int, sigmoid: Bool) -> Int {
        let i = info(x)
        let out = sigmoid ? QTensorInfo(shape: i.shape, zeroPoint: -128, scale: 1.0 / 256) : activation(i.shape)
        let p = QHardSwish.make(isSigmoid: sigmoid, inputScale: i.scale, inputZeroPoint: i.zeroPoint,
                                outputScale: out.scale, outputZeroPoint: out.zeroPoint)
        return add(sigmoid ? "hsigmoid" : "hswish", .hardSwish(p), [x], out)
    }
    let stem = conv(0, outC: 8, kernel: 3, stride: 2, padValue: true, name: "stem")
    let act = hardSwish(stem, sigmoid: false)
    let dw = conv(act, outC: 8, kernel: 3, stride: 1, groups: 8, name: "dw")
    let a = info(act), d = info(dw)
    let sumInfo = activation(a.shape)
    let sum = add("add", .add(QAdd.make(input1Scale: a.scale, input1ZeroPoint: a.zeroPoint, input2Scale: d.scale,
                                        input2ZeroPoint: d.zeroPoint, outputScale: sumInfo.scale, outputZeroPoint: sumInfo.zeroPoint,
                                        actMin: -128, actMax: 127)), [act, dw], sumInfo)
    func globalPool(_ x: Int) -> Int {
        let i = info(x)
        let out = activation(Shape3(1, 1, i.shape.c))
        return add("gap", .globalAvgPool(QRequantize.make(inputScale: i.scale, inputZeroPoint: i.zeroPoint, outputScale: out.scale,
                                                          outputZeroPoint: out.zeroPoint, count: i.shape.h * i.shape.w,
                                                          actMin: -128, actMax: 127)), [x], out)
    }
    let squeezed = conv(globalPool(sum), outC: 8, kernel: 1, stride: 1, name: "se.fc")
    let gate = hardSwish(squeezed, sigmoid: true)
    let s = info(sum), g = info(gate)
    let scaledInfo = activation(s.shape)
    let scaled = add("se.mul", .mul(QMul.make(inputScale: s.scale, inputZeroPoint: s.zeroPoint, gateScale: g.scale, gateZeroPoint: g.zeroPoint,
                                              outputScale: scaledInfo.scale, outputZeroPoint: scaledInfo.zeroPoint,
                                              actMin: -128, actMax: 127)), [sum, gate], scaledInfo)
    let p = info(scaled)
    let unused = QRequantize(inputZeroPoint: p.zeroPoint, multiplier: 0, shift: 0, outputZeroPoint: p.zeroPoint)
    let pooled = add("maxpool", .maxPool(QPool(kernel: 2, stride: 2, padTop: 0, padLeft: 0, requant: unused)), [scaled],
                     QTensorInfo(shape: Shape3(2, 2, 8), zeroPoint: p.zeroPoint, scale: p.scale))
    let both = add("concat", .concat, [pooled, pooled], QTensorInfo(shape: Shape3(2, 2, 16), zeroPoint: p.zeroPoint, scale: p.scale))
    let shuffled = add("shuffle", .shuffle(groups: 2), [both], info(both))
    let half = add("split", .split(start: 0, count: 8), [shuffled], QTensorInfo(shape: Shape3(2, 2, 8), zeroPoint: p.zeroPoint, scale: p.scale))
    _ = conv(globalPool(half), outC: 10, kernel: 1, stride: 1, name: "classifier")
    let last = nodes.count - 1
    if case .conv(var c) = nodes[last].op {   // logits: no ReLU clamp
        c.actMin = -128
        nodes[last].op = .conv(c)
    }
    let model = QModel(name: "fuzz-seed", input: input, nodes: nodes, numClasses: 10, metadata: ["source": "Fuzz/BlobSeed.swift"])
    return try writeBlob(model)
}
