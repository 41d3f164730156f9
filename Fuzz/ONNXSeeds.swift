import TestSupport

/// Small ONNX seeds, written with TestSupport's protobuf encoder (`PB`, `OnnxBuild`): the graphs exercise the
/// importer's paths (conv + fused clamps, dynamic TF-SAME padding, hard-swish / hard-sigmoid
/// patterns, SE gate, channel shuffle, split, concat, Gemm head).

/// ONNX messages for the seeds, through TestSupport's encoder.
enum ONNXSeed {
    /// A float tensor with deterministic values in [−1, 1] (or [0.5, 1.5] with `positive`).
    static func floats(_ name: String, _ dims: [Int], seed: Int, positive: Bool = false) -> PB {
        OnnxBuild.tensor(name, dims, (0..<dims.reduce(1, *)).map { i in
            let v = Float(Double((i * 7919 + seed * 104729) % 2001) / 1000 - 1)
            return positive ? abs(v) + 0.5 : v
        })
    }
    static func ints(_ name: String, _ v: [Int64], scalar: Bool = false) -> PB {
        OnnxBuild.intTensor(name, scalar ? [] : [v.count], v)
    }
    static func node(_ op: String, _ inputs: [String], _ outputs: [String], _ attrs: [(String, OnnxBuild.Attr)] = []) -> PB {
        OnnxBuild.node(op, inputs, outputs, attrs)
    }
    static func model(_ nodes: [PB], _ inits: [PB], input: [Int64], output: String, opset: Int64 = 17) -> [UInt8] {
        OnnxBuild.model(nodes: nodes, initializers: inits, inputDims: input.map(Int.init), output: output, outputDims: [1, 5], opset: opset)
    }
}

