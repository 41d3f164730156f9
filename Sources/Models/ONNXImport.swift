/// ONNX → the float graph IR. The importer walks the nodes in file order keeping, for every ONNX
/// value, either a folded constant or an activation (an IR value plus a *pending* transform not yet
/// emitted: a per-channel affine map, a scaled hard-sigmoid / hard-swish, a padding, a grouped
/// reshape). Pending transforms are how the exporters' idioms become the same IR ops whatever was
/// written: `x·HardSigmoid(x)` and `x·Clip(x+3,0,6)/6` become `hardSwish`, `Clip(x+3,0,6)/6`
/// becomes `hardSigmoid`, BatchNormalization / Add / Mul / Sub / Div by constants fold into the
/// convolution or linear layer before them (or into the input normalization), a constant Pad folds
/// into the next convolution's padding, and Reshape–Transpose–Reshape becomes a channel shuffle.
import Foundation
import ModelIO
import QuantCore

/// Whether `path` names an ONNX file: the `.onnx` extension, or ModelProto-looking first bytes
/// that are not a safetensors header.
public func isONNXFile(_ path: String) -> Bool {
    if path.lowercased().hasSuffix(".onnx") { return true }
    guard let handle = FileHandle(forReadingAtPath: path), let head = try? handle.read(upToCount: 9) else { return false }
    let bytes = [UInt8](head)
    return looksLikeONNX(bytes) && !(bytes.count == 9 && bytes[8] == UInt8(ascii: "{"))
}

/// Reads an ONNX file and imports its graph (see `importONNX`).
public func loadONNXGraph(_ path: String, options: ModelOptions = .init()) throws -> Graph {
    try importONNX(try loadONNX(path), name: onnxModelName(path), options: options)
}

/// A model name from an ONNX path: the file name without `.onnx` (and without a `.float` before it).
public func onnxModelName(_ path: String) -> String {
    let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    return name.hasSuffix(".float") ? String(name.dropLast(6)) : name
}

/// Imports an ONNX model into the float graph IR. The input is `[N, C, H, W]` (N treated as 1;
/// H, W from the file or `options.inputSize` when the file leaves them symbolic); the output must
/// be `[N, classes]`. Preprocessing: `options.mean/std`, else `metadata_props` `mean`/`std`, else
/// mean 0, std 1 (the graph's input is `pixel / 255`), composed with any leading Sub/Div (Mul/Add)
/// normalization found in the graph. Any op, attribute or pattern outside the supported set is a
/// `ToolkitError` naming the file and the node: `node NAME (OpType): <what> — supported: …`.
public func importONNX(_ model: ONNXModel, name: String, options: ModelOptions = .init()) throws -> Graph {
    var importer = try ONNXImporter(model, options: options)
    var graph = try importer.run()
    graph.name = name
    return graph
}

/// One row of `onnxOpTable`: an op type, how many nodes of it the file has, what it becomes.
public struct ONNXOpRow: Sendable {
    public var opType: String
    public var count: Int
    public var becomes: String
    public var supported: Bool
}

/// The op types of a model with what the importer makes of each (for `quantize inspect`).
public func onnxOpTable(_ model: ONNXModel) -> [ONNXOpRow] {
    var counts: [String: Int] = [:]
    for n in model.graph.nodes { counts[n.opType, default: 0] += 1 }
    return counts.keys.sorted().map { op in
        let becomes = onnxOpSupport[op]
        return ONNXOpRow(opType: op, count: counts[op]!, becomes: becomes ?? "not supported (no IR op for it; see `supported` in the error message)",
                         supported: becomes != nil)
    }
}

