import QuantCore

/// ShuffleNetV1 (this project's layout): `conv1` 3×3 conv 24 + ReLU, 3×3 max-pool s2 p1, stages
/// `stage2/3/4` of 4/8/4 units, global average pool, `fc` Linear. A unit is `conv1` 1×1 group conv
/// to out/4 + `bn1` + ReLU, channel shuffle (only where conv1 is grouped; the very first unit's
/// conv1 has one group), `conv2` 3×3 depthwise + `bn2`, `conv3` 1×1 group conv + `bn3`.
/// Stride 1: ReLU(x + branch); stride 2: ReLU(concat[avg-pool 3×3 s2 p1 of x, branch]).
/// The group count comes from the options or metadata, else from `stage2.0.conv3`'s shape.
func buildShuffleNetV1(_ dict: StateDict, _ hp: HyperParameters) throws -> Graph {
    let stageWidths = [1: [144, 288, 576], 2: [200, 400, 800], 3: [240, 480, 960], 4: [272, 544, 1088], 8: [384, 768, 1536]]
    var groups = hp.groups ?? 3
    if hp.groups == nil, let conv3 = dict.shape("stage2.0.conv3.weight"), let conv2 = dict.shape("stage2.0.conv2.weight"),
       conv3.count == 4, conv2.count == 4, conv3[1] > 0, conv2[0] % conv3[1] == 0 {
        groups = conv2[0] / conv3[1]
    }
    guard let widths = stageWidths[groups] else {
        throw ToolkitError(dict.path, "ShuffleNetV1 with \(groups) groups is not supported (1, 2, 3, 4 or 8)")
    }
    if let w = hp.widthMult, w != 1 {
        throw ToolkitError(dict.path, "ShuffleNetV1 is supported at width 1.0 only, not \(w)")
    }
    var b = GraphBuilder(dict: dict, input: hp.inputShape, eps: 1e-5)
    var x = try b.convBN("conv1", weight: "conv1.0.weight", bn: "conv1.1", 0, out: 24, kernel: 3, stride: hp.stemStride,
                         activation: .relu)
    x = try b.pool("maxpool", x, kernel: 3, stride: 2, pad: 1, average: false)
    for (stage, (width, repeats)) in zip(widths, [4, 8, 4]).enumerated() {
        for unit in 0..<repeats {
            let p = "stage\(stage + 2).\(unit)"
            let stride = unit == 0 ? 2 : 1
            let input = x, inChannels = b.shape(x).c
            let bottleneck = width / 4
            let firstGroups = stage == 0 && unit == 0 ? 1 : groups
            var y = try b.convBN(p + ".conv1", weight: p + ".conv1.weight", bn: p + ".bn1", x, out: bottleneck, kernel: 1,
                                 groups: firstGroups, activation: .relu)
            if firstGroups > 1 { y = b.append(p + ".shuffle", .shuffle(groups: groups), [y], b.shape(y)) }
            y = try b.convBN(p + ".conv2", weight: p + ".conv2.weight", bn: p + ".bn2", y, out: bottleneck, kernel: 3,
                             stride: stride, groups: bottleneck)
            y = try b.convBN(p + ".conv3", weight: p + ".conv3.weight", bn: p + ".bn3", y,
                             out: stride == 2 ? width - inChannels : width, kernel: 1, groups: groups)
            if stride == 1 {
                x = b.add(p + ".add", input, y, activation: .relu)
            } else {
                let pooled = try b.pool(p + ".avgpool", input, kernel: 3, stride: 2, pad: 1, average: true)
                x = b.unary(p + ".relu", .relu, b.concat(p + ".concat", [pooled, y]))
            }
        }
    }
    x = b.globalAvgPool("avgpool", x)
    try hp.checkClassifier(dict, "fc.weight")
    _ = try b.linear("fc", x, out: hp.numClasses)
    return Graph(name: "", arch: hp.arch, preprocessing: hp.preprocessing, nodes: b.nodes, numClasses: hp.numClasses)
}
