import Foundation
import QuantCore

/// Builds small valid `QModel`s with random but realistic integer parameters (multipliers chosen so
/// activations spread over the int8 range rather than saturate), one method per op.
public struct ModelBuilder {
    public var rng: TestRandom
    public var input: QTensorInfo
    public var nodes: [QNode] = []

    public init(seed: UInt64, input shape: Shape3) {
        rng = TestRandom(seed: seed)
        input = QTensorInfo(shape: shape, zeroPoint: -128, scale: 1.0 / 255)
    }

    public func info(_ v: Int) -> QTensorInfo { v == 0 ? input : nodes[v - 1].output }

    /// Appends a node and returns its value id.
    public mutating func add(_ name: String, _ op: QOp, _ inputs: [Int], _ output: QTensorInfo) -> Int {
        nodes.append(QNode(name: name, op: op, inputs: inputs, output: output))
        return nodes.count
    }

    /// A fresh activation quantization: random zero point and scale.
    public mutating func activation(_ shape: Shape3) -> QTensorInfo {
        QTensorInfo(shape: shape, zeroPoint: Int32(rng.int(-110...40)), scale: rng.double(0.02...0.1))
    }

    /// Output size of a window along one dimension with symmetric padding `pad`.
    public static func windowOut(_ size: Int, kernel: Int, stride: Int, pad: Int) -> Int { (size + 2 * pad - kernel) / stride + 1 }

    /// A convolution with symmetric padding `pad` (default (k − 1) / 2), or with `tfSame`
    /// TensorFlow-SAME padding (output ⌈in / stride⌉, the extra padding at the bottom/right).
    public mutating func conv(_ x: Int, outC: Int, kernel: Int = 1, stride: Int = 1, pad: Int? = nil, tfSame: Bool = false,
                       groups: Int = 1, padValue: Bool = false, relu: Bool = true, weightBits: Int = 8, name: String = "conv") -> Int {
        let inInfo = info(x)
        let inC = inInfo.shape.c
        var p = pad ?? (kernel - 1) / 2
        var outShape = Shape3(Self.windowOut(inInfo.shape.h, kernel: kernel, stride: stride, pad: p),
                              Self.windowOut(inInfo.shape.w, kernel: kernel, stride: stride, pad: p), outC)
        if tfSame {
            let outH = (inInfo.shape.h + stride - 1) / stride, outW = (inInfo.shape.w + stride - 1) / stride
            p = max((outH - 1) * stride + kernel - inInfo.shape.h, 0) / 2
            outShape = Shape3(outH, outW, outC)
        }
        let perChannel = kernel * kernel * (inC / groups)
        let weights = (0..<(outC * perChannel)).map { _ in Int8(weightBits == 4 ? rng.int(-8...7) : rng.int(-127...127)) }
        let bias = (0..<outC).map { _ in Int32(rng.int(-3000...3000)) }
        let out = activation(outShape)
        // Weight scales that give multipliers around 0.016 / √taps (outputs that use the int8 range),
        // 16 times that for int4 weights (16 times smaller values).
        let weightScales = (0..<outC).map { _ in
            Float(rng.double(0.7...1.4) * (weightBits == 4 ? 16 : 1) * 0.016 / Double(perChannel).squareRoot() * out.scale / inInfo.scale)
        }
        let ms = QConv.multipliers(inputScale: inInfo.scale32, weightScales: weightScales, outputScale: out.scale32)
        let conv = QConv(inChannels: inC, outChannels: outC, kernelH: kernel, kernelW: kernel, strideH: stride, strideW: stride,
                         padTop: p, padLeft: p, groups: groups, weights: weights, bias: bias, multiplier: ms.map(\.multiplier), shift: ms.map(\.shift),
                         inputZeroPoint: inInfo.zeroPoint, outputZeroPoint: out.zeroPoint,
                         actMin: relu ? max(-128, out.zeroPoint) : -128, actMax: 127,
                         padValue: padValue ? (0..<inC).map { _ in Int8(rng.int(-128...127)) } : nil, weightScales: weightScales,
                         weightBits: weightBits)
        return add(name, .conv(conv), [x], out)
    }

    public mutating func residual(_ a: Int, _ b: Int) -> Int {
        let ia = info(a), ib = info(b)
        let out = activation(ia.shape)
        let p = QAdd.make(input1Scale: ia.scale32, input1ZeroPoint: ia.zeroPoint, input2Scale: ib.scale32, input2ZeroPoint: ib.zeroPoint,
                          outputScale: out.scale32, outputZeroPoint: out.zeroPoint, actMin: -128, actMax: 127)
        return add("add", .add(p), [a, b], out)
    }

