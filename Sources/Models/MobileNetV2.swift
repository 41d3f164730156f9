import QuantCore

/// MobileNetV2 (torchvision layout): stem `features.0` 3×3 conv 32 + ReLU6, inverted residual
/// blocks `features.1…17` from the paper's (t, c, n, s) table (`conv.*`: [1×1 expand + ReLU6] →
/// 3×3 depthwise + ReLU6 → 1×1 linear project, residual when stride 1 and in == out),
/// `features.18` 1×1 conv 1280 + ReLU6, global average pool, `classifier.1` Linear.
/// Any width: every layer's width is read from its weight's shape (the width multiplier, given or
/// not, only names the widths expected where a tensor is missing).
func buildMobileNetV2(_ dict: StateDict, _ hp: HyperParameters) throws -> Graph {
    let table = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
    let alpha = hp.widthMult ?? 1
    var b = GraphBuilder(dict: dict, input: hp.inputShape, eps: 1e-5)
    /// Output width of the conv weight `key`, else the table's width scaled by `alpha`.
    func width(_ key: String, _ expected: Int) -> Int { dict.shape(key).flatMap { $0.count == 4 ? $0[0] : nil } ?? expected }
    var x = try b.convBN("features.0", weight: "features.0.0.weight", bn: "features.0.1", 0, out: width("features.0.0.weight", makeDivisible(32 * alpha)),
                         kernel: 3, stride: hp.stemStride, activation: .relu6)
    var index = 1
    for (t, c, n, s) in table {
        for repeatIndex in 0..<n {
            let p = "features.\(index).conv"
            let stride = repeatIndex == 0 ? s : 1
            let input = x, inChannels = b.shape(x).c
            let hidden = inChannels * t
            var layer = 0
            let out = width("\(p).\(t != 1 ? 2 : 1).weight", makeDivisible(Double(c) * alpha))
            if t != 1 {
                x = try b.convBN("\(p).0", weight: "\(p).0.0.weight", bn: "\(p).0.1", x, out: hidden, kernel: 1, activation: .relu6)
                layer += 1
            }
            x = try b.convBN("\(p).\(layer)", weight: "\(p).\(layer).0.weight", bn: "\(p).\(layer).1", x, out: hidden,
                             kernel: 3, stride: stride, groups: hidden, activation: .relu6)
            x = try b.convBN("\(p).\(layer + 1)", weight: "\(p).\(layer + 1).weight", bn: "\(p).\(layer + 2)", x, out: out, kernel: 1)
            if stride == 1 && inChannels == out { x = b.add("features.\(index).add", input, x) }
            index += 1
        }
    }
    let last = width("features.\(index).0.weight", makeDivisible(1280 * max(1, alpha)))
    x = try b.convBN("features.\(index)", weight: "features.\(index).0.weight", bn: "features.\(index).1", x, out: last,
                     kernel: 1, activation: .relu6)
    x = b.globalAvgPool("avgpool", x)
    try hp.checkClassifier(dict, "classifier.1.weight")
    _ = try b.linear("classifier.1", x, out: hp.numClasses)
    return Graph(name: "", arch: hp.arch, preprocessing: hp.preprocessing, nodes: b.nodes, numClasses: hp.numClasses)
}