/// The seeds: four small graphs the importer accepts.
func onnxSeeds() -> [[UInt8]] {
    typealias S = ONNXSeed
    let head = [S.node("GlobalAveragePool", ["a"], ["p"]), S.node("Flatten", ["p"], ["f"]),
                S.node("Gemm", ["f", "fc.w", "fc.b"], ["y"], [("transB", .int(1))])]
    let headInits = [S.floats("fc.w", [5, 8], seed: 1), S.floats("fc.b", [5], seed: 2)]
    let stem = S.node("Conv", ["x", "w", "b"], ["c"], [("kernel_shape", .ints([3, 3])), ("pads", .ints([1, 1, 1, 1])), ("strides", .ints([1, 1]))])
    let stemInits = [S.floats("w", [8, 3, 3, 3], seed: 3), S.floats("b", [8], seed: 4)]
    let scalar = { (n: String, v: Float) -> PB in OnnxBuild.tensor(n, [], [v]) }
    // 1. conv + ReLU6 (Clip with constant inputs) + residual add + head.
    let plain = S.model([stem, S.node("Clip", ["c", "lo", "hi"], ["r"]), S.node("Add", ["r", "c"], ["a"])] + head,
                        stemInits + headInits + [scalar("lo", 0), scalar("hi", 6)], input: [-1, 3, 8, 8], output: "y")
    // 2. dynamic TF-SAME padding from Shape arithmetic, Pad, strided conv, hard-swish as x·Clip(x+3,0,6)/6.
    let pads = [S.node("Shape", ["x"], ["s"]), S.node("Gather", ["s", "two"], ["h"], [("axis", .int(0))]),
                S.node("Sub", ["nine", "h"], ["t"]), S.node("Div", ["t", "two"], ["b0"]), S.node("Sub", ["t", "b0"], ["a0"]),
                S.node("Unsqueeze", ["b0", "ax"], ["b1"]), S.node("Unsqueeze", ["a0", "ax"], ["a1"]),
                S.node("Concat", ["z2", "b1", "b1", "z2", "a1", "a1"], ["pp"], [("axis", .int(0))]),
                S.node("Pad", ["x", "pp"], ["xp"], [("mode", .string("constant"))]),
                S.node("Conv", ["xp", "w", "b"], ["c"], [("kernel_shape", .ints([3, 3])), ("strides", .ints([2, 2]))]),
                S.node("Add", ["c", "three"], ["c3"]), S.node("Clip", ["c3", "lo", "hi"], ["cc"]), S.node("Mul", ["c", "cc"], ["m"]),
                S.node("Div", ["m", "hi"], ["a"])]
    let dynamic = S.model(pads + head, stemInits + headInits + [S.ints("two", [2], scalar: true), S.ints("nine", [9], scalar: true),
                                                                S.ints("ax", [0]), S.ints("z2", [0, 0]), scalar("three", 3), scalar("lo", 0), scalar("hi", 6)],
                          input: [1, 3, 8, 8], output: "y")
    // 3. SE gate with HardSigmoid, opset-13 hard-swish x·HardSigmoid(x), BatchNormalization, Sub/Div normalization.
    let se = [S.node("Sub", ["x", "mean"], ["xm"]), S.node("Div", ["xm", "std"], ["xn"]),
              S.node("Conv", ["xn", "w"], ["c0"], [("kernel_shape", .ints([3, 3])), ("pads", .ints([1, 1, 1, 1]))]),
              S.node("BatchNormalization", ["c0", "g", "bb", "mu", "var"], ["c"], [("epsilon", .float(0.001))]),
              S.node("HardSigmoid", ["c"], ["hs"], [("alpha", .float(1 / 6)), ("beta", .float(0.5))]), S.node("Mul", ["c", "hs"], ["sw"]),
              S.node("GlobalAveragePool", ["sw"], ["q"]), S.node("Conv", ["q", "sew", "seb"], ["e"], [("kernel_shape", .ints([1, 1]))]),
              S.node("HardSigmoid", ["e"], ["gate"], [("alpha", .float(1 / 6)), ("beta", .float(0.5))]), S.node("Mul", ["sw", "gate"], ["a"])]
    let seModel = S.model(se + head, [S.floats("w", [8, 3, 3, 3], seed: 5), S.floats("g", [8], seed: 6), S.floats("bb", [8], seed: 7),
                                      S.floats("mu", [8], seed: 8), S.floats("var", [8], seed: 99, positive: true), S.floats("sew", [8, 8, 1, 1], seed: 9),
                                      S.floats("seb", [8], seed: 10), S.floats("mean", [1, 3, 1, 1], seed: 11), S.floats("std", [1, 3, 1, 1], seed: 12, positive: true)] + headInits,
                          input: [1, 3, 8, 8], output: "y", opset: 13)
    // 4. split, channel shuffle (Reshape–Transpose–Reshape), concat, max / average pooling.
    let shuffle = [stem, S.node("Split", ["c", "sizes"], ["l", "r"], [("axis", .int(1))]), S.node("Relu", ["r"], ["rr"]),
                   S.node("Concat", ["l", "rr"], ["cat"], [("axis", .int(1))]),
                   S.node("Reshape", ["cat", "s5"], ["g5"]), S.node("Transpose", ["g5"], ["t5"], [("perm", .ints([0, 2, 1, 3, 4]))]),
                   S.node("Reshape", ["t5", "s4"], ["sh"]),
                   S.node("MaxPool", ["sh"], ["mp"], [("kernel_shape", .ints([3, 3])), ("pads", .ints([1, 1, 1, 1])), ("strides", .ints([2, 2]))]),
                   S.node("AveragePool", ["mp"], ["a"], [("kernel_shape", .ints([2, 2])), ("strides", .ints([2, 2]))])]
    let shuffleModel = S.model(shuffle + head, stemInits + headInits + [S.ints("sizes", [4, 4]), S.ints("s5", [1, 2, 4, 8, 8]), S.ints("s4", [1, 8, 8, 8])],
                               input: [1, 3, 8, 8], output: "y")
    return [plain, dynamic, seModel, shuffleModel]
}
