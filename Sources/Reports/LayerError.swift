import QuantCore

/// How far one int8 activation is from its float counterpart, over all images compared.
/// Errors are cumulative: the int8 model runs on its own int8 inputs, so a layer's figures include
/// everything upstream; `sqnrDropDB` isolates what the layer itself adds.
public struct LayerError: Sendable, Codable, Equatable {
    /// Layer name (the float node it comes from).
    public var name: String
    /// Operator kind, e.g. `depthwise 3x3 s2`, `pointwise`, `add`.
    public var op: String
    /// Output shape `HxWxC`.
    public var shape: String
    /// Value id of the activation (see `QModel`).
    public var valueId: Int
    /// The int8 grid: real value = scale × (q − zeroPoint).
    public var scale: Double
    public var zeroPoint: Int32
    /// Signal-to-quantization-noise ratio `10·log10(Σ f² / Σ (f − d)²)` of float `f` vs
    /// dequantized `d`, in dB (+infinity when identical).
    public var sqnrDB: Double
    /// Cosine similarity of the float and dequantized activations (1 = same direction).
    public var cosine: Double
    public var maxAbsError: Double
    public var meanAbsError: Double
    /// Root mean square of the float values (their typical magnitude).
    public var floatRMS: Double
    /// Smallest and largest float value seen.
    public var rangeMin: Double
    public var rangeMax: Double
    /// Share of float values outside the int8 grid by more than half a step (they saturate).
    public var clippedFraction: Double
    /// Largest per-channel max |f| divided by the median one (channels that are not all zero):
    /// large values mean a few loud channels set the step for all (1 = even channels).
    public var channelRangeRatio: Double
    /// Lowest SQNR among this layer's measured inputs minus its own: the dB this layer loses by
    /// itself. `nil` when no input was measured.
    public var sqnrDropDB: Double?
    /// Number of values compared.
    public var count: Int

    public init(name: String, op: String, shape: String, valueId: Int, scale: Double, zeroPoint: Int32,
                sqnrDB: Double, cosine: Double, maxAbsError: Double, meanAbsError: Double, floatRMS: Double,
                rangeMin: Double, rangeMax: Double, clippedFraction: Double, channelRangeRatio: Double,
                sqnrDropDB: Double?, count: Int) {
        self.name = name; self.op = op; self.shape = shape; self.valueId = valueId; self.scale = scale
        self.zeroPoint = zeroPoint; self.sqnrDB = sqnrDB; self.cosine = cosine; self.maxAbsError = maxAbsError
        self.meanAbsError = meanAbsError; self.floatRMS = floatRMS; self.rangeMin = rangeMin; self.rangeMax = rangeMax
        self.clippedFraction = clippedFraction; self.channelRangeRatio = channelRangeRatio
        self.sqnrDropDB = sqnrDropDB; self.count = count
    }
}

/// What the accumulator needs to know about one activation: how to label it, its int8 grid,
/// its channel count (activations are HWC, channel fastest) and its input value ids.
public struct LayerInfo: Sendable, Equatable {
    public var name: String
    public var op: String
    public var shape: Shape3
    public var scale: Double
    public var zeroPoint: Int32
    public var inputs: [Int]

    public init(name: String, op: String, shape: Shape3, scale: Double, zeroPoint: Int32, inputs: [Int] = []) {
        self.name = name; self.op = op; self.shape = shape; self.scale = scale; self.zeroPoint = zeroPoint; self.inputs = inputs
    }

    /// The layer info of every value of a quantized model (0 = the input, `i + 1` = node `i`).
    public static func all(in model: QModel) -> [Int: LayerInfo] {
        var infos: [Int: LayerInfo] = [0: LayerInfo(name: "input", op: "input", shape: model.input.shape,
                                                    scale: model.input.scale, zeroPoint: model.input.zeroPoint)]
        for (i, node) in model.nodes.enumerated() {
            let inShape = node.inputs.first.map { model.info($0).shape } ?? node.output.shape
            infos[i + 1] = LayerInfo(name: node.name, op: opLabel(node.op, inputShape: inShape), shape: node.output.shape,
                                     scale: node.output.scale, zeroPoint: node.output.zeroPoint, inputs: node.inputs)
        }
        return infos
    }

