/// `.tflite` export: a `QModel` as an NHWC TFLite graph of builtin int8 ops that TensorFlow Lite
/// Micro runs with our exact logits. Every op maps to TFLM ops whose Prepare derives, from the
/// float32 scales written in the file, exactly the integers the model holds (Docs/ARITHMETIC.md);
/// the exporter first checks that the model's integers are those derivations (`derivationProblem`)
/// and refuses any op it cannot express exactly — never an approximate file.
///
/// | our op | TFLite |
/// |---|---|
/// | conv (general, pointwise) | CONV_2D (SAME / VALID, or PAD + VALID for other paddings) |
/// | conv, depthwise | DEPTHWISE_CONV_2D (filter `[1, kh, kw, C]`) |
/// | conv on a 1×1 input with a 1×1 kernel | FULLY_CONNECTED (per-channel) |
/// | grouped conv | SPLIT → one CONV_2D per group → CONCATENATION |
/// | stem padding with the mean pixel | PADV2 (one value for all channels) or, per channel, CONCATENATION of constant border tensors |
/// | add, SE multiply, hard-swish | ADD, MUL (broadcast gate), HARD_SWISH |
/// | standalone ReLU / ReLU6 / scale change | RELU / RELU6 / QUANTIZE (when their derivation gives the model's multiplier) |
/// | average pool (counts padding) | DEPTHWISE_CONV_2D of ones (weight scale `float32(1/k²)`) |
/// | global average pool | MEAN over axes 1, 2 (keep dims) |
/// | max pool | MAX_POOL_2D (PADV2 with −128 for padding TFLite's SAME does not place) |
/// | concat / split / channel shuffle | CONCATENATION / SLICE / RESHAPE + TRANSPOSE + RESHAPE |
/// | lookup table | refused (TFLM has no table op) |
///
/// The model's name and metadata are stored in the metadata entry `int8_toolkit` (JSON), which
/// TFLM ignores and `importTFLite` reads: an exported file imports back as the same model.
import Foundation
import ModelIO
import QuantCore

/// The model as a `.tflite` file; throws `ToolkitError(model.name, …)` naming the node that
/// cannot be expressed exactly.
public func writeTFLite(_ model: QModel) throws -> [UInt8] {
    serializeTFLite(try tfliteModel(model))
}

/// The model as a TFLite schema tree (see `writeTFLite`).
public func tfliteModel(_ model: QModel) throws -> TFLiteModel {
    if let problem = derivationProblem(model) {
        throw ToolkitError(model.name, "cannot be written as .tflite: \(problem)")
    }
    var b = TFLiteGraphBuilder()
    var valueTensor: [Int32] = []
    let input = model.input
    valueTensor.append(b.activation(input, name: "input"))
    for (i, node) in model.nodes.enumerated() {
        let inputs = node.inputs.map { valueTensor[$0] }
        let isOutput = i == model.nodes.count - 1
        // A 1×1×C output is written flat ([1, C], FULLY_CONNECTED's) unless a CONV_2D writes it: an
        // int4 fully connected layer is a CONV_2D, whose output stays [1, 1, 1, C].
        var int4Conv = false
        if case .conv(let c) = node.op { int4Conv = c.weightBits == 4 }
        let out = b.activation(node.output, name: node.name.isEmpty ? "node\(i)" : node.name,
                               flat: isOutput && node.output.shape.h == 1 && node.output.shape.w == 1 && !int4Conv)
        do {
            try b.emit(node, inputs: inputs, inputInfos: node.inputs.map { model.info($0) }, output: out)
        } catch let e as ExportRefusal {
            throw ToolkitError(model.name, "node \(i) (\(node.name), \(node.op.name)) cannot be expressed exactly in TFLite: \(e.reason)")
        }
        valueTensor.append(out)
    }
    b.graph.inputs = [valueTensor[0]]
    b.graph.outputs = [valueTensor[model.nodes.count]]
    b.graph.name = "main"
    b.model.subgraphs = [b.graph]
    b.model.description = "int8 toolkit: \(model.name)"
    // The model's name and metadata, so that `importTFLite` gives back the model written here.
    let toolkit = try JSONSerialization.data(withJSONObject: ["name": model.name, "metadata": model.metadata] as [String: Any],
                                             options: [.sortedKeys])
    b.model.metadata = [TFLiteMetadata(name: toolkitTFLiteMetadataName, buffer: UInt32(b.model.buffers.count))]
    b.model.buffers.append([UInt8](toolkit)[...])
    return b.model
}

