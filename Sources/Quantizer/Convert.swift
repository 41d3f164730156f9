import Foundation
import QuantCore
import Models

/// Quantization choices that are not calibration ranges.
public struct QuantizerOptions: Sendable {
    /// Free-form provenance copied into the model (method, data, ...).
    public var metadata: [String: String]
    /// Per-channel mean of every value over the calibration images (value id → means). When a
    /// convolution's input mean is known, its bias absorbs the mean output shift that rounding the
    /// weights causes: `b[c] −= Σ (ŵ − w)[c] · E[x]` (empirical bias correction).
    public var channelMeans: [Int: [Float]]
    /// Per-channel mean of every value of an earlier int8 conversion of the same graph, dequantized
    /// (value id → means). When given with `channelMeans`, the bias also absorbs the mean error
    /// of the convolution's int8 input: `b[c] −= Σ ŵ[c] · E[x̂] − w[c] · E[x]`, so each layer's
    /// mean output matches the float one given what the int8 layers before it really produce.
    public var int8Means: [Int: [Float]]
    /// Weight precision per convolution / linear node (node index → 4 or 8; absent: 8). A 4-bit
    /// layer's weights are symmetric per output channel in [−7, 7] (`s_w[c] = max|W[c]| / 7`),
    /// held as int8 values (`QConv.weightBits` 4) so every engine runs them unchanged; a blob
    /// stores them packed two per byte.
    public var weightBits: [Int: Int]
    /// `E[x xᵀ]` of the input channels of 1×1 / linear nodes (node index → `C × C`, from
    /// `inputGrams`, Refine). A 4-bit layer that has one rounds its weights with error feedback
    /// (`roundWithErrorFeedback`) instead of each to nearest.
    public var inputGrams: [Int: [Double]]
    public init(metadata: [String: String] = [:], channelMeans: [Int: [Float]] = [:], int8Means: [Int: [Float]] = [:],
                weightBits: [Int: Int] = [:], inputGrams: [Int: [Double]] = [:]) {
        self.metadata = metadata; self.channelMeans = channelMeans; self.int8Means = int8Means; self.weightBits = weightBits
        self.inputGrams = inputGrams
    }

    /// Float and int8 input means of value `v` for `convertConv`.
    func inputMeans(_ v: Int) -> InputMeans? {
        channelMeans[v].map { InputMeans(float: $0, int8: int8Means[v] ?? $0) }
    }
}

/// Converts a folded float graph (see `foldGraph`) and the calibrated float range of every value
/// into an integer-only model with the same value numbering (node i of the graph is node i of the
/// model), so per-layer reports can pair float and int8 activations directly.
///
/// - Weights: symmetric int8 per output channel; bias int32 at `s_in · s_w[c]`.
/// - Activations: asymmetric int8 per tensor from `ranges`; values that must share a grid (concat,
///   split, shuffle, max pool inputs and outputs) get the union of their ranges.
/// - Every accumulator's worst case is checked to fit int32 (the bound `validateModel` applies).
public func quantize(_ graph: Graph, ranges: [Int: (min: Float, max: Float)], options: QuantizerOptions = .init()) throws -> QModel {
    let params = try activationParams(graph, ranges: ranges)
    let nodes = try graph.nodes.indices.map { try convertNode(graph, $0, params: params, options: options) }
    let input = QTensorInfo(shape: graph.shape(0), zeroPoint: pixelInputGrid.zeroPoint, scale: pixelInputGrid.scale)
    var meta = options.metadata
    meta["arch"] = graph.arch
    return QModel(name: graph.name, input: input, nodes: nodes, numClasses: graph.numClasses, metadata: meta)
}