/// What each supported op type becomes.
let onnxOpSupport: [String: String] = [
    "Conv": "conv (groups, strides, symmetric / asymmetric / TF-SAME pads; dilation 1; square kernel)",
    "Gemm": "linear", "MatMul": "linear (constant right operand; a following Add is its bias)",
    "Relu": "relu, fused into the conv / linear / add before it", "Clip": "relu6 / relu (fused), or part of hard-sigmoid Clip(x+3,0,6)/6",
    "Sigmoid": "lookup-table function sigmoid; x·Sigmoid(x) → silu", "Tanh": "lookup-table function tanh",
    "LeakyRelu": "lookup-table function leaky_relu(alpha)", "Elu": "lookup-table function elu(alpha)",
    "Softplus": "lookup-table function softplus", "Gelu": "lookup-table function gelu (exact; the tanh form differs by < 1e-3)",
    "HardSwish": "hardSwish", "HardSigmoid": "hardSigmoid (any alpha/beta: an affine map folds in front); x·HardSigmoid(x) → hardSwish",
    "Mul": "mul (SE gate 1×1×C), hard-swish and SiLU patterns, or a constant scale folded into the conv before it",
    "Add": "add (two feature maps), or a constant folded into the conv / linear before it",
    "Sub": "a constant folded (input normalization or bias)", "Div": "a constant scale folded",
    "BatchNormalization": "folded into the conv / linear before it", "GlobalAveragePool": "globalAvgPool",
    "ReduceMean": "globalAvgPool (axes H, W)", "AveragePool": "avgPool (count_include_pad)", "MaxPool": "maxPool",
    "Flatten": "nothing (1×1×C is already flat)", "Reshape": "nothing, a channel shuffle (with Transpose), or a folded constant",
    "Squeeze": "nothing (1×1×C) or a folded constant", "Unsqueeze": "a folded constant",
    "Transpose": "channel shuffle (with Reshape) or a folded constant", "Concat": "concat (channels) or a folded constant",
    "Split": "split (channels)", "Slice": "split (a channel range) or a folded constant", "Pad": "folded into the next conv's padding",
    "Identity": "nothing", "Dropout": "nothing", "Constant": "a folded constant", "ConstantOfShape": "a folded constant",
    "Shape": "a folded constant", "Gather": "a folded constant", "Cast": "a folded constant (float casts of feature maps: nothing)",
]

/// An ONNX value during import.
enum Sym {
    case const(ConstTensor)
    case act(Act)
}

/// A feature map: IR value `value` with a transform not emitted yet.
struct Act {
    var value: Int
    /// ONNX logical dims with batch 1: `[1, C, H, W]`, or `[1, C]` once flattened.
    var dims: [Int]
    var pending: Pending = .none
    /// Whether nothing but this chain reads `value` (so the transform may fold into its producer).
    var exclusive: Bool

    var channels: Int { dims.count >= 2 ? dims[1] : 1 }
}

/// A transform of an activation the importer has not emitted yet.
enum Pending {
    case none
    /// `scale[c] · x + shift[c]`.
    case affine(scale: [Float], shift: [Float])
    /// `k · hardSigmoid(x)` / `k · hardSwish(x)`.
    case hardSigmoid(Float)
    case hardSwish(Float)
    /// `sigmoid(x)`, kept pending so that `x · Sigmoid(x)` becomes one SiLU.
    case sigmoid
    /// Zero padding in pixels (a Pad node), only a Conv may consume it.
    case padded(top: Int, left: Int, bottom: Int, right: Int)
    /// Reshaped to `[1, groups, C/groups, H, W]`, then (`transposed`) its axes 1 and 2 swapped.
    case grouped(groups: Int, transposed: Bool)
}

/// The import state; see the file comment.
struct ONNXImporter {
    let model: ONNXModel
    let path: String
    let options: ModelOptions
    var nodes: [Node] = []
    var values: [String: Sym] = [:]
    var initializers: [String: ONNXTensor] = [:]
    /// Readers of each value, not counting Shape (which reads no data).
    var uses: [String: Int] = [:]
    var nodeNames: Set<String> = []
    let input: Shape3
    /// The normalization found in the graph and folded into the input: `scale · x + shift`.
    var inputScale: [Double], inputShift: [Double]
    var inputAffineFolded = false
    /// The node being imported (for messages).
    var current = ONNXNode()