    public mutating func mul(_ x: Int, gate: Int) -> Int {
        let ix = info(x), ig = info(gate)
        let out = activation(ix.shape)
        let p = QMul.make(inputScale: ix.scale32, inputZeroPoint: ix.zeroPoint, gateScale: ig.scale32, gateZeroPoint: ig.zeroPoint,
                          outputScale: out.scale32, outputZeroPoint: out.zeroPoint, actMin: -128, actMax: 127)
        return add("mul", .mul(p), [x, gate], out)
    }

    /// Hard-swish, or hard-sigmoid (a 1×1 depthwise conv onto the fixed grid 1/256, −128).
    public mutating func hardSwish(_ x: Int, sigmoid: Bool = false) -> Int {
        let ix = info(x)
        if sigmoid {
            let out = QTensorInfo(shape: ix.shape, zeroPoint: QConv.hardSigmoidOutput.zeroPoint, scale: QConv.hardSigmoidOutput.scale)
            return add("hsigmoid", .conv(QConv.hardSigmoid(channels: ix.shape.c, inputScale: ix.scale32, inputZeroPoint: ix.zeroPoint)), [x], out)
        }
        let out = activation(ix.shape)
        let p = QHardSwish.make(inputScale: ix.scale32, inputZeroPoint: ix.zeroPoint, outputScale: out.scale32, outputZeroPoint: out.zeroPoint)!
        return add("hswish", .hardSwish(p), [x], out)
    }

    /// Element-wise requantization into `output` (default: a fresh quantization), ReLU clamp.
    public mutating func requantize(_ x: Int, output: QTensorInfo? = nil) -> Int {
        let ix = info(x)
        let out = output ?? activation(ix.shape)
        let p = QRequantize.relu(.relu, inputScale: ix.scale32, inputZeroPoint: ix.zeroPoint, outputScale: out.scale32,
                                 outputZeroPoint: out.zeroPoint)
        return add("relu", .requantize(p), [x], out)
    }

    public mutating func concat(_ xs: [Int]) -> Int {
        let first = info(xs[0])
        let c = xs.reduce(0) { $0 + info($1).shape.c }
        return add("concat", .concat, xs, QTensorInfo(shape: Shape3(first.shape.h, first.shape.w, c), zeroPoint: first.zeroPoint, scale: first.scale))
    }

    public mutating func split(_ x: Int, start: Int, count: Int) -> Int {
        let ix = info(x)
        return add("split", .split(start: start, count: count), [x],
                   QTensorInfo(shape: Shape3(ix.shape.h, ix.shape.w, count), zeroPoint: ix.zeroPoint, scale: ix.scale))
    }

    public mutating func shuffle(_ x: Int, groups: Int) -> Int { add("shuffle", .shuffle(groups: groups), [x], info(x)) }

    public mutating func maxPool(_ x: Int, kernel: Int, stride: Int, pad: Int) -> Int {
        let ix = info(x)
        let shape = Shape3(Self.windowOut(ix.shape.h, kernel: kernel, stride: stride, pad: pad),
                           Self.windowOut(ix.shape.w, kernel: kernel, stride: stride, pad: pad), ix.shape.c)
        let unused = QRequantize(inputZeroPoint: ix.zeroPoint, multiplier: 0, shift: 0, outputZeroPoint: ix.zeroPoint)
        return add("maxpool", .maxPool(QPool(kernel: kernel, stride: stride, padTop: pad, padLeft: pad, requant: unused)), [x],
                   QTensorInfo(shape: shape, zeroPoint: ix.zeroPoint, scale: ix.scale))
    }

    /// Average pooling into `quantization` (default: the input's), counting padding.
    public mutating func avgPool(_ x: Int, kernel: Int, stride: Int, pad: Int, quantization: QTensorInfo? = nil) -> Int {
        let ix = info(x)
        let q = quantization ?? ix
        let shape = Shape3(Self.windowOut(ix.shape.h, kernel: kernel, stride: stride, pad: pad),
                           Self.windowOut(ix.shape.w, kernel: kernel, stride: stride, pad: pad), ix.shape.c)
        let r = QRequantize.averagePool(kernel: kernel, inputScale: ix.scale32, inputZeroPoint: ix.zeroPoint, outputScale: q.scale32,
                                        outputZeroPoint: q.zeroPoint)
        return add("avgpool", .avgPool(QPool(kernel: kernel, stride: stride, padTop: pad, padLeft: pad, requant: r)), [x],
                   QTensorInfo(shape: shape, zeroPoint: q.zeroPoint, scale: q.scale))
    }

    public mutating func globalAvgPool(_ x: Int) -> Int {
        let ix = info(x)
        let out = activation(Shape3(1, 1, ix.shape.c))
        let r = QRequantize.mean(inputScale: ix.scale32, inputZeroPoint: ix.zeroPoint, outputScale: out.scale32,
                                 outputZeroPoint: out.zeroPoint, count: ix.shape.h * ix.shape.w)
        return add("gap", .globalAvgPool(r), [x], out)
    }

