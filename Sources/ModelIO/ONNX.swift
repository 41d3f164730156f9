/// The subset of `onnx.proto` the importer needs (ModelProto, GraphProto, NodeProto,
/// AttributeProto, TensorProto, ValueInfoProto), read with `ProtoReader`. Field numbers follow
/// onnx.proto; unknown fields are skipped, fields with the wrong wire type are errors.
import Foundation
import QuantCore

/// A loaded ONNX model.
public struct ONNXModel: Sendable {
    public var path: String
    public var irVersion: Int64
    /// Version of the default (`ai.onnx`) operator set; 0 when the file names none.
    public var opset: Int64
    public var producer: String
    /// `metadata_props` (key → value).
    public var metadata: [String: String]
    public var graph: ONNXGraph
}

/// The main graph: nodes in file order (ONNX requires a topological order), initializers, inputs, outputs.
public struct ONNXGraph: Sendable {
    public var name = ""
    public var nodes: [ONNXNode] = []
    public var initializers: [ONNXTensor] = []
    public var inputs: [ONNXValueInfo] = []
    public var outputs: [ONNXValueInfo] = []
}

public struct ONNXNode: Sendable {
    public var name = ""
    public var opType = ""
    public var domain = ""
    /// Value names; an empty string is an omitted optional input.
    public var inputs: [String] = []
    public var outputs: [String] = []
    public var attributes: [String: ONNXAttribute] = [:]

    public init(name: String = "", opType: String = "", domain: String = "", inputs: [String] = [], outputs: [String] = [],
                attributes: [String: ONNXAttribute] = [:]) {
        self.name = name; self.opType = opType; self.domain = domain; self.inputs = inputs; self.outputs = outputs
        self.attributes = attributes
    }

    /// `name (OpType)` for messages; nodes without a name are named after their first output.
    public var label: String { "node \(name.isEmpty ? (outputs.first ?? "?") : name) (\(opType))" }
}

/// An attribute value; only the types CNN exporters write are decoded.
public enum ONNXAttribute: Sendable {
    case float(Float)
    case int(Int64)
    case string(String)
    case tensor(ONNXTensor)
    case floats([Float])
    case ints([Int64])
    case strings([String])
    /// Any other type (graphs, sparse tensors, type protos, lists of tensors...): its AttributeType number.
    case unsupported(Int64)
}

/// A tensor's values: floating-point types as Float32, integer and boolean types as Int64.
public enum ONNXValues: Sendable, Equatable {
    case float([Float])
    case int([Int64])

    public var count: Int {
        switch self { case .float(let v): return v.count; case .int(let v): return v.count }
    }
}

public struct ONNXTensor: Sendable {
    public var name: String
    public var dims: [Int]
    /// TensorProto.DataType number (1 FLOAT, 2 UINT8, 3 INT8, 6 INT32, 7 INT64, 9 BOOL, 10 FLOAT16, 11 DOUBLE, ...).
    public var dataType: Int
    public var values: ONNXValues
}

/// A graph input or output: name, element type and dimensions (a number, or a symbolic name).
public struct ONNXValueInfo: Sendable {
    public enum Dim: Sendable, Equatable { case value(Int), symbol(String) }
    public var name = ""
    public var elemType = 0
    /// nil when the file gives no shape.
    public var dims: [Dim]? = nil
}

/// The ONNX name of a TensorProto data type number.
public func onnxTypeName(_ type: Int) -> String {
    let names = [1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 8: "string",
                 9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64", 14: "complex64",
                 15: "complex128", 16: "bfloat16"]
    return names[type] ?? "type \(type)"
}

/// Whether the first bytes look like an ONNX ModelProto (field 1 `ir_version` varint, or a
/// length-delimited field 2–8 such as `producer_name` or `graph`, opening the file).
public func looksLikeONNX(_ head: [UInt8]) -> Bool {
    guard let first = head.first else { return false }
    return first == 0x08 || first == 0x12 || first == 0x1a || first == 0x3a || first == 0x42
}

/// Reads an ONNX file. Every failure is a `ToolkitError` naming the file and, where it applies,
/// the node or tensor; nothing is allocated beyond what the file's bytes hold.
public func loadONNX(_ path: String) throws -> ONNXModel {
    try mappedFile(path, "the ONNX file").withUnsafeBytes { try parseONNX($0, path: path) }
}