/// Node `i` of `graph` converted on the activation grids `params`.
func convertNode(_ graph: Graph, _ i: Int, params: [(scale: Double, zeroPoint: Int32)], options: QuantizerOptions) throws -> QNode {
    let node = graph.nodes[i]
    let v = i + 1
    var out = QTensorInfo(shape: node.shape, zeroPoint: params[v].zeroPoint, scale: params[v].scale)
    let inP = node.inputs.map { params[$0] }
    let op: QOp
    switch node.op {
    case .conv, .linear:
        op = try convertWeighted(graph, node: i, input: inP[0], output: out, options: options)
    case .relu, .relu6:
        op = .requantize(QRequantize.relu(node.op.isRelu6 ? .relu6 : .relu, inputScale: Float(inP[0].scale), inputZeroPoint: inP[0].zeroPoint,
                                          outputScale: out.scale32, outputZeroPoint: out.zeroPoint))
    case .hardSwish:
        guard let p = QHardSwish.make(inputScale: Float(inP[0].scale), inputZeroPoint: inP[0].zeroPoint,
                                      outputScale: out.scale32, outputZeroPoint: out.zeroPoint) else {
            throw ToolkitError(node.name, "hard-swish input scale \(inP[0].scale) and output scale \(out.scale) are outside what TFLite's int8 HARD_SWISH supports")
        }
        op = .hardSwish(p)
    case .hardSigmoid:
        op = .conv(QConv.hardSigmoid(channels: node.shape.c, inputScale: Float(inP[0].scale), inputZeroPoint: inP[0].zeroPoint))
    case .function(let f):
        op = .lookup(QLookup.make(function: { f($0) }, inputScale: inP[0].scale, inputZeroPoint: inP[0].zeroPoint,
                                  outputScale: out.scale, outputZeroPoint: out.zeroPoint))
    case .add(let act):
        let (lo, hi) = clamp(act, out)
        op = .add(QAdd.make(input1Scale: Float(inP[0].scale), input1ZeroPoint: inP[0].zeroPoint,
                            input2Scale: Float(inP[1].scale), input2ZeroPoint: inP[1].zeroPoint,
                            outputScale: out.scale32, outputZeroPoint: out.zeroPoint, actMin: lo, actMax: hi))
    case .mul:
        op = .mul(QMul.make(inputScale: Float(inP[0].scale), inputZeroPoint: inP[0].zeroPoint,
                            gateScale: Float(inP[1].scale), gateZeroPoint: inP[1].zeroPoint,
                            outputScale: out.scale32, outputZeroPoint: out.zeroPoint, actMin: -128, actMax: 127))
    case .concat:
        op = .concat
    case .split(let start, let count):
        op = .split(start: start, count: count)
    case .shuffle(let groups):
        op = .shuffle(groups: groups)
    case .maxPool(let k, let s, let p):
        op = .maxPool(QPool(kernel: k, stride: s, padTop: p, padLeft: p,
                            requant: QRequantize(inputZeroPoint: inP[0].zeroPoint, multiplier: 0, shift: 0, outputZeroPoint: out.zeroPoint)))
    case .avgPool(let k, let s, let p):
        op = .avgPool(QPool(kernel: k, stride: s, padTop: p, padLeft: p,
                            requant: QRequantize.averagePool(kernel: k, inputScale: Float(inP[0].scale), inputZeroPoint: inP[0].zeroPoint,
                                                             outputScale: out.scale32, outputZeroPoint: out.zeroPoint)))
    case .globalAvgPool:
        let s = graph.shape(node.inputs[0])
        op = .globalAvgPool(QRequantize.mean(inputScale: Float(inP[0].scale), inputZeroPoint: inP[0].zeroPoint,
                                             outputScale: out.scale32, outputZeroPoint: out.zeroPoint, count: s.h * s.w))
    }
    out.shape = node.shape
    return QNode(name: node.name, op: op, inputs: node.inputs, output: out)
}

/// `model` (converted from `graph`) after the calibrated `ranges` changed: only the nodes whose
/// input or output grid moved are converted again. Also returns those nodes in graph order
/// (empty when nothing moved): the int8 values before the first of them are unchanged, and an
/// `IntEngine` needs new kernels for them only.
public func reconvert(_ model: QModel, graph: Graph, ranges: [Int: (min: Float, max: Float)],
                       options: QuantizerOptions) throws -> (model: QModel, changed: [Int]) {
    let params = try activationParams(graph, ranges: ranges)
    let moved = params.indices.map { v in
        let old = model.info(v)
        return old.scale != params[v].scale || old.zeroPoint != params[v].zeroPoint
    }
    var result = model
    var changed: [Int] = []
    for (i, node) in graph.nodes.enumerated() where moved[i + 1] || node.inputs.contains(where: { moved[$0] }) {
        result.nodes[i] = try convertNode(graph, i, params: params, options: options)
        changed.append(i)
    }
    return (result, changed)
}

/// Converts node `i` of `graph` (a convolution or linear layer) again with `options`, keeping
/// the activation grids `model` already has (used for bias correction one layer at a time).
public func reconvertWeighted(_ model: inout QModel, graph: Graph, node i: Int, options: QuantizerOptions) throws {
    let input = model.info(graph.nodes[i].inputs[0])
    model.nodes[i].op = try convertWeighted(graph, node: i, input: (input.scale, input.zeroPoint),
                                            output: model.nodes[i].output, options: options)
}

