import Models
import QuantCore

/// One prepared node: the kernel with its packed weights, its input values and its output shape.
struct Step: Sendable {
    enum Kernel: Sendable {
        /// 1×1 stride-1 convolution: one matrix product per group over all pixels.
        case pointwise([PackedGemm])
        case depthwise(DepthwiseConv)
        case general(GeneralConv)
        case linear(PackedGemm)
        case clamp(lo: Float, hi: Float)
        case hardSwish, hardSigmoid
        case function(UnaryFunction)
        case add(lo: Float, hi: Float)
        case mul, concat
        case split(start: Int)
        case shuffle(groups: Int)
        case pool(kernel: Int, stride: Int, pad: Int, average: Bool)
        case globalAvgPool
    }
    let kernel: Kernel
    let inputs: [Int]
    let inShapes: [Shape3]
    let outShape: Shape3
}

/// Clamp bounds of a fused activation.
func bounds(_ activation: Activation) -> (Float, Float) {
    switch activation {
    case .none: return (-.infinity, .infinity)
    case .relu: return (0, .infinity)
    case .relu6: return (0, 6)
    }
}

/// The convolution's weights and bias with its batch norm folded in (`foldBatchNorm`, Models).
func foldedConv(_ conv: Conv2D) -> (weight: [Float], bias: [Float]) {
    var folded = conv
    if let bn = conv.batchNorm { foldBatchNorm(&folded, bn) }
    return (folded.weight, folded.bias ?? [Float](repeating: 0, count: conv.outChannels))
}

/// Prepares the kernel of node `node` whose inputs have shapes `inShapes`.
func prepare(_ node: Node, inShapes: [Shape3]) -> Step.Kernel {
    switch node.op {
    case .conv(let conv):
        return prepareConv(conv, input: inShapes[0])
    case .linear(let fc):
        let (lo, hi) = bounds(fc.activation)
        let w = fc.weight, inF = fc.inFeatures
        return .linear(PackedGemm(k: inF, n: fc.outFeatures, bias: fc.bias ?? [Float](repeating: 0, count: fc.outFeatures),
                                  lo: lo, hi: hi) { k, n in w[n * inF + k] })
    case .relu: return .clamp(lo: 0, hi: .infinity)
    case .relu6: return .clamp(lo: 0, hi: 6)
    case .hardSwish: return .hardSwish
    case .hardSigmoid: return .hardSigmoid
    case .function(let f): return .function(f)
    case .add(let activation):
        let (lo, hi) = bounds(activation)
        return .add(lo: lo, hi: hi)
    case .mul: return .mul
    case .concat: return .concat
    case .split(let start, _): return .split(start: start)
    case .shuffle(let groups): return .shuffle(groups: groups)
    case .maxPool(let k, let s, let p): return .pool(kernel: k, stride: s, pad: p, average: false)
    case .avgPool(let k, let s, let p): return .pool(kernel: k, stride: s, pad: p, average: true)
    case .globalAvgPool: return .globalAvgPool
    }
}

/// Picks the convolution variant: depthwise, pointwise (1×1, stride 1, no padding value), or general.
private func prepareConv(_ conv: Conv2D, input: Shape3) -> Step.Kernel {
    let (weight, bias) = foldedConv(conv)
    let (lo, hi) = bounds(conv.activation)
    let k = conv.kernel
    let rows = conv.geometry(rows: input.h), cols = conv.geometry(cols: input.w)
    let depthwise = conv.groups == conv.inChannels && conv.groups == conv.outChannels && conv.groups > 1
    if depthwise && conv.padValue == nil {
        return .depthwise(DepthwiseConv(channels: conv.outChannels, kernel: k, stride: conv.stride, padTop: rows.padBefore,
                                        padLeft: cols.padBefore, weight: weight, bias: bias, lo: lo, hi: hi))
    }
    let cg = conv.inChannels / conv.groups, og = conv.outChannels / conv.groups
    let gemms = (0..<conv.groups).map { g in
        PackedGemm(k: k * k * cg, n: og, bias: Array(bias[(g * og)..<((g + 1) * og)]), lo: lo, hi: hi) { kk, n in
            // K index (ky, kx, c) → PyTorch weight [o][c][ky][kx].
            let c = kk % cg, tap = kk / cg
            return weight[((g * og + n) * cg + c) * k * k + tap]
        }
    }
    if k == 1 && conv.stride == 1 && conv.padValue == nil {
        return .pointwise(gemms)
    }
    return .general(GeneralConv(inChannels: conv.inChannels, outChannels: conv.outChannels, kernel: k, stride: conv.stride,
                                groups: conv.groups, padTop: rows.padBefore, padLeft: cols.padBefore,
                                padValue: conv.padValue ?? [Float](repeating: 0, count: conv.inChannels), gemms: gemms))
}

/// Where every value lives in a worker's one float arena: QuantCore's `planArena` (the planner
/// the int8 engine and the blob use) over the graph's value lifetimes, in floats, each value with
/// 16 floats of slack of its own (vector loads and stores may run past a value's end) and
/// 64-byte-aligned; the input (value 0) is in the arena too.
func planFloatArena(_ graph: Graph) -> ArenaPlan {
    let valueCount = graph.nodes.count + 1
    return planArena(sizes: (0..<valueCount).map { graph.shape($0).count + 16 },
                     lifetimes: valueLifetimes(nodeInputs: graph.nodes.map(\.inputs)), placing: Array(0..<valueCount),
                     alignment: 16)
}
