/// `.tflite` import: an int8 per-channel model — from the TFLite converter, or one the Export
/// module wrote — becomes a `QModel`, with every multiplier derived from the file's float32 scales
/// exactly as TFLite Micro's Prepare derives it (QuantCore's `OpParams.swift`), so our engines give
/// TFLM's logits.
///
/// | TFLite | QModel |
/// |---|---|
/// | CONV_2D (per-channel int8 or INT4 weights, zero point 0; groups when the filter has fewer input channels) | `conv` |
/// | DEPTHWISE_CONV_2D (multiplier 1) | `conv` with groups = channels, or `avgPool` for a k×k (k ≥ 2) filter of ones with weight scale `float32(1/k²)`, bias 0, no clamp |
/// | FULLY_CONNECTED on a 1×1×K input | 1×1 `conv` |
/// | PAD (zero point), PADV2 (one value), CONCATENATION of constant borders along H / W (a value per channel) before a convolution or MAX_POOL_2D | the window op's padding (`padValue`) |
/// | SPLIT along channels → one CONV_2D per part → CONCATENATION of their outputs | one grouped `conv` (a part used otherwise: `split`) |
/// | SLICE of channels | `split` |
/// | CONCATENATION along channels (one grid) | `concat` |
/// | RESHAPE `[1,H,W,C]`→`[H·W,g,C/g]`, TRANSPOSE `[0,2,1]`, RESHAPE back | `shuffle(groups: g)` (a RESHAPE that keeps the values' shape is ignored) |
/// | MAX_POOL_2D (square window, padding never wins) | `maxPool` |
/// | ADD, MUL (a 1×1×C gate, or two 1×1×C vectors), HARD_SWISH | `add`, `mul`, `hardSwish` |
/// | MEAN over H and W | `globalAvgPool` (TFLM's MEAN multiplier) |
/// | RELU, RELU6, RELU_0_TO_1, QUANTIZE (int8 → int8) | `requantize` with TFLite's clamp |
///
/// The model keeps the file's input quantization (the converter's scale and zero point over the
/// normalized image): `QModel.input` carries them and `metadata["input"]` says so. A file the
/// Export module wrote carries the model's name and metadata (metadata entry `int8_toolkit`), so
/// it imports back as the model it was written from; its input is `pixel − 128` only when its input
/// grid is the pixel grid (scale `float32(1/255)`, zero point −128). Anything else — another op,
/// float or int16 tensors, per-tensor or asymmetric weights, dilation, a graph that is not a DAG
/// of values ending in the output — is an error naming the operator.
import Foundation
import QuantCore

/// Name of the `.tflite` metadata entry in which the Export module stores the model's name and
/// metadata (a JSON object `{"name": …, "metadata": {key: value}}`).
public let toolkitTFLiteMetadataName = "int8_toolkit"

/// Reads `path` and imports it (see `importTFLite(_:path:name:)`).
public func loadTFLiteModel(_ path: String) throws -> QModel {
    let name = URL(fileURLWithPath: path).deletingPathExtension().deletingPathExtension().lastPathComponent
    return try importTFLite(try loadTFLite(path), path: path, name: name)
}

/// The first subgraph of `file` as a QModel named `name` (or the name the toolkit stored in the
/// file); errors name `path` and the operator.
public func importTFLite(_ file: TFLiteModel, path: String, name: String) throws -> QModel {
    var im = TFLiteImporter(file: file, path: path)
    return try im.run(name: name)
}

/// An input with explicit padding, waiting for the window op that reads it: `values` is what the
/// padding stands for per channel (nil: the input's zero point).
struct PaddedInput {
    var input: Int
    var top = 0, bottom = 0, left = 0, right = 0
    var values: [Int8]?
    var isPadded: Bool { top + bottom + left + right > 0 }
}

/// One output of a SPLIT along channels: part `index` of `parts` of `source`.
struct SplitPart {
    var source: PaddedInput
    var split: Int
    var index: Int, parts: Int
    var info: QTensorInfo
    var name: String
}

/// A convolution of one SPLIT part, waiting for the CONCATENATION that joins the groups.
struct GroupConv {
    var part: SplitPart
    var conv: QConv
    var output: QTensorInfo
    var name: String
}

/// What a TFLite tensor stands for while importing.
enum Binding {
    case value(Int)
    case padded(PaddedInput)
    case splitPart(SplitPart)
    case groupConv(GroupConv)
    /// RESHAPE `[1, H, W, C]` → `[H·W, g, C/g]` of a value (first step of a channel shuffle).
    case grouped(value: Int, groups: Int)
    /// TRANSPOSE `[0, 2, 1]` of a `grouped` value (second step).
    case transposed(value: Int, groups: Int)
}