/// Why one node cannot be exported.
struct ExportRefusal: Error { var reason: String }

/// Padding of a window op as TFLite says it: SAME, VALID, or explicit rows/columns added first.
enum WindowPadding {
    case same, valid
    case explicit(top: Int, bottom: Int, left: Int, right: Int)
}

/// How TFLite must pad an input of `inH×inW` for a `k×k` window with stride `s` (`padTop`,
/// `padLeft` before the first row/column) to produce `outH×outW` exactly as we do.
func windowPadding(inH: Int, inW: Int, kH: Int, kW: Int, sH: Int, sW: Int, padTop: Int, padLeft: Int,
                   outH: Int, outW: Int) throws -> WindowPadding {
    func sameFits(_ i: Int, _ k: Int, _ s: Int, _ pad: Int, _ o: Int) -> Bool {
        let out = (i + s - 1) / s
        let total = max((out - 1) * s + k - i, 0)
        return out == o && pad == total / 2
    }
    func validFits(_ i: Int, _ k: Int, _ s: Int, _ pad: Int, _ o: Int) -> Bool { pad == 0 && i >= k && (i - k) / s + 1 == o }
    if validFits(inH, kH, sH, padTop, outH) && validFits(inW, kW, sW, padLeft, outW) { return .valid }
    if sameFits(inH, kH, sH, padTop, outH) && sameFits(inW, kW, sW, padLeft, outW) { return .same }
    let bottom = max(0, (outH - 1) * sH + kH - inH - padTop), right = max(0, (outW - 1) * sW + kW - inW - padLeft)
    guard padTop >= 0, padLeft >= 0, (inH + padTop + bottom - kH) / sH + 1 == outH, (inW + padLeft + right - kW) / sW + 1 == outW else {
        throw ExportRefusal(reason: "padding \(padTop)/\(padLeft) of a \(kH)x\(kW) window with stride \(sH)x\(sW) does not give \(outH)x\(outW) from \(inH)x\(inW)")
    }
    return .explicit(top: padTop, bottom: bottom, left: padLeft, right: right)
}

/// Builds the subgraph: tensors, constant buffers, operator codes, operators.
struct TFLiteGraphBuilder {
    var model = TFLiteModel()
    var graph = TFLiteSubGraph()
    var opcodeIndex: [Int32: UInt32] = [:]

    init() { model.buffers = [[]] }

    /// Operator versions as the TFLite converter writes them for int8 per-channel models.
    static let versions: [Int32: Int32] = [
        TFLiteOp.conv2D: 3, TFLiteOp.depthwiseConv2D: 3, TFLiteOp.fullyConnected: 4, TFLiteOp.add: 2, TFLiteOp.mul: 2,
        TFLiteOp.mean: 2, TFLiteOp.pad: 2, TFLiteOp.padV2: 2, TFLiteOp.hardSwish: 1, TFLiteOp.maxPool2D: 2,
        TFLiteOp.concatenation: 2, TFLiteOp.slice: 2, TFLiteOp.split: 2, TFLiteOp.reshape: 1, TFLiteOp.transpose: 2,
        TFLiteOp.quantize: 2, TFLiteOp.relu: 2, TFLiteOp.relu6: 2,
    ]

    mutating func op(_ code: Int32, _ inputs: [Int32], _ outputs: [Int32], _ options: TFLiteOptions = .none) {
        let index: UInt32
        if let i = opcodeIndex[code] {
            index = i
        } else {
            index = UInt32(model.operatorCodes.count)
            model.operatorCodes.append(TFLiteOperatorCode(builtin: code, version: Self.versions[code] ?? 1))
            opcodeIndex[code] = index
        }
        graph.operators.append(TFLiteOperator(opcodeIndex: index, inputs: inputs, outputs: outputs, options: options))
    }

    mutating func tensor(_ shape: [Int], _ type: TFLiteType, name: String, quantization: TFLiteQuantization? = nil,
                         data: [UInt8]? = nil) -> Int32 {
        var buffer: UInt32 = 0
        if let data {
            buffer = UInt32(model.buffers.count)
            model.buffers.append(data[...])
        }
        graph.tensors.append(TFLiteTensor(shape: shape.map { Int32($0) }, type: type, buffer: buffer, name: name, quantization: quantization))
        return Int32(graph.tensors.count - 1)
    }

