import Foundation
import IntEngine
import QuantCore

/// Times the int8 engine on shape-exact synthetic replicas of MobileNetV3-Small and MobileNetV2
/// (CIFAR-10, 32×32, stem stride 1) and EfficientNet-Lite0 (224×224), with random weights (the
/// kernels' speed does not depend on the values). Prints, per model: single-thread latency (best
/// and median of many runs), throughput on both cores, the time per op kind and the slowest ops
/// and each depthwise layer (per-op times are the best over the runs, measured between consecutive
/// `visit` calls).
/// Build with `-c release` for meaningful numbers.
public func benchIntKernels() {
    for (model, runs) in [(syntheticMobileNetV3Small(), 400), (syntheticMobileNetV2(), 300), (syntheticEfficientNetLite0(), 20)] {
        let engine: IntEngine
        do { engine = try IntEngine(model: model) } catch { print("bench: \(error)"); continue }
        let input = [Int8](repeating: 3, count: model.input.shape.count)
        for _ in 0..<max(3, runs / 20) { _ = engine.run(input: input) }
        var times: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = engine.run(input: input)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        times.sort()
        let macs = model.nodes.reduce(0) { $0 + convMACs($1) }
        print(String(format: "%@: %.1f MMAC, 1 thread: best %.3f ms, median %.3f ms (%.1f GMAC/s at the median)",
                     model.name, Double(macs) / 1e6, times[0], times[times.count / 2], Double(macs) / times[times.count / 2] / 1e6))

        let count = max(8, runs / 2)
        let images = [UInt8](repeating: 100, count: count * model.input.shape.count)
        let start = DispatchTime.now().uptimeNanoseconds
        _ = engine.logits(images: images, count: count, threads: 2)
        print(String(format: "  2 threads: %.1f images/s", Double(count) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)))

        var best = [Double](repeating: .infinity, count: model.nodes.count + 1)
        for _ in 0..<max(3, runs / 4) {
            var last = DispatchTime.now().uptimeNanoseconds
            _ = engine.run(input: input) { v, _ in
                let now = DispatchTime.now().uptimeNanoseconds
                if v > 0 { best[v] = min(best[v], Double(now - last) / 1e3) }
                last = DispatchTime.now().uptimeNanoseconds
            }
        }
        var perKind: [String: (us: Double, macs: Int)] = [:]
        for (i, node) in model.nodes.enumerated() {
            let kind = opKind(node, model)
            perKind[kind, default: (0, 0)].us += best[i + 1]
            perKind[kind, default: (0, 0)].macs += convMACs(node)
        }
        print(String(format: "  per op kind (sum of per-op best times: %.1f µs):", best.dropFirst().reduce(0, +)))
        for (kind, entry) in perKind.sorted(by: { $0.value.us > $1.value.us }) {
            let rate = entry.macs > 0 ? String(format: ", %.1f GMAC/s", Double(entry.macs) / entry.us / 1e3) : ""
            print(String(format: "    %@ %8.1f µs%@", pad(kind, 24), entry.us, rate))
        }
        print("  slowest ops:")
        for i in model.nodes.indices.sorted(by: { best[$0 + 1] > best[$1 + 1] }).prefix(6) {
            let node = model.nodes[i]
            print(String(format: "    %3d %@ %@ → %@ %8.1f µs", i, pad(opKind(node, model), 24), "\(model.info(node.inputs[0]).shape)",
                         "\(node.output.shape)", best[i + 1]))
        }
        print("  depthwise layers:")
        for (i, node) in model.nodes.enumerated() where opKind(node, model).hasPrefix("depthwise") {
            print(String(format: "    %3d %@ %@ → %@ %8.2f µs, %5.1f GMAC/s", i, pad(opKind(node, model), 24),
                         "\(model.info(node.inputs[0]).shape)", "\(node.output.shape)", best[i + 1],
                         Double(convMACs(node)) / best[i + 1] / 1e3))
        }
    }
}

/// `text` padded with spaces to `width` characters.
private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

/// Multiply-accumulates of a convolution node (0 for other ops).
private func convMACs(_ node: QNode) -> Int {
    guard case .conv(let p) = node.op else { return 0 }
    let o = node.output.shape
    return o.h * o.w * o.c * p.kernelH * p.kernelW * (p.inChannels / p.groups)
}

/// A short label for an op and its kernel variant.
private func opKind(_ node: QNode, _ model: QModel) -> String {
    let inShape = model.info(node.inputs[0]).shape
    switch node.op {
    case .conv(let p):
        if p.kernelH == 1 && inShape.h == 1 && inShape.w == 1 { return "fully connected" }
        if p.kernelH == 1 && p.strideH == 1 { return p.groups == 1 ? "pointwise" : "grouped pointwise" }
        if p.groups == p.inChannels && p.groups == p.outChannels { return "depthwise \(p.kernelH)x\(p.kernelW) s\(p.strideH)" }
        return "conv \(p.kernelH)x\(p.kernelW) s\(p.strideH) (stem)"
    case .add: return "add"
    case .mul: return "mul (SE)"
    case .hardSwish: return "hard-swish"
    case .requantize: return "requantize"
    case .lookup: return "lookup table"
    case .concat, .split, .shuffle: return "concat/split/shuffle"
    case .maxPool: return "max pool"
    case .avgPool: return "avg pool"
    case .globalAvgPool: return "global avg pool"
    }
}

