/// Float32 `.tflite` → the float graph IR, so a float TFLite model is calibrated and converted
/// like a checkpoint or an ONNX file. The file is read by ModelIO's bounds-checked FlatBuffers
/// reader (`loadTFLite`); an int8 `.tflite` is not imported here (ModelIO's `importTFLite` takes
/// it as the int8 model it already is).
///
/// | TFLite (float32) | graph IR |
/// |---|---|
/// | CONV_2D (square kernel and stride, dilation 1; groups when the filter has fewer input channels) | `conv` (NHWC `[O, k, k, I]` → `[O][I][k][k]`), SAME → `tfSame` |
/// | DEPTHWISE_CONV_2D (multiplier 1) | `conv` with groups = channels |
/// | PAD (constant paddings of H and W) before a VALID CONV_2D / DEPTHWISE_CONV_2D | the convolution's explicit padding |
/// | FULLY_CONNECTED on a 1×1×K input | `linear` |
/// | fused activation NONE / RELU / RELU6 | the conv / linear / add's `activation` |
/// | ADD; MUL of a feature map and a 1×1×C vector (or two vectors) | `add`, `mul` |
/// | MEAN over H and W | `globalAvgPool` |
/// | HARD_SWISH, RELU, RELU6, LOGISTIC | `hardSwish`, `relu`, `relu6`, `function(.sigmoid)` |
/// | RELU_0_TO_1 (clamp to [0, 1]) right after a conv / linear without activation that nothing else reads | that layer with weights ·6 and bias ·6 − 3, then `hardSigmoid` (`relu6(y + 3) / 6` of `6y − 3` is `clamp(y, 0, 1)`) |
/// | RESHAPE of a 1×1×C vector | nothing |
/// | AVERAGE_POOL_2D (VALID), MAX_POOL_2D (VALID, or SAME with equal padding on every side) | `avgPool`, `maxPool` |
/// | CONCATENATION along channels | `concat` |
///
/// The file carries no normalization: the input is the normalized NHWC image, preprocessing is
/// `options.mean/std` (`--mean/--std`), else mean 0 and std 1 (stated in `graph.notes`). Anything
/// else is `error: FILE: operator K (NAME): <what>`.
import Foundation
import ModelIO
import QuantCore

/// Whether `path` names a TFLite file: the `.tflite` extension or the `TFL3` identifier.
public func isTFLiteFile(_ path: String) -> Bool {
    if path.lowercased().hasSuffix(".tflite") { return true }
    guard let handle = FileHandle(forReadingAtPath: path), let head = try? handle.read(upToCount: 8) else { return false }
    return looksLikeTFLite([UInt8](head))
}

/// Whether the model's (first) input tensor is float32: a float model for `importFloatTFLite`.
public func isFloatTFLite(_ file: TFLiteModel) -> Bool {
    guard let g = file.subgraphs.first, g.inputs.count == 1, g.inputs[0] >= 0, Int(g.inputs[0]) < g.tensors.count else { return false }
    return g.tensors[Int(g.inputs[0])].type == .float32
}

/// A model name from a `.tflite` path: the file name without `.tflite` and without a `.int8` or
/// `.float` before it (`mobilenet_v2-cifar10` for `…/mobilenet_v2-cifar10.int8.tflite`).
public func tfliteModelName(_ path: String) -> String {
    let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    for tag in [".int8", ".float"] where name.hasSuffix(tag) { return String(name.dropLast(tag.count)) }
    return name
}

/// Reads a float `.tflite` and imports it (see `importFloatTFLite`).
public func loadTFLiteGraph(_ path: String, options: ModelOptions = .init()) throws -> Graph {
    let file = try loadTFLite(path)
    guard isFloatTFLite(file) else {
        throw ToolkitError(path, "the model's input is not float32: an int8 .tflite is already quantized — `quantize export \(path)` "
                           + "imports it as it is (blob, C header, memory.md), `quantize inspect \(path)` shows it")
    }
    return try importFloatTFLite(file, path: path, name: tfliteModelName(path), options: options)
}

