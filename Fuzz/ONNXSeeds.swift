/// Small ONNX seeds, written here with a minimal protobuf encoder: the graphs exercise the
/// importer's paths (conv + fused clamps, dynamic TF-SAME padding, hard-swish / hard-sigmoid
/// patterns, SE gate, channel shuffle, split, concat, Gemm head).

/// Protobuf fields, just enough to write ONNX.
struct ProtoWriter {
    var bytes: [UInt8] = []
    static func varint(_ v: UInt64) -> [UInt8] {
        var v = v, out: [UInt8] = []
        repeat { let low = UInt8(v & 0x7f); v >>= 7; out.append(v == 0 ? low : low | 0x80) } while v != 0
        return out
    }
    mutating func int(_ field: Int, _ v: Int64) { bytes += ProtoWriter.varint(UInt64(field << 3)) + ProtoWriter.varint(UInt64(bitPattern: v)) }
    mutating func data(_ field: Int, _ d: [UInt8]) { bytes += ProtoWriter.varint(UInt64(field << 3 | 2)) + ProtoWriter.varint(UInt64(d.count)) + d }
    mutating func string(_ field: Int, _ s: String) { data(field, Array(s.utf8)) }
    mutating func float(_ field: Int, _ f: Float) { bytes += ProtoWriter.varint(UInt64(field << 3 | 5)) + le(f.bitPattern) }
    mutating func ints(_ field: Int, _ v: [Int64]) { data(field, v.flatMap { ProtoWriter.varint(UInt64(bitPattern: $0)) }) }
}

/// ONNX messages for the seeds.
enum ONNXSeed {
    static func floats(_ name: String, _ dims: [Int], seed: Int, positive: Bool = false) -> ProtoWriter {
        var t = ProtoWriter()
        t.ints(1, dims.map(Int64.init)); t.int(2, 1); t.string(8, name)
        let n = dims.reduce(1, *)
        t.data(9, (0..<n).flatMap { i -> [UInt8] in
            let v = Float(Double((i * 7919 + seed * 104729) % 2001) / 1000 - 1)
            return le((positive ? abs(v) + 0.5 : v).bitPattern)
        })
        return t
    }
    static func ints(_ name: String, _ v: [Int64], scalar: Bool = false) -> ProtoWriter {
        var t = ProtoWriter()
        if !scalar { t.ints(1, [Int64(v.count)]) }
        t.int(2, 7); t.string(8, name); t.ints(7, v)
        return t
    }
    enum A { case i(Int64), l([Int64]), f(Float), s(String) }
    static func node(_ op: String, _ inputs: [String], _ outputs: [String], _ attrs: [(String, A)] = []) -> ProtoWriter {
        var n = ProtoWriter()
        for i in inputs { n.string(1, i) }
        for o in outputs { n.string(2, o) }
        n.string(3, outputs[0]); n.string(4, op)
        for (k, v) in attrs {
            var a = ProtoWriter()
            a.string(1, k)
            switch v {
            case .i(let x): a.int(20, 2); a.int(3, x)
            case .l(let x): a.int(20, 7); a.ints(8, x)
            case .f(let x): a.int(20, 1); a.float(2, x)
            case .s(let x): a.int(20, 3); a.string(4, x)
            }
            n.data(5, a.bytes)
        }
        return n
    }
    static func model(_ nodes: [ProtoWriter], _ inits: [ProtoWriter], input: [Int64], output: String, opset: Int64 = 17) -> [UInt8] {
        func info(_ name: String, _ dims: [Int64]) -> [UInt8] {
            var shape = ProtoWriter()
            for d in dims { var dim = ProtoWriter(); if d < 0 { dim.string(2, "n") } else { dim.int(1, d) }; shape.data(1, dim.bytes) }
            var tensor = ProtoWriter(); tensor.int(1, 1); tensor.data(2, shape.bytes)
            var type = ProtoWriter(); type.data(1, tensor.bytes)
            var v = ProtoWriter(); v.string(1, name); v.data(2, type.bytes)
            return v.bytes
        }
        var g = ProtoWriter()
        for n in nodes { g.data(1, n.bytes) }
        g.string(2, "seed")
        for t in inits { g.data(5, t.bytes) }
        g.data(11, info("x", input)); g.data(12, info(output, [1, 5]))
        var m = ProtoWriter()
        m.int(1, 8); m.string(2, "fuzz-seed")
        var op = ProtoWriter(); op.string(1, ""); op.int(2, opset)
        m.data(8, op.bytes); m.data(7, g.bytes)
        return m.bytes
    }
}