/// Parses a ModelProto held in `bytes` (`path` names it in errors).
public func parseONNX(_ bytes: UnsafeRawBufferPointer, path: String) throws -> ONNXModel {
    guard bytes.count > 0 else { throw ToolkitError(path, "empty file: not an ONNX model") }
    var r = ProtoReader(bytes, range: 0..<bytes.count, file: path, context: "")
    var model = ONNXModel(path: path, irVersion: 0, opset: 0, producer: "", metadata: [:], graph: ONNXGraph())
    var sawGraph = false
    while let (field, wire) = try r.nextField() {
        switch field {
        case 1: try r.expect(wire, .varint, "ir_version"); model.irVersion = try r.int64()
        case 2: try r.expect(wire, .lengthDelimited, "producer_name"); model.producer = try r.string()
        case 7:
            try r.expect(wire, .lengthDelimited, "graph")
            var g = try r.message("graph")
            model.graph = try readGraph(&g)
            sawGraph = true
        case 8:
            try r.expect(wire, .lengthDelimited, "opset_import")
            var m = try r.message("opset_import")
            var domain = "", version: Int64 = 0
            while let (f, w) = try m.nextField() {
                switch f {
                case 1: try m.expect(w, .lengthDelimited, "domain"); domain = try m.string()
                case 2: try m.expect(w, .varint, "version"); version = try m.int64()
                default: try m.skip(w)
                }
            }
            if domain.isEmpty || domain == "ai.onnx" { model.opset = version }
        case 14:
            try r.expect(wire, .lengthDelimited, "metadata_props")
            var m = try r.message("metadata_props")
            let (key, value) = try readStringPair(&m)
            model.metadata[key] = value
        default: try r.skip(wire)
        }
    }
    guard sawGraph else { throw ToolkitError(path, "not an ONNX model: no graph (is this an ONNX file?)") }
    return model
}

private func readStringPair(_ m: inout ProtoReader) throws -> (String, String) {
    var key = "", value = ""
    while let (f, w) = try m.nextField() {
        switch f {
        case 1: try m.expect(w, .lengthDelimited, "key"); key = try m.string()
        case 2: try m.expect(w, .lengthDelimited, "value"); value = try m.string()
        default: try m.skip(w)
        }
    }
    return (key, value)
}

private func readGraph(_ r: inout ProtoReader) throws -> ONNXGraph {
    var g = ONNXGraph()
    while let (field, wire) = try r.nextField() {
        switch field {
        case 1:
            try r.expect(wire, .lengthDelimited, "node")
            var m = try r.message("node #\(g.nodes.count)")
            g.nodes.append(try readNode(&m))
        case 2: try r.expect(wire, .lengthDelimited, "name"); g.name = try r.string()
        case 5:
            try r.expect(wire, .lengthDelimited, "initializer")
            var m = try r.message("initializer #\(g.initializers.count)")
            g.initializers.append(try readTensor(&m))
        case 11, 12:
            try r.expect(wire, .lengthDelimited, field == 11 ? "input" : "output")
            var m = try r.message(field == 11 ? "graph input" : "graph output")
            let info = try readValueInfo(&m)
            if field == 11 { g.inputs.append(info) } else { g.outputs.append(info) }
        case 15:
            throw r.fail("graph: sparse initializers are not supported")
        default: try r.skip(wire)
        }
    }
    return g
}

private func readNode(_ r: inout ProtoReader) throws -> ONNXNode {
    var n = ONNXNode()
    var attributes: [(String, ProtoReader)] = []
    while let (field, wire) = try r.nextField() {
        switch field {
        case 1: try r.expect(wire, .lengthDelimited, "input"); n.inputs.append(try r.string())
        case 2: try r.expect(wire, .lengthDelimited, "output"); n.outputs.append(try r.string())
        case 3: try r.expect(wire, .lengthDelimited, "name"); n.name = try r.string()
        case 4: try r.expect(wire, .lengthDelimited, "op_type"); n.opType = try r.string()
        case 7: try r.expect(wire, .lengthDelimited, "domain"); n.domain = try r.string()
        case 5:
            // Attributes are decoded once the node's name is known (for error messages).
            try r.expect(wire, .lengthDelimited, "attribute")
            attributes.append(("", try r.message()))
        default: try r.skip(wire)
        }
    }
    for (_, reader) in attributes {
        var m = reader
        m.context = n.label
        let (name, value) = try readAttribute(&m)
        n.attributes[name] = value
    }
    return n
}