// MARK: - Synthetic models (shapes of the real architectures, random int8 parameters)

/// Builds a QModel node by node with plausible random parameters.
private struct SyntheticBuilder {
    var nodes: [QNode] = []
    var shapes: [Shape3]
    var state: UInt64 = 0x1234_5678

    init(input: Shape3) { shapes = [input] }

    mutating func random(_ range: ClosedRange<Int>) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return range.lowerBound + Int((state >> 33) % UInt64(range.count))
    }

    mutating func append(_ name: String, _ op: QOp, _ inputs: [Int], _ shape: Shape3, zeroPoint: Int32 = -20) -> Int {
        nodes.append(QNode(name: name, op: op, inputs: inputs, output: QTensorInfo(shape: shape, zeroPoint: zeroPoint, scale: 0.05)))
        shapes.append(shape)
        return nodes.count
    }

    /// Convolution with TF-SAME (`same`) or symmetric padding and a ReLU-like clamp (`relu`).
    mutating func conv(_ v: Int, _ outC: Int, k: Int = 1, stride: Int = 1, depthwise: Bool = false, same: Bool = false,
                       relu: Bool = true) -> Int {
        let s = shapes[v]
        let groups = depthwise ? s.c : 1
        let outH = (s.h + stride - 1) / stride, outW = (s.w + stride - 1) / stride
        let padTop = same ? max((outH - 1) * stride + k - s.h, 0) / 2 : (k - 1) / 2
        let padLeft = same ? max((outW - 1) * stride + k - s.w, 0) / 2 : (k - 1) / 2
        let perChannel = k * k * (s.c / groups)
        var weights = [Int8](repeating: 0, count: outC * perChannel)
        for i in weights.indices { weights[i] = Int8(random(-127...127)) }
        let bias = (0..<outC).map { _ in Int32(random(-2000...2000)) }
        let p = QConv(inChannels: s.c, outChannels: outC, kernelH: k, kernelW: k, strideH: stride, strideW: stride,
                      padTop: padTop, padLeft: padLeft, groups: groups, weights: weights, bias: bias,
                      multiplier: [Int32](repeating: 1_518_500_250, count: outC), shift: [Int32](repeating: -12, count: outC),
                      inputZeroPoint: v == 0 ? -128 : -20, outputZeroPoint: -20, actMin: relu ? -20 : -128, actMax: 127)
        return append("conv", .conv(p), [v], Shape3(outH, outW, outC))
    }

    mutating func hardSwish(_ v: Int, sigmoid: Bool = false) -> Int {
        if sigmoid {
            return append("hardsigmoid", .conv(QConv.hardSigmoid(channels: shapes[v].c, inputScale: 0.05, inputZeroPoint: -20)),
                          [v], shapes[v], zeroPoint: -128)
        }
        let p = QHardSwish.make(inputScale: 0.05, inputZeroPoint: -20, outputScale: 0.05, outputZeroPoint: -20)!
        return append("hardswish", .hardSwish(p), [v], shapes[v], zeroPoint: -20)
    }

    mutating func add(_ a: Int, _ b: Int) -> Int {
        let p = QAdd.make(input1Scale: 0.05, input1ZeroPoint: -20, input2Scale: 0.04, input2ZeroPoint: -20,
                          outputScale: 0.06, outputZeroPoint: -20, actMin: -128, actMax: 127)
        return append("add", .add(p), [a, b], shapes[a])
    }

    mutating func globalPool(_ v: Int) -> Int {
        let s = shapes[v]
        let p = QRequantize.mean(inputScale: 0.05, inputZeroPoint: -20, outputScale: 0.05, outputZeroPoint: -20, count: s.h * s.w)
        return append("gap", .globalAvgPool(p), [v], Shape3(1, 1, s.c))
    }

    /// Squeeze-excitation: pool → FC + ReLU → FC → hard-sigmoid → channel multiply.
    mutating func squeezeExcite(_ v: Int, squeeze: Int) -> Int {
        let pooled = globalPool(v)
        let fc1 = conv(pooled, squeeze)
        let fc2 = conv(fc1, shapes[v].c, relu: false)
        let gate = hardSwish(fc2, sigmoid: true)
        let p = QMul.make(inputScale: 0.05, inputZeroPoint: -20, gateScale: 1.0 / 256, gateZeroPoint: -128,
                          outputScale: 0.05, outputZeroPoint: -20, actMin: -128, actMax: 127)
        return append("se", .mul(p), [v, gate], shapes[v])
    }

    func model(_ name: String, classes: Int) -> QModel {
        QModel(name: name, input: QTensorInfo(shape: shapes[0], zeroPoint: -128, scale: 1.0 / 255), nodes: nodes, numClasses: classes)
    }
}

