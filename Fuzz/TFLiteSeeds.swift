/// Small `.tflite` seeds for the `tflite` fuzz reader, written with ModelIO's FlatBuffers writer:
/// one operator of each options table the reader decodes, with per-tensor and per-channel
/// quantization, constant buffers, a custom operator code and metadata.
import ModelIO

func tfliteSeeds() -> [[UInt8]] {
    func q(_ s: [Float], _ z: [Int64], dim: Int32 = 0) -> TFLiteQuantization { TFLiteQuantization(scale: s, zeroPoint: z, quantizedDimension: dim) }
    var m = TFLiteModel()
    m.description = "fuzz seed"
    m.operatorCodes = [TFLiteOp.conv2D, TFLiteOp.depthwiseConv2D, TFLiteOp.maxPool2D, TFLiteOp.fullyConnected, TFLiteOp.add,
                       TFLiteOp.mul, TFLiteOp.mean, TFLiteOp.padV2, TFLiteOp.hardSwish, TFLiteOp.concatenation, TFLiteOp.split,
                       TFLiteOp.reshape, TFLiteOp.relu0To1].map { TFLiteOperatorCode(builtin: $0, version: 2) }
        + [TFLiteOperatorCode(builtin: 32, customCode: "MyOp")]
    var g = TFLiteSubGraph()
    g.name = "main"
    let act = q([0.05], [-3])
    g.tensors = [
        TFLiteTensor(shape: [1, 4, 4, 2], type: .int8, name: "x", quantization: q([1 / 255], [-128])),      // 0
        TFLiteTensor(shape: [4, 3, 3, 2], type: .int8, buffer: 1, name: "w", quantization: q([0.01, 0.02, 0.03, 0.04], [0, 0, 0, 0])),
        TFLiteTensor(shape: [4], type: .int32, buffer: 2, name: "b", quantization: q([1e-4, 2e-4, 3e-4, 4e-4], [0, 0, 0, 0])),
        TFLiteTensor(shape: [1, 4, 4, 4], type: .int8, name: "conv", quantization: act),                       // 3
        TFLiteTensor(shape: [1, 3, 3, 4], type: .int8, buffer: 3, name: "dw", quantization: q([0.01, 0.01, 0.02, 0.02], [0, 0, 0, 0], dim: 3)),
        TFLiteTensor(shape: [1, 2, 2, 4], type: .int8, name: "dwout", quantization: act),                      // 5
        TFLiteTensor(shape: [1, 1, 1, 4], type: .int8, name: "pool", quantization: act),                       // 6
        TFLiteTensor(shape: [2], type: .int32, buffer: 4, name: "axes"),                                      // 7
        TFLiteTensor(shape: [3, 4], type: .int8, buffer: 5, name: "fcw", quantization: q([0.1, 0.1, 0.1], [0, 0, 0])),
        TFLiteTensor(shape: [1, 3], type: .int8, name: "logits", quantization: act),                           // 9
        TFLiteTensor(shape: [4, 2], type: .int32, buffer: 6, name: "pads"),                                   // 10
    ]
    g.inputs = [0]; g.outputs = [9]
    g.operators = [
        TFLiteOperator(opcodeIndex: 7, inputs: [0, 10], outputs: [0]),
        TFLiteOperator(opcodeIndex: 0, inputs: [0, 1, 2], outputs: [3],
                       options: .conv2D(padding: .same, strideW: 1, strideH: 1, activation: .relu6, dilationW: 1, dilationH: 1)),
        TFLiteOperator(opcodeIndex: 1, inputs: [3, 4, 2], outputs: [5],
                       options: .depthwiseConv2D(padding: .valid, strideW: 2, strideH: 2, depthMultiplier: 1, activation: .none, dilationW: 1, dilationH: 1)),
        TFLiteOperator(opcodeIndex: 8, inputs: [5], outputs: [5], options: .empty(type: TFLiteOptionsType.hardSwish)),
        TFLiteOperator(opcodeIndex: 2, inputs: [5], outputs: [6],
                       options: .pool2D(padding: .valid, strideW: 2, strideH: 2, filterW: 2, filterH: 2, activation: .none)),
        TFLiteOperator(opcodeIndex: 6, inputs: [5, 7], outputs: [6], options: .reducer(keepDims: true)),
        TFLiteOperator(opcodeIndex: 5, inputs: [5, 6], outputs: [5], options: .mul(activation: .none)),
        TFLiteOperator(opcodeIndex: 4, inputs: [5, 5], outputs: [5], options: .add(activation: .relu)),
        TFLiteOperator(opcodeIndex: 9, inputs: [5, 5], outputs: [5], options: .concatenation(axis: 3, activation: .none)),
        TFLiteOperator(opcodeIndex: 10, inputs: [7, 5], outputs: [5, 5], options: .split(numSplits: 2)),
        TFLiteOperator(opcodeIndex: 11, inputs: [6], outputs: [6], options: .reshape(newShape: [1, 4])),
        TFLiteOperator(opcodeIndex: 12, inputs: [6], outputs: [6]),
        TFLiteOperator(opcodeIndex: 3, inputs: [6, 8, -1], outputs: [9], options: .fullyConnected(activation: .none, keepNumDims: false)),
    ]
    m.subgraphs = [g]
    func le32(_ v: [Int32]) -> ArraySlice<UInt8> { ArraySlice(v.flatMap { x in (0..<4).map { UInt8(truncatingIfNeeded: x >> (8 * $0)) } }) }
    m.buffers = [[], ArraySlice((0..<72).map { UInt8(truncatingIfNeeded: $0 &* 37) }), le32([100, -200, 300, -400]),
                 ArraySlice((0..<36).map { UInt8(truncatingIfNeeded: $0 &* 11) }), le32([1, 2]),
                 ArraySlice((0..<12).map { UInt8($0) }), le32([0, 0, 1, 1, 1, 1, 0, 0]), ArraySlice("1.14.0".utf8)]
    m.metadata = [TFLiteMetadata(name: "min_runtime_version", buffer: 7)]
    let full = serializeTFLite(m)
    // A second seed: the first two operators only.
    var small = m
    small.subgraphs[0].operators = Array(m.subgraphs[0].operators.prefix(2))
    small.subgraphs[0].outputs = [3]
    return [full, serializeTFLite(small)]
}

