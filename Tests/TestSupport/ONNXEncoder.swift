import Foundation

/// The one protobuf encoder of the tests and the fuzzer's seeds: builds ONNX files by hand, so
/// reader and importer tests need no exporter. Only what they write: varints, fixed32,
/// length-delimited fields, packed lists.
public struct PB {
    public var bytes: [UInt8] = []
    public init() {}

    public static func varintBytes(_ value: UInt64) -> [UInt8] {
        var v = value, out: [UInt8] = []
        repeat {
            let low = UInt8(v & 0x7f)
            v >>= 7
            out.append(v == 0 ? low : low | 0x80)
        } while v != 0
        return out
    }

    public mutating func key(_ field: Int, _ wire: UInt8) { bytes += PB.varintBytes(UInt64(field) << 3 | UInt64(wire)) }
    public mutating func varint(_ field: Int, _ value: Int64) { key(field, 0); bytes += PB.varintBytes(UInt64(bitPattern: value)) }
    public mutating func fixed32(_ field: Int, _ value: Float) {
        key(field, 5)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
    }
    public mutating func data(_ field: Int, _ payload: [UInt8]) { key(field, 2); bytes += PB.varintBytes(UInt64(payload.count)) + payload }
    public mutating func string(_ field: Int, _ s: String) { data(field, Array(s.utf8)) }
    public mutating func message(_ field: Int, _ m: PB) { data(field, m.bytes) }
    public mutating func packedInts(_ field: Int, _ values: [Int64]) { data(field, values.flatMap { PB.varintBytes(UInt64(bitPattern: $0)) }) }
    public mutating func packedFloats(_ field: Int, _ values: [Float]) {
        var payload: [UInt8] = []
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { payload += $0 } }
        data(field, payload)
    }
}

/// ONNX messages built with `PB` (field numbers of onnx.proto).
public enum OnnxBuild {
    /// A float32 tensor; `raw` chooses raw_data over float_data.
    public static func tensor(_ name: String, _ dims: [Int], _ values: [Float], raw: Bool = true) -> PB {
        var t = PB()
        if !dims.isEmpty { t.packedInts(1, dims.map(Int64.init)) }  // none: a scalar
        t.varint(2, 1)
        t.string(8, name)
        if raw {
            var payload: [UInt8] = []
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { payload += $0 } }
            t.data(9, payload)
        } else {
            t.packedFloats(4, values)
        }
        return t
    }

    /// An int64 tensor (int64_data); `dims` empty: a scalar.
    public static func intTensor(_ name: String, _ dims: [Int], _ values: [Int64]) -> PB {
        var t = PB()
        if !dims.isEmpty { t.packedInts(1, dims.map(Int64.init)) }  // none: a scalar
        t.varint(2, 7)
        t.string(8, name)
        t.packedInts(7, values)
        return t
    }

    public enum Attr {
        case int(Int64), ints([Int64]), float(Float), floats([Float]), string(String), tensor(PB)
    }

    public static func attribute(_ name: String, _ value: Attr) -> PB {
        var a = PB()
        a.string(1, name)
        switch value {
        case .int(let i): a.varint(20, 2); a.varint(3, i)
        case .ints(let v): a.varint(20, 7); a.packedInts(8, v)
        case .float(let f): a.varint(20, 1); a.fixed32(2, f)
        case .floats(let v): a.varint(20, 6); a.packedFloats(7, v)
        case .string(let s): a.varint(20, 3); a.string(4, s)
        case .tensor(let t): a.varint(20, 4); a.message(5, t)
        }
        return a
    }

    public static func node(_ op: String, _ inputs: [String], _ outputs: [String], name: String? = nil, _ attrs: [(String, Attr)] = []) -> PB {
        var n = PB()
        for i in inputs { n.string(1, i) }
        for o in outputs { n.string(2, o) }
        n.string(3, name ?? outputs.first ?? op)
        n.string(4, op)
        for (k, v) in attrs { n.message(5, attribute(k, v)) }
        return n
    }

    /// A float32 value info with fixed or symbolic dims (a negative number → the symbol `n`).
    public static func valueInfo(_ name: String, _ dims: [Int]) -> PB {
        var shape = PB()
        for d in dims {
            var dim = PB()
            if d >= 0 { dim.varint(1, Int64(d)) } else { dim.string(2, "n") }
            shape.message(1, dim)
        }
        var tensorType = PB()
        tensorType.varint(1, 1)
        tensorType.message(2, shape)
        var type = PB()
        type.message(1, tensorType)
        var v = PB()
        v.string(1, name)
        v.message(2, type)
        return v
    }

    /// A whole model: nodes, initializers, one input `x` of `inputDims`, one output of `outputDims`.
    public static func model(nodes: [PB], initializers: [PB], inputDims: [Int], output: String, outputDims: [Int] = [],
                             opset: Int64 = 17, metadata: [String: String] = [:]) -> [UInt8] {
        var g = PB()
        for n in nodes { g.message(1, n) }
        g.string(2, "test")
        for t in initializers { g.message(5, t) }
        g.message(11, valueInfo("x", inputDims))
        g.message(12, valueInfo(output, outputDims))
        var m = PB()
        m.varint(1, 8)
        m.string(2, "hand-written")
        var op = PB()
        op.string(1, "")
        op.varint(2, opset)
        m.message(8, op)
        m.message(7, g)
        for (k, v) in metadata.sorted(by: { $0.key < $1.key }) {
            var e = PB()
            e.string(1, k); e.string(2, v)
            m.message(14, e)
        }
        return m.bytes
    }
}
