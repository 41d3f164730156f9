import QuantCore

/// Appends nodes to a graph under construction, computing every output shape, and reads each
/// layer's tensors from the state dict with the shape the architecture expects.
struct GraphBuilder {
    let dict: StateDict
    let input: Shape3
    /// Batch-norm epsilon of the architecture.
    let eps: Float
    private(set) var nodes: [Node] = []

    init(dict: StateDict, input: Shape3, eps: Float) {
        self.dict = dict; self.input = input; self.eps = eps
    }

    /// Shape of value `v` (0 = input).
    func shape(_ v: Int) -> Shape3 { v == 0 ? input : nodes[v - 1].shape }

    /// Appends a node and returns its value id.
    mutating func append(_ name: String, _ op: Op, _ inputs: [Int], _ shape: Shape3) -> Int {
        nodes.append(Node(name: name, op: op, inputs: inputs, shape: shape))
        return nodes.count
    }

    /// A bias-free convolution followed by batch norm and an optional fused clamp: the weight is
    /// `weightKey`, the batch norm `bnPrefix.*`, and the node is named `name`.
    mutating func convBN(_ name: String, weight weightKey: String, bn bnPrefix: String, _ x: Int, out: Int,
                         kernel: Int, stride: Int = 1, groups: Int = 1, padding: Padding = .symmetric,
                         activation: Activation = .none) throws -> Int {
        try conv(name, weight: weightKey, bias: nil, bn: bnPrefix, x, out: out, kernel: kernel,
                 stride: stride, groups: groups, padding: padding, activation: activation)
    }

    /// A convolution; `bias` is the key of its bias vector and `bn` the prefix of its batch norm, if any.
    mutating func conv(_ name: String, weight weightKey: String, bias biasKey: String?, bn bnPrefix: String? = nil,
                       _ x: Int, out: Int, kernel: Int, stride: Int = 1, groups: Int = 1,
                       padding: Padding = .symmetric, activation: Activation = .none) throws -> Int {
        let inShape = shape(x)
        guard inShape.c % groups == 0, out % groups == 0 else {
            throw ToolkitError(dict.path, "`\(name)`: \(inShape.c) input and \(out) output channels do not split into \(groups) groups")
        }
        let weight = try dict.take(weightKey, [out, inShape.c / groups, kernel, kernel])
        let bias = try biasKey.map { try dict.take($0, [out]) }
        let batchNorm = try bnPrefix.map { try dict.batchNorm($0, channels: out, eps: eps) }
        let layer = Conv2D(inChannels: inShape.c, outChannels: out, kernel: kernel, stride: stride, groups: groups,
                           padding: padding, weight: weight, bias: bias, batchNorm: batchNorm, activation: activation)
        let rows = layer.geometry(rows: inShape.h), cols = layer.geometry(cols: inShape.w)
        guard rows.out >= 1, cols.out >= 1 else {
            throw ToolkitError(dict.path, "`\(name)`: the input is too small (\(inShape) reaches this layer)")
        }
        return append(name, .conv(layer), [x], Shape3(rows.out, cols.out, out))
    }

    /// A fully connected layer `prefix.weight` / `prefix.bias` on a 1×1×C value.
    mutating func linear(_ prefix: String, _ x: Int, out: Int, activation: Activation = .none) throws -> Int {
        let inFeatures = shape(x).count
        let weight = try dict.take(prefix + ".weight", [out, inFeatures])
        let bias = try dict.take(prefix + ".bias", [out])
        let layer = Linear(inFeatures: inFeatures, outFeatures: out, weight: weight, bias: bias, activation: activation)
        return append(prefix, .linear(layer), [x], Shape3(1, 1, out))
    }

    /// An element-wise op that keeps its input's shape (`relu`, `hardSwish`, ...).
    mutating func unary(_ name: String, _ op: Op, _ x: Int) -> Int { append(name, op, [x], shape(x)) }

    /// Element-wise sum with a fused clamp.
    mutating func add(_ name: String, _ a: Int, _ b: Int, activation: Activation = .none) -> Int {
        append(name, .add(activation), [a, b], shape(a))
    }

    /// Channel concatenation.
    mutating func concat(_ name: String, _ parts: [Int]) -> Int {
        let first = shape(parts[0])
        let channels = parts.reduce(0) { $0 + shape($1).c }
        return append(name, .concat, parts, Shape3(first.h, first.w, channels))
    }

    /// Channels [start, start + count) of `x`.
    mutating func split(_ name: String, _ x: Int, start: Int, count: Int) -> Int {
        let s = shape(x)
        return append(name, .split(start: start, count: count), [x], Shape3(s.h, s.w, count))
    }

    /// Max (`average: false`) or average pooling with symmetric padding.
    mutating func pool(_ name: String, _ x: Int, kernel: Int, stride: Int, pad: Int, average: Bool) throws -> Int {
        let s = shape(x)
        let h = (s.h + 2 * pad - kernel) / stride + 1, w = (s.w + 2 * pad - kernel) / stride + 1
        guard h >= 1, w >= 1 else {
            throw ToolkitError(dict.path, "`\(name)`: the input is too small (\(s) reaches this layer)")
        }
        let op: Op = average ? .avgPool(kernel: kernel, stride: stride, pad: pad) : .maxPool(kernel: kernel, stride: stride, pad: pad)
        return append(name, op, [x], Shape3(h, w, s.c))
    }

    /// Mean over H and W.
    mutating func globalAvgPool(_ name: String, _ x: Int) -> Int {
        append(name, .globalAvgPool, [x], Shape3(1, 1, shape(x).c))
    }

    /// Squeeze-excitation (MobileNetV3): pool → `fc1` + ReLU → `fc2` → hard-sigmoid → multiply.
    mutating func squeezeExcite(_ prefix: String, _ x: Int, squeeze: Int) throws -> Int {
        let channels = shape(x).c
        let pooled = globalAvgPool(prefix + ".avgpool", x)
        let fc1 = try conv(prefix + ".fc1", weight: prefix + ".fc1.weight", bias: prefix + ".fc1.bias", pooled,
                           out: squeeze, kernel: 1, activation: .relu)
        let fc2 = try conv(prefix + ".fc2", weight: prefix + ".fc2.weight", bias: prefix + ".fc2.bias", fc1,
                           out: channels, kernel: 1)
        let gate = unary(prefix + ".scale_activation", .hardSigmoid, fc2)
        return append(prefix + ".mul", .mul, [x, gate], shape(x))
    }
}
