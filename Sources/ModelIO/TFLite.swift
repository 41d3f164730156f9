/// The subset of the TFLite schema (`tensorflow/compiler/mlir/lite/schema/schema.fbs`, file
/// identifier `TFL3`) that int8 CNNs use: Model, SubGraph, Tensor with (per-channel)
/// QuantizationParameters, Buffer, OperatorCode, Operator and the builtin options of the ops the
/// toolkit reads and writes. Field indices follow the schema's field order. Read with
/// `FlatBufferReader`, written with `FlatBufferWriter`; fields outside the subset are skipped when
/// reading, and a file that needs them to be understood (sparse tensors, external buffers) is refused
/// where it matters (`TFLiteImport`).
import Foundation
import QuantCore

/// A `.tflite` model.
public struct TFLiteModel: Sendable, Equatable {
    /// Schema version (3).
    public var version: UInt32 = 3
    public var description = ""
    public var operatorCodes: [TFLiteOperatorCode] = []
    public var subgraphs: [TFLiteSubGraph] = []
    /// Each buffer's bytes (empty for buffer 0, the sentinel, and for activations).
    public var buffers: [ArraySlice<UInt8>] = []
    /// Named metadata buffers (`min_runtime_version`, `CONVERSION_METADATA`, ...).
    public var metadata: [TFLiteMetadata] = []
    public init() {}
}

public struct TFLiteMetadata: Sendable, Equatable {
    public var name: String
    public var buffer: UInt32
    public init(name: String, buffer: UInt32) { self.name = name; self.buffer = buffer }
}

public struct TFLiteOperatorCode: Sendable, Equatable {
    /// The builtin operator (`TFLiteOp`): the larger of `deprecated_builtin_code` and
    /// `builtin_code`, as TFLite reads it.
    public var builtin: Int32
    /// Set for custom operators.
    public var customCode: String?
    public var version: Int32
    public init(builtin: Int32, customCode: String? = nil, version: Int32 = 1) {
        self.builtin = builtin; self.customCode = customCode; self.version = version
    }
}

public struct TFLiteSubGraph: Sendable, Equatable {
    public var tensors: [TFLiteTensor] = []
    public var inputs: [Int32] = []
    public var outputs: [Int32] = []
    public var operators: [TFLiteOperator] = []
    public var name = ""
    public init() {}
}

public struct TFLiteTensor: Sendable, Equatable {
    public var shape: [Int32]
    public var type: TFLiteType
    /// Index into `TFLiteModel.buffers` (0: no data).
    public var buffer: UInt32
    public var name: String
    public var quantization: TFLiteQuantization?
    public var isVariable = false
    /// The file gives sparsity parameters (not supported by the importer).
    public var isSparse = false
    public init(shape: [Int32], type: TFLiteType, buffer: UInt32 = 0, name: String, quantization: TFLiteQuantization? = nil) {
        self.shape = shape; self.type = type; self.buffer = buffer; self.name = name; self.quantization = quantization
    }
}

/// `f = scale · (q − zero_point)`, per tensor (one entry) or per `quantizedDimension` slice.
public struct TFLiteQuantization: Sendable, Equatable {
    public var scale: [Float]
    public var zeroPoint: [Int64]
    public var quantizedDimension: Int32
    public var min: [Float] = []
    public var max: [Float] = []
    /// The file uses the `details` union (custom or blockwise quantization).
    public var hasDetails = false
    public init(scale: [Float], zeroPoint: [Int64], quantizedDimension: Int32 = 0) {
        self.scale = scale; self.zeroPoint = zeroPoint; self.quantizedDimension = quantizedDimension
    }
}