private func readAttribute(_ r: inout ProtoReader) throws -> (String, ONNXAttribute) {
    var name = "", type: Int64 = 0
    var f: Float?, i: Int64?, s: String?, t: ONNXTensor?
    var floats: [Float] = [], ints: [Int64] = [], strings: [String] = []
    while let (field, wire) = try r.nextField() {
        switch field {
        case 1: try r.expect(wire, .lengthDelimited, "name"); name = try r.string()
        case 20: try r.expect(wire, .varint, "type"); type = try r.int64()
        case 2: try r.expect(wire, .fixed32, "f"); f = try r.float()
        case 3: try r.expect(wire, .varint, "i"); i = try r.int64()
        case 4: try r.expect(wire, .lengthDelimited, "s"); s = try r.string()
        case 5:
            try r.expect(wire, .lengthDelimited, "t")
            var m = try r.message()
            t = try readTensor(&m)
        case 7: try r.repeatedFloat(wire, into: &floats)
        case 8: try r.repeatedVarint(wire, into: &ints)
        case 9: try r.expect(wire, .lengthDelimited, "strings"); strings.append(try r.string())
        default: try r.skip(wire)
        }
    }
    let value: ONNXAttribute
    func missing() -> ToolkitError { r.fail("attribute `\(name)` of type \(type) has no value") }
    switch type {
    case 1: guard let f else { throw missing() }; value = .float(f)
    case 2: guard let i else { throw missing() }; value = .int(i)
    case 3: guard let s else { throw missing() }; value = .string(s)
    case 4: guard let t else { throw missing() }; value = .tensor(t)
    case 6: value = .floats(floats)
    case 7: value = .ints(ints)
    case 8: value = .strings(strings)
    case 0:
        // Files from before `type` existed: infer it from the field that is set.
        if let f { value = .float(f) } else if let i { value = .int(i) } else if let s { value = .string(s) }
        else if let t { value = .tensor(t) } else if !floats.isEmpty { value = .floats(floats) }
        else if !ints.isEmpty { value = .ints(ints) } else { value = .unsupported(0) }
    default: value = .unsupported(type)
    }
    return (name, value)
}

private func readValueInfo(_ r: inout ProtoReader) throws -> ONNXValueInfo {
    var info = ONNXValueInfo()
    while let (field, wire) = try r.nextField() {
        switch field {
        case 1: try r.expect(wire, .lengthDelimited, "name"); info.name = try r.string()
        case 2:
            try r.expect(wire, .lengthDelimited, "type")
            var type = try r.message()
            while let (f, w) = try type.nextField() {
                guard f == 1 else { try type.skip(w); continue }  // tensor_type
                try type.expect(w, .lengthDelimited, "tensor_type")
                var tensor = try type.message()
                while let (tf, tw) = try tensor.nextField() {
                    switch tf {
                    case 1: try tensor.expect(tw, .varint, "elem_type"); info.elemType = Int(truncatingIfNeeded: try tensor.int64())
                    case 2:
                        try tensor.expect(tw, .lengthDelimited, "shape")
                        var shape = try tensor.message()
                        var dims: [ONNXValueInfo.Dim] = []
                        while let (sf, sw) = try shape.nextField() {
                            guard sf == 1 else { try shape.skip(sw); continue }
                            try shape.expect(sw, .lengthDelimited, "dim")
                            var dim = try shape.message()
                            var value = ONNXValueInfo.Dim.symbol("?")
                            while let (df, dw) = try dim.nextField() {
                                switch df {
                                case 1:
                                    try dim.expect(dw, .varint, "dim_value")
                                    let v = try dim.int64()
                                    value = v >= 0 && v <= Int64(Int32.max) ? .value(Int(v)) : .symbol("\(v)")
                                case 2: try dim.expect(dw, .lengthDelimited, "dim_param"); value = .symbol(try dim.string())
                                default: try dim.skip(dw)
                                }
                            }
                            dims.append(value)
                        }
                        info.dims = dims
                    default: try tensor.skip(tw)
                    }
                }
            }
        default: try r.skip(wire)
        }
    }
    return info
}

