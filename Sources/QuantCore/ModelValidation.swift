import Foundation

/// The limits every quantized model obeys, stated once (Docs/BLOB_FORMAT.md, "Validation"; the
/// arithmetic behind them: Docs/ARITHMETIC.md). `validateModel` enforces them for the IntEngine,
/// the blob writer and reader and the Quantizer; the C loader (`q8_model_init`) enforces the
/// same numbers.
public enum ModelLimits {
    /// Largest element count of a value, total blob size and arena size (2^31 − 1).
    public static let maxSize = Int(Int32.max)
    /// Largest height, width or channel count of a value.
    public static let maxDimension = 65535
    /// Largest kernel size and stride of a window.
    public static let maxWindow = 255
    /// Most nodes in one patch stage (the C runtime keeps one row range per stage value on its stack).
    public static let maxStageNodes = 64
    /// Largest `left_shift` of ADD (255 · 2^23 fits int32).
    public static let maxInputShift: Int32 = 23
    /// Hard-swish: int16 multipliers 0…32767, output exponent −15…0, relu-ish exponent −15…15
    /// (every int16 shift of TFLite's kernel stays within 0…15 bits).
    public static let hardSwishMultiplier: ClosedRange<Int32> = 0...32767
    public static let hardSwishOutputExponent: ClosedRange<Int32> = -15...0
    public static let hardSwishReluishExponent: ClosedRange<Int32> = -15...15
    /// Largest H·W of a global average pool (255 · H·W fits int32).
    public static let maxPoolArea = 8_421_504
}

/// Checks that `model` satisfies every rule a quantized model must (value shapes, op inputs, op
/// parameters against `ModelLimits`, zero points that agree with the values they describe, the
/// int32 accumulator bound of every convolution). The one validator: the IntEngine refuses to
/// run, the blob writer to write and the blob reader to return a model that breaks one, with a
/// `ToolkitError` naming `file` and the op, its message starting with the `BlobProblem` kind.
public func validateModel(_ model: QModel, file: String) throws {
    guard !model.nodes.isEmpty else { throw BlobProblem.header.error(file, "the model has no ops") }
    for v in 0...model.nodes.count {
        let info = model.info(v)
        let s = info.shape
        for (name, d) in [("height", s.h), ("width", s.w), ("channels", s.c)] where d < 1 || d > ModelLimits.maxDimension {
            throw BlobProblem.shape.error(file, "value \(v) has \(name) \(d) (must be 1…\(ModelLimits.maxDimension))")
        }
        if s.count > ModelLimits.maxSize {
            throw BlobProblem.shape.error(file, "value \(v) (\(s)) has more than 2^31 − 1 elements")
        }
        if !isInt8(info.zeroPoint) {
            throw BlobProblem.parameter.error(file, "value \(v) has zero point \(info.zeroPoint)")
        }
    }
    // The input zero point is any int8 value: −128 for our models (pixel − 128), the file's own for
    // a model imported from a .tflite (its normalized image, quantized).
    let output = model.info(model.outputValue).shape
    if model.numClasses != output.count {
        throw BlobProblem.shape.error(file, "numClasses is \(model.numClasses) but the output value is \(output)")
    }
    try validateNodes(model, model.nodes.indices, file: file)
}

/// The rules for the ops `indices` of a model whose values `validateModel` accepted (for an
/// engine that re-packs only the ops a refinement changed).
public func validateNodes(_ model: QModel, _ indices: some Sequence<Int>, file: String) throws {
    for i in indices { try checkNode(model.nodes[i], index: i, model: model, file: file) }
}

/// Whether `v` is a valid int8 (zero point or clamp bound).
public func isInt8(_ v: Int32) -> Bool { v >= -128 && v <= 127 }

