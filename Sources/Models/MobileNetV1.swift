import QuantCore

/// MobileNetV1 (this project's layout): `features.0` = 3×3 conv 32α + BN + ReLU6, 13 blocks
/// `features.i.dw` (3×3 depthwise + BN + ReLU6) and `features.i.pw` (1×1 + BN + ReLU6), global
/// average pool, `classifier` Linear. The width multiplier α comes from the options or metadata,
/// else from the classifier's input width (1024α).
func buildMobileNetV1(_ dict: StateDict, _ hp: HyperParameters) throws -> Graph {
    let widths = [64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024]
    let strides = [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]
    var alpha = hp.widthMult ?? 1
    if hp.widthMult == nil, let fc = dict.shape("classifier.weight"), fc.count == 2 { alpha = Double(fc[1]) / 1024 }
    func scaled(_ c: Int) -> Int { max(8, Int((Double(c) * alpha).rounded())) }

    var b = GraphBuilder(dict: dict, input: hp.inputShape, eps: 1e-5)
    var x = try b.convBN("features.0", weight: "features.0.0.weight", bn: "features.0.1", 0, out: scaled(32),
                         kernel: 3, stride: hp.stemStride, activation: .relu6)
    for (i, (width, stride)) in zip(widths, strides).enumerated() {
        let p = "features.\(i + 1)"
        let channels = b.shape(x).c
        x = try b.convBN(p + ".dw", weight: p + ".dw.0.weight", bn: p + ".dw.1", x, out: channels, kernel: 3,
                         stride: stride, groups: channels, activation: .relu6)
        x = try b.convBN(p + ".pw", weight: p + ".pw.0.weight", bn: p + ".pw.1", x, out: scaled(width), kernel: 1,
                         activation: .relu6)
    }
    x = b.globalAvgPool("avgpool", x)
    try hp.checkClassifier(dict, "classifier.weight")
    _ = try b.linear("classifier", x, out: hp.numClasses)
    return Graph(name: "", arch: hp.arch, preprocessing: hp.preprocessing, nodes: b.nodes, numClasses: hp.numClasses)
}