/// A converter-like int8 chain the importer accepts (CONV_2D SAME s2 + RELU6, HARD_SWISH, PAD,
/// DEPTHWISE_CONV_2D VALID, MEAN, FULLY_CONNECTED, RELU_0_TO_1, MUL gate, ADD, MEAN, FULLY_CONNECTED),
/// so that mutations start from the importer's paths.
func tfliteImportSeed() -> [UInt8] {
    func q(_ s: Float, _ z: Int64) -> TFLiteQuantization { TFLiteQuantization(scale: [s], zeroPoint: [z]) }
    func pc(_ n: Int, _ s: Float, dim: Int32 = 0) -> TFLiteQuantization {
        TFLiteQuantization(scale: (0..<n).map { s * Float(1 + $0) }, zeroPoint: [Int64](repeating: 0, count: n), quantizedDimension: dim)
    }
    func bytes(_ n: Int, _ k: Int) -> ArraySlice<UInt8> { ArraySlice((0..<n).map { UInt8(bitPattern: Int8(truncatingIfNeeded: ($0 * k) % 200 - 100)) }) }
    func le32(_ v: [Int32]) -> ArraySlice<UInt8> { ArraySlice(v.flatMap { x in (0..<4).map { UInt8(truncatingIfNeeded: x >> (8 * $0)) } }) }
    var m = TFLiteModel()
    let codes: [Int32] = [TFLiteOp.conv2D, TFLiteOp.hardSwish, TFLiteOp.pad, TFLiteOp.depthwiseConv2D, TFLiteOp.mean,
                          TFLiteOp.fullyConnected, TFLiteOp.relu0To1, TFLiteOp.mul, TFLiteOp.add]
    m.operatorCodes = codes.map { TFLiteOperatorCode(builtin: $0, version: 2) }
    var g = TFLiteSubGraph()
    g.tensors = [
        TFLiteTensor(shape: [1, 8, 8, 2], type: .int8, name: "x", quantization: q(0.02, -10)),                 // 0
        TFLiteTensor(shape: [4, 3, 3, 2], type: .int8, buffer: 1, name: "w0", quantization: pc(4, 0.003)),      // 1
        TFLiteTensor(shape: [4], type: .int32, buffer: 2, name: "b0"),                                          // 2
        TFLiteTensor(shape: [1, 4, 4, 4], type: .int8, name: "conv", quantization: q(0.05, -128)),             // 3
        TFLiteTensor(shape: [1, 4, 4, 4], type: .int8, name: "hs", quantization: q(0.04, -100)),               // 4
        TFLiteTensor(shape: [4, 2], type: .int32, buffer: 3, name: "pads"),                                     // 5
        TFLiteTensor(shape: [1, 6, 6, 4], type: .int8, name: "padded", quantization: q(0.04, -100)),           // 6
        TFLiteTensor(shape: [1, 3, 3, 4], type: .int8, buffer: 4, name: "w1", quantization: pc(4, 0.004, dim: 3)),
        TFLiteTensor(shape: [1, 4, 4, 4], type: .int8, name: "dw", quantization: q(0.06, -128)),               // 8
        TFLiteTensor(shape: [2], type: .int32, buffer: 5, name: "axes"),                                        // 9
        TFLiteTensor(shape: [1, 1, 1, 4], type: .int8, name: "mean", quantization: q(0.03, -120)),             // 10
        TFLiteTensor(shape: [4, 4], type: .int8, buffer: 6, name: "w2", quantization: pc(4, 0.005)),            // 11
        TFLiteTensor(shape: [1, 4], type: .int8, name: "fc", quantization: q(0.05, 0)),                        // 12
        TFLiteTensor(shape: [1, 4], type: .int8, name: "gate", quantization: q(1.0 / 256, -128)),              // 13
        TFLiteTensor(shape: [1, 4, 4, 4], type: .int8, name: "scaled", quantization: q(0.05, -128)),           // 14
        TFLiteTensor(shape: [1, 4, 4, 4], type: .int8, name: "sum", quantization: q(0.07, -90)),               // 15
        TFLiteTensor(shape: [1, 1, 1, 4], type: .int8, name: "pooled", quantization: q(0.05, -100)),           // 16
        TFLiteTensor(shape: [3, 4], type: .int8, buffer: 7, name: "w3", quantization: pc(3, 0.006)),            // 17
        TFLiteTensor(shape: [3], type: .int32, buffer: 8, name: "b3"),                                          // 18
        TFLiteTensor(shape: [1, 3], type: .int8, name: "logits", quantization: q(0.1, 5)),                     // 19
    ]
    g.inputs = [0]; g.outputs = [19]
    g.operators = [
        TFLiteOperator(opcodeIndex: 0, inputs: [0, 1, 2], outputs: [3],
                       options: .conv2D(padding: .same, strideW: 2, strideH: 2, activation: .relu6, dilationW: 1, dilationH: 1)),
        TFLiteOperator(opcodeIndex: 1, inputs: [3], outputs: [4], options: .empty(type: TFLiteOptionsType.hardSwish)),
        TFLiteOperator(opcodeIndex: 2, inputs: [4, 5], outputs: [6], options: .empty(type: TFLiteOptionsType.pad)),
        TFLiteOperator(opcodeIndex: 3, inputs: [6, 7, -1], outputs: [8],
                       options: .depthwiseConv2D(padding: .valid, strideW: 1, strideH: 1, depthMultiplier: 1, activation: .relu, dilationW: 1, dilationH: 1)),
        TFLiteOperator(opcodeIndex: 4, inputs: [8, 9], outputs: [10], options: .reducer(keepDims: true)),
        TFLiteOperator(opcodeIndex: 5, inputs: [10, 11, -1], outputs: [12], options: .fullyConnected(activation: .none, keepNumDims: false)),
        TFLiteOperator(opcodeIndex: 6, inputs: [12], outputs: [13]),
        TFLiteOperator(opcodeIndex: 7, inputs: [13, 8], outputs: [14], options: .mul(activation: .none)),
        TFLiteOperator(opcodeIndex: 8, inputs: [14, 4], outputs: [15], options: .add(activation: .none)),
        TFLiteOperator(opcodeIndex: 4, inputs: [15, 9], outputs: [16], options: .reducer(keepDims: true)),
        TFLiteOperator(opcodeIndex: 5, inputs: [16, 17, 18], outputs: [19], options: .fullyConnected(activation: .none, keepNumDims: false)),
    ]
    m.subgraphs = [g]
    m.buffers = [[], bytes(72, 37), le32([100, -200, 300, -400]), le32([0, 0, 1, 1, 1, 1, 0, 0]), bytes(36, 11), le32([1, 2]),
                 bytes(16, 7), bytes(12, 13), le32([50, -50, 7])]
    return serializeTFLite(m)
}

