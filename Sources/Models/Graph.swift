import Foundation
import QuantCore

/// The float graph IR: a short, explicit list of ops over activations in HWC layout (batch 1).
/// Value numbering matches `QModel`: value 0 is the (preprocessed) input, node `i` produces value
/// `i + 1`. Builders in this module create it from a state dict; the Quantizer folds and converts it.
public struct Graph: Sendable {
    /// Model name (e.g. `mobilenet_v3_small-fashion`).
    public var name: String
    /// Architecture key (`mobilenet_v3_small`, ...).
    public var arch: String
    public var preprocessing: Preprocessing
    public var nodes: [Node]
    public var numClasses: Int
    /// What the user should know about how the graph was read (assumed preprocessing, folded
    /// normalization); printed by the CLI.
    public var notes: [String] = []
    /// The model's class names in label order when known (metadata `class_names`, or the data set
    /// named by metadata `dataset`, or ImageNet's WordNet ids for 1000 classes); otherwise empty.
    public var classNames: [String] = []
    /// What the model was built and is fed with (architecture, classes, input size, channels, stem
    /// stride, mean/std, class names), each with where it came from.
    public var settings: [ModelSetting] = []

    public init(name: String, arch: String, preprocessing: Preprocessing, nodes: [Node], numClasses: Int) {
        self.name = name; self.arch = arch; self.preprocessing = preprocessing; self.nodes = nodes; self.numClasses = numClasses
    }

    /// Shape of value `v` (0 = input).
    public func shape(_ v: Int) -> Shape3 {
        v == 0 ? Shape3(preprocessing.height, preprocessing.width, preprocessing.channels) : nodes[v - 1].shape
    }
}

/// One setting of a built model, with its source: a flag (`--input-size`), metadata
/// (`metadata input_size`), the tensor shapes, or a convention (`convention: ...`, a guess).
public struct ModelSetting: Sendable, Equatable, Codable {
    public var name: String
    public var value: String
    public var source: String
    public init(_ name: String, _ value: String, _ source: String) { self.name = name; self.value = value; self.source = source }
    /// Whether the value was guessed from a convention rather than stated by a flag, metadata or the tensors.
    public var isConvention: Bool { source.hasPrefix("convention") }
    /// `name: value (source)`.
    public var line: String { "\(name): \(value) (\(source))" }
}

/// How uint8 pixels become the float input: `x = (pixel / 255 − mean[c]) / std[c]`.
public struct Preprocessing: Sendable, Equatable {
    public var height: Int, width: Int, channels: Int
    public var mean: [Float], std: [Float]
    public init(height: Int, width: Int, channels: Int, mean: [Float], std: [Float]) {
        self.height = height; self.width = width; self.channels = channels; self.mean = mean; self.std = std
    }
}

/// The numbers of metadata entry `key` (`[0.5, 0.25]` or `0.5, 0.25`), nil when absent; an
/// entry that is not a list of numbers is an error naming `path`. Checkpoint and ONNX metadata
/// (`mean`, `std`) are read with it.
func metadataFloats(_ metadata: [String: String], _ key: String, path: String) throws -> [Float]? {
    guard let text = metadata[key] else { return nil }
    let body = text.trimmingCharacters(in: CharacterSet(charactersIn: "[] \n"))
    let values = body.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
    guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else {
        throw ToolkitError(path, "metadata `\(key)` is not a list of numbers: `\(text)`")
    }
    return values.compactMap { $0 }
}

/// The mean and std of a model's input normalization (`--mean/--std`, metadata or a convention;
/// nil: mean 0, std 1) for `channels` input channels: one value stands for every channel; then
/// each needs one value per channel, std positive and mean finite (errors name `path`). The one
/// rule of every model file: checkpoints (`buildGraph`), ONNX and float `.tflite` files.
func normalization(mean: [Float]?, std: [Float]?, channels c: Int, path: String) throws -> (mean: [Float], std: [Float]) {
    var mean = mean ?? [Float](repeating: 0, count: c), std = std ?? [Float](repeating: 1, count: c)
    if mean.count == 1 && c > 1 { mean = Array(repeating: mean[0], count: c) }
    if std.count == 1 && c > 1 { std = Array(repeating: std[0], count: c) }
    guard mean.count == c, std.count == c else {
        throw ToolkitError(path, "mean and std need \(c) values (one per input channel), got \(mean.count) and \(std.count)")
    }
    guard std.allSatisfy({ $0 > 0 && $0.isFinite }), mean.allSatisfy(\.isFinite) else { throw ToolkitError(path, "std must be positive and mean finite") }
    return (mean, std)
}

/// One op with its inputs (value ids) and its output shape.
public struct Node: Sendable {
    /// The state-dict prefix it was built from (e.g. `features.4.block.1`), unique in the graph.
    public var name: String
    public var op: Op
    public var inputs: [Int]
    public var shape: Shape3
    public init(name: String, op: Op, inputs: [Int], shape: Shape3) {
        self.name = name; self.op = op; self.inputs = inputs; self.shape = shape
    }
}