/// The int8 convolution of node `i` (a convolution, or a linear layer as a 1×1 convolution).
func convertWeighted(_ graph: Graph, node i: Int, input: (scale: Double, zeroPoint: Int32), output: QTensorInfo,
                     options: QuantizerOptions) throws -> QOp {
    let node = graph.nodes[i]
    let mean = options.inputMeans(node.inputs[0])
    let levels = options.weightBits[i] == 4 ? 7.0 : 127.0
    let gram = levels < 127 ? options.inputGrams[i] : nil
    switch node.op {
    case .conv(let conv):
        return .conv(try convertConv(conv, name: node.name, input: input, output: output,
                                     inShape: graph.shape(node.inputs[0]), inputMean: mean, levels: levels, gram: gram))
    case .linear(let lin):
        let conv = Conv2D(inChannels: lin.inFeatures, outChannels: lin.outFeatures, kernel: 1, stride: 1, groups: 1,
                          padding: .symmetric, weight: lin.weight, bias: lin.bias, activation: lin.activation)
        return .conv(try convertConv(conv, name: node.name, input: input, output: output,
                                     inShape: Shape3(1, 1, lin.inFeatures), inputMean: mean, levels: levels, gram: gram))
    default:
        throw ToolkitError(node.name, "not a convolution or linear layer")
    }
}

extension Op {
    var isRelu6: Bool { if case .relu6 = self { return true } else { return false } }
}

/// Output clamp of a fused activation on the output grid, as TFLite rounds it.
func clamp(_ act: Activation, _ out: QTensorInfo) -> (Int32, Int32) {
    let fused: FusedActivation
    switch act {
    case .none: fused = .none
    case .relu: fused = .relu
    case .relu6: fused = .relu6
    }
    let b = fused.bounds(scale: out.scale32, zeroPoint: out.zeroPoint)
    return (b.min, b.max)
}

/// Per-channel means of a convolution's input in the float graph and in the int8 model.
struct InputMeans {
    var float: [Float]
    var int8: [Float]
}