/// `TensorType` values used here.
public struct TFLiteType: RawRepresentable, Sendable, Equatable, CustomStringConvertible {
    public var rawValue: Int8
    public init(rawValue: Int8) { self.rawValue = rawValue }
    public static let float32 = TFLiteType(rawValue: 0)
    public static let int32 = TFLiteType(rawValue: 2)
    public static let uint8 = TFLiteType(rawValue: 3)
    public static let int64 = TFLiteType(rawValue: 4)
    public static let int16 = TFLiteType(rawValue: 7)
    public static let int8 = TFLiteType(rawValue: 9)
    /// Two values per byte, TFLite's dense int4 layout (element 2i in the low nibble of byte i).
    public static let int4 = TFLiteType(rawValue: 17)
    static let names: [Int8: String] = [0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 5: "string", 6: "bool",
                                        7: "int16", 8: "complex64", 9: "int8", 10: "float64", 17: "int4", 18: "bfloat16"]
    public var description: String { Self.names[rawValue] ?? "type \(rawValue)" }
    /// Bytes per element, nil for types without a fixed size here.
    public var byteSize: Int? {
        switch rawValue { case 0, 2: return 4; case 3, 9, 6: return 1; case 4, 10: return 8; case 1, 7, 18: return 2; default: return nil }
    }
}

public struct TFLiteOperator: Sendable, Equatable {
    public var opcodeIndex: UInt32
    /// Tensor indices; −1 is an omitted optional input.
    public var inputs: [Int32]
    public var outputs: [Int32]
    public var options: TFLiteOptions
    public var hasCustomOptions = false
    public init(opcodeIndex: UInt32, inputs: [Int32], outputs: [Int32], options: TFLiteOptions = .none) {
        self.opcodeIndex = opcodeIndex; self.inputs = inputs; self.outputs = outputs; self.options = options
    }
}

/// `Padding`: SAME = 0, VALID = 1.
public enum TFLitePadding: UInt8, Sendable, Equatable { case same = 0, valid = 1 }

/// `ActivationFunctionType`.
public enum TFLiteActivation: UInt8, Sendable { case none = 0, relu = 1, reluN1To1 = 2, relu6 = 3, tanh = 4, signBit = 5 }

/// The builtin options of the operators the toolkit reads and writes; any other options table is
/// kept as its union type number.
public enum TFLiteOptions: Sendable, Equatable {
    case none
    case conv2D(padding: TFLitePadding, strideW: Int32, strideH: Int32, activation: TFLiteActivation, dilationW: Int32, dilationH: Int32)
    case depthwiseConv2D(padding: TFLitePadding, strideW: Int32, strideH: Int32, depthMultiplier: Int32, activation: TFLiteActivation,
                         dilationW: Int32, dilationH: Int32)
    case pool2D(padding: TFLitePadding, strideW: Int32, strideH: Int32, filterW: Int32, filterH: Int32, activation: TFLiteActivation)
    case fullyConnected(activation: TFLiteActivation, keepNumDims: Bool)
    case concatenation(axis: Int32, activation: TFLiteActivation)
    case add(activation: TFLiteActivation)
    case mul(activation: TFLiteActivation)
    case reducer(keepDims: Bool)
    case split(numSplits: Int32)
    case reshape(newShape: [Int32])
    /// An options table with no fields the toolkit uses (Pad, PadV2, HardSwish, Quantize, Transpose, Slice...).
    case empty(type: UInt8)
    /// Another options table, by `BuiltinOptions` union type.
    case other(type: UInt8)

    /// The `BuiltinOptions` union type number.
    public var unionType: UInt8 {
        switch self {
        case .none: return 0
        case .conv2D: return 1
        case .depthwiseConv2D: return 2
        case .pool2D: return 5
        case .fullyConnected: return 8
        case .concatenation: return 10
        case .add: return 11
        case .reshape: return 17
        case .mul: return 21
        case .reducer: return 27
        case .split: return 35
        case .empty(let t), .other(let t): return t
        }
    }
}

/// `BuiltinOptions` union type numbers of the empty options tables written here.
public enum TFLiteOptionsType {
    public static let pad: UInt8 = 22, transpose: UInt8 = 26, padV2: UInt8 = 43, slice: UInt8 = 48
    public static let quantize: UInt8 = 89, hardSwish: UInt8 = 91
}

