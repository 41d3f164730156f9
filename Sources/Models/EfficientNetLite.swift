import QuantCore

/// The EfficientNet-Lite family, Lite0 … Lite4 and any other depth or width of it
/// (EfficientNet-PyTorch layout), TensorFlow "SAME" padding on every conv:
/// `_conv_stem` 3×3 s2 + `_bn0` + ReLU6; MBConv blocks `_blocks.N` ([`_expand_conv` + `_bn0` +
/// ReLU6] → `_depthwise_conv` + `_bn1` + ReLU6 → `_project_conv` + `_bn2`, residual when stride 1
/// and in == out; no squeeze-excitation); `_conv_head` 1×1 + `_bn1` + ReLU6; global average pool;
/// `_fc` Linear.
///
/// Nothing about depth or width is assumed: the blocks, their kernels, expansions and widths come
/// from the checkpoint's keys and shapes (`liteBlocks`). Strides are the family's: the blocks fall
/// into seven stages (a stage starts where the output width changes) with strides 1, 2, 2, 2, 1, 2, 1.
func buildEfficientNetLite(_ dict: StateDict, _ hp: HyperParameters) throws -> Graph {
    let blocks = try liteBlocks(dict)
    guard let stem = dict.shape("_conv_stem.weight"), stem.count == 4 else {
        throw ToolkitError(dict.path, "missing tensor `_conv_stem.weight` (a 4-d convolution weight)")
    }
    var b = GraphBuilder(dict: dict, input: hp.inputShape, eps: 1e-3)
    var x = try b.convBN("_conv_stem", weight: "_conv_stem.weight", bn: "_bn0", 0, out: stem[0], kernel: 3,
                         stride: hp.stemStride, padding: .tfSame, activation: .relu6)
    for (index, block) in blocks.enumerated() {
        let p = "_blocks.\(index)"
        let input = x, inChannels = b.shape(x).c
        if block.expanded {
            x = try b.convBN(p + "._expand_conv", weight: p + "._expand_conv.weight", bn: p + "._bn0", x, out: block.hidden,
                             kernel: 1, padding: .tfSame, activation: .relu6)
        }
        x = try b.convBN(p + "._depthwise_conv", weight: p + "._depthwise_conv.weight", bn: p + "._bn1", x, out: block.hidden,
                         kernel: block.kernel, stride: block.stride, groups: block.hidden, padding: .tfSame, activation: .relu6)
        x = try b.convBN(p + "._project_conv", weight: p + "._project_conv.weight", bn: p + "._bn2", x, out: block.out,
                         kernel: 1, padding: .tfSame)
        if block.stride == 1 && inChannels == block.out { x = b.add(p + ".add", input, x) }
    }
    let head = dict.shape("_conv_head.weight").flatMap { $0.count == 4 ? $0[0] : nil } ?? 1280
    x = try b.convBN("_conv_head", weight: "_conv_head.weight", bn: "_bn1", x, out: head, kernel: 1, padding: .tfSame,
                     activation: .relu6)
    x = b.globalAvgPool("_avg_pooling", x)
    try hp.checkClassifier(dict, "_fc.weight")
    _ = try b.linear("_fc", x, out: hp.numClasses)
    return Graph(name: "", arch: hp.arch, preprocessing: hp.preprocessing, nodes: b.nodes, numClasses: hp.numClasses)
}

/// One MBConv block as the checkpoint shapes it.
struct LiteBlock: Equatable {
    var kernel: Int
    /// Whether it has an `_expand_conv` (expansion ≠ 1), and the depthwise width.
    var expanded: Bool
    var hidden: Int
    var out: Int
    var stride: Int
}

/// The family's stage strides (EfficientNet-B0's table, which every Lite keeps).
let liteStageStrides = [1, 2, 2, 2, 1, 2, 1]