    init(_ model: ONNXModel, options: ModelOptions) throws {
        self.model = model; self.options = options
        let path = model.path
        self.path = path
        let g = model.graph
        var inits: [String: ONNXTensor] = [:]
        for t in g.initializers { inits[t.name] = t }
        let realInputs = g.inputs.filter { inits[$0.name] == nil }
        guard realInputs.count == 1, let info = realInputs.first else {
            throw ToolkitError(path, "the graph has \(realInputs.count) inputs (\(realInputs.map(\.name).joined(separator: ", "))); supported: one image input")
        }
        for (flag, given) in [("--arch", options.arch != nil), ("--stem-stride", options.stemStride != nil),
                              ("--width", options.widthMult != nil), ("--groups", options.groups != nil)] where given {
            throw ToolkitError(path, "\(flag) does not apply to an ONNX model (its graph states it)")
        }
        guard let dims = info.dims, dims.count == 4 else {
            throw ToolkitError(path, "input `\(info.name)` has shape \(describe(info.dims)); supported: [N, C, H, W]")
        }
        guard info.elemType == 1 || info.elemType == 0 else {
            throw ToolkitError(path, "input `\(info.name)` is \(onnxTypeName(info.elemType)); supported: float32")
        }
        func dim(_ i: Int, _ given: Int?, _ what: String, _ flag: String) throws -> Int {
            switch dims[i] {
            case .value(let v):
                if let given, given != v { throw ToolkitError(path, "\(flag) \(given) differs from the model's input \(what) \(v)") }
                return v
            case .symbol(let s):
                guard let given else { throw ToolkitError(path, "input \(what) is dynamic (`\(s)`): pass \(flag)") }
                return given
            }
        }
        if case .value(let n) = dims[0], n != 1 { throw ToolkitError(path, "input batch size is \(n); supported: 1 or dynamic") }
        let c = try dim(1, options.inChannels, "channel count", "--in-channels")
        let h = try dim(2, options.inputSize, "height", "--input-size")
        let w = try dim(3, options.inputSize, "width", "--input-size")
        guard (1...64).contains(c), (1...4096).contains(h), (1...4096).contains(w) else {
            throw ToolkitError(path, "input \(c)×\(h)×\(w) is out of range (channels 1…64, sides 1…4096)")
        }
        input = Shape3(h, w, c)
        initializers = inits
        inputScale = Array(repeating: 1, count: c); inputShift = Array(repeating: 0, count: c)
        values[info.name] = .act(Act(value: 0, dims: [1, c, h, w], exclusive: true))
        for n in g.nodes {
            for i in n.inputs where !i.isEmpty && n.opType != "Shape" { uses[i, default: 0] += 1 }
        }
        for o in g.outputs { uses[o.name, default: 0] += 1 }
        values[info.name] = .act(Act(value: 0, dims: [1, c, h, w], exclusive: uses[info.name, default: 0] <= 1))
    }

    // MARK: driver

