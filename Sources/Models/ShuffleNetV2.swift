import QuantCore

/// ShuffleNetV2 (torchvision layout): `conv1` 3×3 conv 24 + ReLU, 3×3 max-pool s2 p1, stages of
/// 4/8/4 units, `conv5` 1×1 + ReLU, mean over H and W, `fc`. A stride-1 unit splits the channels
/// in halves, runs the right half through `branch2` (1×1 + ReLU → 3×3 depthwise → 1×1 + ReLU),
/// concatenates [left, right] and shuffles with 2 groups; a stride-2 unit runs `branch1`
/// (3×3 depthwise s2 → 1×1 + ReLU) and `branch2` (with a stride-2 depthwise) on the full input.
/// The width (×0.5, ×1.0, ×1.5, ×2.0) comes from the options or metadata, else from `stage2.0.branch2.0`.
func buildShuffleNetV2(_ dict: StateDict, _ hp: HyperParameters) throws -> Graph {
    let stageWidths: [Double: [Int]] = [0.5: [48, 96, 192], 1.0: [116, 232, 464], 1.5: [176, 352, 704], 2.0: [244, 488, 976]]
    var alpha = hp.widthMult ?? 1
    if hp.widthMult == nil, let w = dict.shape("stage2.0.branch2.0.weight"), w.count == 4,
       let match = stageWidths.first(where: { $0.value[0] == 2 * w[0] }) {
        alpha = match.key
    }
    guard let widths = stageWidths[alpha] else {
        throw ToolkitError(dict.path, "ShuffleNetV2 width \(alpha) is not supported (0.5, 1.0, 1.5 or 2.0)")
    }
    var b = GraphBuilder(dict: dict, input: hp.inputShape, eps: 1e-5)
    var x = try b.convBN("conv1", weight: "conv1.0.weight", bn: "conv1.1", 0, out: 24, kernel: 3, stride: hp.stemStride,
                         activation: .relu)
    x = try b.pool("maxpool", x, kernel: 3, stride: 2, pad: 1, average: false)
    for (stage, (width, repeats)) in zip(widths, [4, 8, 4]).enumerated() {
        let half = width / 2
        for unit in 0..<repeats {
            let p = "stage\(stage + 2).\(unit)"
            let stride = unit == 0 ? 2 : 1
            var left: Int, right: Int
            if stride == 2 {
                let inChannels = b.shape(x).c
                left = try b.convBN(p + ".branch1.0", weight: p + ".branch1.0.weight", bn: p + ".branch1.1", x,
                                    out: inChannels, kernel: 3, stride: 2, groups: inChannels)
                left = try b.convBN(p + ".branch1.2", weight: p + ".branch1.2.weight", bn: p + ".branch1.3", left,
                                    out: half, kernel: 1, activation: .relu)
                right = x
            } else {
                left = b.split(p + ".chunk0", x, start: 0, count: half)
                right = b.split(p + ".chunk1", x, start: half, count: half)
            }
            right = try b.convBN(p + ".branch2.0", weight: p + ".branch2.0.weight", bn: p + ".branch2.1", right,
                                 out: half, kernel: 1, activation: .relu)
            right = try b.convBN(p + ".branch2.3", weight: p + ".branch2.3.weight", bn: p + ".branch2.4", right,
                                 out: half, kernel: 3, stride: stride, groups: half)
            right = try b.convBN(p + ".branch2.5", weight: p + ".branch2.5.weight", bn: p + ".branch2.6", right,
                                 out: half, kernel: 1, activation: .relu)
            let joined = b.concat(p + ".concat", [left, right])
            x = b.append(p + ".shuffle", .shuffle(groups: 2), [joined], b.shape(joined))
        }
    }
    x = try b.convBN("conv5", weight: "conv5.0.weight", bn: "conv5.1", x, out: alpha == 2 ? 2048 : 1024, kernel: 1,
                     activation: .relu)
    x = b.globalAvgPool("mean", x)
    try hp.checkClassifier(dict, "fc.weight")
    _ = try b.linear("fc", x, out: hp.numClasses)
    return Graph(name: "", arch: hp.arch, preprocessing: hp.preprocessing, nodes: b.nodes, numClasses: hp.numClasses)
}