/// The seeds: four small graphs the importer accepts.
func onnxSeeds() -> [[UInt8]] {
    typealias S = ONNXSeed
    let head = [S.node("GlobalAveragePool", ["a"], ["p"]), S.node("Flatten", ["p"], ["f"]),
                S.node("Gemm", ["f", "fc.w", "fc.b"], ["y"], [("transB", .i(1))])]
    let headInits = [S.floats("fc.w", [5, 8], seed: 1), S.floats("fc.b", [5], seed: 2)]
    let stem = S.node("Conv", ["x", "w", "b"], ["c"], [("kernel_shape", .l([3, 3])), ("pads", .l([1, 1, 1, 1])), ("strides", .l([1, 1]))])
    let stemInits = [S.floats("w", [8, 3, 3, 3], seed: 3), S.floats("b", [8], seed: 4)]
    let scalar = { (n: String, v: Float) -> ProtoWriter in var t = ProtoWriter(); t.int(2, 1); t.string(8, n); t.data(9, le(v.bitPattern)); return t }
    // 1. conv + ReLU6 (Clip with constant inputs) + residual add + head.
    let plain = S.model([stem, S.node("Clip", ["c", "lo", "hi"], ["r"]), S.node("Add", ["r", "c"], ["a"])] + head,
                        stemInits + headInits + [scalar("lo", 0), scalar("hi", 6)], input: [-1, 3, 8, 8], output: "y")
    // 2. dynamic TF-SAME padding from Shape arithmetic, Pad, strided conv, hard-swish as x·Clip(x+3,0,6)/6.
    let pads = [S.node("Shape", ["x"], ["s"]), S.node("Gather", ["s", "two"], ["h"], [("axis", .i(0))]),
                S.node("Sub", ["nine", "h"], ["t"]), S.node("Div", ["t", "two"], ["b0"]), S.node("Sub", ["t", "b0"], ["a0"]),
                S.node("Unsqueeze", ["b0", "ax"], ["b1"]), S.node("Unsqueeze", ["a0", "ax"], ["a1"]),
                S.node("Concat", ["z2", "b1", "b1", "z2", "a1", "a1"], ["pp"], [("axis", .i(0))]),
                S.node("Pad", ["x", "pp"], ["xp"], [("mode", .s("constant"))]),
                S.node("Conv", ["xp", "w", "b"], ["c"], [("kernel_shape", .l([3, 3])), ("strides", .l([2, 2]))]),
                S.node("Add", ["c", "three"], ["c3"]), S.node("Clip", ["c3", "lo", "hi"], ["cc"]), S.node("Mul", ["c", "cc"], ["m"]),
                S.node("Div", ["m", "hi"], ["a"])]
    let dynamic = S.model(pads + head, stemInits + headInits + [S.ints("two", [2], scalar: true), S.ints("nine", [9], scalar: true),
                                                                S.ints("ax", [0]), S.ints("z2", [0, 0]), scalar("three", 3), scalar("lo", 0), scalar("hi", 6)],
                          input: [1, 3, 8, 8], output: "y")
    // 3. SE gate with HardSigmoid, opset-13 hard-swish x·HardSigmoid(x), BatchNormalization, Sub/Div normalization.
    let se = [S.node("Sub", ["x", "mean"], ["xm"]), S.node("Div", ["xm", "std"], ["xn"]),
              S.node("Conv", ["xn", "w"], ["c0"], [("kernel_shape", .l([3, 3])), ("pads", .l([1, 1, 1, 1]))]),
              S.node("BatchNormalization", ["c0", "g", "bb", "mu", "var"], ["c"], [("epsilon", .f(0.001))]),
              S.node("HardSigmoid", ["c"], ["hs"], [("alpha", .f(1 / 6)), ("beta", .f(0.5))]), S.node("Mul", ["c", "hs"], ["sw"]),
              S.node("GlobalAveragePool", ["sw"], ["q"]), S.node("Conv", ["q", "sew", "seb"], ["e"], [("kernel_shape", .l([1, 1]))]),
              S.node("HardSigmoid", ["e"], ["gate"], [("alpha", .f(1 / 6)), ("beta", .f(0.5))]), S.node("Mul", ["sw", "gate"], ["a"])]
    let seModel = S.model(se + head, [S.floats("w", [8, 3, 3, 3], seed: 5), S.floats("g", [8], seed: 6), S.floats("bb", [8], seed: 7),
                                      S.floats("mu", [8], seed: 8), S.floats("var", [8], seed: 99, positive: true), S.floats("sew", [8, 8, 1, 1], seed: 9),
                                      S.floats("seb", [8], seed: 10), S.floats("mean", [1, 3, 1, 1], seed: 11), S.floats("std", [1, 3, 1, 1], seed: 12, positive: true)] + headInits,
                          input: [1, 3, 8, 8], output: "y", opset: 13)
    // 4. split, channel shuffle (Reshape–Transpose–Reshape), concat, max / average pooling.
    let shuffle = [stem, S.node("Split", ["c", "sizes"], ["l", "r"], [("axis", .i(1))]), S.node("Relu", ["r"], ["rr"]),
                   S.node("Concat", ["l", "rr"], ["cat"], [("axis", .i(1))]),
                   S.node("Reshape", ["cat", "s5"], ["g5"]), S.node("Transpose", ["g5"], ["t5"], [("perm", .l([0, 2, 1, 3, 4]))]),
                   S.node("Reshape", ["t5", "s4"], ["sh"]),
                   S.node("MaxPool", ["sh"], ["mp"], [("kernel_shape", .l([3, 3])), ("pads", .l([1, 1, 1, 1])), ("strides", .l([2, 2]))]),
                   S.node("AveragePool", ["mp"], ["a"], [("kernel_shape", .l([2, 2])), ("strides", .l([2, 2]))])]
    let shuffleModel = S.model(shuffle + head, stemInits + headInits + [S.ints("sizes", [4, 4]), S.ints("s5", [1, 2, 4, 8, 8]), S.ints("s4", [1, 8, 8, 8])],
                               input: [1, 3, 8, 8], output: "y")
    return [plain, dynamic, seModel, shuffleModel]
}