/// The first subgraph of a float32 `.tflite` as a float graph named `name`; errors name `path`
/// and the operator.
public func importFloatTFLite(_ file: TFLiteModel, path: String, name: String, options: ModelOptions = .init()) throws -> Graph {
    var im = try FloatTFLiteImporter(file: file, path: path, options: options)
    var graph = try im.run()
    graph.name = name
    return graph
}

/// The operators the float importer reads (for its error messages).
let floatTFLiteSupported = "CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD, MUL, MEAN (over H, W), PAD (before a convolution), "
    + "HARD_SWISH, RELU, RELU6, LOGISTIC, RELU_0_TO_1 (after a convolution), RESHAPE (of a vector), AVERAGE_POOL_2D, MAX_POOL_2D, CONCATENATION"

/// What a TFLite tensor stands for during import: an IR value, or an IR value with zero padding
/// that only the next convolution may take.
private enum FloatBinding {
    case value(Int)
    case padded(value: Int, top: Int, left: Int, bottom: Int, right: Int)
}

private struct FloatTFLiteImporter {
    let file: TFLiteModel
    let path: String
    let options: ModelOptions
    let g: TFLiteSubGraph
    let input: Shape3
    var nodes: [Node] = []
    var bindings: [Int32: FloatBinding] = [:]
    /// How many operators (and graph outputs) read each tensor.
    var uses: [Int32: Int] = [:]
    /// The operator being imported, for messages.
    var here = ""

    init(file: TFLiteModel, path: String, options: ModelOptions) throws {
        self.file = file; self.path = path; self.options = options
        guard let g = file.subgraphs.first else { throw ToolkitError(path, "the file has no subgraph") }
        self.g = g
        guard g.inputs.count == 1, g.outputs.count == 1 else {
            throw ToolkitError(path, "the model has \(g.inputs.count) inputs and \(g.outputs.count) outputs; supported: one image input, one output")
        }
        for (flag, given) in [("--arch", options.arch != nil), ("--stem-stride", options.stemStride != nil),
                              ("--width", options.widthMult != nil), ("--groups", options.groups != nil), ("--prefix", options.prefix != nil)] where given {
            throw ToolkitError(path, "\(flag) does not apply to a .tflite model (its graph states it)")
        }
        guard g.inputs[0] >= 0, Int(g.inputs[0]) < g.tensors.count else { throw ToolkitError(path, "the model input is tensor \(g.inputs[0]), which does not exist") }
        let t = g.tensors[Int(g.inputs[0])]
        guard t.type == .float32 else { throw ToolkitError(path, "model input `\(t.name)` is \(t.type); supported: float32") }
        guard t.shape.count == 4, t.shape[0] == 1, (1...4096).contains(t.shape[1]), (1...4096).contains(t.shape[2]), (1...64).contains(t.shape[3]) else {
            throw ToolkitError(path, "model input `\(t.name)` has shape \(t.shape); supported: [1, H, W, C] with sides 1…4096 and 1…64 channels")
        }
        input = Shape3(Int(t.shape[1]), Int(t.shape[2]), Int(t.shape[3]))
        if let s = options.inputSize, s != input.h || s != input.w { throw ToolkitError(path, "--input-size \(s) differs from the model's input \(input.h)x\(input.w)") }
        if let c = options.inChannels, c != input.c { throw ToolkitError(path, "--in-channels \(c) differs from the model's \(input.c) input channels") }
        bindings[g.inputs[0]] = .value(0)
        for op in g.operators { for i in op.inputs where i >= 0 { uses[i, default: 0] += 1 } }
        uses[g.outputs[0], default: 0] += 1
    }

    /// `what`, after the operator being imported if there is one.
    func located(_ what: String) -> String { here.isEmpty ? what : "\(here): \(what)" }