/// The float32 twin of `tfliteImportSeed` (its weights and biases dequantized, every activation
/// float32), which the float importer (`importFloatTFLite`) accepts.
func tfliteFloatSeed() throws -> [UInt8] {
    var m = try parseTFLite(tfliteImportSeed(), path: "seed.tflite")
    func le32(_ v: [Float]) -> ArraySlice<UInt8> { ArraySlice(v.flatMap { x in (0..<4).map { UInt8(truncatingIfNeeded: x.bitPattern >> (8 * $0)) } }) }
    // Bias tensors (input 2 of a conv / fully-connected op) are at s_in · s_w[c] whether or not the file says so.
    let tensors = m.subgraphs[0].tensors
    for op in m.subgraphs[0].operators where op.inputs.count > 2 && op.inputs[2] >= 0 {
        guard let sIn = tensors[Int(op.inputs[0])].quantization?.scale.first, let w = tensors[Int(op.inputs[1])].quantization else { continue }
        m.subgraphs[0].tensors[Int(op.inputs[2])].quantization = TFLiteQuantization(scale: w.scale.map { $0 * sIn }, zeroPoint: [0])
    }
    for (i, t) in m.subgraphs[0].tensors.enumerated() {
        guard t.type == .int8 || (t.type == .int32 && t.quantization != nil) else { continue }
        let data = Array(m.buffers[Int(t.buffer)])
        if !data.isEmpty, let q = t.quantization {
            let values: [Float] = t.type == .int8 ? data.map { Float(Int8(bitPattern: $0)) }
                : stride(from: 0, to: data.count, by: 4).map { k in Float(Int32(bitPattern: UInt32(data[k]) | UInt32(data[k + 1]) << 8 | UInt32(data[k + 2]) << 16 | UInt32(data[k + 3]) << 24)) }
            // The channel of element e along the quantized dimension (row-major).
            let dims = t.shape.map(Int.init), axis = Int(q.quantizedDimension)
            let inner = dims.suffix(from: min(axis + 1, dims.count)).reduce(1, *)
            m.buffers[Int(t.buffer)] = le32(values.enumerated().map { e, v in
                let c = q.scale.count == 1 ? 0 : (e / inner) % dims[axis]
                return (v - Float(q.zeroPoint.count == 1 ? q.zeroPoint[0] : q.zeroPoint[c])) * q.scale[c]
            })
        }
        m.subgraphs[0].tensors[i].type = .float32
        m.subgraphs[0].tensors[i].quantization = nil
    }
    return serializeTFLite(m)
}