    public func model(_ name: String) -> QModel {
        var m = QModel(name: name, input: input, nodes: nodes, numClasses: nodes.last?.output.shape.count ?? 0,
                       metadata: ["arch": "test", "builder": "ExportTests.ModelBuilder"])
        for i in m.nodes.indices { m.nodes[i].name = "\(i).\(m.nodes[i].name)" }
        return m
    }
}

public enum TestModels {
    /// A model of every op that runs on row bands (the schedule tests): a stem with pad values,
    /// stride-2 windows with TensorFlow-SAME (bottom-heavy) padding, pools, hard-swish, requantize,
    /// a residual add over a stage's values, depthwise 5×5 — then global pooling and a classifier.
    public static func bandOps(seed: UInt64, input: Shape3) -> QModel {
        var b = ModelBuilder(seed: seed, input: input)
        let stem = b.conv(0, outC: 8, kernel: 3, stride: 2, tfSame: true, padValue: true, name: "stem")
        let hs = b.hardSwish(stem)
        let pooled = b.maxPool(hs, kernel: 3, stride: 1, pad: 1)
        let dw = b.conv(pooled, outC: 8, kernel: 5, groups: 8, name: "dw5")
        let pw = b.conv(dw, outC: 8, relu: false, name: "pw")
        let sum = b.residual(pw, pooled)
        let avg = b.avgPool(sum, kernel: 3, stride: 2, pad: 1)
        let relu = b.requantize(avg)
        let dw3 = b.conv(relu, outC: 8, kernel: 3, stride: 2, tfSame: true, groups: 8, name: "dw3s2")
        let expand = b.conv(dw3, outC: 16, name: "expand")
        let gap = b.globalAvgPool(expand)
        _ = b.conv(gap, outC: 10, relu: false, name: "classifier")
        return b.model("band-ops-\(seed)")
    }

    /// A small model that uses every op and every variant the runtime distinguishes: stem conv
    /// with pad values, hard-swish, depthwise 3×3 s2 and 5×5, SE block (GAP → FC → hard-sigmoid →
    /// mul), grouped 1×1, residual add, shuffle, split, requantize, concat, max and average
    /// pooling, a strided general conv without padding, GAP and the classifier. With `int4`, the
    /// depthwise 3×3, the first SE layer (1×1), the 2×2 general and the grouped 3×3 convs have int4
    /// weights (−8…7, `weightBits` 4); without, every weight is int8.
    public static func everyOp(seed: UInt64, size: Int = 16, int4: Bool = false) -> QModel {
        var b = ModelBuilder(seed: seed, input: Shape3(size, size, 3))
        let bits = int4 ? 4 : 8
        let stem = b.conv(0, outC: 8, kernel: 3, padValue: true, name: "stem")
        let hs = b.hardSwish(stem)
        let dw = b.conv(hs, outC: 8, kernel: 3, stride: 2, groups: 8, weightBits: bits, name: "dw3s2")
        let dw5 = b.conv(dw, outC: 8, kernel: 5, stride: 2, tfSame: true, groups: 8, relu: false, name: "dw5s2.same")
        let squeeze = b.globalAvgPool(dw5)
        let fc1 = b.conv(squeeze, outC: 4, weightBits: bits, name: "se.fc1")
        let fc2 = b.conv(fc1, outC: 8, relu: false, name: "se.fc2")
        let gate = b.hardSwish(fc2, sigmoid: true)
        let scaled = b.mul(dw5, gate: gate)
        let grouped = b.conv(scaled, outC: 8, groups: 2, relu: false, name: "pw.g2")
        let sum = b.residual(grouped, dw5)
        let shuffled = b.shuffle(sum, groups: 2)
        let left = b.split(shuffled, start: 0, count: 4)
        let right = b.split(shuffled, start: 4, count: 4)
        let relu = b.requantize(right, output: b.info(left))
        let joined = b.concat([left, relu])
        let maxPooled = b.maxPool(joined, kernel: 3, stride: 2, pad: 1)
        let avgPooled = b.avgPool(joined, kernel: 3, stride: 2, pad: 1)
        let both = b.concat([maxPooled, avgPooled])
        let general = b.conv(both, outC: 12, kernel: 2, stride: 1, pad: 0, weightBits: bits, name: "conv2x2")
        let grouped3 = b.conv(general, outC: 6, kernel: 3, stride: 2, pad: 1, groups: 3, weightBits: bits, name: "conv3x3.g3")
        let pooled = b.globalAvgPool(grouped3)
        _ = b.conv(pooled, outC: 10, relu: false, name: "classifier")
        return b.model("every-op-\(seed)")
    }