/// The rules for op `index` (see `checkModel`).
private func checkNode(_ node: QNode, index: Int, model: QModel, file: String) throws {
    let label = "op \(index) '\(node.name)'"
    func opError(_ s: String) -> ToolkitError { BlobProblem.op.error(file, "\(label): \(s)") }
    func shapeError(_ s: String) -> ToolkitError { BlobProblem.shape.error(file, "\(label): \(s)") }
    func paramError(_ s: String) -> ToolkitError { BlobProblem.parameter.error(file, "\(label): \(s)") }
    func tensorError(_ s: String) -> ToolkitError { BlobProblem.tensor.error(file, "\(label): \(s)") }

    if let n = node.op.inputCount, node.inputs.count != n {
        throw opError("has \(node.inputs.count) inputs, \(node.op.name) takes \(n)")
    }
    if node.inputs.isEmpty { throw opError("has no inputs") }
    for v in node.inputs where v < 0 || v > index {
        throw opError("reads value \(v), which is not produced before it (values 0…\(index) are)")
    }
    let inputs = node.inputs.map { model.info($0) }
    let inp = inputs[0], out = node.output

    /// Zero point, clamp and multiplier checks shared by several ops.
    func zeroPoints(input: Int32, output: Int32) throws {
        if input != inp.zeroPoint { throw paramError("input zero point \(input) differs from its input value's \(inp.zeroPoint)") }
        if output != out.zeroPoint { throw paramError("output zero point \(output) differs from its output value's \(out.zeroPoint)") }
    }
    func clamp(_ lo: Int32, _ hi: Int32) throws {
        if !isInt8(lo) || !isInt8(hi) || lo > hi { throw paramError("activation clamp [\(lo), \(hi)] is not an int8 range") }
    }
    func multiplier(_ m: Int32, _ s: Int32, _ what: String) throws {
        if m < 0 { throw paramError("\(what) multiplier \(m) is negative") }
        if s < -31 || s > 31 { throw paramError("\(what) shift \(s) is outside −31…31") }
    }
    func requant(_ r: QRequantize) throws {
        try zeroPoints(input: r.inputZeroPoint, output: r.outputZeroPoint)
        try multiplier(r.multiplier, r.shift, "output")
        try clamp(r.actMin, r.actMax)
    }
    func sameShape(_ a: QTensorInfo, _ what: String) throws {
        if a.shape != out.shape { throw shapeError("\(what) is \(a.shape) but the output is \(out.shape)") }
    }
    func sameZeroPoint() throws {
        for (k, i) in inputs.enumerated() where i.zeroPoint != out.zeroPoint {
            throw paramError("input \(k) has zero point \(i.zeroPoint), the output \(out.zeroPoint); this op keeps the quantization")
        }
    }
    func window(kernel: (Int, Int), stride: (Int, Int), pad: (Int, Int)) throws {
        for (name, k, s, p) in [("height", kernel.0, stride.0, pad.0), ("width", kernel.1, stride.1, pad.1)] {
            if k < 1 || k > ModelLimits.maxWindow { throw paramError("kernel \(name) \(k) is outside 1…\(ModelLimits.maxWindow)") }
            if s < 1 || s > ModelLimits.maxWindow { throw paramError("stride \(name) \(s) is outside 1…\(ModelLimits.maxWindow)") }
            if p < 0 || p >= k { throw paramError("padding \(p) along the \(name) is outside 0…\(k - 1)") }
        }
        if !windowFits(input: inp.shape.h, output: out.shape.h, stride: stride.0, pad: pad.0)
            || !windowFits(input: inp.shape.w, output: out.shape.w, stride: stride.1, pad: pad.1) {
            throw shapeError("output \(out.shape) does not follow from input \(inp.shape) with kernel \(kernel), stride \(stride), padding \(pad)")
        }
    }

    switch node.op {
    case .conv(let c):
        if c.inChannels != inp.shape.c { throw shapeError("inChannels \(c.inChannels) but the input is \(inp.shape)") }
        if c.outChannels != out.shape.c { throw shapeError("outChannels \(c.outChannels) but the output is \(out.shape)") }
        if c.groups < 1 || c.inChannels % c.groups != 0 || c.outChannels % c.groups != 0 {
            throw shapeError("groups \(c.groups) does not divide \(c.inChannels) input and \(c.outChannels) output channels")
        }
        try window(kernel: (c.kernelH, c.kernelW), stride: (c.strideH, c.strideW), pad: (c.padTop, c.padLeft))
        let perChannel = c.kernelH * c.kernelW * (c.inChannels / c.groups)
        if c.weights.count != c.outChannels * perChannel { throw tensorError("\(c.weights.count) weights, expected \(c.outChannels * perChannel)") }
        if c.weightBits != 8 && c.weightBits != 4 { throw paramError("weights of \(c.weightBits) bits; 8 (int8) or 4 (int4) are stored") }
        if c.weightBits == 4, let k = c.weights.firstIndex(where: { $0 < -8 || $0 > 7 }) {
            throw paramError("int4 weight \(k) is \(c.weights[k]), outside −8…7")
        }
        for (name, n) in [("bias", c.bias.count), ("multiplier", c.multiplier.count), ("shift", c.shift.count)] where n != c.outChannels {
            throw tensorError("\(n) \(name) values, expected \(c.outChannels)")
        }
        if let p = c.padValue, p.count != c.inChannels { throw tensorError("\(p.count) pad values, expected \(c.inChannels)") }
        if !c.weightScales.isEmpty && c.weightScales.count != c.outChannels {
            throw tensorError("\(c.weightScales.count) weight scales, expected \(c.outChannels)")
        }
        try zeroPoints(input: c.inputZeroPoint, output: c.outputZeroPoint)
        try clamp(c.actMin, c.actMax)
        for k in 0..<c.outChannels { try multiplier(c.multiplier[k], c.shift[k], "channel \(k)") }
        if let k = accumulatorOverflowChannel(c) {
            throw paramError("the int32 accumulator of output channel \(k) can overflow (|bias| + 255·Σ|w| exceeds 2^31 − 1)")
        }
    case .add(let a):
        try sameShape(inputs[0], "input 0"); try sameShape(inputs[1], "input 1")
        if a.input1ZeroPoint != inputs[0].zeroPoint || a.input2ZeroPoint != inputs[1].zeroPoint {
            throw paramError("input zero points (\(a.input1ZeroPoint), \(a.input2ZeroPoint)) differ from the input values' (\(inputs[0].zeroPoint), \(inputs[1].zeroPoint))")
        }
        if a.outputZeroPoint != out.zeroPoint { throw paramError("output zero point \(a.outputZeroPoint) differs from the output value's \(out.zeroPoint)") }
        if a.leftShift < 0 || a.leftShift > ModelLimits.maxInputShift { throw paramError("left shift \(a.leftShift) is outside 0…\(ModelLimits.maxInputShift)") }
        try multiplier(a.input1Multiplier, a.input1Shift, "input 1")
        try multiplier(a.input2Multiplier, a.input2Shift, "input 2")
        try multiplier(a.outputMultiplier, a.outputShift, "output")
        try clamp(a.actMin, a.actMax)
    case .mul(let m):
        try sameShape(inputs[0], "input 0")
        if inputs[1].shape != Shape3(1, 1, out.shape.c) { throw shapeError("the gate is \(inputs[1].shape), expected 1x1x\(out.shape.c)") }
        if m.gateZeroPoint != inputs[1].zeroPoint { throw paramError("gate zero point \(m.gateZeroPoint) differs from the gate value's \(inputs[1].zeroPoint)") }
        try zeroPoints(input: m.inputZeroPoint, output: m.outputZeroPoint)
        try multiplier(m.multiplier, m.shift, "output")
        try clamp(m.actMin, m.actMax)
    case .hardSwish(let h):
        try sameShape(inp, "the input")
        try zeroPoints(input: h.inputZeroPoint, output: h.outputZeroPoint)
        for (name, m) in [("output", h.outputMultiplier), ("relu-ish", h.reluishMultiplier)] where !ModelLimits.hardSwishMultiplier.contains(m) {
            throw paramError("\(name) multiplier \(m) is outside 0…32767")
        }
        if !ModelLimits.hardSwishOutputExponent.contains(h.outputExponent) { throw paramError("output exponent \(h.outputExponent) is outside −15…0") }
        if !ModelLimits.hardSwishReluishExponent.contains(h.reluishExponent) { throw paramError("relu-ish exponent \(h.reluishExponent) is outside −15…15") }
    case .lookup(let l):
        try sameShape(inp, "the input")
        if l.table.count != 256 { throw tensorError("\(l.table.count) table entries, expected 256") }
    case .requantize(let r):
        try sameShape(inp, "the input")
        try requant(r)
    case .concat:
        var channels = 0
        for (k, i) in inputs.enumerated() {
            if i.shape.h != out.shape.h || i.shape.w != out.shape.w { throw shapeError("input \(k) is \(i.shape) but the output is \(out.shape)") }
            channels += i.shape.c
        }
        if channels != out.shape.c { throw shapeError("inputs have \(channels) channels in all, the output \(out.shape.c)") }
        try sameZeroPoint()
    case .split(let start, let count):
        if start < 0 || count < 1 || start + count > inp.shape.c { throw shapeError("channels [\(start), \(start + count)) are not inside the input's \(inp.shape.c)") }
        if out.shape != Shape3(inp.shape.h, inp.shape.w, count) { throw shapeError("the output is \(out.shape), expected \(inp.shape.h)x\(inp.shape.w)x\(count)") }
        try sameZeroPoint()
    case .shuffle(let groups):
        try sameShape(inp, "the input")
        if groups < 1 || inp.shape.c % groups != 0 { throw shapeError("\(groups) groups do not divide \(inp.shape.c) channels") }
        try sameZeroPoint()
    case .maxPool(let p):
        try window(kernel: (p.kernel, p.kernel), stride: (p.stride, p.stride), pad: (p.padTop, p.padLeft))
        if inp.shape.c != out.shape.c { throw shapeError("input \(inp.shape) and output \(out.shape) channels differ") }
        try sameZeroPoint()
    case .avgPool(let p):
        try window(kernel: (p.kernel, p.kernel), stride: (p.stride, p.stride), pad: (p.padTop, p.padLeft))
        if inp.shape.c != out.shape.c { throw shapeError("input \(inp.shape) and output \(out.shape) channels differ") }
        try requant(p.requant)
    case .globalAvgPool(let r):
        if out.shape != Shape3(1, 1, inp.shape.c) { throw shapeError("the output is \(out.shape), expected 1x1x\(inp.shape.c)") }
        if inp.shape.h * inp.shape.w > ModelLimits.maxPoolArea { throw shapeError("input \(inp.shape) is too large to pool (H·W > \(ModelLimits.maxPoolArea))") }
        try requant(r)
    }
}

