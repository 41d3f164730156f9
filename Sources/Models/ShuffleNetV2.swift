import QuantCore

/// ShuffleNetV2 (torchvision layout): `conv1` 3×3 conv 24 + ReLU, 3×3 max-pool s2 p1, stages of
/// 4/8/4 units, `conv5` 1×1 + ReLU, mean over H and W, `fc`. A stride-1 unit splits the channels
/// in halves, runs the right half through `branch2` (1×1 + ReLU → 3×3 depthwise → 1×1 + ReLU),
/// concatenates [left, right] and shuffles with 2 groups; a stride-2 unit runs `branch1`
/// (3×3 depthwise s2 → 1×1 + ReLU) and `branch2` (with a stride-2 depthwise) on the full input.
/// Any width and depth: each stage's width comes from its first unit's `branch1.2` weight (half the
/// stage width), its unit count from the keys `stageN.U`, and the stem and `conv5` widths from
/// their weights; the torchvision widths (×0.5 … ×2.0) are only what a missing tensor is expected to be.
func buildShuffleNetV2(_ dict: StateDict, _ hp: HyperParameters) throws -> Graph {
    let stageWidths: [Double: [Int]] = [0.5: [48, 96, 192], 1.0: [116, 232, 464], 1.5: [176, 352, 704], 2.0: [244, 488, 976]]
    let alpha = hp.widthMult ?? 1
    let tableWidths = stageWidths[alpha] ?? stageWidths[1]!
    /// Output width of the conv weight `key`, else `expected`.
    func width(_ key: String, _ expected: Int) -> Int { dict.shape(key).flatMap { $0.count == 4 ? $0[0] : nil } ?? expected }
    var stages: [(width: Int, repeats: Int)] = []
    for stage in 0..<3 {
        let p = "stage\(stage + 2)"
        var repeats = 0
        while dict.shape("\(p).\(repeats).branch2.0.weight") != nil { repeats += 1 }
        stages.append((2 * width("\(p).0.branch1.2.weight", tableWidths[stage] / 2), repeats == 0 ? [4, 8, 4][stage] : repeats))
    }
    var b = GraphBuilder(dict: dict, input: hp.inputShape, eps: 1e-5)
    var x = try b.convBN("conv1", weight: "conv1.0.weight", bn: "conv1.1", 0, out: width("conv1.0.weight", 24), kernel: 3, stride: hp.stemStride,
                         activation: .relu)
    x = try b.pool("maxpool", x, kernel: 3, stride: 2, pad: 1, average: false)
    for (stage, (stageWidth, repeats)) in stages.enumerated() {
        let half = stageWidth / 2
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
    x = try b.convBN("conv5", weight: "conv5.0.weight", bn: "conv5.1", x, out: width("conv5.0.weight", alpha == 2 ? 2048 : 1024), kernel: 1,
                     activation: .relu)
    x = b.globalAvgPool("mean", x)
    try hp.checkClassifier(dict, "fc.weight")
    _ = try b.linear("fc", x, out: hp.numClasses)
    return Graph(name: "", arch: hp.arch, preprocessing: hp.preprocessing, nodes: b.nodes, numClasses: hp.numClasses)
}