    mutating func run() throws -> Graph {
        let g = model.graph
        guard !g.nodes.isEmpty else { throw ToolkitError(path, "the graph has no nodes") }
        for node in g.nodes {
            current = node
            do {
                try importNode(node)
            } catch let p as ImportProblem {
                throw ToolkitError(path, "\(node.label): \(p.message)")
            }
        }
        guard g.outputs.count == 1, let outName = g.outputs.first?.name else {
            throw ToolkitError(path, "the graph has \(g.outputs.count) outputs; supported: one (the logits)")
        }
        current = ONNXNode(name: "output", opType: "Output", domain: "", inputs: [outName], outputs: [outName], attributes: [:])
        let out: Act
        do {
            guard case .act(let a) = try sym(outName) else { throw ImportProblem("the output `\(outName)` is a constant") }
            out = try materialize(a)
        } catch let p as ImportProblem {
            throw ToolkitError(path, "output `\(outName)`: \(p.message)")
        }
        let classes = out.channels
        guard out.dims.count == 2 || (out.dims.count == 4 && out.dims[2] == 1 && out.dims[3] == 1) else {
            throw ToolkitError(path, "output `\(outName)` has shape \(out.dims); supported: [N, classes]")
        }
        guard out.value == nodes.count, out.value > 0 else {
            throw ToolkitError(path, "output `\(outName)` is not computed by the last op (the graph has ops that do not reach the output)")
        }
        if let n = options.numClasses, n != classes {
            throw ToolkitError(path, "the model was asked for \(n) classes but its output has \(classes)")
        }
        let pre = try preprocessing()
        var graph = Graph(name: "", arch: "onnx", preprocessing: pre, nodes: nodes, numClasses: classes)
        let list = { (v: [Float]) in "[" + v.map { String(format: "%.4g", $0) }.joined(separator: ", ") + "]" }
        let source = options.mean != nil || options.std != nil ? "from --mean/--std"
            : model.metadata["mean"] != nil || model.metadata["std"] != nil ? "from the file's metadata_props"
            : "ASSUMED (ONNX files carry no normalization; pass --mean/--std, default mean 0, std 1)"
        graph.notes.append("preprocessing: x = (pixel/255 − mean) / std, mean \(list(pre.mean)), std \(list(pre.std)) — \(source)"
                           + (inputAffineFolded ? "; the graph's own input normalization is folded into it" : ""))
        let shapeSource = "ONNX input shape" + (options.inputSize != nil || options.inChannels != nil ? " (flags where it is dynamic)" : "")
        let normSource = options.mean != nil || options.std != nil ? "--mean/--std" : model.metadata["mean"] != nil || model.metadata["std"] != nil
            ? "metadata_props" : "convention: ONNX files carry no normalization (mean 0, std 1)"
        graph.settings = [ModelSetting("architecture", "onnx", "ONNX graph"), ModelSetting("classes", "\(classes)", "ONNX output shape"),
                          ModelSetting("input channels", "\(pre.channels)", shapeSource),
                          ModelSetting("input size", "\(pre.height)x\(pre.width)", shapeSource),
                          ModelSetting("mean", list(pre.mean), normSource + (inputAffineFolded ? ", with the graph's own normalization folded in" : "")),
                          ModelSetting("std", list(pre.std), normSource + (inputAffineFolded ? ", with the graph's own normalization folded in" : ""))]
        return graph
    }

    /// The preprocessing: user / metadata / default normalization composed with the one folded from the graph.
    func preprocessing() throws -> Preprocessing {
        let c = input.c
        let (mean, std) = try normalization(mean: try options.mean ?? metadataFloats(model.metadata, "mean", path: path),
                                            std: try options.std ?? metadataFloats(model.metadata, "std", path: path), channels: c, path: path)
        // The graph sees a·x + b with x = (pixel/255 − mean)/std: mean' = mean − b·std/a, std' = std/a.
        let m = (0..<c).map { Float(Double(mean[$0]) - inputShift[$0] * Double(std[$0]) / inputScale[$0]) }
        let s = (0..<c).map { Float(Double(std[$0]) / inputScale[$0]) }
        return Preprocessing(height: input.h, width: input.w, channels: c, mean: m, std: s)
    }

    // MARK: values

    /// The value named `name` (an initializer becomes a constant on first use).
    mutating func sym(_ name: String) throws -> Sym {
        if let s = values[name] { return s }
        if let t = initializers[name] {
            let c = Sym.const(ConstTensor(t))
            values[name] = c
            return c
        }
        throw ImportProblem("input `\(name)` is not produced by any earlier node, initializer or graph input")
    }

    /// The float values of a constant input (weights are read straight from the initializer).
    mutating func constFloats(_ name: String, _ what: String) throws -> (dims: [Int], values: [Float]) {
        if values[name] == nil, let t = initializers[name], case .float(let v) = t.values { return (t.dims, v) }
        guard case .const(let c) = try sym(name) else { throw ImportProblem("\(what) `\(name)` is computed at run time; supported: a constant") }
        return (c.dims, c.floats)
    }

    mutating func constInput(_ i: Int, _ what: String) throws -> ConstTensor? {
        guard i < current.inputs.count, !current.inputs[i].isEmpty else { return nil }
        guard case .const(let c) = try sym(current.inputs[i]) else {
            throw ImportProblem("\(what) is computed from the image at run time; supported: a constant")
        }
        return c
    }

    mutating func actInput(_ i: Int) throws -> Act {
        guard i < current.inputs.count, !current.inputs[i].isEmpty else { throw ImportProblem("input \(i) is missing") }
        guard case .act(var a) = try sym(current.inputs[i]) else { throw ImportProblem("input \(i) is a constant; supported: a feature map") }
        // A value read by several nodes may not be changed in place by any of them.
        if uses[current.inputs[i], default: 0] > 1 { a.exclusive = false }
        return a
    }