/// The blocks `_blocks.0 … _blocks.N−1` of an EfficientNet-Lite checkpoint, read from the
/// depthwise and projection weights' shapes. Blocks must be numbered without gaps and fall into
/// exactly seven stages; anything else is an error naming the key.
func liteBlocks(_ dict: StateDict) throws -> [LiteBlock] {
    var blocks: [LiteBlock] = []
    while let dw = dict.shape("_blocks.\(blocks.count)._depthwise_conv.weight") {
        let p = "_blocks.\(blocks.count)"
        guard dw.count == 4, dw[1] == 1, dw[2] == dw[3], dw[2] % 2 == 1 else {
            throw ToolkitError(dict.path, "tensor `\(p)._depthwise_conv.weight`: expected a depthwise weight [C, 1, k, k] with odd k, found \(format(dw))")
        }
        guard let project = dict.shape(p + "._project_conv.weight"), project.count == 4 else {
            throw ToolkitError(dict.path, "missing tensor `\(p)._project_conv.weight` (expected shape [out, \(dw[0]), 1, 1])")
        }
        blocks.append(LiteBlock(kernel: dw[2], expanded: dict.shape(p + "._expand_conv.weight") != nil, hidden: dw[0],
                                out: project[0], stride: 1))
    }
    guard !blocks.isEmpty else {
        throw ToolkitError(dict.path, "missing tensor `_blocks.0._depthwise_conv.weight`: no MBConv blocks")
    }
    var stage = 0
    for i in blocks.indices where i > 0 && blocks[i].out != blocks[i - 1].out {
        stage += 1
        guard stage < liteStageStrides.count else { break }
        blocks[i].stride = liteStageStrides[stage]
    }
    guard stage == liteStageStrides.count - 1 else {
        throw ToolkitError(dict.path, "the \(blocks.count) blocks `_blocks.N` form \(stage + 1) stages (by output width), an EfficientNet-Lite has 7")
    }
    return blocks
}

/// The published EfficientNet-Lite variants: width and depth coefficients and the input size each
/// was trained at (TensorFlow's `efficientnet_lite_builder`).
let liteVariants: [(name: String, width: Double, depth: Double, inputSize: Int)] = [
    ("efficientnet_lite0", 1.0, 1.0, 224), ("efficientnet_lite1", 1.0, 1.1, 240), ("efficientnet_lite2", 1.1, 1.2, 260),
    ("efficientnet_lite3", 1.2, 1.4, 280), ("efficientnet_lite4", 1.4, 1.8, 300),
]

/// (output width, repeats) of each stage of a Lite variant: EfficientNet-B0's stages with widths
/// scaled by `width` (rounded to a multiple of 8, never more than 10% down) and repeats by `depth`
/// (rounded up), except the first and last stage, whose repeats Lite keeps fixed.
func liteStages(width: Double, depth: Double) -> [(out: Int, repeats: Int)] {
    let base = [(16, 1), (24, 2), (40, 2), (80, 3), (112, 3), (192, 4), (320, 1)]
    return base.enumerated().map { i, stage in
        let fixed = i == 0 || i == base.count - 1
        let repeats = fixed ? stage.1 : Int((depth * Double(stage.1)).rounded(.up))
        return (makeDivisible(Double(stage.0) * width), repeats)
    }
}

/// The Lite variant (name and input size) whose stages the checkpoint's blocks match, if any.
func liteVariant(_ dict: StateDict) -> (name: String, inputSize: Int)? {
    guard let blocks = try? liteBlocks(dict) else { return nil }
    var stages: [(out: Int, repeats: Int)] = []
    for block in blocks {
        if let last = stages.last, last.out == block.out { stages[stages.count - 1].repeats += 1 } else { stages.append((block.out, 1)) }
    }
    for variant in liteVariants {
        let expected = liteStages(width: variant.width, depth: variant.depth)
        if expected.count == stages.count && zip(expected, stages).allSatisfy({ $0.out == $1.out && $0.repeats == $1.repeats }) {
            return (variant.name, variant.inputSize)
        }
    }
    return nil
}
