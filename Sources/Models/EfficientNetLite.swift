import QuantCore

/// EfficientNet-Lite0 (EfficientNet-PyTorch layout), TensorFlow "SAME" padding on every conv:
/// `_conv_stem` 3×3 s2 32 + `_bn0` + ReLU6; 16 MBConv blocks `_blocks.N` ([`_expand_conv` +
/// `_bn0` + ReLU6] → `_depthwise_conv` + `_bn1` + ReLU6 → `_project_conv` + `_bn2`, residual when
/// stride 1 and in == out; no squeeze-excitation); `_conv_head` 1×1 1280 + `_bn1` + ReLU6;
/// global average pool; `_fc` Linear.
func buildEfficientNetLite0(_ dict: StateDict, _ hp: HyperParameters) throws -> Graph {
    /// (kernel, stride, expansion, in, out, repeats)
    let table = [(3, 1, 1, 32, 16, 1), (3, 2, 6, 16, 24, 2), (5, 2, 6, 24, 40, 2), (3, 2, 6, 40, 80, 3),
                 (5, 1, 6, 80, 112, 3), (5, 2, 6, 112, 192, 4), (3, 1, 6, 192, 320, 1)]
    if let w = hp.widthMult, w != 1 {
        throw ToolkitError(dict.path, "EfficientNet-Lite0 has width 1.0, not \(w)")
    }
    var b = GraphBuilder(dict: dict, input: hp.inputShape, eps: 1e-3)
    var x = try b.convBN("_conv_stem", weight: "_conv_stem.weight", bn: "_bn0", 0, out: 32, kernel: 3,
                         stride: hp.stemStride, padding: .tfSame, activation: .relu6)
    var index = 0
    for (kernel, firstStride, expansion, _, out, repeats) in table {
        for r in 0..<repeats {
            let p = "_blocks.\(index)"
            let stride = r == 0 ? firstStride : 1
            let input = x, inChannels = b.shape(x).c
            let hidden = inChannels * expansion
            if expansion != 1 {
                x = try b.convBN(p + "._expand_conv", weight: p + "._expand_conv.weight", bn: p + "._bn0", x, out: hidden,
                                 kernel: 1, padding: .tfSame, activation: .relu6)
            }
            x = try b.convBN(p + "._depthwise_conv", weight: p + "._depthwise_conv.weight", bn: p + "._bn1", x, out: hidden,
                             kernel: kernel, stride: stride, groups: hidden, padding: .tfSame, activation: .relu6)
            x = try b.convBN(p + "._project_conv", weight: p + "._project_conv.weight", bn: p + "._bn2", x, out: out,
                             kernel: 1, padding: .tfSame)
            if stride == 1 && inChannels == out { x = b.add(p + ".add", input, x) }
            index += 1
        }
    }
    x = try b.convBN("_conv_head", weight: "_conv_head.weight", bn: "_bn1", x, out: 1280, kernel: 1, padding: .tfSame,
                     activation: .relu6)
    x = b.globalAvgPool("_avg_pooling", x)
    try hp.checkClassifier(dict, "_fc.weight")
    _ = try b.linear("_fc", x, out: hp.numClasses)
    return Graph(name: "", arch: hp.arch, preprocessing: hp.preprocessing, nodes: b.nodes, numClasses: hp.numClasses)
}