/// `BuiltinOperator` codes used here.
public enum TFLiteOp {
    public static let add: Int32 = 0, averagePool2D: Int32 = 1, concatenation: Int32 = 2, conv2D: Int32 = 3
    public static let depthwiseConv2D: Int32 = 4, dequantize: Int32 = 6, fullyConnected: Int32 = 9, logistic: Int32 = 14
    public static let maxPool2D: Int32 = 17, mul: Int32 = 18, relu: Int32 = 19, reluN1To1: Int32 = 20, relu6: Int32 = 21
    public static let reshape: Int32 = 22, softmax: Int32 = 25, pad: Int32 = 34, transpose: Int32 = 39, mean: Int32 = 40
    public static let sub: Int32 = 41, squeeze: Int32 = 43, stridedSlice: Int32 = 45, split: Int32 = 49, padV2: Int32 = 60
    public static let slice: Int32 = 65, sum: Int32 = 74, quantize: Int32 = 114, hardSwish: Int32 = 117, relu0To1: Int32 = 152

    static let names: [Int32: String] = [
        0: "ADD", 1: "AVERAGE_POOL_2D", 2: "CONCATENATION", 3: "CONV_2D", 4: "DEPTHWISE_CONV_2D", 5: "DEPTH_TO_SPACE",
        6: "DEQUANTIZE", 8: "FLOOR", 9: "FULLY_CONNECTED", 11: "L2_NORMALIZATION", 12: "L2_POOL_2D", 14: "LOGISTIC",
        16: "LSTM", 17: "MAX_POOL_2D", 18: "MUL", 19: "RELU", 20: "RELU_N1_TO_1", 21: "RELU6", 22: "RESHAPE",
        23: "RESIZE_BILINEAR", 25: "SOFTMAX", 26: "SPACE_TO_DEPTH", 28: "TANH", 32: "CUSTOM", 34: "PAD", 36: "GATHER",
        39: "TRANSPOSE", 40: "MEAN", 41: "SUB", 42: "DIV", 43: "SQUEEZE", 45: "STRIDED_SLICE", 47: "EXP", 49: "SPLIT",
        50: "LOG_SOFTMAX", 53: "CAST", 54: "PRELU", 55: "MAXIMUM", 56: "ARG_MAX", 57: "MINIMUM", 60: "PADV2", 65: "SLICE",
        67: "TRANSPOSE_CONV", 70: "EXPAND_DIMS", 74: "SUM", 75: "SQRT", 76: "RSQRT", 77: "SHAPE", 82: "REDUCE_MAX",
        83: "PACK", 88: "UNPACK", 97: "RESIZE_NEAREST_NEIGHBOR", 98: "LEAKY_RELU", 102: "SPLIT_V", 114: "QUANTIZE",
        117: "HARD_SWISH", 126: "BATCH_MATMUL", 150: "GELU", 152: "RELU_0_TO_1",
    ]

    /// The operator's schema name (`BUILTIN_<n>` for codes outside the table above).
    public static func name(_ code: Int32) -> String { names[code] ?? "BUILTIN_\(code)" }
}

extension TFLiteModel {
    /// The operator's name, e.g. `CONV_2D` or `CUSTOM(name)`.
    public func opName(_ op: TFLiteOperator) -> String {
        guard Int(op.opcodeIndex) < operatorCodes.count else { return "opcode \(op.opcodeIndex)" }
        let code = operatorCodes[Int(op.opcodeIndex)]
        if let custom = code.customCode, code.builtin == 32 { return "CUSTOM(\(custom))" }
        return TFLiteOp.name(code.builtin)
    }
}

// MARK: - Reading

/// Reads a `.tflite` file.
public func loadTFLite(_ path: String) throws -> TFLiteModel {
    try parseTFLite([UInt8](try mappedFile(path, "the TFLite file")), path: path)
}