    mutating func set(_ output: Int = 0, _ s: Sym) {
        guard output < current.outputs.count, !current.outputs[output].isEmpty else { return }
        values[current.outputs[output]] = s
    }

    /// Appends an IR node for the current ONNX node and returns its activation.
    mutating func emit(_ op: Op, _ inputs: [Int], _ shape: Shape3, dims: [Int], suffix: String = "", output: Int = 0) -> Act {
        var base = current.name.isEmpty ? (current.outputs.first ?? current.opType) : current.name
        base += suffix
        var name = base, k = 2
        while nodeNames.contains(name) { name = "\(base)#\(k)"; k += 1 }
        nodeNames.insert(name)
        nodes.append(Node(name: name, op: op, inputs: inputs, shape: shape))
        let outName = output < current.outputs.count ? current.outputs[output] : ""
        return Act(value: nodes.count, dims: dims, exclusive: uses[outName, default: 0] <= 1)
    }

    /// The IR shape of an activation's dims.
    func shape3(_ dims: [Int]) throws -> Shape3 {
        if dims.count == 4 && dims[0] == 1 { return Shape3(dims[2], dims[3], dims[1]) }
        if dims.count == 2 && dims[0] == 1 { return Shape3(1, 1, dims[1]) }
        throw ImportProblem("a feature map of shape \(dims); supported: [1, C, H, W] or [1, C]")
    }

    // MARK: pending transforms

    /// Emits (or folds) an activation's pending transform.
    mutating func materialize(_ a: Act) throws -> Act {
        switch a.pending {
        case .none: return a
        case .affine(let scale, let shift):
            var plain = a
            plain.pending = .none
            if scale.allSatisfy({ $0 == 1 }) && shift.allSatisfy({ $0 == 0 }) { return plain }
            if a.exclusive && a.value > 0, foldAffine(into: a.value - 1, scale, shift) { return plain }
            if a.exclusive && a.value == 0 && !inputAffineFolded && scale.allSatisfy({ $0 > 0 }) {
                for c in 0..<input.c {
                    inputShift[c] = Double(scale[c]) * inputShift[c] + Double(shift[c])
                    inputScale[c] *= Double(scale[c])
                }
                inputAffineFolded = true
                return plain
            }
            // Anywhere else: a 1×1 depthwise convolution.
            let c = a.channels
            let conv = Conv2D(inChannels: c, outChannels: c, kernel: 1, stride: 1, groups: c, padding: .symmetric,
                              weight: scale, bias: shift)
            var out = emit(.conv(conv), [a.value], try shape3(a.dims), dims: a.dims, suffix: "/affine")
            out.exclusive = true
            return out
        case .hardSigmoid(let k), .hardSwish(let k):
            var plain = a
            plain.pending = .none
            let isSigmoid: Bool
            if case .hardSigmoid = a.pending { isSigmoid = true } else { isSigmoid = false }
            var out = emit(isSigmoid ? .hardSigmoid : .hardSwish, [a.value], try shape3(a.dims), dims: a.dims,
                           suffix: isSigmoid ? "/hardsigmoid" : "/hardswish")
            out.exclusive = true
            if k == 1 { return out }
            out.pending = .affine(scale: [Float](repeating: k, count: a.channels), shift: [Float](repeating: 0, count: a.channels))
            return try materialize(out)
        case .sigmoid:
            var out = emit(.function(.sigmoid), [a.value], try shape3(a.dims), dims: a.dims, suffix: "/sigmoid")
            out.exclusive = true
            return out
        case .padded:
            throw ImportProblem("a Pad output feeds \(current.opType); supported: Pad directly before a Conv")
        case .grouped:
            throw ImportProblem("a grouped reshape feeds \(current.opType); supported: Reshape [1,g,C/g,H,W] → Transpose(0,2,1,3,4) → Reshape [1,C,H,W] (channel shuffle)")
        }
    }

