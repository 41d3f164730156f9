/// The quantized, integer-only model: what the Quantizer produces, the IntEngine runs, and the
/// Export module writes as a blob for the C runtime. Nothing a kernel reads is a float: the
/// float32 scales (activations, per-channel weights) are what every multiplier was derived from
/// (TFLite Micro's derivations, `OpParams.swift`, Docs/ARITHMETIC.md) and what a `.tflite` file
/// stores. Layout of every activation is HWC (batch 1), int8.
///
/// Value numbering: value 0 is the model input; node `i` produces value `i + 1`.
public struct QModel: Sendable {
    public var name: String
    /// Quantization of value 0 (raw pixels − 128: scale 1/255, zero point −128).
    public var input: QTensorInfo
    public var nodes: [QNode]
    public var numClasses: Int
    /// Free-form provenance (architecture, dataset, calibration method, ...), kept in the blob.
    public var metadata: [String: String]
    /// How the ops run and share the arena (`Schedule.swift`): layer by layer by default; in-place
    /// depthwise and patch (row band) stages when a RAM budget asks for them. Every schedule gives
    /// the same bytes.
    public var schedule: ExecutionSchedule

    public init(name: String, input: QTensorInfo, nodes: [QNode], numClasses: Int, metadata: [String: String] = [:],
                schedule: ExecutionSchedule = ExecutionSchedule()) {
        self.name = name; self.input = input; self.nodes = nodes; self.numClasses = numClasses; self.metadata = metadata
        self.schedule = schedule
    }

    /// Shape and quantization of value `v` (0 = input, i + 1 = output of node i).
    public func info(_ v: Int) -> QTensorInfo { v == 0 ? input : nodes[v - 1].output }
    /// The output value of the model (the last node's).
    public var outputValue: Int { nodes.count }
}

/// `metadata["input"]` of a model imported from a `.tflite`: its input is the file's int8 tensor
/// (the normalized image quantized with the file's scale and zero point), not pixel − 128.
public let importedInputMetadata = "tflite-quantized"

/// The input grid of the toolkit's own models: raw pixels − 128 (scale `float32(1/255)`, zero point −128).
public let pixelInputGrid = (scale: Double(Float(1.0 / 255.0)), zeroPoint: Int32(-128))

extension QModel {
    /// Whether the input is the raw pixel − 128 (the toolkit's own models): the pixel grid and no
    /// `metadata["input"] = "tflite-quantized"`. The C runtime's `q8_input_is_pixels` is the same
    /// rule on a blob; the C header says it as `<SYM>_INPUT_IS_PIXELS`.
    public var inputIsPixels: Bool {
        input.scale == pixelInputGrid.scale && input.zeroPoint == pixelInputGrid.zeroPoint && metadata["input"] != importedInputMetadata
    }

    /// Why pixels cannot be given to this model and what to do instead (`inputIsPixels` false): the
    /// words of `input(fromPixels:)`'s error and of `IntEngine`'s pixel entry points' precondition.
    public var notPixelsAdvice: String {
        "the input is not pixel − 128: quantize the normalized image x as round(x / \(Float(input.scale))) + \(input.zeroPoint), clamped to int8, and run that input"
    }

    /// Raw uint8 HWC pixels → the int8 input, `pixel − 128` (the Swift twin of the C runtime's
    /// `q8_input_from_pixels`). Throws `ToolkitError(name, …)` when the input is not pixels
    /// (`inputIsPixels` is false: a model imported from a `.tflite`, whose input is the normalized
    /// image quantized with `input.scale` and `input.zeroPoint`) or `pixels` is not one input.
    public func input(fromPixels pixels: [UInt8]) throws -> [Int8] {
        guard inputIsPixels else { throw ToolkitError(name, notPixelsAdvice) }
        guard pixels.count == input.shape.count else { throw ToolkitError(name, "\(pixels.count) pixels, not the input's \(input.shape.count)") }
        return pixels.map { Int8(truncatingIfNeeded: Int($0) - 128) }
    }
}

/// Shape and quantization of one activation tensor.
public struct QTensorInfo: Sendable, Equatable {
    public var shape: Shape3
    public var zeroPoint: Int32
    /// Real value of one step: always a float32 value (the initializer rounds to float32), the
    /// scale every multiplier of the ops around this tensor is derived from. No kernel reads it.
    public var scale: Double
    /// The scale as the float32 it is.
    public var scale32: Float { Float(scale) }
    public init(shape: Shape3, zeroPoint: Int32, scale: Double) {
        self.shape = shape; self.zeroPoint = zeroPoint; self.scale = Double(Float(scale))
    }
}

/// One operation of the integer graph.
public struct QNode: Sendable {
    /// Name of the float layer it comes from (e.g. `features.3.block.1`).
    public var name: String
    public var op: QOp
    /// Input value ids (see QModel).
    public var inputs: [Int]
    public var output: QTensorInfo
    public init(name: String, op: QOp, inputs: [Int], output: QTensorInfo) {
        self.name = name; self.op = op; self.inputs = inputs; self.output = output
    }
}

