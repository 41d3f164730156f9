/// `.tflite` import: an int8 per-channel model from the TFLite converter becomes a `QModel`, with
/// every multiplier derived from the file's float32 scales exactly as TFLite Micro's Prepare
/// derives it (QuantCore's `OpParams.swift`), so our engines give TFLM's logits.
///
/// | TFLite | QModel |
/// |---|---|
/// | CONV_2D (per-channel int8 weights, zero point 0; groups when the filter has fewer input channels) | `conv` |
/// | DEPTHWISE_CONV_2D (multiplier 1) | `conv` with groups = channels |
/// | FULLY_CONNECTED on a 1×1×K input | 1×1 `conv` |
/// | PAD (zero point) before a convolution | the convolution's padding |
/// | ADD, MUL (a 1×1×C gate, or two 1×1×C vectors), HARD_SWISH | `add`, `mul`, `hardSwish` |
/// | MEAN over H and W | `globalAvgPool` (TFLM's MEAN multiplier) |
/// | RELU, RELU6, RELU_0_TO_1 | `requantize` with TFLite's clamp |
///
/// The model keeps the file's input quantization (the converter's scale and zero point over the
/// normalized image): `QModel.input` carries them and `metadata["input"]` says so. Anything else —
/// another op, float or int16 tensors, per-tensor or asymmetric weights, dilation, a graph that is
/// not one chain of values ending in the output — is an error naming the operator.
import Foundation
import QuantCore

/// `metadata["input"]` of an imported model: its input is the file's int8 tensor, not pixel − 128.
public let importedInputMetadata = "tflite-quantized"

/// Reads `path` and imports it (see `importTFLite(_:path:name:)`).
public func loadTFLiteModel(_ path: String) throws -> QModel {
    let name = URL(fileURLWithPath: path).deletingPathExtension().deletingPathExtension().lastPathComponent
    return try importTFLite(try loadTFLite(path), path: path, name: name)
}

/// The first subgraph of `file` as a QModel named `name`; errors name `path` and the operator.
public func importTFLite(_ file: TFLiteModel, path: String, name: String) throws -> QModel {
    var im = TFLiteImporter(file: file, path: path)
    return try im.run(name: name)
}

struct TFLiteImporter {
    let file: TFLiteModel
    let path: String
    var g: TFLiteSubGraph { file.subgraphs[0] }
    /// Tensor index → value id.
    var value: [Int32: Int] = [:]
    var infos: [QTensorInfo] = []
    var nodes: [QNode] = []
    /// PAD outputs waiting for their convolution: tensor → (input tensor, top, bottom, left, right).
    var pendingPads: [Int32: (input: Int32, top: Int, bottom: Int, left: Int, right: Int)] = [:]

    init(file: TFLiteModel, path: String) { self.file = file; self.path = path }

    func fail(_ what: String) -> ToolkitError { ToolkitError(path, what) }

    func tensor(_ i: Int32, _ where_: String) throws -> TFLiteTensor {
        guard i >= 0, Int(i) < g.tensors.count else { throw fail("\(where_): tensor index \(i) is outside the subgraph's \(g.tensors.count) tensors") }
        return g.tensors[Int(i)]
    }

    /// The constant data of tensor `i` (checked against its shape and type).
    func data(_ t: TFLiteTensor, _ where_: String) throws -> ArraySlice<UInt8> {
        guard Int(t.buffer) < file.buffers.count, t.buffer != 0, !file.buffers[Int(t.buffer)].isEmpty else {
            throw fail("\(where_): tensor `\(t.name)` must be a constant with data")
        }
        let bytes = file.buffers[Int(t.buffer)]
        guard let size = t.type.byteSize, let n = elementCount(t.shape), n * size == bytes.count else {
            throw fail("\(where_): tensor `\(t.name)` holds \(bytes.count) bytes, not its \(t.shape) \(t.type) elements")
        }
        return bytes
    }