/// Float operators.
public enum Op: Sendable {
    /// Convolution (any groups) with optional bias, optional batch norm after it, and a fused
    /// ReLU / ReLU6.
    case conv(Conv2D)
    /// Fully connected on a 1×1×C input (flatten is implicit).
    case linear(Linear)
    case relu, relu6, hardSwish, hardSigmoid
    /// Any other element-wise function (sigmoid, SiLU, tanh, ...): an int8 lookup table once quantized.
    case function(UnaryFunction)
    /// Element-wise sum of two inputs, then the fused activation.
    case add(Activation)
    /// Input 0 (H×W×C) times the 1×1×C gate in input 1, channel-wise.
    case mul
    case concat
    case split(start: Int, count: Int)
    case shuffle(groups: Int)
    case maxPool(kernel: Int, stride: Int, pad: Int)
    /// Average pooling, padding counted in the divisor (count_include_pad).
    case avgPool(kernel: Int, stride: Int, pad: Int)
    case globalAvgPool
}

/// A clamp fused into the op before it.
public enum Activation: String, Sendable { case none, relu, relu6 }

/// Symmetric padding (k−1)/2 on every side, TensorFlow "SAME" (extra pixel bottom/right), or
/// explicit pixel counts per side (ONNX `pads`, possibly asymmetric; each in 0..<kernel).
public enum Padding: Sendable, Equatable {
    case symmetric, tfSame
    case explicit(top: Int, left: Int, bottom: Int, right: Int)
}

/// Which axis a window slides along: rows (height) or columns (width).
public enum Axis: Sendable { case rows, cols }

/// Batch-norm statistics, applied as `(x − mean) / sqrt(var + eps) × gamma + beta`.
public struct BatchNorm: Sendable {
    public var gamma: [Float], beta: [Float], mean: [Float], variance: [Float]
    public var eps: Float
    public init(gamma: [Float], beta: [Float], mean: [Float], variance: [Float], eps: Float) {
        self.gamma = gamma; self.beta = beta; self.mean = mean; self.variance = variance; self.eps = eps
    }
}

/// Convolution parameters. `weight` keeps PyTorch's layout `[out][in / groups][k][k]`.
public struct Conv2D: Sendable {
    public var inChannels: Int, outChannels: Int, kernel: Int, stride: Int, groups: Int
    public var padding: Padding
    public var weight: [Float]
    public var bias: [Float]?
    public var batchNorm: BatchNorm?
    public var activation: Activation
    /// Per-input-channel value padding stands for (set when the input normalization is folded
    /// into the stem: padding then means "the mean pixel"). `nil`: zero.
    public var padValue: [Float]?

    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int, groups: Int, padding: Padding,
                weight: [Float], bias: [Float]? = nil, batchNorm: BatchNorm? = nil, activation: Activation = .none,
                padValue: [Float]? = nil) {
        self.inChannels = inChannels; self.outChannels = outChannels; self.kernel = kernel; self.stride = stride
        self.groups = groups; self.padding = padding; self.weight = weight; self.bias = bias
        self.batchNorm = batchNorm; self.activation = activation; self.padValue = padValue
    }

    /// Output size and leading padding for the input height (`rows:`) or width (`cols:`).
    public func geometry(rows inSize: Int) -> (out: Int, padBefore: Int) {
        convGeometry(inSize, kernel: kernel, stride: stride, padding: padding, axis: .rows)
    }
    public func geometry(cols inSize: Int) -> (out: Int, padBefore: Int) {
        convGeometry(inSize, kernel: kernel, stride: stride, padding: padding, axis: .cols)
    }
}

/// Output size and leading padding of a k-wide window with the given stride and padding mode,
/// along `axis` (only explicit padding differs between the axes).
public func convGeometry(_ inSize: Int, kernel: Int, stride: Int, padding: Padding, axis: Axis) -> (out: Int, padBefore: Int) {
    switch padding {
    case .symmetric:
        let p = (kernel - 1) / 2
        return ((inSize + 2 * p - kernel) / stride + 1, p)
    case .tfSame:
        let out = (inSize + stride - 1) / stride
        let total = max((out - 1) * stride + kernel - inSize, 0)
        return (out, total / 2)
    case .explicit(let top, let left, let bottom, let right):
        let (before, after) = axis == .rows ? (top, bottom) : (left, right)
        return ((inSize + before + after - kernel) / stride + 1, before)
    }
}

/// Fully connected layer; `weight` is `[out][in]`.
public struct Linear: Sendable {
    public var inFeatures: Int, outFeatures: Int
    public var weight: [Float]
    public var bias: [Float]?
    public var activation: Activation
    public init(inFeatures: Int, outFeatures: Int, weight: [Float], bias: [Float]?, activation: Activation = .none) {
        self.inFeatures = inFeatures; self.outFeatures = outFeatures; self.weight = weight; self.bias = bias; self.activation = activation
    }
}