/// Per-channel symmetric weights in [−levels, levels] (127: int8, 7: int4), int32 bias,
/// per-channel multipliers and the accumulator check. With `gram` (a 1×1 convolution without
/// groups), the weights are rounded with error feedback against the input's `E[x xᵀ]`.
func convertConv(_ conv: Conv2D, name: String, input: (scale: Double, zeroPoint: Int32),
                 output: QTensorInfo, inShape: Shape3, inputMean: InputMeans?, levels: Double = 127,
                 gram: [Double]? = nil) throws -> QConv {
    let k = conv.kernel
    let cinG = conv.inChannels / conv.groups
    let perOut = cinG * k * k
    let gy = convGeometry(inShape.h, kernel: k, stride: conv.stride, padding: conv.padding, axis: .rows)
    let gx = convGeometry(inShape.w, kernel: k, stride: conv.stride, padding: conv.padding, axis: .cols)
    // Share of the output positions whose window puts tap ky (kx) inside the input: the mean
    // output shift of a tap is weighted by how often it sees the input rather than padding.
    let coverY = tapCoverage(gy, inSize: inShape.h, kernel: k, stride: conv.stride)
    let coverX = tapCoverage(gx, inSize: inShape.w, kernel: k, stride: conv.stride)
    var weights = [Int8](repeating: 0, count: conv.weight.count)
    var bias = [Int32](repeating: 0, count: conv.outChannels)
    var weightScales = [Float](repeating: 0, count: conv.outChannels)
    for o in 0..<conv.outChannels {
        var maxAbs = 0.0
        for j in 0..<perOut { maxAbs = max(maxAbs, Double(abs(conv.weight[o * perOut + j]))) }
        guard maxAbs.isFinite else { throw ToolkitError(name, "weights of output channel \(o) are not finite") }
        // The bias must also fit its int32 grid (s_in · s_w): a channel whose weights folded to
        // almost nothing gets a coarser weight step rather than an overflowing bias.
        let biasNeed = abs(Double(conv.bias?[o] ?? 0)) / (input.scale * Double(1 << 29))
        let step = levels < 127 ? clippedScale(conv.weight[(o * perOut)..<((o + 1) * perOut)], maxAbs: maxAbs, levels: levels)
                                : maxAbs / levels
        weightScales[o] = Float(shortScale(max(step, biasNeed, 1e-12)))   // a float32 scale, as a .tflite stores it
    }
    // 1×1 without groups: the weight index o·C + c is the PyTorch and the OHWI one alike.
    let fed: [Double]? = gram.flatMap { g in
        k == 1 && conv.groups == 1 && g.count == perOut * perOut
            ? roundWithErrorFeedback(conv.weight.map(Double.init), rows: conv.outChannels, n: perOut,
                                     step: weightScales.map(Double.init), levels: levels, gram: g)
            : nil
    }
    for o in 0..<conv.outChannels {
        let sw = Double(weightScales[o])
        var meanShift = 0.0  // Σ ŵ · E[x̂] − w · E[x] for this output channel
        let group = o / (conv.outChannels / conv.groups)
        // PyTorch [o][ci][kh][kw] → OHWI [o][kh][kw][ci]
        for ci in 0..<cinG {
            for ky in 0..<k {
                for kx in 0..<k {
                    let w = Double(conv.weight[((o * cinG + ci) * k + ky) * k + kx])
                    let q = Int8(fed?[o * perOut + ci] ?? max(-levels, min(levels, (w / sw).rounded())))
                    weights[((o * k + ky) * k + kx) * cinG + ci] = q
                    if let mean = inputMean {
                        let i = group * cinG + ci
                        meanShift += coverY[ky] * coverX[kx] * (Double(q) * sw * Double(mean.int8[i]) - w * Double(mean.float[i]))
                    }
                }
            }
        }
        let accScale = input.scale * sw
        let b = (Double(conv.bias?[o] ?? 0) - meanShift) / accScale
        guard b.isFinite, abs(b) < Double(Int32.max) / 2 else {
            throw ToolkitError(name, "bias of output channel \(o) does not fit int32 at scale \(accScale)")
        }
        bias[o] = Int32(b.rounded())
    }
    let ms = QConv.multipliers(inputScale: Float(input.scale), weightScales: weightScales, outputScale: output.scale32)
    let (lo, hi) = clamp(conv.activation, output)
    let padValue: [Int8]? = conv.padValue.map { values in
        values.map { v in
            let q = (Double(v) / input.scale).rounded() + Double(input.zeroPoint)
            return Int8(max(-128, min(127, q)))
        }
    }
    let q = QConv(inChannels: conv.inChannels, outChannels: conv.outChannels, kernelH: k, kernelW: k,
                  strideH: conv.stride, strideW: conv.stride, padTop: gy.padBefore, padLeft: gx.padBefore,
                  groups: conv.groups, weights: weights, bias: bias, multiplier: ms.map(\.multiplier), shift: ms.map(\.shift),
                  inputZeroPoint: input.zeroPoint, outputZeroPoint: output.zeroPoint, actMin: lo, actMax: hi,
                  padValue: padValue, weightScales: weightScales, weightBits: levels < 127 ? 4 : 8)
    // The bound every model is validated against (`accumulatorOverflowChannel`, QuantCore).
    if let o = accumulatorOverflowChannel(q) {
        throw ToolkitError(name, "the int32 accumulator of output channel \(o) can overflow (|bias| + max|q − zp|·Σ|w| over \(perOut) terms exceeds 2^31 − 1)")
    }
    return q
}

/// For each kernel row (or column) offset, the share of output positions whose input index
/// `o · stride − padBefore + offset` lies inside `0..<inSize`.
func tapCoverage(_ g: (out: Int, padBefore: Int), inSize: Int, kernel: Int, stride: Int) -> [Double] {
    (0..<kernel).map { t in
        let inside = (0..<g.out).filter { o in (0..<inSize).contains(o * stride - g.padBefore + t) }.count
        return Double(inside) / Double(max(g.out, 1))
    }
}

/// The weight step of a low-precision (e.g. 4-bit) output channel: the one of 32 clipping levels
/// (`max|W| · a / levels`, `a` from 1 down to 0.5) whose rounding leaves the smallest squared
/// weight error. With only 15 levels, clipping a few large weights usually pays for the finer
/// step every other weight gets; with 255 levels it does not, so int8 keeps `max|W| / 127`.
func clippedScale(_ w: ArraySlice<Float>, maxAbs: Double, levels: Double) -> Double {
    var best = maxAbs / levels, bestError = Double.infinity
    for k in 0..<32 {
        let step = maxAbs * (1 - Double(k) / 62) / levels
        guard step > 0 else { break }
        var error = 0.0
        for x in w {
            let q = max(-levels, min(levels, (Double(x) / step).rounded()))
            let d = Double(x) - q * step
            error += d * d
        }
        if error < bestError { bestError = error; best = step }
    }
    return best
}