    /// MobileNetV2-shaped model (CIFAR layout: stem stride 1, inverted residuals from the paper's
    /// table, channel widths × `width`) with random parameters.
    public static func mobileNetV2Like(seed: UInt64, width: Double = 1.0, size: Int = 32) -> QModel {
        func ch(_ c: Int) -> Int { max(8, Int((Double(c) * width / 8).rounded()) * 8) }
        var b = ModelBuilder(seed: seed, input: Shape3(size, size, 3))
        var x = b.conv(0, outC: ch(32), kernel: 3, padValue: true, name: "stem")
        var inC = ch(32)
        let table: [(t: Int, c: Int, n: Int, s: Int)] = [(1, 16, 1, 1), (6, 24, 2, 1), (6, 32, 3, 2), (6, 64, 4, 2),
                                                         (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
        for row in table {
            for i in 0..<row.n {
                let stride = i == 0 ? row.s : 1
                let outC = ch(row.c)
                var h = x
                if row.t != 1 { h = b.conv(h, outC: inC * row.t, name: "expand") }
                h = b.conv(h, outC: b.info(h).shape.c, kernel: 3, stride: stride, groups: b.info(h).shape.c, name: "dw")
                h = b.conv(h, outC: outC, relu: false, name: "project")
                x = stride == 1 && inC == outC ? b.residual(h, x) : h
                inC = outC
            }
        }
        x = b.conv(x, outC: max(1280, ch(1280)), name: "last")
        x = b.globalAvgPool(x)
        _ = b.conv(x, outC: 10, relu: false, name: "classifier")
        return b.model("mobilenet_v2-like-\(seed)")
    }

    /// ShuffleNetV2-shaped model (CIFAR layout: stem 3×3 24, max-pool s2, stages 4/8/4 with
    /// 116/232/464 channels × `width`, split/concat/shuffle units) with random parameters.
    public static func shuffleNetV2Like(seed: UInt64, width: Double = 1.0, size: Int = 32) -> QModel {
        func ch(_ c: Int) -> Int { max(4, Int((Double(c) * width / 4).rounded()) * 4) }
        var b = ModelBuilder(seed: seed, input: Shape3(size, size, 3))
        var x = b.conv(0, outC: 24, kernel: 3, padValue: true, name: "conv1")
        x = b.maxPool(x, kernel: 3, stride: 2, pad: 1)
        for (units, c) in [(4, ch(116)), (8, ch(232)), (4, ch(464))] {
            let half = c / 2
            for u in 0..<units {
                let inC = b.info(x).shape.c
                if u == 0 {
                    var l = b.conv(x, outC: inC, kernel: 3, stride: 2, groups: inC, relu: false, name: "branch1.dw")
                    l = b.conv(l, outC: half, name: "branch1.pw")
                    var r = b.conv(x, outC: half, name: "branch2.pw1")
                    r = b.conv(r, outC: half, kernel: 3, stride: 2, groups: half, relu: false, name: "branch2.dw")
                    r = b.conv(r, outC: half, name: "branch2.pw2")
                    let rq = b.requantize(r, output: b.info(l))
                    let joined = b.concat([l, rq])
                    x = b.shuffle(joined, groups: 2)
                } else {
                    let l = b.split(x, start: 0, count: half)
                    var r = b.split(x, start: half, count: half)
                    r = b.conv(r, outC: half, name: "branch2.pw1")
                    r = b.conv(r, outC: half, kernel: 3, groups: half, relu: false, name: "branch2.dw")
                    r = b.conv(r, outC: half, name: "branch2.pw2")
                    let rq = b.requantize(r, output: b.info(l))
                    let joined = b.concat([l, rq])
                    x = b.shuffle(joined, groups: 2)
                }
            }
        }
        x = b.conv(x, outC: 1024, name: "conv5")
        x = b.globalAvgPool(x)
        _ = b.conv(x, outC: 10, relu: false, name: "fc")
        return b.model("shufflenet_v2-like-\(seed)")
    }

    /// Random raw uint8 HWC images for `model` (`count` of them, flat): each image has its own
    /// per-channel brightness and noise level, so even values averaged over the whole image (after
    /// global pooling) differ from image to image.
    public static func images(for model: QModel, count: Int, seed: UInt64) -> [UInt8] {
        var rng = TestRandom(seed: seed)
        let shape = model.input.shape
        var result: [UInt8] = []
        result.reserveCapacity(shape.count * count)
        for _ in 0..<count {
            let means = (0..<shape.c).map { _ in rng.int(0...255) }
            let noise = rng.int(0...128)
            for _ in 0..<(shape.h * shape.w) {
                for c in 0..<shape.c { result.append(UInt8(clamping: means[c] + rng.int(-noise...noise))) }
            }
        }
        return result
    }
}