/// True when `head` (the first 8 bytes or more) carries the TFLite file identifier `TFL3`.
public func looksLikeTFLite(_ head: [UInt8]) -> Bool {
    head.count >= 8 && Array(head[4..<8]) == Array("TFL3".utf8)
}

/// Parses a `.tflite` FlatBuffer held in `bytes` (`path` names it in errors). Buffer data are
/// slices of `bytes` (not copied).
public func parseTFLite(_ bytes: [UInt8], path: String) throws -> TFLiteModel {
    let budget = FlatBufferBudget(fileSize: bytes.count, file: path)
    var bufferRanges: [Range<Int>?] = []
    var model = try bytes.withByteView(file: path) { view -> TFLiteModel in
        let root = try flatBufferRoot(view, identifier: "TFL3", format: "TFLite", what: "model", budget: budget)
        var m = TFLiteModel()
        m.version = try root.u32(0, "version")
        m.operatorCodes = try root.tables(1, "operator_codes", label: { "operator code \($0)" }).map { t in
            let deprecated = Int32(try t.i8(0, "deprecated_builtin_code"))
            let builtin = try t.i32(3, "builtin_code")
            return TFLiteOperatorCode(builtin: Swift.max(deprecated, builtin), customCode: try t.string(1, "custom_code"),
                                      version: try t.i32(2, "version", default: 1))
        }
        m.subgraphs = try root.tables(2, "subgraphs", label: { "subgraph \($0)" }).map(readSubGraph)
        m.description = try root.string(3, "description") ?? ""
        for (i, b) in try root.tables(4, "buffers", label: { "buffer \($0)" }).enumerated() {
            let offset = try b.u64(1, "offset"), size = try b.u64(2, "size")
            if offset > 1 {
                throw ToolkitError(path, "buffer \(i): data stored outside the FlatBuffer (offset \(offset), \(size) bytes) is not supported")
            }
            bufferRanges.append(try b.byteRange(0, "data"))
        }
        m.metadata = try root.tables(6, "metadata", label: { "metadata \($0)" }).map {
            TFLiteMetadata(name: try $0.string(0, "name") ?? "", buffer: try $0.u32(1, "buffer"))
        }
        return m
    }
    model.buffers = bufferRanges.map { $0.map { bytes[$0] } ?? [] }
    return model
}

private func readSubGraph(_ t: FBTable) throws -> TFLiteSubGraph {
    var g = TFLiteSubGraph()
    g.tensors = try t.tables(0, "tensors", label: { "\(t.what) tensor \($0)" }).map(readTensor)
    g.inputs = try t.int32s(1, "inputs")
    g.outputs = try t.int32s(2, "outputs")
    g.operators = try t.tables(3, "operators", label: { "\(t.what) operator \($0)" }).map(readOperator)
    g.name = try t.string(4, "name") ?? ""
    return g
}

private func readTensor(_ t: FBTable) throws -> TFLiteTensor {
    var tensor = TFLiteTensor(shape: try t.int32s(0, "shape"), type: TFLiteType(rawValue: try t.i8(1, "type")),
                              buffer: try t.u32(2, "buffer"), name: try t.string(3, "name") ?? "")
    if let q = try t.table(4, "quantization") {
        var p = TFLiteQuantization(scale: try q.floats(2, "scale"), zeroPoint: try q.int64s(3, "zero_point"),
                                   quantizedDimension: try q.i32(6, "quantized_dimension"))
        p.min = try q.floats(0, "min")
        p.max = try q.floats(1, "max")
        p.hasDetails = try q.u8(4, "details_type") != 0
        tensor.quantization = p
    }
    tensor.isVariable = try t.bool(5, "is_variable")
    tensor.isSparse = try t.table(6, "sparsity") != nil
    return tensor
}