    func elementCount(_ shape: [Int32]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, o) = n.multipliedReportingOverflow(by: Int(d))
            guard !o, p <= 1 << 31 else { return nil }
            n = p
        }
        return n
    }

    func int32s(_ t: TFLiteTensor, _ where_: String) throws -> [Int32] {
        guard t.type == .int32 else { throw fail("\(where_): tensor `\(t.name)` must be int32, not \(t.type)") }
        let d = try data(t, where_)
        return stride(from: d.startIndex, to: d.endIndex, by: 4).map { i in
            Int32(bitPattern: UInt32(d[i]) | UInt32(d[i + 1]) << 8 | UInt32(d[i + 2]) << 16 | UInt32(d[i + 3]) << 24)
        }
    }

    /// Per-tensor int8 activation quantization → shape and grid.
    func activationInfo(_ t: TFLiteTensor, _ where_: String) throws -> QTensorInfo {
        guard t.type == .int8 else { throw fail("\(where_): activation `\(t.name)` is \(t.type); only int8 models are imported") }
        guard let q = t.quantization, q.scale.count == 1, q.zeroPoint.count == 1, !q.hasDetails else {
            throw fail("\(where_): activation `\(t.name)` needs one scale and one zero point")
        }
        guard q.scale[0].isFinite, q.scale[0] > 0, (-128...127).contains(q.zeroPoint[0]) else {
            throw fail("\(where_): activation `\(t.name)` has scale \(q.scale[0]) and zero point \(q.zeroPoint[0])")
        }
        let s = t.shape.map(Int.init)
        let shape: Shape3
        switch s.count {
        case 4 where s[0] == 1: shape = Shape3(s[1], s[2], s[3])
        case 2 where s[0] == 1: shape = Shape3(1, 1, s[1])
        default: throw fail("\(where_): activation `\(t.name)` has shape \(t.shape); expected [1, H, W, C] or [1, C]")
        }
        guard shape.h > 0, shape.w > 0, shape.c > 0, shape.h <= 4096, shape.w <= 4096, shape.c <= 65536, shape.count <= 1 << 26 else {
            throw fail("\(where_): activation `\(t.name)` has shape \(t.shape)")
        }
        return QTensorInfo(shape: shape, zeroPoint: Int32(q.zeroPoint[0]), scale: Double(q.scale[0]))
    }

    /// The value id of an activation tensor already produced.
    func input(_ i: Int32, _ where_: String) throws -> Int {
        guard let v = value[i] else {
            if pendingPads[i] != nil { throw fail("\(where_): a PAD output feeds something other than a convolution") }
            throw fail("\(where_): input tensor \(i) is neither the model input nor produced by an earlier operator")
        }
        return v
    }

    mutating func produce(_ node: QNode, output: Int32) {
        nodes.append(node)
        value[output] = nodes.count
        infos.append(node.output)
    }

    func activation(_ a: TFLiteActivation, _ out: QTensorInfo, _ where_: String) throws -> (Int32, Int32) {
        let f: FusedActivation
        switch a {
        case .none: f = .none
        case .relu: f = .relu
        case .relu6: f = .relu6
        default: throw fail("\(where_): fused activation \(a) is not supported (NONE, RELU, RELU6)")
        }
        return f.bounds(scale: Float(out.scale), zeroPoint: out.zeroPoint)
    }

    mutating func run(name: String) throws -> QModel {
        guard file.subgraphs.count >= 1 else { throw fail("no subgraph") }
        guard g.inputs.count == 1, g.outputs.count == 1 else {
            throw fail("the model has \(g.inputs.count) inputs and \(g.outputs.count) outputs; one of each is supported")
        }
        let inputTensor = try tensor(g.inputs[0], "model input")
        let modelInput = try activationInfo(inputTensor, "model input")
        value[g.inputs[0]] = 0
        infos = [modelInput]
        for (k, op) in g.operators.enumerated() {
            let opName = file.opName(op)
            let where_ = "operator \(k) (\(opName))"
            guard op.outputs.count == 1 else { throw fail("\(where_): \(op.outputs.count) outputs; one is supported") }
            let outT = try tensor(op.outputs[0], where_)
            guard value[op.outputs[0]] == nil, pendingPads[op.outputs[0]] == nil else { throw fail("\(where_): writes tensor \(op.outputs[0]) a second time") }
            let code = Int(op.opcodeIndex) < file.operatorCodes.count ? file.operatorCodes[Int(op.opcodeIndex)].builtin : -1
            func inputs(_ n: ClosedRange<Int>) throws {
                guard n.contains(op.inputs.count) else { throw fail("\(where_): \(op.inputs.count) inputs") }
            }
            switch code {
            case TFLiteOp.pad:
                try inputs(2...2)
                let p = try int32s(try tensor(op.inputs[1], where_), where_)
                guard p.count == 8, p[0] == 0, p[1] == 0, p[6] == 0, p[7] == 0, p.allSatisfy({ (0...64).contains($0) }) else {
                    throw fail("\(where_): only padding of H and W by 0…64 is supported, got \(p)")
                }
                _ = try input(op.inputs[0], where_)
                let inT = try tensor(op.inputs[0], where_)
                let inQ = try activationInfo(inT, where_), outQ = try activationInfo(outT, where_)
                guard inQ.scale == outQ.scale, inQ.zeroPoint == outQ.zeroPoint else { throw fail("\(where_): PAD changes the grid") }
                pendingPads[op.outputs[0]] = (op.inputs[0], Int(p[2]), Int(p[3]), Int(p[4]), Int(p[5]))
            case TFLiteOp.conv2D, TFLiteOp.depthwiseConv2D, TFLiteOp.fullyConnected:
                try inputs(2...3)
                try conv(op, code: code, outT: outT, where_: where_)
            case TFLiteOp.add:
                try inputs(2...2)
                guard case .add(let act) = op.options else { throw fail("\(where_): missing AddOptions") }
                let a = try input(op.inputs[0], where_), b = try input(op.inputs[1], where_)
                let out = try activationInfo(outT, where_)
                guard infos[a].shape == out.shape, infos[b].shape == out.shape else { throw fail("\(where_): only same-shape ADD is supported") }
                let (lo, hi) = try activation(act, out, where_)
                let q = QAdd.make(input1Scale: Float(infos[a].scale), input1ZeroPoint: infos[a].zeroPoint, input2Scale: Float(infos[b].scale),
                                  input2ZeroPoint: infos[b].zeroPoint, outputScale: Float(out.scale), outputZeroPoint: out.zeroPoint,
                                  actMin: lo, actMax: hi)
                produce(QNode(name: outT.name, op: .add(q), inputs: [a, b], output: out), output: op.outputs[0])
            case TFLiteOp.mul:
                try inputs(2...2)
                guard case .mul(let act) = op.options else { throw fail("\(where_): missing MulOptions") }
                var x = try input(op.inputs[0], where_), gate = try input(op.inputs[1], where_)
                let out = try activationInfo(outT, where_)
                if infos[x].shape.h * infos[x].shape.w == 1 && infos[gate].shape.h * infos[gate].shape.w != 1 { swap(&x, &gate) }
                guard infos[x].shape == out.shape, infos[gate].shape == Shape3(1, 1, out.shape.c) else {
                    throw fail("\(where_): only a 1×1×C gate times an H×W×C tensor is supported")
                }
                let (lo, hi) = try activation(act, out, where_)
                let q = QMul.make(inputScale: Float(infos[x].scale), inputZeroPoint: infos[x].zeroPoint, gateScale: Float(infos[gate].scale),
                                  gateZeroPoint: infos[gate].zeroPoint, outputScale: Float(out.scale), outputZeroPoint: out.zeroPoint,
                                  actMin: lo, actMax: hi)
                produce(QNode(name: outT.name, op: .mul(q), inputs: [x, gate], output: out), output: op.outputs[0])
            case TFLiteOp.hardSwish:
                try inputs(1...1)
                let x = try input(op.inputs[0], where_)
                let out = try activationInfo(outT, where_)
                guard infos[x].shape == out.shape else { throw fail("\(where_): output shape differs from the input's") }
                guard let h = QHardSwish.make(inputScale: Float(infos[x].scale), inputZeroPoint: infos[x].zeroPoint,
                                              outputScale: Float(out.scale), outputZeroPoint: out.zeroPoint) else {
                    throw fail("\(where_): scales \(infos[x].scale) → \(out.scale) are outside what TFLite's hard-swish kernel supports")
                }
                produce(QNode(name: outT.name, op: .hardSwish(h), inputs: [x], output: out), output: op.outputs[0])
            case TFLiteOp.mean:
                try inputs(2...2)
                let x = try input(op.inputs[0], where_)
                let axes = Set(try int32s(try tensor(op.inputs[1], where_), where_))
                let out = try activationInfo(outT, where_)
                guard axes == [1, 2], out.shape == Shape3(1, 1, infos[x].shape.c) else { throw fail("\(where_): only the mean over H and W is supported") }
                let r = QRequantize.mean(inputScale: Float(infos[x].scale), inputZeroPoint: infos[x].zeroPoint, outputScale: Float(out.scale),
                                         outputZeroPoint: out.zeroPoint, count: infos[x].shape.h * infos[x].shape.w)
                produce(QNode(name: outT.name, op: .globalAvgPool(r), inputs: [x], output: out), output: op.outputs[0])
            case TFLiteOp.relu, TFLiteOp.relu6, TFLiteOp.relu0To1:
                try inputs(1...1)
                let x = try input(op.inputs[0], where_)
                let out = try activationInfo(outT, where_)
                guard infos[x].shape == out.shape else { throw fail("\(where_): output shape differs from the input's") }
                var r = QRequantize.relu(code == TFLiteOp.relu6 ? .relu6 : .relu, inputScale: Float(infos[x].scale), inputZeroPoint: infos[x].zeroPoint,
                                         outputScale: Float(out.scale), outputZeroPoint: out.zeroPoint)
                if code == TFLiteOp.relu0To1 {  // TFLite's ReluX(0, 1): upper bound z + round(1 / s)
                    let one = min(max((Float(1) / Float(out.scale)).rounded(), -1000), 1000)
                    r.actMax = min(127, out.zeroPoint + Int32(one))
                }
                produce(QNode(name: outT.name, op: .requantize(r), inputs: [x], output: out), output: op.outputs[0])
            default:
                throw fail("\(where_): operator not supported — supported: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD, MUL, MEAN, PAD, HARD_SWISH, RELU, RELU6, RELU_0_TO_1")
            }
        }
        guard let last = nodes.last, value[g.outputs[0]] == nodes.count else {
            throw fail("the model's output is not the last operator's output")
        }
        guard last.output.shape.h == 1, last.output.shape.w == 1 else { throw fail("the output is \(last.output.shape), not a vector of class scores") }
        var metadata = ["source": "tflite", "input": importedInputMetadata,
                        "input_scale": String(Float(modelInput.scale)), "input_zero_point": String(modelInput.zeroPoint)]
        if !file.description.isEmpty { metadata["tflite_description"] = file.description }
        let model = QModel(name: name, input: modelInput, nodes: nodes, numClasses: last.output.shape.c, metadata: metadata)
        if let problem = derivationProblem(model) { throw fail("imported model is inconsistent: \(problem)") }
        return model
    }

    mutating func conv(_ op: TFLiteOperator, code: Int32, outT: TFLiteTensor, where_: String) throws {
        var inTensor = op.inputs[0]
        var pad = (top: 0, bottom: 0, left: 0, right: 0)
        if let p = pendingPads.removeValue(forKey: inTensor) {
            pad = (p.top, p.bottom, p.left, p.right)
            inTensor = p.input
        }
        let x = try input(inTensor, where_)
        let inInfo = infos[x]
        let out = try activationInfo(outT, where_)
        let w = try tensor(op.inputs[1], where_)
        guard w.type == .int8 else { throw fail("\(where_): weights `\(w.name)` are \(w.type); only int8 weights are imported") }
        guard let wq = w.quantization, !wq.hasDetails, !wq.scale.isEmpty else { throw fail("\(where_): weights `\(w.name)` are not quantized") }
        let wBytes = try data(w, where_)
        let outC = out.shape.c
        guard wq.scale.count == outC else {
            throw fail("\(where_): weights `\(w.name)` have \(wq.scale.count) scale(s) for \(outC) output channels; only per-channel weights are imported")
        }
        guard wq.zeroPoint.count == outC || wq.zeroPoint.count == 1, wq.zeroPoint.allSatisfy({ $0 == 0 }) else {
            throw fail("\(where_): weights `\(w.name)` are asymmetric (nonzero zero point); only symmetric weights are imported")
        }
        guard wq.scale.allSatisfy({ $0.isFinite && $0 > 0 }) else { throw fail("\(where_): weights `\(w.name)` have a scale that is not positive and finite") }
        var bias = [Int32](repeating: 0, count: outC)
        if op.inputs.count == 3, op.inputs[2] != -1 {
            let bT = try tensor(op.inputs[2], where_)
            bias = try int32s(bT, where_)
            guard bias.count == outC else { throw fail("\(where_): bias `\(bT.name)` has \(bias.count) values for \(outC) channels") }
        }
        let ws = w.shape.map(Int.init)
        var kH = 1, kW = 1, groups = 1, sH = 1, sW = 1
        var padding = TFLitePadding.valid
        var act = TFLiteActivation.none
        var weights = wBytes.map { Int8(bitPattern: $0) }
        switch op.options {
        case let .conv2D(p, strideW, strideH, a, dw, dh) where code == TFLiteOp.conv2D:
            guard dw == 1, dh == 1 else { throw fail("\(where_): dilation is not supported") }
            guard ws.count == 4, ws[0] == outC, ws[3] > 0, inInfo.shape.c % ws[3] == 0 else {
                throw fail("\(where_): filter shape \(w.shape) does not fit \(inInfo.shape.c) input and \(outC) output channels")
            }
            kH = ws[1]; kW = ws[2]; groups = inInfo.shape.c / ws[3]
            guard outC % groups == 0 else { throw fail("\(where_): \(outC) output channels in \(groups) groups") }
            padding = p; sH = Int(strideH); sW = Int(strideW); act = a
        case let .depthwiseConv2D(p, strideW, strideH, _, a, dw, dh) where code == TFLiteOp.depthwiseConv2D:
            guard dw == 1, dh == 1 else { throw fail("\(where_): dilation is not supported") }
            guard ws.count == 4, ws[0] == 1, ws[3] == outC, outC == inInfo.shape.c else {
                throw fail("\(where_): filter shape \(w.shape) is not [1, kh, kw, C] with C = \(inInfo.shape.c) (depth multiplier 1)")
            }
            guard wq.quantizedDimension == 3 else { throw fail("\(where_): depthwise weights must be quantized along dimension 3") }
            kH = ws[1]; kW = ws[2]; groups = outC
            padding = p; sH = Int(strideH); sW = Int(strideW); act = a
            // [1][kh][kw][C] → OHWI [C][kh][kw][1]
            let kk = kH * kW
            var t = [Int8](repeating: 0, count: weights.count)
            for c in 0..<outC { for k in 0..<kk { t[c * kk + k] = weights[k * outC + c] } }
            weights = t
        case let .fullyConnected(a, _) where code == TFLiteOp.fullyConnected:
            guard ws.count == 2, ws[0] == outC, ws[1] == inInfo.shape.count, inInfo.shape.h == 1, inInfo.shape.w == 1 else {
                throw fail("\(where_): filter shape \(w.shape) does not fit the \(inInfo.shape) input")
            }
            act = a
        default:
            throw fail("\(where_): missing or wrong builtin options")
        }
        if code != TFLiteOp.depthwiseConv2D { guard wq.quantizedDimension == 0 else { throw fail("\(where_): weights must be quantized along dimension 0") } }
        guard (1...15).contains(kH), (1...15).contains(kW), (1...8).contains(sH), (1...8).contains(sW) else {
            throw fail("\(where_): kernel \(kH)x\(kW) stride \(sH)x\(sW) is outside what is supported")
        }
        // Padding: the folded PAD, then TFLite's SAME rule on the padded input.
        let ph = inInfo.shape.h + pad.top + pad.bottom, pw = inInfo.shape.w + pad.left + pad.right
        var top = pad.top, left = pad.left
        let oh: Int, ow: Int
        if padding == .same {
            oh = (ph + sH - 1) / sH; ow = (pw + sW - 1) / sW
            top += max((oh - 1) * sH + kH - ph, 0) / 2
            left += max((ow - 1) * sW + kW - pw, 0) / 2
        } else {
            guard ph >= kH, pw >= kW else { throw fail("\(where_): the kernel is larger than the input") }
            oh = (ph - kH) / sH + 1; ow = (pw - kW) / sW + 1
        }
        guard out.shape.h == oh, out.shape.w == ow else {
            throw fail("\(where_): output \(out.shape) is not the \(oh)x\(ow) its input, kernel, stride and padding give")
        }
        let (lo, hi) = try activation(act, out, where_)
        let ms = QConv.multipliers(inputScale: Float(inInfo.scale), weightScales: wq.scale, outputScale: Float(out.scale))
        let c = QConv(inChannels: inInfo.shape.c, outChannels: outC, kernelH: kH, kernelW: kW, strideH: sH, strideW: sW,
                      padTop: top, padLeft: left, groups: groups, weights: weights, bias: bias,
                      multiplier: ms.map(\.multiplier), shift: ms.map(\.shift), inputZeroPoint: inInfo.zeroPoint,
                      outputZeroPoint: out.zeroPoint, actMin: lo, actMax: hi, weightScales: wq.scale)
        produce(QNode(name: outT.name, op: .conv(c), inputs: [x], output: out), output: op.outputs[0])
    }
}