struct TFLiteImporter {
    let file: TFLiteModel
    let path: String
    var g: TFLiteSubGraph { file.subgraphs[0] }
    /// Tensor index → what it stands for.
    var bindings: [Int32: Binding] = [:]
    var infos: [QTensorInfo] = []
    var nodes: [QNode] = []

    init(file: TFLiteModel, path: String) { self.file = file; self.path = path }

    func fail(_ what: String) -> ToolkitError { ToolkitError(path, what) }

    func tensor(_ i: Int32, _ where_: String) throws -> TFLiteTensor {
        guard i >= 0, Int(i) < g.tensors.count else { throw fail("\(where_): tensor index \(i) is outside the subgraph's \(g.tensors.count) tensors") }
        return g.tensors[Int(i)]
    }

    func isConstant(_ i: Int32) -> Bool {
        i >= 0 && Int(i) < g.tensors.count && file.hasData(g.tensors[Int(i)])
    }

    /// The constant data of tensor `t` (checked against its shape and type; INT4 packed two per byte).
    func data(_ t: TFLiteTensor, _ where_: String) throws -> TFLiteConstant {
        try file.constant(t, "\(where_): tensor", path: path)
    }

    /// The values of constant int32 tensor `i`.
    func int32s(_ i: Int32, _ where_: String) throws -> [Int32] {
        try file.constant(try tensor(i, where_), "\(where_): tensor", path: path, type: .int32).int32s
    }

    /// One per-tensor scale and zero point (activations and constant int8 tensors).
    func grid(_ t: TFLiteTensor, _ where_: String, what: String = "activation") throws -> (scale: Float, zeroPoint: Int32) {
        guard t.type == .int8 else { throw fail("\(where_): \(what) `\(t.name)` is \(t.type); only int8 models are imported") }
        guard let q = t.quantization, q.scale.count == 1, q.zeroPoint.count == 1, !q.hasDetails else {
            throw fail("\(where_): \(what) `\(t.name)` needs one scale and one zero point")
        }
        guard q.scale[0].isFinite, q.scale[0] > 0, (-128...127).contains(q.zeroPoint[0]) else {
            throw fail("\(where_): \(what) `\(t.name)` has scale \(q.scale[0]) and zero point \(q.zeroPoint[0])")
        }
        return (q.scale[0], Int32(q.zeroPoint[0]))
    }

    /// Per-tensor int8 activation quantization → shape and grid.
    func activationInfo(_ t: TFLiteTensor, _ where_: String) throws -> QTensorInfo {
        let q = try grid(t, where_)
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
        return QTensorInfo(shape: shape, zeroPoint: q.zeroPoint, scale: Double(q.scale))
    }

    func sameGrid(_ a: QTensorInfo, _ b: QTensorInfo) -> Bool { a.scale == b.scale && a.zeroPoint == b.zeroPoint }

    mutating func produce(_ node: QNode) -> Int {
        nodes.append(node)
        infos.append(node.output)
        return nodes.count
    }

    mutating func produce(_ node: QNode, output: Int32) {
        bindings[output] = .value(produce(node))
    }

    /// The value id of tensor `i`, turning a pending SPLIT part or group convolution into nodes.
    mutating func input(_ i: Int32, _ where_: String) throws -> Int {
        switch bindings[i] {
        case .value(let v)?: return v
        case .splitPart(let p)?:
            let v = try materialize(p, where_)
            bindings[i] = .value(v)
            return v
        case .groupConv(let c)?:
            let part = try materialize(c.part, where_)
            var conv = c.conv
            conv.inChannels = c.part.info.shape.c
            let v = produce(QNode(name: c.name, op: .conv(conv), inputs: [part], output: c.output))
            bindings[i] = .value(v)
            return v
        case .padded?: throw fail("\(where_): a padded tensor feeds something other than a convolution or max pool")
        case .grouped?, .transposed?: throw fail("\(where_): RESHAPE and TRANSPOSE are supported only as a channel shuffle (RESHAPE, TRANSPOSE [0, 2, 1], RESHAPE back)")
        case nil: throw fail("\(where_): input tensor \(i) is neither the model input nor produced by an earlier operator")
        }
    }

    /// A SPLIT part used by something other than its group convolution: a `split` node.
    mutating func materialize(_ p: SplitPart, _ where_: String) throws -> Int {
        guard !p.source.isPadded else { throw fail("\(where_): a SPLIT of a padded tensor feeds something other than a convolution") }
        let count = p.info.shape.c
        return produce(QNode(name: p.name, op: .split(start: p.index * count, count: count), inputs: [p.source.input], output: p.info))
    }