/// Reads a TensorProto and converts its values (raw_data or the typed fields).
func readTensor(_ r: inout ProtoReader) throws -> ONNXTensor {
    var name = "", dims: [Int64] = [], dataType: Int64 = 0
    var raw: Range<Int>?
    var floats: [Float] = [], int32s: [Int64] = [], int64s: [Int64] = [], doubles: [Double] = [], uint64s: [Int64] = []
    var external = false
    while let (field, wire) = try r.nextField() {
        switch field {
        case 1: try r.repeatedVarint(wire, into: &dims)
        case 2: try r.expect(wire, .varint, "data_type"); dataType = try r.int64()
        case 4: try r.repeatedFloat(wire, into: &floats)
        case 5: try r.repeatedVarint(wire, into: &int32s)
        case 7: try r.repeatedVarint(wire, into: &int64s)
        case 8: try r.expect(wire, .lengthDelimited, "name"); name = try r.string()
        case 9: try r.expect(wire, .lengthDelimited, "raw_data"); raw = try r.lengthDelimited()
        case 10: try r.repeatedDouble(wire, into: &doubles)
        case 11: try r.repeatedVarint(wire, into: &uint64s)
        case 13: try r.skip(wire); external = true
        case 14: try r.expect(wire, .varint, "data_location"); if try r.int64() == 1 { external = true }
        default: try r.skip(wire)
        }
    }
    let what = "tensor `\(name)`" + (r.context.isEmpty ? "" : " (\(r.context))")
    func fail(_ message: String) -> ToolkitError { ToolkitError(r.file, "\(what): \(message)") }
    if external { throw fail("its data is stored in an external file, which is not supported: save the model with all tensors inside the .onnx file") }
    var shape: [Int] = []
    for d in dims {
        guard d >= 0, d <= Int64(Int32.max) else { throw fail("dimension \(d) in shape \(dims) is out of range") }
        shape.append(Int(d))
    }
    let count = try elementCount(shape, r.file, what)
    let type = Int(truncatingIfNeeded: dataType)
    let dtype: DType
    switch type {
    case 1: dtype = .f32
    case 2: dtype = .u8
    case 3: dtype = .i8
    case 5: dtype = .i16
    case 6: dtype = .i32
    case 7: dtype = .i64
    case 9: dtype = .bool
    case 10: dtype = .f16
    case 11: dtype = .f64
    case 16: dtype = .bf16
    default: throw fail("element type \(onnxTypeName(type)) is not supported (supported: float32, float16, bfloat16, float64, int64, int32, int16, int8, uint8, bool)")
    }
    var values: ONNXValues
    if let raw {
        guard raw.count / dtype.size == count, raw.count % dtype.size == 0 else {
            throw fail("raw data holds \(raw.count) bytes but shape \(shape) of \(onnxTypeName(type)) needs \(count * dtype.size)")
        }
        let bytes = UnsafeRawBufferPointer(rebasing: r.bytes[raw])
        if dtype.isFloatingPoint {
            values = .float(dtype.toFloat(bytes, count: count))
        } else if dtype == .i64 {
            values = .int((0..<count).map { Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) })
        } else {
            values = .int(dtype.toFloat(bytes, count: count).map { Int64($0) })
        }
    } else {
        // Typed fields: float_data (float32), int32_data (int32 and narrower, float16 bits, bool),
        // int64_data, double_data.
        switch dtype {
        case .f32: values = .float(floats)
        case .f64: values = .float(doubles.map { Float($0) })
        case .f16: values = .float(int32s.map { halfToFloat(UInt16(truncatingIfNeeded: $0)) })
        case .bf16: values = .float(int32s.map { Float(bitPattern: UInt32(UInt16(truncatingIfNeeded: $0)) << 16) })
        case .i64: values = .int(int64s)
        default: values = .int(int32s.map { Int64(Int32(truncatingIfNeeded: $0)) })
        }
        guard values.count == count else {
            throw fail("holds \(values.count) values but its shape \(shape) needs \(count)")
        }
    }
    return ONNXTensor(name: name, dims: shape, dataType: type, values: values)
}