/// Rounds the rows of `weight` (`rows × n`, row-major) to `q = clamp(round(w / step[r]), ±levels)`
/// one column at a time, pushing each column's rounding error onto the columns not yet rounded in
/// proportion to how the layer's inputs co-vary (`gram` = `E[x xᵀ]`, `n × n`): the output error
/// `E[(Δw · x)²]` grows far less than with independent rounding to nearest (the GPTQ / OBQ update,
/// with 1 % damping of the diagonal). Returns the integer values, row-major.
func roundWithErrorFeedback(_ weight: [Double], rows: Int, n: Int, step: [Double], levels: Double, gram: [Double]) -> [Double] {
    // Columns in order of decreasing input energy (the largest errors are pushed onto the most
    // columns still free to absorb them), then back to their own order.
    let order = (0..<n).sorted { gram[$0 * n + $0] > gram[$1 * n + $1] || (gram[$0 * n + $0] == gram[$1 * n + $1] && $0 < $1) }
    var pg = [Double](repeating: 0, count: n * n), pw = [Double](repeating: 0, count: rows * n)
    for a in 0..<n { for b in 0..<n { pg[a * n + b] = gram[order[a] * n + order[b]] } }
    for r in 0..<rows { for a in 0..<n { pw[r * n + a] = weight[r * n + order[a]] } }
    let pq = roundInOrder(pw, rows: rows, n: n, step: step, levels: levels, gram: pg)
    var q = [Double](repeating: 0, count: rows * n)
    for r in 0..<rows { for a in 0..<n { q[r * n + order[a]] = pq[r * n + a] } }
    return q
}

/// `roundWithErrorFeedback` with the columns in the given order.
func roundInOrder(_ weight: [Double], rows: Int, n: Int, step: [Double], levels: Double, gram: [Double]) -> [Double] {
    // H + λI, dead inputs (zero variance) get 1 on the diagonal.
    var h = gram
    var meanDiag = 0.0
    for i in 0..<n { meanDiag += h[i * n + i] }
    meanDiag = max(meanDiag / Double(n), 1e-12)
    for i in 0..<n { h[i * n + i] = (h[i * n + i] > 0 ? h[i * n + i] : 1) + 0.01 * meanDiag }
    // U upper triangular with (H + λI)⁻¹ = Uᵀ U: the inverse from the Cholesky factor, then the
    // Cholesky factor of the inverse. Not positive definite (only through rounding): every
    // weight to nearest instead.
    guard let l = cholesky(h, n), let l2 = cholesky(inverseFromCholesky(l, n), n) else {
        return weight.indices.map { i in max(-levels, min(levels, (weight[i] / step[i / n]).rounded())) }
    }
    var w = weight
    var q = [Double](repeating: 0, count: rows * n)
    for r in 0..<rows {
        let s = step[r], base = r * n
        for j in 0..<n {
            let v = max(-levels, min(levels, (w[base + j] / s).rounded()))
            q[base + j] = v
            let e = (w[base + j] - v * s) / l2[j * n + j]
            // U[j][k] = L2[k][j]
            for k in (j + 1)..<n { w[base + k] -= e * l2[k * n + j] }
        }
    }
    return q
}

/// Lower Cholesky factor of the symmetric positive definite `a` (`n × n`), or nil.
func cholesky(_ a: [Double], _ n: Int) -> [Double]? {
    var l = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
        for j in 0...i {
            var sum = a[i * n + j]
            for k in 0..<j { sum -= l[i * n + k] * l[j * n + k] }
            if i == j {
                guard sum > 0 else { return nil }
                l[i * n + i] = sum.squareRoot()
            } else {
                l[i * n + j] = sum / l[j * n + j]
            }
        }
    }
    return l
}

/// `(L Lᵀ)⁻¹` from the lower Cholesky factor `l`.
func inverseFromCholesky(_ l: [Double], _ n: Int) -> [Double] {
    // Y = L⁻¹ (lower), then A⁻¹ = Yᵀ Y.
    var y = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
        y[i * n + i] = 1 / l[i * n + i]
        for j in 0..<i {
            var sum = 0.0
            for k in j..<i { sum -= l[i * n + k] * y[k * n + j] }
            y[i * n + j] = sum / l[i * n + i]
        }
    }
    var inv = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
        for j in i..<n {
            var sum = 0.0
            for k in j..<n { sum += y[k * n + i] * y[k * n + j] }
            inv[i * n + j] = sum; inv[j * n + i] = sum
        }
    }
    return inv
}