    /// The input of a window op with the padding pending on it.
    mutating func windowInput(_ i: Int32, _ where_: String) throws -> PaddedInput {
        if case .padded(let p)? = bindings[i] { return p }
        return PaddedInput(input: try input(i, where_))
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

    /// The model's name and metadata as the Export module stored them, if the file has them.
    func toolkitMetadata() throws -> (name: String, metadata: [String: String])? {
        guard let entry = file.metadata.first(where: { $0.name == toolkitTFLiteMetadataName }) else { return nil }
        guard Int(entry.buffer) < file.buffers.count,
              let json = try? JSONSerialization.jsonObject(with: Data(file.buffers[Int(entry.buffer)])) as? [String: Any],
              let name = json["name"] as? String, let metadata = json["metadata"] as? [String: String] else {
            throw fail("metadata `\(toolkitTFLiteMetadataName)` is not a JSON object with a name and string metadata")
        }
        return (name, metadata)
    }

    mutating func run(name: String) throws -> QModel {
        guard file.subgraphs.count >= 1 else { throw fail("no subgraph") }
        guard g.inputs.count == 1, g.outputs.count == 1 else {
            throw fail("the model has \(g.inputs.count) inputs and \(g.outputs.count) outputs; one of each is supported")
        }
        let inputTensor = try tensor(g.inputs[0], "model input")
        let modelInput = try activationInfo(inputTensor, "model input")
        bindings[g.inputs[0]] = .value(0)
        infos = [modelInput]
        for (k, op) in g.operators.enumerated() {
            try importOperator(op, index: k)
        }
        guard let last = nodes.last, case .value(let out)? = bindings[g.outputs[0]], out == nodes.count else {
            throw fail("the model's output is not the last operator's output")
        }
        guard last.output.shape.h == 1, last.output.shape.w == 1 else { throw fail("the output is \(last.output.shape), not a vector of class scores") }
        let stored = try toolkitMetadata()
        var model = QModel(name: stored?.name ?? name, input: modelInput, nodes: nodes, numClasses: last.output.shape.c,
                           metadata: stored?.metadata ?? ["source": "tflite"])
        if stored == nil && !file.description.isEmpty { model.metadata["tflite_description"] = file.description }
        // Only a file this tool wrote from a pixel-input model takes pixels (QuantCore's rule,
        // `inputIsPixels`); any other keeps the file's input quantization.
        if stored == nil || !model.inputIsPixels {
            model.metadata["input"] = importedInputMetadata
            model.metadata["input_scale"] = String(Float(modelInput.scale)); model.metadata["input_zero_point"] = String(modelInput.zeroPoint)
        }
        if let problem = derivationProblem(model) { throw fail("imported model is inconsistent: \(problem)") }
        return model
    }

    static let supported = "CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD, MUL, MEAN, PAD, PADV2, HARD_SWISH, RELU, RELU6, RELU_0_TO_1, "
        + "QUANTIZE, MAX_POOL_2D, CONCATENATION, SPLIT, SLICE, RESHAPE + TRANSPOSE (channel shuffle)"

    mutating func importOperator(_ op: TFLiteOperator, index k: Int) throws {
        let opName = file.opName(op)
        let where_ = "operator \(k) (\(opName))"
        let code = Int(op.opcodeIndex) < file.operatorCodes.count ? file.operatorCodes[Int(op.opcodeIndex)].builtin : -1
        guard !op.outputs.isEmpty, code == TFLiteOp.split || op.outputs.count == 1 else {
            throw fail("\(where_): \(op.outputs.count) outputs; one is supported (SPLIT: one per part)")
        }
        for o in op.outputs {
            _ = try tensor(o, where_)
            guard bindings[o] == nil else { throw fail("\(where_): writes tensor \(o) a second time") }
        }
        let outT = try tensor(op.outputs[0], where_)
        func inputs(_ n: ClosedRange<Int>) throws {
            guard n.contains(op.inputs.count) else { throw fail("\(where_): \(op.inputs.count) inputs") }
        }
        /// A one-input op keeping the shape: its input value and output grid.
        func elementwise() throws -> (Int, QTensorInfo) {
            try inputs(1...1)
            let x = try input(op.inputs[0], where_)
            let out = try activationInfo(outT, where_)
            guard infos[x].shape == out.shape else { throw fail("\(where_): output shape differs from the input's") }
            return (x, out)
        }
        switch code {
        case TFLiteOp.pad, TFLiteOp.padV2:
            try importPad(op, code: code, outT: outT, where_: where_)
        case TFLiteOp.conv2D, TFLiteOp.depthwiseConv2D, TFLiteOp.fullyConnected:
            try inputs(2...3)
            try conv(op, code: code, outT: outT, where_: where_)
        case TFLiteOp.maxPool2D:
            try inputs(1...1)
            try maxPool(op, outT: outT, where_: where_)
        case TFLiteOp.concatenation:
            try concatenation(op, outT: outT, where_: where_)
        case TFLiteOp.split:
            try split(op, index: k, where_: where_)
        case TFLiteOp.slice:
            try inputs(3...3)
            let x = try input(op.inputs[0], where_)
            let out = try activationInfo(outT, where_)
            let begin = try int32s(op.inputs[1], where_), size = try int32s(op.inputs[2], where_)
            let s = infos[x].shape
            guard begin.count == 4, size.count == 4, begin[0...2] == [0, 0, 0], (0..<s.c).contains(Int(begin[3])),
                  [1, -1].contains(size[0]), [Int32(s.h), -1].contains(size[1]), [Int32(s.w), -1].contains(size[2]) else {
                throw fail("\(where_): only a slice of channels is supported (begin \(begin), size \(size) of \(s))")
            }
            let start = Int(begin[3]), count = size[3] == -1 ? s.c - start : Int(size[3])
            guard count >= 1, start + count <= s.c, out.shape == Shape3(s.h, s.w, count), sameGrid(out, infos[x]) else {
                throw fail("\(where_): output \(out.shape) is not channels \(start)..<\(start + count) of \(s) on the input's grid")
            }
            produce(QNode(name: outT.name, op: .split(start: start, count: count), inputs: [x], output: out), output: op.outputs[0])
        case TFLiteOp.reshape, TFLiteOp.transpose:
            try shuffleStep(op, code: code, outT: outT, where_: where_)
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
            let (x, out) = try elementwise()
            guard let h = QHardSwish.make(inputScale: Float(infos[x].scale), inputZeroPoint: infos[x].zeroPoint,
                                          outputScale: Float(out.scale), outputZeroPoint: out.zeroPoint) else {
                throw fail("\(where_): scales \(infos[x].scale) → \(out.scale) are outside what TFLite's hard-swish kernel supports")
            }
            produce(QNode(name: outT.name, op: .hardSwish(h), inputs: [x], output: out), output: op.outputs[0])
        case TFLiteOp.mean:
            try inputs(2...2)
            let x = try input(op.inputs[0], where_)
            let axes = Set(try int32s(op.inputs[1], where_))
            let out = try activationInfo(outT, where_)
            guard axes == [1, 2], out.shape == Shape3(1, 1, infos[x].shape.c) else { throw fail("\(where_): only the mean over H and W is supported") }
            let r = QRequantize.mean(inputScale: Float(infos[x].scale), inputZeroPoint: infos[x].zeroPoint, outputScale: Float(out.scale),
                                     outputZeroPoint: out.zeroPoint, count: infos[x].shape.h * infos[x].shape.w)
            produce(QNode(name: outT.name, op: .globalAvgPool(r), inputs: [x], output: out), output: op.outputs[0])
        case TFLiteOp.relu, TFLiteOp.relu6, TFLiteOp.relu0To1:
            let (x, out) = try elementwise()
            var r = QRequantize.relu(code == TFLiteOp.relu6 ? .relu6 : .relu, inputScale: Float(infos[x].scale), inputZeroPoint: infos[x].zeroPoint,
                                     outputScale: Float(out.scale), outputZeroPoint: out.zeroPoint)
            if code == TFLiteOp.relu0To1 {  // TFLite's ReluX(0, 1): upper bound z + round(1 / s)
                let one = min(max((Float(1) / Float(out.scale)).rounded(), -1000), 1000)
                r.actMax = min(127, out.zeroPoint + Int32(one))
            }
            produce(QNode(name: outT.name, op: .requantize(r), inputs: [x], output: out), output: op.outputs[0])
        case TFLiteOp.quantize:
            // int8 → int8: TFLM's requantization by double(s_in) / double(s_out), no clamp.
            let (x, out) = try elementwise()
            let m = QuantizedMultiplier(Double(Float(infos[x].scale)) / Double(Float(out.scale)))
            let r = QRequantize(inputZeroPoint: infos[x].zeroPoint, multiplier: m.multiplier, shift: m.shift, outputZeroPoint: out.zeroPoint)
            produce(QNode(name: outT.name, op: .requantize(r), inputs: [x], output: out), output: op.outputs[0])
        default:
            throw fail("\(where_): operator not supported — supported: \(Self.supported)")
        }
    }
}
