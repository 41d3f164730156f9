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