/// The window rule: at least one output, and the window of the last output starts inside the
/// input (`(out − 1)·stride − pad < in`). Bottom/right padding follow from the output size.
public func windowFits(input: Int, output: Int, stride: Int, pad: Int) -> Bool {
    output >= 1 && (output - 1) * stride - pad < input
}

/// The first output channel whose accumulator could overflow int32, or nil. The bound is
/// `|bias[c]| + D · Σ|w[c, ·]|` with `D = max(|−128 − zp|, |127 − zp|)`, the largest `|q − zp|`
/// (padding values are int8 too, so they are covered).
public func accumulatorOverflowChannel(_ c: QConv) -> Int? {
    let d = max(abs(-128 - Int(c.inputZeroPoint)), abs(127 - Int(c.inputZeroPoint)))
    let perChannel = c.outChannels > 0 ? c.weights.count / c.outChannels : 0
    for k in 0..<c.outChannels {
        var sum = 0
        for w in c.weights[(k * perChannel)..<((k + 1) * perChannel)] { sum += abs(Int(w)) }
        if abs(Int(c.bias[k])) + d * sum > Int(Int32.max) { return k }
    }
    return nil
}

extension QOp {
    /// Required number of inputs (nil: one or more, for concat).
    public var inputCount: Int? {
        switch self {
        case .add, .mul: return 2
        case .concat: return nil
        default: return 1
        }
    }

    /// The op's name in messages.
    public var name: String {
        switch self {
        case .conv: return "conv"
        case .add: return "add"
        case .mul: return "mul"
        case .hardSwish: return "hardSwish"
        case .lookup: return "lookup"
        case .requantize: return "requantize"
        case .concat: return "concat"
        case .split: return "split"
        case .shuffle: return "shuffle"
        case .maxPool: return "maxPool"
        case .avgPool: return "avgPool"
        case .globalAvgPool: return "globalAvgPool"
        }
    }
}