/// The integer operators. Parameters are all integers, fixed at conversion.
public enum QOp: Sendable {
    /// Convolution of every kind: general (stem), depthwise (groups == in == out), pointwise and
    /// grouped 1×1, and fully connected (1×1 on a 1×1 input).
    case conv(QConv)
    /// Residual add of two tensors of the same shape.
    case add(QAdd)
    /// Squeeze-excitation multiply: input 0 is H×W×C, input 1 the 1×1×C gate.
    case mul(QMul)
    /// TFLite's int16 fixed-point hard-swish. (Hard-sigmoid is a 1×1 depthwise `conv`.)
    case hardSwish(QHardSwish)
    /// Any element-wise function as a 256-entry table (sigmoid, SiLU, tanh, ...).
    case lookup(QLookup)
    /// Element-wise requantization into another scale/zero point, with a clamp (standalone ReLU,
    /// or a scale change).
    case requantize(QRequantize)
    /// Channel concatenation; all inputs already share the output's scale and zero point.
    case concat
    /// Channels [start, start + count) of the input (same quantization).
    case split(start: Int, count: Int)
    /// Channel shuffle: output channel j·g + i takes input channel i·(C/g) + j.
    case shuffle(groups: Int)
    /// Max pooling on the int8 values (padding never wins).
    case maxPool(QPool)
    /// Average pooling that counts padding (count_include_pad), one requantization.
    case avgPool(QPool)
    /// Mean over H and W: int32 sum of (q − zp_in), one requantization folding in 1/(H·W).
    case globalAvgPool(QRequantize)
}

/// Integer convolution parameters. Weights are OHWI: `[outC][kh][kw][inC / groups]`.
public struct QConv: Sendable {
    public var inChannels: Int, outChannels: Int
    public var kernelH: Int, kernelW: Int
    public var strideH: Int, strideW: Int
    /// Padding before the first row / column; bottom and right padding follow from the output shape.
    public var padTop: Int, padLeft: Int
    public var groups: Int
    /// The weight values, one per element, whatever their storage precision (`weightBits`).
    public var weights: [Int8]
    /// Storage precision of `weights`: 8 (int8, −128…127) or 4 (int4, −8…7, stored in a blob packed
    /// two per byte, `packInt4`). The arithmetic is the same: every engine multiplies the values.
    public var weightBits: Int
    public var bias: [Int32]
    /// Per-output-channel Q31 multiplier and shift, derived from `double(s_in)·double(s_w[c])/double(s_out)`.
    public var multiplier: [Int32]
    public var shift: [Int32]
    public var inputZeroPoint: Int32
    public var outputZeroPoint: Int32
    /// Fused activation as an output clamp.
    public var actMin: Int32, actMax: Int32
    /// Per-input-channel int8 value that padding stands for (the stem pads with the normalization
    /// mean after folding it). `nil`: padding is `inputZeroPoint`, a real zero.
    public var padValue: [Int8]?
    /// The float32 weight scale of each output channel (what `multiplier`/`shift` were derived
    /// from; a blob and a `.tflite` store it). Empty only in kernel tests that set multipliers directly.
    public var weightScales: [Float]

    public init(inChannels: Int, outChannels: Int, kernelH: Int, kernelW: Int, strideH: Int, strideW: Int,
                padTop: Int, padLeft: Int, groups: Int, weights: [Int8], bias: [Int32],
                multiplier: [Int32], shift: [Int32], inputZeroPoint: Int32, outputZeroPoint: Int32,
                actMin: Int32, actMax: Int32, padValue: [Int8]? = nil, weightScales: [Float] = [], weightBits: Int = 8) {
        self.inChannels = inChannels; self.outChannels = outChannels; self.kernelH = kernelH; self.kernelW = kernelW
        self.strideH = strideH; self.strideW = strideW; self.padTop = padTop; self.padLeft = padLeft
        self.groups = groups; self.weights = weights; self.bias = bias; self.multiplier = multiplier; self.shift = shift
        self.inputZeroPoint = inputZeroPoint; self.outputZeroPoint = outputZeroPoint
        self.actMin = actMin; self.actMax = actMax; self.padValue = padValue; self.weightScales = weightScales
        self.weightBits = weightBits
    }
}

/// Residual add (TFLite scheme): each input `(q − zp) << leftShift` is requantized into a common
/// fine grid, the two are added in int32 and requantized to the output.
public struct QAdd: Sendable {
    public var input1ZeroPoint: Int32, input2ZeroPoint: Int32
    public var leftShift: Int32
    public var input1Multiplier: Int32, input1Shift: Int32
    public var input2Multiplier: Int32, input2Shift: Int32
    public var outputMultiplier: Int32, outputShift: Int32
    public var outputZeroPoint: Int32
    public var actMin: Int32, actMax: Int32
    public init(input1ZeroPoint: Int32, input2ZeroPoint: Int32, leftShift: Int32, input1Multiplier: Int32, input1Shift: Int32,
                input2Multiplier: Int32, input2Shift: Int32, outputMultiplier: Int32, outputShift: Int32,
                outputZeroPoint: Int32, actMin: Int32, actMax: Int32) {
        self.input1ZeroPoint = input1ZeroPoint; self.input2ZeroPoint = input2ZeroPoint; self.leftShift = leftShift
        self.input1Multiplier = input1Multiplier; self.input1Shift = input1Shift
        self.input2Multiplier = input2Multiplier; self.input2Shift = input2Shift
        self.outputMultiplier = outputMultiplier; self.outputShift = outputShift
        self.outputZeroPoint = outputZeroPoint; self.actMin = actMin; self.actMax = actMax
    }
}