    func fail(_ what: String) -> ToolkitError { ToolkitError(path, located(what)) }

    func shape(_ v: Int) -> Shape3 { v == 0 ? input : nodes[v - 1].shape }

    mutating func append(_ name: String, _ op: Op, _ inputs: [Int], _ shape: Shape3, output: Int32) throws {
        let t = try tensor(output)
        let s = t.shape.map(Int.init)
        let declared: Shape3? = s.count == 4 && s[0] == 1 ? Shape3(s[1], s[2], s[3]) : s.count == 2 && s[0] == 1 ? Shape3(1, 1, s[1]) : nil
        guard declared == shape else { throw fail("output `\(t.name)` has shape \(t.shape) in the file, but the operator computes \(shape)") }
        guard shape.h >= 1, shape.w >= 1, (1...65536).contains(shape.c), shape.count <= 1 << 26 else { throw fail("output `\(t.name)` has shape \(t.shape)") }
        guard t.type == .float32 else { throw fail("output `\(t.name)` is \(t.type); supported: float32") }
        nodes.append(Node(name: name, op: op, inputs: inputs, shape: shape))
        bindings[output] = .value(nodes.count)
    }

    func tensor(_ i: Int32) throws -> TFLiteTensor {
        guard i >= 0, Int(i) < g.tensors.count else { throw fail("tensor index \(i) is outside the subgraph's \(g.tensors.count) tensors") }
        return g.tensors[Int(i)]
    }

    /// The IR value of activation tensor `i` (not a padded one).
    func value(_ i: Int32) throws -> Int {
        switch bindings[i] {
        case .value(let v)?: return v
        case .padded?: throw fail("a PAD output is read by something other than a CONV_2D / DEPTHWISE_CONV_2D with VALID padding")
        case nil:
            let name = (try? tensor(i).name) ?? "\(i)"
            throw fail("input `\(name)` is neither the model input nor computed by an earlier operator (a constant feature map is not supported)")
        }
    }

    /// Constant float32 tensor `i` (`what` names it in messages), every value finite.
    func floats(_ i: Int32, _ what: String) throws -> (shape: [Int], values: [Float]) {
        let t = try tensor(i)
        let c = try file.constant(t, located(what), path: path, type: .float32)
        let values = c.floats
        guard values.allSatisfy(\.isFinite) else { throw fail("\(what) `\(t.name)` holds NaN or infinity") }
        return (c.shape, values)
    }

    /// Constant int32 tensor `i` (`what` names it in messages).
    func int32s(_ i: Int32, _ what: String) throws -> (shape: [Int], values: [Int]) {
        let c = try file.constant(try tensor(i), located(what), path: path, type: .int32)
        return (c.shape, c.int32s.map(Int.init))
    }

    /// An optional bias input of `count` values.
    func bias(_ op: TFLiteOperator, _ count: Int) throws -> [Float]? {
        guard op.inputs.count > 2, op.inputs[2] >= 0 else { return nil }
        let (shape, b) = try floats(op.inputs[2], "bias")
        guard b.count == count else { throw fail("bias has shape \(shape); expected [\(count)]") }
        return b
    }

    func activation(_ a: TFLiteActivation) throws -> Activation {
        switch a {
        case .none: return .none
        case .relu: return .relu
        case .relu6: return .relu6
        default: throw fail("fused activation \(a) is not supported (NONE, RELU, RELU6)")
        }
    }

    func inputs(_ op: TFLiteOperator, _ n: ClosedRange<Int>) throws {
        guard n.contains(op.inputs.count) else { throw fail("\(op.inputs.count) inputs; expected \(n.lowerBound == n.upperBound ? "\(n.lowerBound)" : "\(n.lowerBound)…\(n.upperBound)")") }
    }