    /// Folds `scale · y + shift` into the conv / linear node that computes y, if it has no fused clamp.
    mutating func foldAffine(into index: Int, _ scale: [Float], _ shift: [Float]) -> Bool {
        switch nodes[index].op {
        case .conv(var conv) where conv.activation == .none && conv.batchNorm == nil:
            scaleRows(&conv.weight, &conv.bias, rows: conv.outChannels, scale, shift)
            nodes[index].op = .conv(conv)
            return true
        case .linear(var lin) where lin.activation == .none:
            scaleRows(&lin.weight, &lin.bias, rows: lin.outFeatures, scale, shift)
            nodes[index].op = .linear(lin)
            return true
        default:
            return false
        }
    }

    func scaleRows(_ weight: inout [Float], _ bias: inout [Float]?, rows: Int, _ scale: [Float], _ shift: [Float]) {
        let per = weight.count / rows
        var b = bias ?? [Float](repeating: 0, count: rows)
        for o in 0..<rows {
            for j in 0..<per { weight[o * per + j] *= scale[o] }
            b[o] = b[o] * scale[o] + shift[o]
        }
        bias = b
    }

    /// Composes `scale · x + shift` (per channel) onto an activation's pending transform.
    func affine(_ a: Act, scale: [Float], shift: [Float]) -> Act? {
        var out = a
        switch a.pending {
        case .none: out.pending = .affine(scale: scale, shift: shift)
        case .affine(let s0, let b0):
            out.pending = .affine(scale: zip(s0, scale).map { $0 * $1 }, shift: (0..<scale.count).map { b0[$0] * scale[$0] + shift[$0] })
        case .hardSigmoid(let k), .hardSwish(let k):
            // Only a uniform scale keeps the form k·f(x).
            guard shift.allSatisfy({ $0 == 0 }), let s = scale.first, scale.allSatisfy({ $0 == s }) else { return nil }
            if case .hardSigmoid = a.pending { out.pending = .hardSigmoid(k * s) } else { out.pending = .hardSwish(k * s) }
        default: return nil
        }
        return out
    }

    /// A constant as one value per channel of `a` (scalar, `[1, C, 1, 1]`, `[C, 1, 1]`, …), or nil.
    func perChannel(_ c: ConstTensor, _ a: Act) -> [Float]? {
        let rank = a.dims.count
        guard c.dims.count <= rank, rank >= 2 else { return nil }
        let d = [Int](repeating: 1, count: rank - c.dims.count) + c.dims
        for i in 0..<rank where i != 1 && d[i] != 1 { return nil }
        if d[1] == a.channels { return c.floats }
        if d[1] == 1, c.count == 1 { return [Float](repeating: Float(c.values[0]), count: a.channels) }
        return nil
    }

    /// Tries to fuse a clamp into the op that produced `a` (conv / linear / add with no clamp yet).
    mutating func fuse(_ a: Act, _ activation: Activation) -> Bool {
        guard case .none = a.pending, a.exclusive, a.value > 0 else { return false }
        let i = a.value - 1
        switch nodes[i].op {
        case .conv(var conv) where conv.activation == .none: conv.activation = activation; nodes[i].op = .conv(conv)
        case .linear(var lin) where lin.activation == .none: lin.activation = activation; nodes[i].op = .linear(lin)
        case .add(.none): nodes[i].op = .add(activation)
        default: return false
        }
        return true
    }

    /// ReLU / ReLU6 of an activation: fused where possible, else its own node.
    mutating func clamp(_ a: Act, six: Bool) throws -> Act {
        let m = try materialize(a)
        if fuse(m, six ? .relu6 : .relu) {
            var out = m
            out.exclusive = uses[current.outputs.first ?? "", default: 0] <= 1
            return out
        }
        return emit(six ? .relu6 : .relu, [m.value], try shape3(m.dims), dims: m.dims)
    }
}

/// Dims of a value info, for messages.
public func describe(_ dims: [ONNXValueInfo.Dim]?) -> String {
    guard let dims else { return "unknown" }
    return "[" + dims.map { d -> String in
        switch d { case .value(let v): return "\(v)"; case .symbol(let s): return s }
    }.joined(separator: ", ") + "]"
}