    static func quant(_ info: QTensorInfo) -> TFLiteQuantization {
        TFLiteQuantization(scale: [Float(info.scale)], zeroPoint: [Int64(info.zeroPoint)])
    }

    /// An int8 activation tensor `[1, H, W, C]` (or `[1, C]` with `flat`).
    mutating func activation(_ info: QTensorInfo, name: String, flat: Bool = false) -> Int32 {
        let s = info.shape
        return tensor(flat ? [1, s.c] : [1, s.h, s.w, s.c], .int8, name: name, quantization: Self.quant(info))
    }

    mutating func int32Constant(_ values: [Int32], shape: [Int], name: String) -> Int32 {
        tensor(shape, .int32, name: name, data: le32(values))
    }

    func le32(_ values: [Int32]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4 * values.count)
        for v in values { for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * Int32(k)))) } }
        return out
    }

    /// The fused activation TFLM would turn into exactly `[actMin, actMax]` on the output grid.
    static func fused(_ actMin: Int32, _ actMax: Int32, _ out: QTensorInfo) throws -> TFLiteActivation {
        for (a, t) in [(FusedActivation.none, TFLiteActivation.none), (.relu, .relu), (.relu6, .relu6)] {
            let (lo, hi) = a.bounds(scale: Float(out.scale), zeroPoint: out.zeroPoint)
            if lo == actMin && hi == actMax { return t }
        }
        throw ExportRefusal(reason: "output clamp [\(actMin), \(actMax)] is not what NONE, RELU or RELU6 gives on the output grid")
    }

    /// Pads `input` (int8, grid `info`) explicitly: with its zero point (PAD), one value (PADV2) or a
    /// value per channel (CONCATENATION of constant borders). Returns the padded tensor.
    mutating func pad(_ input: Int32, _ info: QTensorInfo, top: Int, bottom: Int, left: Int, right: Int,
                      values: [Int8]?, name: String) -> Int32 {
        let s = info.shape
        let padded = QTensorInfo(shape: Shape3(s.h + top + bottom, s.w + left + right, s.c), zeroPoint: info.zeroPoint, scale: info.scale)
        let out = activation(padded, name: name + "/pad")
        let paddings = int32Constant([0, 0, Int32(top), Int32(bottom), Int32(left), Int32(right), 0, 0], shape: [4, 2], name: name + "/paddings")
        guard let values, values.contains(where: { Int32($0) != info.zeroPoint }) else {
            op(TFLiteOp.pad, [input, paddings], [out], .empty(type: TFLiteOptionsType.pad))
            return out
        }
        if Set(values).count == 1 {
            let constant = tensor([1], .int8, name: name + "/pad_value", quantization: Self.quant(info), data: [UInt8(bitPattern: values[0])])
            op(TFLiteOp.padV2, [input, paddings, constant], [out], .empty(type: TFLiteOptionsType.padV2))
            return out
        }
        // Per-channel values: [left | input | right] along W, then [top ; that ; bottom] along H.
        func border(_ h: Int, _ w: Int, _ tag: String) -> Int32 {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(h * w * s.c)
            for _ in 0..<(h * w) { for v in values { bytes.append(UInt8(bitPattern: v)) } }
            return tensor([1, h, w, s.c], .int8, name: name + "/pad_" + tag, quantization: Self.quant(info), data: bytes)
        }
        var row = input
        if left > 0 || right > 0 {
            let mid = QTensorInfo(shape: Shape3(s.h, s.w + left + right, s.c), zeroPoint: info.zeroPoint, scale: info.scale)
            row = top + bottom > 0 ? activation(mid, name: name + "/pad_w") : out
            op(TFLiteOp.concatenation, (left > 0 ? [border(s.h, left, "left")] : []) + [input] + (right > 0 ? [border(s.h, right, "right")] : []),
               [row], .concatenation(axis: 2, activation: .none))
        }
        if top > 0 || bottom > 0 {
            let w = s.w + left + right
            op(TFLiteOp.concatenation, (top > 0 ? [border(top, w, "top")] : []) + [row] + (bottom > 0 ? [border(bottom, w, "bottom")] : []),
               [out], .concatenation(axis: 1, activation: .none))
        }
        return out
    }

    /// The padding option for a window op, inserting an explicit pad first when TFLite's SAME /
    /// VALID do not place it as we do. `padWith` is the value padding stands for (nil: zero point).
    mutating func windowInput(_ input: Int32, _ info: QTensorInfo, kH: Int, kW: Int, sH: Int, sW: Int, padTop: Int, padLeft: Int,
                              out: Shape3, padWith: [Int8]?, sameAllowed: Bool, name: String) throws -> (Int32, TFLitePadding) {
        let p = try windowPadding(inH: info.shape.h, inW: info.shape.w, kH: kH, kW: kW, sH: sH, sW: sW,
                                  padTop: padTop, padLeft: padLeft, outH: out.h, outW: out.w)
        switch p {
        case .valid: return (input, .valid)
        case .same where sameAllowed: return (input, .same)
        case .same:
            let total = (out.h - 1) * sH + kH - info.shape.h, totalW = (out.w - 1) * sW + kW - info.shape.w
            return (pad(input, info, top: padTop, bottom: max(0, total - padTop), left: padLeft, right: max(0, totalW - padLeft),
                        values: padWith, name: name), .valid)
        case let .explicit(t, b, l, r):
            return (pad(input, info, top: t, bottom: b, left: l, right: r, values: padWith, name: name), .valid)
        }
    }

    mutating func emit(_ node: QNode, inputs: [Int32], inputInfos: [QTensorInfo], output: Int32) throws {
        let name = node.name
        let outInfo = node.output
        switch node.op {
        case .conv(let c):
            try conv(c, input: inputs[0], inputInfo: inputInfos[0], output: output, outInfo: outInfo, name: name)
        case .add(let a):
            op(TFLiteOp.add, inputs, [output], .add(activation: try Self.fused(a.actMin, a.actMax, outInfo)))
        case .mul(let m):
            op(TFLiteOp.mul, inputs, [output], .mul(activation: try Self.fused(m.actMin, m.actMax, outInfo)))
        case .hardSwish:
            op(TFLiteOp.hardSwish, inputs, [output], .empty(type: TFLiteOptionsType.hardSwish))
        case .lookup:
            throw ExportRefusal(reason: "TFLite Micro has no table op for an arbitrary element-wise function")
        case .requantize(let r):
            let sIn = Float(inputInfos[0].scale), sOut = Float(outInfo.scale)
            let relu = QRequantize.relu(.relu, inputScale: sIn, inputZeroPoint: inputInfos[0].zeroPoint, outputScale: sOut, outputZeroPoint: outInfo.zeroPoint)
            let relu6 = QRequantize.relu(.relu6, inputScale: sIn, inputZeroPoint: inputInfos[0].zeroPoint, outputScale: sOut, outputZeroPoint: outInfo.zeroPoint)
            let quantize = QuantizedMultiplier(Double(sIn) / Double(sOut))
            if r.actMin == relu.actMin && r.actMax == relu.actMax {
                op(TFLiteOp.relu, inputs, [output])
            } else if r.actMin == relu6.actMin && r.actMax == relu6.actMax {
                guard inputInfos[0].scale == outInfo.scale && inputInfos[0].zeroPoint == outInfo.zeroPoint else {
                    throw ExportRefusal(reason: "TFLM's RELU6 keeps its input grid, this ReLU6 changes it")
                }
                op(TFLiteOp.relu6, inputs, [output])
            } else if r.actMin == -128 && r.actMax == 127 && r.multiplier == quantize.multiplier && r.shift == quantize.shift {
                op(TFLiteOp.quantize, inputs, [output], .empty(type: TFLiteOptionsType.quantize))
            } else {
                throw ExportRefusal(reason: "a requantization clamped to [\(r.actMin), \(r.actMax)] is neither RELU, RELU6 nor QUANTIZE")
            }
        case .concat:
            op(TFLiteOp.concatenation, inputs, [output], .concatenation(axis: 3, activation: .none))
        case let .split(start, count):
            let s = inputInfos[0].shape
            let begin = int32Constant([0, 0, 0, Int32(start)], shape: [4], name: name + "/begin")
            let size = int32Constant([1, Int32(s.h), Int32(s.w), Int32(count)], shape: [4], name: name + "/size")
            op(TFLiteOp.slice, [inputs[0], begin, size], [output], .empty(type: TFLiteOptionsType.slice))
        case .shuffle(let groups):
            // [H·W, g, C/g] → transpose → [H·W, C/g, g] → [1, H, W, C]: output channel j·g + i = input i·(C/g) + j.
            let s = inputInfos[0].shape
            let q = Self.quant(inputInfos[0])
            let shape3 = [s.h * s.w, groups, s.c / groups]
            let a = tensor(shape3, .int8, name: name + "/grouped", quantization: q)
            op(TFLiteOp.reshape, [inputs[0], int32Constant(shape3.map { Int32($0) }, shape: [3], name: name + "/shape_in")], [a],
               .reshape(newShape: shape3.map { Int32($0) }))
            let t = tensor([s.h * s.w, s.c / groups, groups], .int8, name: name + "/transposed", quantization: q)
            op(TFLiteOp.transpose, [a, int32Constant([0, 2, 1], shape: [3], name: name + "/perm")], [t], .empty(type: TFLiteOptionsType.transpose))
            let outShape = [1, s.h, s.w, s.c].map { Int32($0) }
            op(TFLiteOp.reshape, [t, int32Constant(outShape, shape: [4], name: name + "/shape_out")], [output], .reshape(newShape: outShape))
        case .maxPool(let p):
            let (x, padding) = try windowInput(inputs[0], inputInfos[0], kH: p.kernel, kW: p.kernel, sH: p.stride, sW: p.stride,
                                              padTop: p.padTop, padLeft: p.padLeft, out: outInfo.shape,
                                              padWith: [Int8](repeating: -128, count: inputInfos[0].shape.c), sameAllowed: true, name: name)
            op(TFLiteOp.maxPool2D, [x], [output], .pool2D(padding: padding, strideW: Int32(p.stride), strideH: Int32(p.stride),
                                                          filterW: Int32(p.kernel), filterH: Int32(p.kernel), activation: .none))
        case .avgPool(let p):
            // A depthwise convolution of ones (what the model's multiplier was derived as).
            let c = inputInfos[0].shape.c
            let k = p.kernel
            let conv = QConv(inChannels: c, outChannels: c, kernelH: k, kernelW: k, strideH: p.stride, strideW: p.stride,
                             padTop: p.padTop, padLeft: p.padLeft, groups: c, weights: [Int8](repeating: 1, count: c * k * k),
                             bias: [Int32](repeating: 0, count: c), multiplier: [Int32](repeating: p.requant.multiplier, count: c),
                             shift: [Int32](repeating: p.requant.shift, count: c), inputZeroPoint: p.requant.inputZeroPoint,
                             outputZeroPoint: p.requant.outputZeroPoint, actMin: p.requant.actMin, actMax: p.requant.actMax,
                             weightScales: [Float](repeating: QRequantize.averagePoolWeightScale(kernel: k), count: c))
            try self.conv(conv, input: inputs[0], inputInfo: inputInfos[0], output: output, outInfo: outInfo, name: name)
        case .globalAvgPool:
            let axes = int32Constant([1, 2], shape: [2], name: name + "/axes")
            op(TFLiteOp.mean, [inputs[0], axes], [output], .reducer(keepDims: true))
        }
    }

    mutating func conv(_ c: QConv, input: Int32, inputInfo: QTensorInfo, output: Int32, outInfo: QTensorInfo, name: String) throws {
        // int4 weights: INT4 filter tensors in TFLite's dense int4 layout (`packInt4`, the blob's
        // bytes when the layout is the same), which TFLite Micro unpacks for CONV_2D and
        // DEPTHWISE_CONV_2D with int8 activations (its FULLY_CONNECTED refuses an INT4 filter with
        // int8 input, so an int4 fully connected layer is written as the 1×1 CONV_2D it is).
        let int4 = c.weightBits == 4
        let weightType: TFLiteType = int4 ? .int4 : .int8
        func weightData(_ values: [Int8]) -> [UInt8] { int4 ? packInt4(values) : values.map { UInt8(bitPattern: $0) } }
        let act = try Self.fused(c.actMin, c.actMax, outInfo)
        let sIn = Float(inputInfo.scale)
        let inS = inputInfo.shape
        let depthwise = c.groups > 1 && c.groups == c.inChannels && c.groups == c.outChannels
        let fullyConnected = c.groups == 1 && c.kernelH == 1 && c.kernelW == 1 && inS.h == 1 && inS.w == 1 && outInfo.shape.h == 1
            && outInfo.shape.w == 1 && c.padTop == 0 && c.padLeft == 0
        let padWith = c.padValue
        func weightQuant(_ scales: ArraySlice<Float>, dim: Int32) -> TFLiteQuantization {
            TFLiteQuantization(scale: Array(scales), zeroPoint: [Int64](repeating: 0, count: scales.count), quantizedDimension: dim)
        }
        func biasTensor(_ range: Range<Int>, _ tag: String) -> Int32 {
            let scales = c.weightScales[range].map { Float(Double(sIn) * Double($0)) }
            return tensor([range.count], .int32, name: name + "/bias" + tag,
                          quantization: TFLiteQuantization(scale: scales, zeroPoint: [Int64](repeating: 0, count: range.count)),
                          data: le32(Array(c.bias[range])))
        }
        let kk = c.kernelH * c.kernelW
        if fullyConnected && !int4 {
            let w = tensor([c.outChannels, c.inChannels], weightType, name: name + "/weights", quantization: weightQuant(c.weightScales[...], dim: 0),
                           data: weightData(c.weights))
            op(TFLiteOp.fullyConnected, [input, w, biasTensor(0..<c.outChannels, "")], [output],
               .fullyConnected(activation: act, keepNumDims: false))
            return
        }
        let (x, padding) = try windowInput(input, inputInfo, kH: c.kernelH, kW: c.kernelW, sH: c.strideH, sW: c.strideW,
                                           padTop: c.padTop, padLeft: c.padLeft, out: outInfo.shape, padWith: padWith,
                                           sameAllowed: padWith == nil || padWith!.allSatisfy { Int32($0) == c.inputZeroPoint }, name: name)
        if depthwise {
            // OHWI [C][kh][kw][1] → [1][kh][kw][C]
            var w = [Int8](repeating: 0, count: c.weights.count)
            for ch in 0..<c.outChannels { for t in 0..<kk { w[t * c.outChannels + ch] = c.weights[ch * kk + t] } }
            let wt = tensor([1, c.kernelH, c.kernelW, c.outChannels], weightType, name: name + "/weights",
                            quantization: weightQuant(c.weightScales[...], dim: 3), data: weightData(w))
            op(TFLiteOp.depthwiseConv2D, [x, wt, biasTensor(0..<c.outChannels, "")], [output],
               .depthwiseConv2D(padding: padding, strideW: Int32(c.strideW), strideH: Int32(c.strideH), depthMultiplier: 1,
                                activation: act, dilationW: 1, dilationH: 1))
            return
        }
        let options = TFLiteOptions.conv2D(padding: padding, strideW: Int32(c.strideW), strideH: Int32(c.strideH), activation: act,
                                           dilationW: 1, dilationH: 1)
        let inPerGroup = c.inChannels / c.groups, outPerGroup = c.outChannels / c.groups
        let perFilter = kk * inPerGroup
        func filter(_ range: Range<Int>, _ tag: String) -> Int32 {
            tensor([range.count, c.kernelH, c.kernelW, inPerGroup], weightType, name: name + "/weights" + tag,
                   quantization: weightQuant(c.weightScales[range], dim: 0),
                   data: weightData(Array(c.weights[(range.lowerBound * perFilter)..<(range.upperBound * perFilter)])))
        }
        if c.groups == 1 {
            op(TFLiteOp.conv2D, [x, filter(0..<c.outChannels, ""), biasTensor(0..<c.outChannels, "")], [output], options)
            return
        }
        // Grouped: SPLIT the input into groups, one CONV_2D each, CONCATENATION of the results.
        let xShape = graph.tensors[Int(x)].shape.map { Int($0) }
        let partIn = QTensorInfo(shape: Shape3(xShape[1], xShape[2], inPerGroup), zeroPoint: inputInfo.zeroPoint, scale: inputInfo.scale)
        let partOut = QTensorInfo(shape: Shape3(outInfo.shape.h, outInfo.shape.w, outPerGroup), zeroPoint: outInfo.zeroPoint, scale: outInfo.scale)
        let parts = (0..<c.groups).map { activation(partIn, name: name + "/group\($0)_in") }
        op(TFLiteOp.split, [int32Constant([3], shape: [], name: name + "/split_axis"), x], parts, .split(numSplits: Int32(c.groups)))
        var outs: [Int32] = []
        for g in 0..<c.groups {
            let r = (g * outPerGroup)..<((g + 1) * outPerGroup)
            let o = activation(partOut, name: name + "/group\(g)")
            op(TFLiteOp.conv2D, [parts[g], filter(r, "\(g)"), biasTensor(r, "\(g)")], [o], options)
            outs.append(o)
        }
        op(TFLiteOp.concatenation, outs, [output], .concatenation(axis: 3, activation: .none))
    }
}