    mutating func run() throws -> Graph {
        guard !g.operators.isEmpty else { throw ToolkitError(path, "the model has no operators") }
        for (k, op) in g.operators.enumerated() {
            here = "operator \(k) (\(file.opName(op)))"
            try importOperator(op, name: "op\(k).\(file.opName(op).lowercased())")
        }
        here = ""
        guard case .value(let out)? = bindings[g.outputs[0]], out == nodes.count, out > 0 else {
            throw fail("the model's output is not the last operator's output")
        }
        let s = shape(out)
        guard s.h == 1, s.w == 1 else { throw fail("the output is \(s), not a vector of class scores") }
        if let n = options.numClasses, n != s.c { throw fail("the model was asked for \(n) classes but its output has \(s.c)") }
        let pre = try preprocessing()
        var graph = Graph(name: "", arch: "tflite", preprocessing: pre, nodes: nodes, numClasses: s.c)
        let list = { (v: [Float]) in "[" + v.map { String(format: "%.4g", $0) }.joined(separator: ", ") + "]" }
        let given = options.mean != nil || options.std != nil
        graph.notes.append("preprocessing: x = (pixel/255 − mean) / std, mean \(list(pre.mean)), std \(list(pre.std)) — "
                           + (given ? "from --mean/--std" : "ASSUMED (a .tflite carries no normalization; pass --mean/--std, default mean 0, std 1)"))
        let normSource = given ? "--mean/--std" : "convention: a .tflite carries no normalization (mean 0, std 1)"
        graph.settings = [ModelSetting("architecture", "tflite", "TFLite graph"), ModelSetting("classes", "\(s.c)", "TFLite output shape"),
                          ModelSetting("input channels", "\(pre.channels)", "TFLite input shape"),
                          ModelSetting("input size", "\(pre.height)x\(pre.width)", "TFLite input shape"),
                          ModelSetting("mean", list(pre.mean), normSource), ModelSetting("std", list(pre.std), normSource)]
        return graph
    }

    func preprocessing() throws -> Preprocessing {
        let (mean, std) = try normalization(mean: options.mean, std: options.std, channels: input.c, path: path)
        return Preprocessing(height: input.h, width: input.w, channels: input.c, mean: mean, std: std)
    }