private func readOperator(_ t: FBTable) throws -> TFLiteOperator {
    var op = TFLiteOperator(opcodeIndex: try t.u32(0, "opcode_index"), inputs: try t.int32s(1, "inputs"), outputs: try t.int32s(2, "outputs"))
    let type = try t.u8(3, "builtin_options_type")
    if type != 0 {
        if let o = try t.table(4, "builtin_options") {
            op.options = try readOptions(type, o)
        } else {
            op.options = .empty(type: type)
        }
    }
    op.hasCustomOptions = try t.vector(5, "custom_options", elementSize: 1) != nil
    return op
}

private func padding(_ v: UInt8, _ t: FBTable) throws -> TFLitePadding {
    guard let p = TFLitePadding(rawValue: v) else { throw ToolkitError(t.view.file, "\(t.what): padding \(v) is neither SAME nor VALID") }
    return p
}

private func activation(_ t: FBTable, _ id: Int) throws -> TFLiteActivation {
    let v = try t.u8(id, "fused_activation_function")
    guard let a = TFLiteActivation(rawValue: v) else { throw ToolkitError(t.view.file, "\(t.what): unknown fused activation \(v)") }
    return a
}

private func readOptions(_ type: UInt8, _ t: FBTable) throws -> TFLiteOptions {
    switch type {
    case 1:
        return .conv2D(padding: try padding(try t.u8(0, "padding"), t), strideW: try t.i32(1, "stride_w"), strideH: try t.i32(2, "stride_h"),
                       activation: try activation(t, 3), dilationW: try t.i32(4, "dilation_w_factor", default: 1),
                       dilationH: try t.i32(5, "dilation_h_factor", default: 1))
    case 2:
        return .depthwiseConv2D(padding: try padding(try t.u8(0, "padding"), t), strideW: try t.i32(1, "stride_w"),
                                strideH: try t.i32(2, "stride_h"), depthMultiplier: try t.i32(3, "depth_multiplier"),
                                activation: try activation(t, 4), dilationW: try t.i32(5, "dilation_w_factor", default: 1),
                                dilationH: try t.i32(6, "dilation_h_factor", default: 1))
    case 5:
        return .pool2D(padding: try padding(try t.u8(0, "padding"), t), strideW: try t.i32(1, "stride_w"), strideH: try t.i32(2, "stride_h"),
                       filterW: try t.i32(3, "filter_width"), filterH: try t.i32(4, "filter_height"), activation: try activation(t, 5))
    case 8:
        guard try t.u8(1, "weights_format") == 0 else { throw ToolkitError(t.view.file, "\(t.what): shuffled fully-connected weights are not supported") }
        return .fullyConnected(activation: try activation(t, 0), keepNumDims: try t.bool(2, "keep_num_dims"))
    case 10: return .concatenation(axis: try t.i32(0, "axis"), activation: try activation(t, 1))
    case 11: return .add(activation: try activation(t, 0))
    case 17: return .reshape(newShape: try t.int32s(0, "new_shape"))
    case 21: return .mul(activation: try activation(t, 0))
    case 27: return .reducer(keepDims: try t.bool(0, "keep_dims"))
    case 35: return .split(numSplits: try t.i32(0, "num_splits"))
    case TFLiteOptionsType.pad, TFLiteOptionsType.transpose, TFLiteOptionsType.padV2, TFLiteOptionsType.slice,
         TFLiteOptionsType.quantize, TFLiteOptionsType.hardSwish:
        return .empty(type: type)
    default: return .other(type: type)
    }
}

// MARK: - Writing

