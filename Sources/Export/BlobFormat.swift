import QuantCore

/// Constants of the blob format, version 4. The normative description is `Docs/BLOB_FORMAT.md`;
/// the C twin of these numbers is `Targets/runtime/src/q8_format.h`. The limits on the
/// model itself are `ModelLimits` (QuantCore).
enum BlobFormat {
    /// The ASCII bytes `Q8MB`.
    static let magic: [UInt8] = [0x51, 0x38, 0x4D, 0x42]
    /// The version written and read. Version 4 is version 3 (TFLite Micro's arithmetic: float32
    /// scales, per-channel weight scales, TFLM-derived multipliers, int16 hard-swish) plus a weight
    /// precision per CONV (int8, or int4 packed two per byte), int8 shifts and weight scales left out
    /// where the multipliers determine them, and the patch stage table and in-place
    /// depthwise ops of execution schedules; versions 1–3 are refused with a message saying why.
    static let version: UInt32 = 4
    static let versions: ClosedRange<UInt32> = 4...4
    /// The version a model is written as (always 4).
    static func version(of model: QModel) -> UInt32 { version }
    /// Bytes of one stage table entry.
    static let stageEntrySize = 16
    static let headerSize = 128
    /// Bytes of one value table record.
    static let valueRecordSize = 32
    /// Bytes of one tensor table entry.
    static let tensorEntrySize = 16
    /// Bytes of the common header of every op record.
    static let opHeaderSize = 16
    /// Alignment of every region, tensor and arena buffer.
    static let alignment = 16
    /// Tensor index that stands for "no tensor".
    static let noTensor: UInt32 = 0xFFFF_FFFF
    /// Largest total size, arena size and element count (2^31 − 1).
    static let maxSize = ModelLimits.maxSize
    /// Largest height, width or channel count.
    static let maxDimension = ModelLimits.maxDimension
    /// The kernel scratch rule (`kernelScratchBytes`): a non-1×1 groups-1 CONV with ≤ 256 taps and
    /// ≤ 64 kernel rows, a depthwise CONV with ≥ 4 channels and ≤ 49 taps, an ADD and a hard-swish
    /// of more than 256 elements.
    static let scratchPatch = 4096, scratchDepthwise = 4096, scratchAdd = 2048, scratchHardSwish = 256
}

/// `x` rounded up to a multiple of the blob alignment (16).
func alignUp(_ x: Int) -> Int { (x + BlobFormat.alignment - 1) / BlobFormat.alignment * BlobFormat.alignment }

/// Op type codes of the op records.
enum BlobOpType: UInt32 {
    /// Type 5 (HARD_SIGMOID of versions 1–2) is not used since version 3: hard-sigmoid is a CONV.
    case conv = 1, add, mul, hardSwish, requantize = 6, concat, split, shuffle, maxPool, avgPool, globalAvgPool
    /// Element-wise lookup table (since version 2).
    case lookup
    /// A 1×1 depthwise CONV (stride 1, no padding) whose channels share one weight, bias, multiplier
    /// and shift — the hard-sigmoid gates — as 8 words instead of per-channel tensors (since version 4).
    case uniform1x1

    /// Number of parameter words that follow the input ids.
    var parameterWords: Int {
        switch self {
        case .conv: return 19
        case .add: return 12
        case .mul: return 7
        case .hardSwish, .requantize, .globalAvgPool: return 6
        case .concat: return 0
        case .split: return 2
        case .shuffle, .lookup: return 1
        case .maxPool, .avgPool: return 10
        case .uniform1x1: return 8
        }
    }

    /// Required number of inputs (`nil`: one or more, for concat).
    var inputCount: Int? {
        switch self {
        case .add, .mul: return 2
        case .concat: return nil
        default: return 1
        }
    }
}

/// Kinds of the tensor table entries.
enum BlobTensorKind: UInt32 {
    case weights = 1, bias, multiplier, shift, padValues
    /// The 256 int8 entries of a lookup table.
    case table
    /// The float32 weight scale of each output channel of a CONV (IEEE-754 binary32 bits, little-endian).
    case weightScales
    /// CONV weights in int4, packed two per byte (`packInt4`, TFLite's dense int4 layout; since version 4).
    case weightsInt4

    /// Bytes per element (int8 or int32); int4 weights count as bytes here (their size is
    /// `packedInt4Bytes` of the element count).
    var elementSize: Int {
        switch self {
        case .weights, .padValues, .table, .shift, .weightsInt4: return 1
        case .bias, .multiplier, .weightScales: return 4
        }
    }

    var name: String {
        switch self {
        case .weights: return "weights"
        case .bias: return "bias"
        case .multiplier: return "multiplier"
        case .shift: return "shift"
        case .padValues: return "pad values"
        case .table: return "lookup table"
        case .weightScales: return "weight scales"
        case .weightsInt4: return "int4 weights"
        }
    }
}

/// The op type code of `op`.
func blobOpType(_ op: QOp) -> BlobOpType {
    switch op {
    case .conv: return .conv
    case .add: return .add
    case .mul: return .mul
    case .hardSwish: return .hardSwish
    case .lookup: return .lookup
    case .requantize: return .requantize
    case .concat: return .concat
    case .split: return .split
    case .shuffle: return .shuffle
    case .maxPool: return .maxPool
    case .avgPool: return .avgPool
    case .globalAvgPool: return .globalAvgPool
    }
}