/// Squeeze-excitation multiply: `out = zp_out + requant((q_x − zp_x) × (q_g − zp_g))`, clamped.
public struct QMul: Sendable {
    public var inputZeroPoint: Int32, gateZeroPoint: Int32
    public var multiplier: Int32, shift: Int32
    public var outputZeroPoint: Int32
    public var actMin: Int32, actMax: Int32
    public init(inputZeroPoint: Int32, gateZeroPoint: Int32, multiplier: Int32, shift: Int32, outputZeroPoint: Int32, actMin: Int32, actMax: Int32) {
        self.inputZeroPoint = inputZeroPoint; self.gateZeroPoint = gateZeroPoint; self.multiplier = multiplier
        self.shift = shift; self.outputZeroPoint = outputZeroPoint; self.actMin = actMin; self.actMax = actMax
    }
}

/// TFLite's int8 HARD_SWISH (`reference_ops::HardSwish<int8_t>`): int16 fixed point with two
/// int16 multipliers, derived as TFLM's Prepare derives them (`QHardSwish.make`). Per element,
/// with `v = (q − zp_in) · 128`: `p = SRDHM16(v, outputMultiplier)`; the "relu-ish" value
/// `r = v` rescaled by `reluishMultiplier · 2^reluishExponent` (saturating; 3.0 ↦ 32768),
/// `r = (r + 32768) >> 1` (relu6(x + 3)/6 in Q15); `out = RDBP16(SDHM16(r, p), −outputExponent) + zp_out`
/// (int16), clamped to int8. Docs/ARITHMETIC.md spells out each step.
public struct QHardSwish: Sendable, Equatable {
    public var inputZeroPoint: Int32, outputZeroPoint: Int32
    /// int16 multiplier (0…32767) and exponent (−15…0) from `float32((s_in/128) / s_out)`.
    public var outputMultiplier: Int32, outputExponent: Int32
    /// int16 multiplier (0…32767) and exponent (−15…15) from `float32((s_in/128) / (3/32768))`.
    public var reluishMultiplier: Int32, reluishExponent: Int32
    public init(inputZeroPoint: Int32, outputZeroPoint: Int32, outputMultiplier: Int32, outputExponent: Int32,
                reluishMultiplier: Int32, reluishExponent: Int32) {
        self.inputZeroPoint = inputZeroPoint; self.outputZeroPoint = outputZeroPoint
        self.outputMultiplier = outputMultiplier; self.outputExponent = outputExponent
        self.reluishMultiplier = reluishMultiplier; self.reluishExponent = reluishExponent
    }
}

/// `out = clamp(zp_out + requant(q − zp_in, multiplier, shift), actMin, actMax)`; for the global
/// average pool the requantized quantity is the sum over H·W of `q − zp_in`.
public struct QRequantize: Sendable {
    public var inputZeroPoint: Int32
    public var multiplier: Int32, shift: Int32
    public var outputZeroPoint: Int32
    public var actMin: Int32, actMax: Int32
    public init(inputZeroPoint: Int32, multiplier: Int32, shift: Int32, outputZeroPoint: Int32, actMin: Int32 = -128, actMax: Int32 = 127) {
        self.inputZeroPoint = inputZeroPoint; self.multiplier = multiplier; self.shift = shift
        self.outputZeroPoint = outputZeroPoint; self.actMin = actMin; self.actMax = actMax
    }
}

/// Pooling window. For average pooling, `sum(q − zp_in)` over the k×k window (padding counts as
/// zero) is requantized with `multiplier/shift` (which fold in 1/(k·k)) to the output zero point.
/// Max pooling keeps the input quantization and ignores the requantization fields.
public struct QPool: Sendable {
    public var kernel: Int, stride: Int, padTop: Int, padLeft: Int
    public var requant: QRequantize
    public init(kernel: Int, stride: Int, padTop: Int, padLeft: Int, requant: QRequantize) {
        self.kernel = kernel; self.stride = stride; self.padTop = padTop; self.padLeft = padLeft; self.requant = requant
    }
}

/// An element-wise function tabulated at conversion: `output = table[input + 128]`. The table
/// holds the function's value for each of the 256 int8 inputs on the output grid, so the kernel
/// is one load per value whatever the function.
public struct QLookup: Sendable, Equatable {
    /// 256 entries, indexed by the int8 input + 128.
    public var table: [Int8]
    public init(table: [Int8]) { self.table = table }
}