    /// Imports operator `op` as IR node(s) named `name` (`op12.depthwise_conv_2d`: the converter's
    /// tensor names are long lists of TensorFlow op names).
    mutating func importOperator(_ op: TFLiteOperator, name: String) throws {
        guard Int(op.opcodeIndex) < file.operatorCodes.count else { throw fail("opcode index \(op.opcodeIndex) is outside the file's operator codes") }
        guard op.outputs.count == 1 else { throw fail("\(op.outputs.count) outputs; supported: 1") }
        guard op.inputs.first.map({ $0 >= 0 }) == true else { throw fail("no input") }
        let out = op.outputs[0]
        guard bindings[out] == nil else { throw fail("writes tensor \(out) a second time") }
        _ = try tensor(out)
        let x = op.inputs[0]
        switch (file.operatorCodes[Int(op.opcodeIndex)].builtin, op.options) {
        case (TFLiteOp.conv2D, .conv2D(let padding, let sw, let sh, let act, let dw, let dh)):
            try inputs(op, 2...3)
            try convolution(op, name, padding: padding, stride: (sw, sh), dilation: (dw, dh), activation: act, depthwise: false)
        case (TFLiteOp.depthwiseConv2D, .depthwiseConv2D(let padding, let sw, let sh, _, let act, let dw, let dh)):
            try inputs(op, 2...3)  // the filter's shape [1, k, k, C] (multiplier 1) is checked in `convolution`
            try convolution(op, name, padding: padding, stride: (sw, sh), dilation: (dw, dh), activation: act, depthwise: true)
        case (TFLiteOp.fullyConnected, .fullyConnected(let act, _)):
            try inputs(op, 2...3)
            let v = try value(x)
            let (ws, w) = try floats(op.inputs[1], "weights")
            guard ws.count == 2, ws[1] == shape(v).count else { throw fail("weights have shape \(ws); expected [outputs, \(shape(v).count)] for the \(shape(v)) input") }
            guard shape(v).h == 1, shape(v).w == 1 else { throw fail("the input is \(shape(v)); supported: a 1×1×K vector") }
            let layer = Linear(inFeatures: ws[1], outFeatures: ws[0], weight: w, bias: try bias(op, ws[0]), activation: try activation(act))
            try append(name, .linear(layer), [v], Shape3(1, 1, ws[0]), output: out)
        case (TFLiteOp.add, .add(let act)):
            try inputs(op, 2...2)
            let a = try value(x), b = try value(op.inputs[1])
            guard shape(a) == shape(b) else { throw fail("adds \(shape(a)) and \(shape(b)); supported: equal shapes") }
            try append(name, .add(try activation(act)), [a, b], shape(a), output: out)
        case (TFLiteOp.mul, .mul(let act)):
            try inputs(op, 2...2)
            guard act == .none else { throw fail("fused activation \(act) on MUL is not supported (NONE)") }
            let a = try value(x), b = try value(op.inputs[1])
            let (sa, sb) = (shape(a), shape(b))
            let isGate = { (s: Shape3, of: Shape3) in s.h == 1 && s.w == 1 && s.c == of.c }
            if isGate(sb, sa) {
                try append(name, .mul, [a, b], sa, output: out)
            } else if isGate(sa, sb) {
                try append(name, .mul, [b, a], sb, output: out)
            } else {
                throw fail("multiplies \(sa) by \(sb); supported: a feature map by a 1×1×C vector")
            }
        case (TFLiteOp.mean, .reducer):
            try inputs(op, 2...2)
            let v = try value(x)
            let axes = Set(try int32s(op.inputs[1], "axes").values.map { $0 < 0 ? $0 + 4 : $0 })
            guard axes == [1, 2] else { throw fail("MEAN over axes \(axes.sorted()); supported: H and W (1, 2)") }
            try append(name, .globalAvgPool, [v], Shape3(1, 1, shape(v).c), output: out)
        case (TFLiteOp.pad, _):
            try inputs(op, 2...2)
            let v = try value(x)
            let (ps, p) = try int32s(op.inputs[1], "paddings")
            guard ps == [4, 2], p[0] == 0, p[1] == 0, p[6] == 0, p[7] == 0, p.allSatisfy({ (0...64).contains($0) }) else {
                throw fail("paddings \(p) (shape \(ps)); supported: 0…64 pixels of H and W only")
            }
            let s = shape(v)
            let t = try tensor(out)
            guard t.shape.map(Int.init) == [1, s.h + p[2] + p[3], s.w + p[4] + p[5], s.c] else { throw fail("output `\(t.name)` has shape \(t.shape)") }
            bindings[out] = .padded(value: v, top: p[2], left: p[4], bottom: p[3], right: p[5])
        case (TFLiteOp.hardSwish, _), (TFLiteOp.relu, _), (TFLiteOp.relu6, _), (TFLiteOp.logistic, _):
            try inputs(op, 1...1)
            let v = try value(x)
            let code = file.operatorCodes[Int(op.opcodeIndex)].builtin
            let ir: Op = code == TFLiteOp.hardSwish ? .hardSwish : code == TFLiteOp.relu ? .relu : code == TFLiteOp.relu6 ? .relu6 : .function(.sigmoid)
            try append(name, ir, [v], shape(v), output: out)
        case (TFLiteOp.relu0To1, _):
            try inputs(op, 1...1)
            let v = try value(x)
            try hardSigmoidFromClamp(v, input: x)
            try append(name, .hardSigmoid, [v], shape(v), output: out)
        case (TFLiteOp.reshape, _):
            try inputs(op, 1...2)
            let v = try value(x)
            let s = shape(v), t = try tensor(out)
            let count = t.shape.reduce(1) { $0 * Int($1) }
            guard s.h == 1, s.w == 1, count == s.c, t.shape.allSatisfy({ $0 >= 1 }) else {
                throw fail("reshapes \(s) to \(t.shape); supported: a 1×1×C vector to [1, C] or [1, 1, 1, C]")
            }
            bindings[out] = .value(v)
        case (TFLiteOp.averagePool2D, .pool2D(let padding, let sw, let sh, let fw, let fh, let act)),
             (TFLiteOp.maxPool2D, .pool2D(let padding, let sw, let sh, let fw, let fh, let act)):
            try inputs(op, 1...1)
            let v = try value(x)
            let s = shape(v)
            guard fw == fh, sw == sh, (1...64).contains(fw), (1...64).contains(sw), act == .none else {
                throw fail("a \(fw)×\(fh) window with strides \(sw), \(sh) and activation \(act); supported: square window and stride, no activation")
            }
            let (k, stride) = (Int(fw), Int(sw))
            var pad = 0
            let average = file.operatorCodes[Int(op.opcodeIndex)].builtin == TFLiteOp.averagePool2D
            if padding == .same {
                let totals = [s.h, s.w].map { size in max(((size + stride - 1) / stride - 1) * stride + k - size, 0) }
                guard totals.allSatisfy({ $0 == 0 }) || (!average && totals[0] == totals[1] && totals[0] % 2 == 0) else {
                    throw fail("SAME padding of \(totals) pixels; supported: VALID, or for MAX_POOL_2D the same even padding on both axes")
                }
                pad = totals[0] / 2
            }
            let (h, w) = ((s.h + 2 * pad - k) / stride + 1, (s.w + 2 * pad - k) / stride + 1)
            guard h >= 1, w >= 1, s.h + 2 * pad >= k, s.w + 2 * pad >= k else { throw fail("the \(k)×\(k) window does not fit the \(s) input") }
            let ir: Op = average ? .avgPool(kernel: k, stride: stride, pad: pad) : .maxPool(kernel: k, stride: stride, pad: pad)
            try append(name, ir, [v], Shape3(h, w, s.c), output: out)
        case (TFLiteOp.concatenation, .concatenation(let axis, let act)):
            guard !op.inputs.isEmpty, op.inputs.count <= 64 else { throw fail("\(op.inputs.count) inputs") }
            let parts = try op.inputs.map { try value($0) }
            let first = shape(parts[0])
            guard axis == 3 || axis == -1, act == .none, parts.allSatisfy({ shape($0).h == first.h && shape($0).w == first.w }) else {
                throw fail("concatenation along axis \(axis) (activation \(act)); supported: channels of equal H and W, no activation")
            }
            try append(name, .concat, parts, Shape3(first.h, first.w, parts.reduce(0) { $0 + shape($1).c }), output: out)
        default:
            throw fail("not supported for float models — supported: \(floatTFLiteSupported)")
        }
    }