private func makeDivisible(_ v: Int) -> Int { max(8, (v + 4) / 8 * 8) }

/// The fixed model of `bench speed`'s vector probe: 32×32×32 → 1×1 conv to 64 → depthwise 3×3 →
/// 1×1 conv to 32 (4.8 MMACs, the int8 engine's AVX-512 kernels), random but fixed parameters.
func speedProbeModel() -> QModel {
    var b = SyntheticBuilder(input: Shape3(32, 32, 32))
    var x = b.conv(0, 64)
    x = b.conv(x, 64, k: 3, depthwise: true)
    _ = b.conv(x, 32, relu: false)
    return b.model("speed probe (synthetic)", classes: 32 * 32 * 32)
}

/// MobileNetV2 1.0 on 32×32 CIFAR-10 (stem stride 1).
private func syntheticMobileNetV2() -> QModel {
    var b = SyntheticBuilder(input: Shape3(32, 32, 3))
    var x = b.conv(0, 32, k: 3)
    var channels = 32
    for (t, c, n, s) in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)] {
        for i in 0..<n {
            let stride = i == 0 ? s : 1
            var y = x
            if t != 1 { y = b.conv(y, channels * t) }
            y = b.conv(y, channels * t, k: 3, stride: stride, depthwise: true)
            y = b.conv(y, c, relu: false)
            x = stride == 1 && channels == c ? b.add(x, y) : y
            channels = c
        }
    }
    x = b.conv(x, 1280)
    x = b.globalPool(x)
    _ = b.conv(x, 10, relu: false)
    return b.model("mobilenet_v2-cifar10 (synthetic)", classes: 10)
}

/// MobileNetV3-Small on 32×32 CIFAR-10 (stem stride 1).
private func syntheticMobileNetV3Small() -> QModel {
    var b = SyntheticBuilder(input: Shape3(32, 32, 3))
    var x = b.hardSwish(b.conv(0, 16, k: 3, relu: false))
    var channels = 16
    let blocks: [(k: Int, exp: Int, out: Int, se: Bool, hs: Bool, s: Int)] = [
        (3, 16, 16, true, false, 2), (3, 72, 24, false, false, 2), (3, 88, 24, false, false, 1),
        (5, 96, 40, true, true, 2), (5, 240, 40, true, true, 1), (5, 240, 40, true, true, 1),
        (5, 120, 48, true, true, 1), (5, 144, 48, true, true, 1), (5, 288, 96, true, true, 2),
        (5, 576, 96, true, true, 1), (5, 576, 96, true, true, 1),
    ]
    for blk in blocks {
        var y = x
        if blk.exp != channels { y = b.conv(y, blk.exp, relu: !blk.hs); if blk.hs { y = b.hardSwish(y) } }
        y = b.conv(y, blk.exp, k: blk.k, stride: blk.s, depthwise: true, relu: !blk.hs)
        if blk.hs { y = b.hardSwish(y) }
        if blk.se { y = b.squeezeExcite(y, squeeze: makeDivisible(blk.exp / 4)) }
        y = b.conv(y, blk.out, relu: false)
        x = blk.s == 1 && channels == blk.out ? b.add(x, y) : y
        channels = blk.out
    }
    x = b.hardSwish(b.conv(x, 576, relu: false))
    x = b.globalPool(x)
    x = b.hardSwish(b.conv(x, 1024, relu: false))
    _ = b.conv(x, 10, relu: false)
    return b.model("mobilenet_v3_small-cifar10 (synthetic)", classes: 10)
}

/// EfficientNet-Lite0 on 224×224 ImageNet (TF-SAME padding everywhere).
private func syntheticEfficientNetLite0() -> QModel {
    var b = SyntheticBuilder(input: Shape3(224, 224, 3))
    var x = b.conv(0, 32, k: 3, stride: 2, same: true)
    var channels = 32
    // (kernel, stride, expansion, output channels, repeats); the input channels follow.
    for (k, s, e, cout, n) in [(3, 1, 1, 16, 1), (3, 2, 6, 24, 2), (5, 2, 6, 40, 2), (3, 2, 6, 80, 3),
                               (5, 1, 6, 112, 3), (5, 2, 6, 192, 4), (3, 1, 6, 320, 1)] {
        for i in 0..<n {
            let stride = i == 0 ? s : 1
            var y = x
            if e != 1 { y = b.conv(y, channels * e, same: true) }
            y = b.conv(y, channels * e, k: k, stride: stride, depthwise: true, same: true)
            y = b.conv(y, cout, same: true, relu: false)
            x = stride == 1 && channels == cout ? b.add(x, y) : y
            channels = cout
        }
    }
    x = b.conv(x, 1280, same: true)
    x = b.globalPool(x)
    _ = b.conv(x, 1000, relu: false)
    return b.model("efficientnet_lite0-imagenet (synthetic)", classes: 1000)
}