    /// A short human name for an integer operator.
    public static func opLabel(_ op: QOp, inputShape: Shape3) -> String {
        switch op {
        case .conv(let c):
            let stride = c.strideH > 1 ? " s\(c.strideH)" : ""
            if c.groups > 1 && c.groups == c.inChannels && c.groups == c.outChannels {
                if c.kernelH == 1 && c.kernelW == 1 && c.outputZeroPoint == QConv.hardSigmoidOutput.zeroPoint
                    && c.weightScales.allSatisfy({ $0 == QConv.hardSigmoidWeightScale }) && c.weights.allSatisfy({ $0 == 127 }) {
                    return "hard-sigmoid (1x1 depthwise)"
                }
                return "depthwise \(c.kernelH)x\(c.kernelW)\(stride)"
            }
            if c.kernelH == 1 && c.kernelW == 1 {
                if inputShape.h == 1 && inputShape.w == 1 { return "fully connected" }
                return c.groups > 1 ? "grouped pointwise g\(c.groups)\(stride)" : "pointwise\(stride)"
            }
            return "conv \(c.kernelH)x\(c.kernelW)\(stride)"
        case .add: return "add"
        case .mul: return "se multiply"
        case .hardSwish: return "hard-swish"
        case .lookup: return "lookup table"
        case .requantize: return "requantize"
        case .concat: return "concat"
        case .split: return "split"
        case .shuffle: return "channel shuffle"
        case .maxPool(let p): return "max pool \(p.kernel)x\(p.kernel)"
        case .avgPool(let p): return "avg pool \(p.kernel)x\(p.kernel)"
        case .globalAvgPool: return "global avg pool"
        }
    }
}

extension LayerError {
    enum CodingKeys: String, CodingKey {
        case name, op, shape, valueId, scale, zeroPoint, sqnrDB, cosine, maxAbsError, meanAbsError, floatRMS
        case rangeMin, rangeMax, clippedFraction, channelRangeRatio, sqnrDropDB, count
    }

    /// JSON keeps numbers as numbers: an SQNR of +infinity (int8 equals float exactly) is written
    /// as `null`, and so is a drop of ±infinity; everything else is a plain number.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name); try c.encode(op, forKey: .op); try c.encode(shape, forKey: .shape)
        try c.encode(valueId, forKey: .valueId); try c.encode(scale, forKey: .scale); try c.encode(zeroPoint, forKey: .zeroPoint)
        if sqnrDB.isFinite { try c.encode(sqnrDB, forKey: .sqnrDB) } else { try c.encodeNil(forKey: .sqnrDB) }
        try c.encode(cosine, forKey: .cosine); try c.encode(maxAbsError, forKey: .maxAbsError)
        try c.encode(meanAbsError, forKey: .meanAbsError); try c.encode(floatRMS, forKey: .floatRMS)
        try c.encode(rangeMin, forKey: .rangeMin); try c.encode(rangeMax, forKey: .rangeMax)
        try c.encode(clippedFraction, forKey: .clippedFraction); try c.encode(channelRangeRatio, forKey: .channelRangeRatio)
        if let d = sqnrDropDB, d.isFinite { try c.encode(d, forKey: .sqnrDropDB) } else { try c.encodeNil(forKey: .sqnrDropDB) }
        try c.encode(count, forKey: .count)
    }

    /// Reads what `encode(to:)` writes (`sqnrDB: null` is +infinity).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name), op: try c.decode(String.self, forKey: .op),
                  shape: try c.decode(String.self, forKey: .shape), valueId: try c.decode(Int.self, forKey: .valueId),
                  scale: try c.decode(Double.self, forKey: .scale), zeroPoint: try c.decode(Int32.self, forKey: .zeroPoint),
                  sqnrDB: try c.decodeIfPresent(Double.self, forKey: .sqnrDB) ?? .infinity,
                  cosine: try c.decode(Double.self, forKey: .cosine), maxAbsError: try c.decode(Double.self, forKey: .maxAbsError),
                  meanAbsError: try c.decode(Double.self, forKey: .meanAbsError), floatRMS: try c.decode(Double.self, forKey: .floatRMS),
                  rangeMin: try c.decode(Double.self, forKey: .rangeMin), rangeMax: try c.decode(Double.self, forKey: .rangeMax),
                  clippedFraction: try c.decode(Double.self, forKey: .clippedFraction),
                  channelRangeRatio: try c.decode(Double.self, forKey: .channelRangeRatio),
                  sqnrDropDB: try c.decodeIfPresent(Double.self, forKey: .sqnrDropDB), count: try c.decode(Int.self, forKey: .count))
    }
}