/// The model as a `.tflite` FlatBuffer (file identifier `TFL3`; buffer data 16-byte aligned).
public func serializeTFLite(_ m: TFLiteModel) -> [UInt8] {
    var root = FBObject()
    root.set(0, .u32(m.version))
    root.set(1, .tables(m.operatorCodes.map { c in
        var t = FBObject()
        t.set(0, .u8(UInt8(bitPattern: Int8(clamping: Swift.min(c.builtin, 127)))))
        if let s = c.customCode { t.set(1, .string(s)) }
        t.set(2, .i32(c.version))
        t.set(3, .i32(c.builtin))
        return t
    }))
    root.set(2, .tables(m.subgraphs.map(encodeSubGraph)))
    if !m.description.isEmpty { root.set(3, .string(m.description)) }
    root.set(4, .tables(m.buffers.map { b in
        var t = FBObject()
        if !b.isEmpty { t.set(0, .bytes(b, align: 16)) }
        return t
    }))
    if !m.metadata.isEmpty {
        root.set(6, .tables(m.metadata.map { FBObject([(0, .string($0.name)), (1, .u32($0.buffer))]) }))
    }
    return serializeFlatBuffer(root, identifier: "TFL3")
}

private func encodeSubGraph(_ g: TFLiteSubGraph) -> FBObject {
    var t = FBObject()
    t.set(0, .tables(g.tensors.map { x in
        var o = FBObject()
        o.set(0, .int32s(x.shape))
        o.set(1, .u8(UInt8(bitPattern: x.type.rawValue)))
        o.set(2, .u32(x.buffer))
        o.set(3, .string(x.name))
        if let q = x.quantization {
            var p = FBObject()
            if !q.min.isEmpty { p.set(0, .floats(q.min)) }
            if !q.max.isEmpty { p.set(1, .floats(q.max)) }
            p.set(2, .floats(q.scale))
            p.set(3, .int64s(q.zeroPoint))
            p.set(6, .i32(q.quantizedDimension))
            o.set(4, .table(p))
        }
        if x.isVariable { o.set(5, .u8(1)) }
        return o
    }))
    t.set(1, .int32s(g.inputs))
    t.set(2, .int32s(g.outputs))
    t.set(3, .tables(g.operators.map { op in
        var o = FBObject()
        o.set(0, .u32(op.opcodeIndex))
        o.set(1, .int32s(op.inputs))
        o.set(2, .int32s(op.outputs))
        if let opts = encodeOptions(op.options) {
            o.set(3, .u8(op.options.unionType))
            o.set(4, .table(opts))
        }
        return o
    }))
    if !g.name.isEmpty { t.set(4, .string(g.name)) }
    return t
}

private func encodeOptions(_ o: TFLiteOptions) -> FBObject? {
    switch o {
    case .none, .other: return nil
    case let .conv2D(padding, strideW, strideH, act, dw, dh):
        return FBObject([(0, .u8(padding.rawValue)), (1, .i32(strideW)), (2, .i32(strideH)), (3, .u8(act.rawValue)),
                         (4, .i32(dw)), (5, .i32(dh))])
    case let .depthwiseConv2D(padding, strideW, strideH, mult, act, dw, dh):
        return FBObject([(0, .u8(padding.rawValue)), (1, .i32(strideW)), (2, .i32(strideH)), (3, .i32(mult)), (4, .u8(act.rawValue)),
                         (5, .i32(dw)), (6, .i32(dh))])
    case let .pool2D(padding, strideW, strideH, fw, fh, act):
        return FBObject([(0, .u8(padding.rawValue)), (1, .i32(strideW)), (2, .i32(strideH)), (3, .i32(fw)), (4, .i32(fh)),
                         (5, .u8(act.rawValue))])
    case let .fullyConnected(act, keep): return FBObject([(0, .u8(act.rawValue)), (2, .u8(keep ? 1 : 0))])
    case let .concatenation(axis, act): return FBObject([(0, .i32(axis)), (1, .u8(act.rawValue))])
    case let .add(act): return FBObject([(0, .u8(act.rawValue))])
    case let .mul(act): return FBObject([(0, .u8(act.rawValue))])
    case let .reducer(keep): return FBObject([(0, .u8(keep ? 1 : 0))])
    case let .split(n): return FBObject([(0, .i32(n))])
    case let .reshape(shape): return FBObject(shape.isEmpty ? [] : [(0, .int32s(shape))])
    case .empty: return FBObject()
    }
}
