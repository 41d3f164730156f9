import QuantCore

/// MobileNetV3-Small / -Large (torchvision layout): stem `features.0` 3×3 conv 16 + hard-swish;
/// inverted residual blocks `features.i.block.j` from the paper's tables ([1×1 expand] → k×k
/// depthwise → [squeeze-excitation] → 1×1 project, each with its ReLU or hard-swish; residual
/// when stride 1 and in == out); last 1×1 conv (6 × last width) + hard-swish; global average
/// pool; `classifier.0` Linear + hard-swish (`classifier.1`); `classifier.3` Linear.
/// Hard-swish is a separate node named after its torchvision module (`….2`); ReLU is fused.
/// Any width: every layer's width is read from its weight's shape (the width multiplier, given or
/// not, only names the widths expected where a tensor is missing).
func buildMobileNetV3(_ dict: StateDict, _ hp: HyperParameters, large: Bool) throws -> Graph {
    /// (kernel, expansion, out, squeeze-excitation, hard-swish, stride)
    let small: [(Int, Int, Int, Bool, Bool, Int)] = [
        (3, 16, 16, true, false, 2), (3, 72, 24, false, false, 2), (3, 88, 24, false, false, 1),
        (5, 96, 40, true, true, 2), (5, 240, 40, true, true, 1), (5, 240, 40, true, true, 1),
        (5, 120, 48, true, true, 1), (5, 144, 48, true, true, 1), (5, 288, 96, true, true, 2),
        (5, 576, 96, true, true, 1), (5, 576, 96, true, true, 1),
    ]
    let largeTable: [(Int, Int, Int, Bool, Bool, Int)] = [
        (3, 16, 16, false, false, 1), (3, 64, 24, false, false, 2), (3, 72, 24, false, false, 1),
        (5, 72, 40, true, false, 2), (5, 120, 40, true, false, 1), (5, 120, 40, true, false, 1),
        (3, 240, 80, false, true, 2), (3, 200, 80, false, true, 1), (3, 184, 80, false, true, 1),
        (3, 184, 80, false, true, 1), (3, 480, 112, true, true, 1), (3, 672, 112, true, true, 1),
        (5, 672, 160, true, true, 2), (5, 960, 160, true, true, 1), (5, 960, 160, true, true, 1),
    ]
    let alpha = hp.widthMult ?? 1
    func adjust(_ c: Int) -> Int { makeDivisible(Double(c) * alpha) }
    /// Output width of the weight `key` (conv or linear), else `expected`.
    func width(_ key: String, _ expected: Int) -> Int { dict.shape(key).flatMap { $0.count >= 2 ? $0[0] : nil } ?? expected }
    var b = GraphBuilder(dict: dict, input: hp.inputShape, eps: 1e-3)

    /// Conv + BN of torchvision's `Conv2dNormActivation` at `p`, with ReLU fused or a hard-swish node.
    func convUnit(_ p: String, _ x: Int, out: Int, kernel: Int, stride: Int = 1, groups: Int = 1,
                  relu: Bool = false, hardSwish: Bool = false) throws -> Int {
        let y = try b.convBN(p, weight: p + ".0.weight", bn: p + ".1", x, out: out, kernel: kernel, stride: stride,
                             groups: groups, activation: relu ? .relu : .none)
        return hardSwish ? b.unary(p + ".2", .hardSwish, y) : y
    }

    var x = try convUnit("features.0", 0, out: width("features.0.0.weight", adjust(16)), kernel: 3, stride: hp.stemStride, hardSwish: true)
    let table = large ? largeTable : small
    for (i, (kernel, expansion, outWidth, se, hs, stride)) in table.enumerated() {
        let p = "features.\(i + 1).block"
        let input = x, inChannels = b.shape(x).c
        // The block expands when its first conv is not the depthwise one (a [C, 1, k, k] weight).
        let first = dict.shape("\(p).0.0.weight")
        let expands = first.map { $0.count == 4 && $0[1] != 1 } ?? (adjust(expansion) != inChannels)
        let expanded = width("\(p).0.0.weight", adjust(expansion))
        var j = 0
        if expands {
            x = try convUnit("\(p).0", x, out: expanded, kernel: 1, relu: !hs, hardSwish: hs)
            j += 1
        }
        x = try convUnit("\(p).\(j)", x, out: expanded, kernel: kernel, stride: stride, groups: expanded, relu: !hs, hardSwish: hs)
        j += 1
        if se {
            x = try b.squeezeExcite("\(p).\(j)", x, squeeze: width("\(p).\(j).fc1.weight", makeDivisible(Double(expanded / 4))))
            j += 1
        }
        x = try convUnit("\(p).\(j)", x, out: width("\(p).\(j).0.weight", adjust(outWidth)), kernel: 1)
        let out = b.shape(x).c
        if stride == 1 && inChannels == out { x = b.add("features.\(i + 1).add", input, x) }
    }
    let lastIndex = table.count + 1
    x = try convUnit("features.\(lastIndex)", x, out: width("features.\(lastIndex).0.weight", 6 * b.shape(x).c), kernel: 1, hardSwish: true)
    x = b.globalAvgPool("avgpool", x)
    x = try b.linear("classifier.0", x, out: width("classifier.0.weight", adjust(large ? 1280 : 1024)))
    x = b.unary("classifier.1", .hardSwish, x)
    try hp.checkClassifier(dict, "classifier.3.weight")
    _ = try b.linear("classifier.3", x, out: hp.numClasses)
    return Graph(name: "", arch: hp.arch, preprocessing: hp.preprocessing, nodes: b.nodes, numClasses: hp.numClasses)
}