    /// CONV_2D / DEPTHWISE_CONV_2D: NHWC filter `[O, k, k, I]` (depthwise `[1, k, k, C]`) to the
    /// IR's `[O][I][k][k]`; a pending PAD becomes the explicit padding of a VALID convolution.
    mutating func convolution(_ op: TFLiteOperator, _ name: String, padding: TFLitePadding, stride: (Int32, Int32), dilation: (Int32, Int32),
                              activation act: TFLiteActivation, depthwise: Bool) throws {
        guard stride.0 == stride.1, (1...16).contains(stride.0) else { throw fail("strides \(stride.0), \(stride.1); supported: equal, 1…16") }
        guard dilation == (1, 1) else { throw fail("dilation \(dilation.0), \(dilation.1); supported: 1") }
        var v: Int, pads: (top: Int, left: Int, bottom: Int, right: Int)? = nil
        switch bindings[op.inputs[0]] {
        case .padded(let value, let top, let left, let bottom, let right)?:
            guard padding == .valid else { throw fail("a PAD output feeds a convolution with SAME padding; supported: VALID after PAD") }
            v = value; pads = (top, left, bottom, right)
        default: v = try value(op.inputs[0])
        }
        let s = shape(v)
        let (ws, w) = try floats(op.inputs[1], "filter")
        guard ws.count == 4, ws[1] == ws[2], (1...15).contains(ws[1]) else { throw fail("filter has shape \(ws); supported: [O, k, k, I], k 1…15") }
        let k = ws[1]
        let (outC, perGroup) = depthwise ? (ws[3], 1) : (ws[0], ws[3])
        guard !depthwise || (ws[0] == 1 && ws[3] == s.c) else { throw fail("depthwise filter has shape \(ws) for a \(s) input; supported: [1, k, k, \(s.c)]") }
        guard perGroup >= 1, s.c % perGroup == 0, outC % (s.c / perGroup) == 0 else {
            throw fail("filter \(ws) does not divide the input's \(s.c) channels into groups")
        }
        var weight = [Float](repeating: 0, count: w.count)
        for o in 0..<outC {
            for y in 0..<k {
                for x in 0..<k {
                    for i in 0..<perGroup {
                        let src = depthwise ? (y * k + x) * outC + o : ((o * k + y) * k + x) * perGroup + i
                        weight[((o * perGroup + i) * k + y) * k + x] = w[src]
                    }
                }
            }
        }
        let irPadding: Padding = pads.map { .explicit(top: $0.top, left: $0.left, bottom: $0.bottom, right: $0.right) }
            ?? (padding == .same ? .tfSame : k == 1 ? .symmetric : .explicit(top: 0, left: 0, bottom: 0, right: 0))
        if case .explicit(let t, let l, let b, let r) = irPadding, [t, l, b, r].contains(where: { $0 >= k }) {
            throw fail("padding \([t, l, b, r]) of a \(k)×\(k) convolution; supported: less than the kernel on each side")
        }
        let layer = Conv2D(inChannels: s.c, outChannels: outC, kernel: k, stride: Int(stride.0), groups: s.c / perGroup, padding: irPadding,
                           weight: weight, bias: try bias(op, outC), activation: try activation(act))
        let rows = layer.geometry(rows: s.h), cols = layer.geometry(cols: s.w)
        guard rows.out >= 1, cols.out >= 1 else { throw fail("the \(s) input is too small for this convolution") }
        try append(name, .conv(layer), [v], Shape3(rows.out, cols.out, outC), output: op.outputs[0])
    }

    /// RELU_0_TO_1(y) = clamp(y, 0, 1) = hardSigmoid(6y − 3): the conv / linear that computes `y`
    /// (the last node, read by nothing else, without activation) is scaled in place.
    mutating func hardSigmoidFromClamp(_ v: Int, input: Int32) throws {
        let why = "RELU_0_TO_1 is imported only right after a CONV_2D / FULLY_CONNECTED without fused activation whose output nothing else reads"
        guard v == nodes.count, v > 0, uses[input, default: 0] == 1 else { throw fail(why) }
        switch nodes[v - 1].op {
        case .conv(var c) where c.activation == .none && c.batchNorm == nil:
            c.weight = c.weight.map { $0 * 6 }
            c.bias = (c.bias ?? [Float](repeating: 0, count: c.outChannels)).map { $0 * 6 - 3 }
            nodes[v - 1].op = .conv(c)
        case .linear(var l) where l.activation == .none:
            l.weight = l.weight.map { $0 * 6 }
            l.bias = (l.bias ?? [Float](repeating: 0, count: l.outFeatures)).map { $0 * 6 - 3 }
            nodes[v - 1].op = .linear(l)
        default: throw fail(why)
        }
    }
}
