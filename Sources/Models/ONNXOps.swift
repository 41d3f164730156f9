/// The ONNX importer's per-op rules (see ONNXImport.swift for the value model).
import ModelIO
import QuantCore

extension ONNXImporter {
    // MARK: attributes

    func intAttr(_ name: String, _ fallback: Int? = nil) throws -> Int? {
        guard let a = current.attributes[name] else { return fallback }
        guard case .int(let v) = a else { throw ImportProblem("attribute `\(name)` is not an integer") }
        return clampedInt(Double(v))
    }

    func intsAttr(_ name: String) throws -> [Int]? {
        guard let a = current.attributes[name] else { return nil }
        guard case .ints(let v) = a else { throw ImportProblem("attribute `\(name)` is not a list of integers") }
        return v.map { clampedInt(Double($0)) }
    }

    func floatAttr(_ name: String, _ fallback: Float) throws -> Float {
        guard let a = current.attributes[name] else { return fallback }
        if case .float(let v) = a { return v }
        if case .int(let v) = a { return Float(v) }
        throw ImportProblem("attribute `\(name)` is not a number")
    }

    func stringAttr(_ name: String) -> String? {
        if case .string(let s)? = current.attributes[name] { return s }
        return nil
    }

    /// Refuses attributes outside `known` (so nothing is silently ignored).
    func onlyAttributes(_ known: Set<String>) throws {
        for name in current.attributes.keys.sorted() where !known.contains(name) {
            throw ImportProblem("attribute `\(name)` is not supported — supported: \(known.sorted().joined(separator: ", "))")
        }
    }

    /// The activation input `i`, its pending transform emitted, and the result remembered for
    /// every other reader of the same value.
    mutating func plainInput(_ i: Int) throws -> Act {
        let a = try actInput(i)
        let m = try materialize(a)
        if case .none = a.pending {} else { values[current.inputs[i]] = .act(m) }
        return m
    }

    // MARK: dispatch

    mutating func importNode(_ node: ONNXNode) throws {
        guard node.domain.isEmpty || node.domain == "ai.onnx" else {
            throw ImportProblem("operator domain `\(node.domain)` is not supported — supported: the default ONNX domain")
        }
        guard !node.outputs.isEmpty, !node.outputs[0].isEmpty else { throw ImportProblem("the node has no output") }
        // Every input constant: fold (shape arithmetic) whatever the op.
        let dataInputs = node.inputs.filter { !$0.isEmpty }
        if node.opType != "Constant", !dataInputs.isEmpty, try dataInputs.allSatisfy({ name in
            if case .const = try sym(name) { return true } else { return false }
        }) {
            try foldConstantNode(node)
            return
        }
        switch node.opType {
        case "Constant": try foldConstantNode(node)
        case "Identity", "Dropout":
            guard case .act(let a) = try sym(node.inputs.first ?? "") else { throw ImportProblem("no input") }
            if node.outputs.count > 1, !node.outputs[1].isEmpty, uses[node.outputs[1], default: 0] > 0 {
                throw ImportProblem("the dropout mask is used; supported: inference graphs")
            }
            var out = a
            out.exclusive = a.exclusive && uses[node.inputs[0], default: 0] <= 1
            set(0, .act(out))
        case "Shape":
            guard case .act(let a) = try sym(node.inputs.first ?? "") else { throw ImportProblem("no input") }
            var dims = a.dims
            if case .grouped(let g, let t) = a.pending { dims = [1, t ? a.channels / g : g, t ? g : a.channels / g, a.dims[2], a.dims[3]] }
            let start = try intAttr("start", 0)!, end = try intAttr("end", dims.count)!
            let (s, n) = try ConstOps.sliceRange(dim: dims.count, start: start, end: end, step: 1)
            set(0, .const(ConstTensor.ints(Array(dims[s..<(s + n)]))))
        case "Cast":
            let to = try intAttr("to", 1)!
            guard to == 1 || to == 10 || to == 11 else { throw ImportProblem("a feature map cast to \(onnxTypeName(to)); supported: float types") }
            set(0, .act(try actInput(0)))
        case "Conv": try importConv()
        case "Gemm": try importGemm()
        case "MatMul": try importMatMul()
        case "Relu":
            try onlyAttributes([])
            set(0, .act(try clamp(try actInput(0), six: false)))
        case "Clip": try importClip()
        case "HardSwish":
            try onlyAttributes([])
            let x = try plainInput(0)
            set(0, .act(emit(.hardSwish, [x.value], try shape3(x.dims), dims: x.dims)))
        case "HardSigmoid": try importHardSigmoid()
        case "Sigmoid":
            try onlyAttributes([])
            var x = try plainInput(0)
            x.pending = .sigmoid
            x.exclusive = true
            set(0, .act(x))
        case "Tanh", "LeakyRelu", "Elu", "Softplus", "Gelu": try importFunction(node.opType)
        case "Add", "Sub", "Mul", "Div": try importArithmetic(node.opType)
        case "BatchNormalization": try importBatchNorm()
        case "GlobalAveragePool":
            let x = try plainInput(0)
            guard x.dims.count == 4 else { throw ImportProblem("input of shape \(x.dims); supported: [1, C, H, W]") }
            set(0, .act(emit(.globalAvgPool, [x.value], Shape3(1, 1, x.channels), dims: [1, x.channels, 1, 1])))
        case "ReduceMean": try importReduceMean()
        case "MaxPool", "AveragePool": try importPool(average: node.opType == "AveragePool")
        case "Flatten":
            let x = try plainInput(0)
            let axis = try intAttr("axis", 1)!
            guard axis == 1, x.dims.count == 2 || (x.dims.count == 4 && x.dims[2] == 1 && x.dims[3] == 1) else {
                throw ImportProblem("flattening shape \(x.dims) at axis \(axis); supported: [1, C, 1, 1] at axis 1 (after global pooling)")
            }
            var out = x
            out.dims = [1, x.channels]
            out.exclusive = x.exclusive && uses[node.outputs[0], default: 0] <= 1
            set(0, .act(out))
        case "Squeeze":
            let x = try plainInput(0)
            let axes = try constInput(1, "axes")?.ints ?? intsAttr("axes")
            guard x.dims.count == 4, x.dims[2] == 1, x.dims[3] == 1, let axes, Set(axes.map { $0 < 0 ? $0 + 4 : $0 }) == [2, 3] else {
                throw ImportProblem("squeezing \(x.dims); supported: axes 2, 3 of [1, C, 1, 1]")
            }
            var out = x
            out.dims = [1, x.channels]
            set(0, .act(out))
        case "Reshape": try importReshape()
        case "Transpose": try importTranspose()
        case "Concat": try importConcat()
        case "Split": try importSplit()
        case "Slice": try importSlice()
        case "Pad": try importPad()
        default:
            throw ImportProblem("this op has no int8 equivalent here — supported: \(onnxOpSupport.keys.sorted().joined(separator: ", "))")
        }
    }

    // MARK: constants

    /// Evaluates a node whose inputs are all constants.
    mutating func foldConstantNode(_ node: ONNXNode) throws {
        func input(_ i: Int) throws -> ConstTensor? {
            guard i < node.inputs.count, !node.inputs[i].isEmpty else { return nil }
            guard case .const(let c) = try sym(node.inputs[i]) else { throw ImportProblem("input \(i) is not constant") }
            return c
        }
        func first() throws -> ConstTensor {
            guard let c = try input(0) else { throw ImportProblem("input 0 is missing") }
            return c
        }
        let result: ConstTensor
        switch node.opType {
        case "Constant":
            switch node.attributes["value"] ?? node.attributes["value_float"] ?? node.attributes["value_floats"]
                ?? node.attributes["value_int"] ?? node.attributes["value_ints"] {
            case .tensor(let t)?: result = ConstTensor(t)
            case .float(let f)?: result = ConstTensor(dims: [], values: [Double(f)], isInt: false)
            case .floats(let v)?: result = ConstTensor(dims: [v.count], values: v.map(Double.init), isInt: false)
            case .int(let i)?: result = ConstTensor(dims: [], values: [Double(i)], isInt: true)
            case .ints(let v)?: result = ConstTensor(dims: [v.count], values: v.map(Double.init), isInt: true)
            default: throw ImportProblem("no value; supported: value, value_float(s), value_int(s)")
            }
        case "Identity", "Dropout": result = try first()
        case "Shape": result = .ints(try first().dims)
        case "Cast":
            var c = try first()
            let to = try intAttr("to", 1)!
            c.isInt = ![1, 10, 11, 16].contains(to)
            if c.isInt { c.values = c.values.map { $0.rounded(.towardZero) } }
            if to == 9 { c.values = c.values.map { $0 != 0 ? 1 : 0 } }
            result = c
        case "Add", "Sub", "Mul", "Div", "Max", "Min", "Equal":
            guard let b = try input(1) else { throw ImportProblem("input 1 is missing") }
            result = try ConstOps.arithmetic(node.opType, try first(), b)
        case "Neg": var c = try first(); c.values = c.values.map { -$0 }; result = c
        case "Floor", "Ceil":
            var c = try first(); c.values = c.values.map { node.opType == "Floor" ? $0.rounded(.down) : $0.rounded(.up) }; result = c
        case "Sqrt": var c = try first(); c.values = c.values.map { $0.squareRoot() }; result = c
        case "Gather":
            guard let idx = try input(1) else { throw ImportProblem("indices are missing") }
            result = try ConstOps.gather(try first(), idx, axis: try intAttr("axis", 0)!)
        case "Concat":
            result = try ConstOps.concat(try node.inputs.indices.compactMap { try input($0) }, axis: try intAttr("axis", 0)!)
        case "Unsqueeze", "Squeeze":
            var c = try first()
            let axes = try input(1)?.ints ?? intsAttr("axes")
            if node.opType == "Unsqueeze" {
                guard let axes else { throw ImportProblem("axes are missing") }
                c.dims = try ConstOps.unsqueeze(c.dims, axes: axes)
            } else {
                c.dims = try ConstOps.squeeze(c.dims, axes: axes)
            }
            result = c
        case "Reshape", "Flatten":
            var c = try first()
            if node.opType == "Flatten" {
                let axis = try intAttr("axis", 1)!
                guard let ax = normalizedAxis(axis, rank: c.dims.count + 1) else { throw ImportProblem("axis \(axis) is out of range") }
                c.dims = [c.dims[..<ax].reduce(1, *), c.dims[ax...].reduce(1, *)]
            } else {
                guard let target = try input(1) else { throw ImportProblem("the target shape is missing") }
                c.dims = try ConstOps.reshapeTarget(c.dims, target.ints, allowZero: try intAttr("allowzero", 0)! != 0)
            }
            result = c
        case "Transpose":
            let c = try first()
            result = try ConstOps.transpose(c, perm: try intsAttr("perm") ?? Array((0..<c.dims.count).reversed()))
        case "Slice":
            let c = try first()
            let starts = try input(1)?.ints ?? intsAttr("starts") ?? []
            let ends = try input(2)?.ints ?? intsAttr("ends") ?? []
            result = try ConstOps.slice(c, starts: starts, ends: ends, axes: try input(3)?.ints ?? intsAttr("axes"), steps: try input(4)?.ints)
        case "ConstantOfShape":
            let dims = try first().ints
            _ = try ConstOps.checkCount(dims)
            var fill = ConstTensor(dims: [], values: [0], isInt: false)
            if case .tensor(let t)? = node.attributes["value"] { fill = ConstTensor(t) }
            guard fill.count == 1 else { throw ImportProblem("the fill value has \(fill.count) elements") }
            let n = try ConstOps.checkCount(dims)
            guard n <= 1 << 20 else { throw ImportProblem("a constant of shape \(dims) is too large to fold") }
            result = ConstTensor(dims: dims, values: [Double](repeating: fill.values[0], count: n), isInt: fill.isInt)
        case "Range":
            guard let s = try input(0)?.values.first, let l = try input(1)?.values.first, let d = try input(2)?.values.first, d != 0 else {
                throw ImportProblem("start, limit and a non-zero delta are needed")
            }
            let n = try ConstOps.checkCount([max(0, clampedInt(((l - s) / d).rounded(.up)))])
            guard n <= 1 << 20 else { throw ImportProblem("a range of \(n) values is too large to fold") }
            result = ConstTensor(dims: [n], values: (0..<n).map { s + Double($0) * d }, isInt: try input(0)!.isInt)
        default:
            throw ImportProblem("constant folding is not implemented for this op — supported: Shape, Gather, Cast, Add, Sub, Mul, Div, Max, Min, Neg, Floor, Ceil, Sqrt, Concat, Unsqueeze, Squeeze, Slice, ConstantOfShape, Range, Reshape, Flatten, Transpose, Identity")
        }
        guard result.count == result.dims.reduce(1, *) else { throw ImportProblem("folded shape \(result.dims) does not match \(result.count) values") }
        set(0, .const(result))
    }

    // MARK: convolution and linear layers

    mutating func importConv() throws {
        try onlyAttributes(["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"])
        var x = try actInput(0)
        var extra = (top: 0, left: 0, bottom: 0, right: 0)
        if case .padded(let t, let l, let b, let r) = x.pending {
            extra = (t, l, b, r)
            x.pending = .none
            x.dims[2] -= t + b
            x.dims[3] -= l + r
        } else {
            x = try plainInput(0)
        }
        guard x.dims.count == 4 else { throw ImportProblem("input of shape \(x.dims); supported: [1, C, H, W]") }
        let (wDims, weight) = try constFloats(current.inputs.count > 1 ? current.inputs[1] : "", "the weight")
        guard wDims.count == 4 else { throw ImportProblem("weight of shape \(wDims); supported: 2-D convolution [O, I/g, k, k]") }
        let (out, cinG, kh, kw) = (wDims[0], wDims[1], wDims[2], wDims[3])
        guard kh == kw else { throw ImportProblem("a \(kh)×\(kw) kernel — supported: square kernels") }
        let groups = try intAttr("group", 1)!
        let cin = x.channels
        guard groups >= 1, cin % groups == 0, out % groups == 0, cin / groups == cinG else {
            throw ImportProblem("weight \(wDims) with \(groups) groups does not fit \(cin) input channels")
        }
        if let k = try intsAttr("kernel_shape"), k != [kh, kw] { throw ImportProblem("kernel_shape \(k) differs from the weight's \(kh)×\(kw)") }
        let dil = try intsAttr("dilations") ?? [1, 1]
        guard dil.allSatisfy({ $0 == 1 }) else { throw ImportProblem("dilations \(dil) — supported: 1") }
        let strides = try intsAttr("strides") ?? [1, 1]
        guard strides.count == 2, strides[0] == strides[1], (1...8).contains(strides[0]) else {
            throw ImportProblem("strides \(strides) — supported: equal strides 1…8")
        }
        let stride = strides[0]
        let (h, w) = (x.dims[2], x.dims[3])
        var pads = try intsAttr("pads") ?? [0, 0, 0, 0]
        switch stringAttr("auto_pad") ?? "NOTSET" {
        case "NOTSET": break
        case "VALID": pads = [0, 0, 0, 0]
        case "SAME_UPPER", "SAME_LOWER":
            let upper = stringAttr("auto_pad") == "SAME_UPPER"
            func same(_ size: Int) -> (Int, Int) {
                let total = max(((size + stride - 1) / stride - 1) * stride + kh - size, 0)
                return upper ? (total / 2, total - total / 2) : (total - total / 2, total / 2)
            }
            let (t, b) = same(h), (l, r) = same(w)
            pads = [t, l, b, r]
        case let other: throw ImportProblem("auto_pad \(other) — supported: NOTSET, VALID, SAME_UPPER, SAME_LOWER")
        }
        guard pads.count == 4 else { throw ImportProblem("pads \(pads) — supported: 4 values (top, left, bottom, right)") }
        let (top, left, bottom, right) = (pads[0] + extra.top, pads[1] + extra.left, pads[2] + extra.bottom, pads[3] + extra.right)
        guard [top, left, bottom, right].allSatisfy({ (0..<kh).contains($0) }) else {
            throw ImportProblem("padding (top \(top), left \(left), bottom \(bottom), right \(right)) — supported: 0…\(kh - 1) per side for a \(kh)×\(kh) kernel")
        }
        var padding = Padding.explicit(top: top, left: left, bottom: bottom, right: right)
        let p = (kh - 1) / 2
        if top == p && left == p && bottom == p && right == p {
            padding = .symmetric
        } else {
            // TF "SAME" when it puts the same pixels on every side.
            let same = { (size: Int, before: Int, after: Int) -> Bool in
                let g = convGeometry(size, kernel: kh, stride: stride, padding: .tfSame, axis: .rows)
                return g.padBefore == before && (g.out - 1) * stride + kh - size - before == after
                    && (size + before + after - kh) / stride + 1 == g.out
            }
            if same(h, top, bottom) && same(w, left, right) { padding = .tfSame }
        }
        let bias: [Float]?
        if current.inputs.count > 2, !current.inputs[2].isEmpty {
            let (bDims, b) = try constFloats(current.inputs[2], "the bias")
            guard b.count == out, bDims.count == 1 else { throw ImportProblem("bias of shape \(bDims); expected [\(out)]") }
            bias = b
        } else { bias = nil }
        guard weight.allSatisfy(\.isFinite), bias?.allSatisfy(\.isFinite) ?? true else { throw ImportProblem("weights or bias hold NaN or infinity") }
        let conv = Conv2D(inChannels: cin, outChannels: out, kernel: kh, stride: stride, groups: groups, padding: padding,
                          weight: weight, bias: bias)
        let rows = conv.geometry(rows: h), cols = conv.geometry(cols: w)
        guard rows.out >= 1, cols.out >= 1 else { throw ImportProblem("the input \(h)×\(w) is too small for this convolution") }
        set(0, .act(emit(.conv(conv), [x.value], Shape3(rows.out, cols.out, out), dims: [1, out, rows.out, cols.out])))
    }

    /// A fully connected layer on a flat `[1, C]` input.
    mutating func linear(_ x: Act, weight: [Float], outFeatures: Int, bias: [Float]?) throws {
        guard x.dims.count == 2 || (x.dims.count == 4 && x.dims[2] == 1 && x.dims[3] == 1) else {
            throw ImportProblem("input of shape \(x.dims); supported: [1, C] (flattened after global pooling)")
        }
        guard weight.allSatisfy(\.isFinite), bias?.allSatisfy(\.isFinite) ?? true else { throw ImportProblem("weights or bias hold NaN or infinity") }
        let layer = Linear(inFeatures: x.channels, outFeatures: outFeatures, weight: weight, bias: bias)
        set(0, .act(emit(.linear(layer), [x.value], Shape3(1, 1, outFeatures), dims: [1, outFeatures])))
    }

    mutating func importGemm() throws {
        try onlyAttributes(["alpha", "beta", "transA", "transB"])
        let x = try plainInput(0)
        guard try intAttr("transA", 0)! == 0 else { throw ImportProblem("transA = 1 — supported: 0") }
        let transB = try intAttr("transB", 0)! != 0
        let alpha = try floatAttr("alpha", 1), beta = try floatAttr("beta", 1)
        let (bDims, b) = try constFloats(current.inputs.count > 1 ? current.inputs[1] : "", "the weight")
        guard bDims.count == 2 else { throw ImportProblem("weight of shape \(bDims); supported: 2-D") }
        let (inF, outF) = transB ? (bDims[1], bDims[0]) : (bDims[0], bDims[1])
        guard inF == x.channels else { throw ImportProblem("weight \(bDims) does not fit \(x.channels) input features") }
        var weight = [Float](repeating: 0, count: inF * outF)
        for o in 0..<outF { for i in 0..<inF { weight[o * inF + i] = alpha * (transB ? b[o * inF + i] : b[i * outF + o]) } }
        var bias: [Float]?
        if current.inputs.count > 2, !current.inputs[2].isEmpty {
            let (cDims, c) = try constFloats(current.inputs[2], "the bias")
            guard c.count == outF || c.count == 1 else { throw ImportProblem("bias of shape \(cDims) does not fit \(outF) outputs") }
            bias = (0..<outF).map { beta * c[c.count == 1 ? 0 : $0] }
        }
        try linear(x, weight: weight, outFeatures: outF, bias: bias)
    }

    mutating func importMatMul() throws {
        let x = try plainInput(0)
        let (bDims, b) = try constFloats(current.inputs.count > 1 ? current.inputs[1] : "", "the right operand")
        guard bDims.count == 2, bDims[0] == x.channels else {
            throw ImportProblem("[1, \(x.channels)] × \(bDims) — supported: a flat feature vector times a constant [C, N] matrix")
        }
        let (inF, outF) = (bDims[0], bDims[1])
        var weight = [Float](repeating: 0, count: inF * outF)
        for o in 0..<outF { for i in 0..<inF { weight[o * inF + i] = b[i * outF + o] } }
        try linear(x, weight: weight, outFeatures: outF, bias: nil)
    }

    // MARK: activations

    /// Clip bounds from attributes (opset < 11) or inputs 1, 2.
    mutating func clipBounds() throws -> (lo: Float, hi: Float) {
        var lo = try floatAttr("min", -.infinity), hi = try floatAttr("max", .infinity)
        if let c = try constInput(1, "the minimum") { guard c.count == 1 else { throw ImportProblem("the minimum is not a scalar") }; lo = Float(c.values[0]) }
        if let c = try constInput(2, "the maximum") { guard c.count == 1 else { throw ImportProblem("the maximum is not a scalar") }; hi = Float(c.values[0]) }
        return (lo, hi)
    }

    mutating func importClip() throws {
        try onlyAttributes(["min", "max"])
        let (lo, hi) = try clipBounds()
        var x = try actInput(0)
        // Clip(a·x + b, 0, 6) with one a, b for every channel = 6 · hardSigmoid(a·x + b − 3).
        if lo == 0 && hi == 6, case .affine(let s, let b) = x.pending, let a = s.first, s.allSatisfy({ $0 == a }),
           let b0 = b.first, b.allSatisfy({ $0 == b0 }) {
            if !(a == 1 && b0 == 3) {
                x.pending = .affine(scale: s, shift: b.map { $0 - 3 })
                x = try materialize(x)
            } else {
                x.pending = .none
            }
            x.pending = .hardSigmoid(6)
            x.exclusive = true
            set(0, .act(x))
            return
        }
        if lo == 0 && hi == 6 { set(0, .act(try clamp(x, six: true))); return }
        if lo == 0 && hi >= 3.0e38 { set(0, .act(try clamp(x, six: false))); return }
        throw ImportProblem("Clip to [\(lo), \(hi)] — supported: [0, 6] (ReLU6), [0, ∞) (ReLU), and Clip(x+3, 0, 6) inside hard-sigmoid / hard-swish")
    }

    /// HardSigmoid(α, β)(x) = clip(α·x + β, 0, 1) = hardSigmoid_IR(6α·x + 6β − 3).
    /// An element-wise function the IR runs as a lookup table once quantized.
    mutating func importFunction(_ op: String) throws {
        let f: UnaryFunction
        switch op {
        case "Tanh": try onlyAttributes([]); f = .tanh
        case "Softplus": try onlyAttributes([]); f = .softplus
        case "LeakyRelu": try onlyAttributes(["alpha"]); f = .leakyRelu(alpha: Double(try floatAttr("alpha", 0.01)))
        case "Elu": try onlyAttributes(["alpha"]); f = .elu(alpha: Double(try floatAttr("alpha", 1)))
        default: try onlyAttributes(["approximate"]); f = .gelu
        }
        let x = try plainInput(0)
        set(0, .act(emit(.function(f), [x.value], try shape3(x.dims), dims: x.dims)))
    }

    mutating func importHardSigmoid() throws {
        try onlyAttributes(["alpha", "beta"])
        let alpha = try floatAttr("alpha", 0.2), beta = try floatAttr("beta", 0.5)
        var x = try plainInput(0)
        let a = 6 * alpha, b = 6 * beta - 3
        if abs(a - 1) > 1e-6 || abs(b) > 1e-6 {
            x.pending = .affine(scale: [Float](repeating: a, count: x.channels), shift: [Float](repeating: b, count: x.channels))
            x.exclusive = true
            x = try materialize(x)
        }
        x.pending = .hardSigmoid(1)
        x.exclusive = true
        set(0, .act(x))
    }

    mutating func importBatchNorm() throws {
        try onlyAttributes(["epsilon", "momentum", "training_mode", "spatial"])
        guard try intAttr("training_mode", 0)! == 0 else { throw ImportProblem("training_mode = 1 — supported: inference (0)") }
        let x = try actInput(0)
        let eps = try floatAttr("epsilon", 1e-5)
        var params: [[Float]] = []
        for (i, what) in [(1, "scale"), (2, "bias"), (3, "mean"), (4, "variance")] {
            let (d, v) = try constFloats(i < current.inputs.count ? current.inputs[i] : "", "the \(what)")
            guard v.count == x.channels else { throw ImportProblem("\(what) of shape \(d) does not fit \(x.channels) channels") }
            params.append(v)
        }
        let scale = (0..<x.channels).map { params[0][$0] / (params[3][$0] + eps).squareRoot() }
        let shift = (0..<x.channels).map { params[1][$0] - params[2][$0] * scale[$0] }
        guard scale.allSatisfy(\.isFinite), shift.allSatisfy(\.isFinite) else { throw ImportProblem("the statistics give a non-finite scale") }
        guard let out = affine(x, scale: scale, shift: shift) else { throw ImportProblem("cannot follow the transform before it") }
        set(0, .act(out))
    }

    // MARK: element-wise

    mutating func importArithmetic(_ op: String) throws {
        guard current.inputs.count == 2 else { throw ImportProblem("expected 2 inputs") }
        let left = try sym(current.inputs[0]), right = try sym(current.inputs[1])
        switch (left, right) {
        case (.act, .const(let c)), (.const(let c), .act):
            let actFirst: Bool
            if case .act = left { actFirst = true } else { actFirst = false }
            let x = try actInput(actFirst ? 0 : 1)
            guard let v = perChannel(c, x) else {
                throw ImportProblem("a constant of shape \(c.dims) with a feature map of shape \(x.dims) — supported: a scalar or one value per channel")
            }
            let n = v.count
            var scale = [Float](repeating: 1, count: n), shift = [Float](repeating: 0, count: n)
            switch (op, actFirst) {
            case ("Add", _): shift = v
            case ("Sub", true): shift = v.map { -$0 }
            case ("Sub", false): scale = [Float](repeating: -1, count: n); shift = v
            case ("Mul", _): scale = v
            case ("Div", true):
                guard v.allSatisfy({ $0 != 0 }) else { throw ImportProblem("division by zero") }
                scale = v.map { 1 / $0 }
            default: throw ImportProblem("a constant divided by a feature map — supported: feature map / constant")
            }
            if let out = affine(x, scale: scale, shift: shift) {
                set(0, .act(out))
            } else {
                var m = try plainInput(actFirst ? 0 : 1)
                m.pending = .affine(scale: scale, shift: shift)
                m.exclusive = true
                set(0, .act(m))
            }
        case (.act, .act):
            let a = try actInput(0), b = try actInput(1)
            if op == "Mul" {
                // x · (k · hardSigmoid(x)) = k · hardSwish(x), either operand order.
                for (x, g) in [(a, b), (b, a)] {
                    // x · sigmoid(x) = SiLU (swish).
                    if case .none = x.pending, case .sigmoid = g.pending, g.value == x.value {
                        set(0, .act(emit(.function(.silu), [x.value], try shape3(x.dims), dims: x.dims, suffix: "/silu")))
                        return
                    }
                    if case .none = x.pending, case .hardSigmoid(let k) = g.pending, g.value == x.value {
                        var out = x
                        out.pending = .hardSwish(k)
                        out.exclusive = true
                        set(0, .act(out))
                        return
                    }
                }
                let pa = try plainInput(0), pb = try plainInput(1)
                guard pa.dims.count == 4, pb.dims.count == 4, pa.channels == pb.channels else {
                    throw ImportProblem("\(pa.dims) × \(pb.dims) — supported: a [1, C, H, W] feature map times a [1, C, 1, 1] gate")
                }
                let (map, gate) = pb.dims[2] == 1 && pb.dims[3] == 1 ? (pa, pb) : (pb, pa)
                guard gate.dims[2] == 1, gate.dims[3] == 1 else {
                    throw ImportProblem("the product of two full feature maps \(pa.dims) × \(pb.dims) — supported: a [1, C, H, W] feature map times a [1, C, 1, 1] gate")
                }
                set(0, .act(emit(.mul, [map.value, gate.value], try shape3(map.dims), dims: map.dims)))
                return
            }
            guard op == "Add" else {
                throw ImportProblem("\(op) of two feature maps — supported: Add (residual), Mul (gate)")
            }
            let pa = try plainInput(0), pb = try plainInput(1)
            guard pa.dims == pb.dims else { throw ImportProblem("adding shapes \(pa.dims) and \(pb.dims) — supported: equal shapes") }
            set(0, .act(emit(.add(.none), [pa.value, pb.value], try shape3(pa.dims), dims: pa.dims)))
        default:
            throw ImportProblem("unexpected operands")
        }
    }

    // MARK: pooling

    mutating func importReduceMean() throws {
        try onlyAttributes(["axes", "keepdims", "noop_with_empty_axes"])
        let x = try plainInput(0)
        let axes = try constInput(1, "axes")?.ints ?? intsAttr("axes") ?? []
        guard x.dims.count == 4, Set(axes.map { $0 < 0 ? $0 + 4 : $0 }) == [2, 3] else {
            throw ImportProblem("mean over axes \(axes) of \(x.dims) — supported: axes 2, 3 (H, W) of [1, C, H, W]")
        }
        let keep = try intAttr("keepdims", 1)! != 0
        set(0, .act(emit(.globalAvgPool, [x.value], Shape3(1, 1, x.channels), dims: keep ? [1, x.channels, 1, 1] : [1, x.channels])))
    }

    mutating func importPool(average: Bool) throws {
        try onlyAttributes(["auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides", "storage_order"])
        if current.outputs.count > 1, !current.outputs[1].isEmpty, uses[current.outputs[1], default: 0] > 0 {
            throw ImportProblem("the indices output is used — supported: values only")
        }
        let x = try plainInput(0)
        guard x.dims.count == 4 else { throw ImportProblem("input of shape \(x.dims); supported: [1, C, H, W]") }
        guard let k = try intsAttr("kernel_shape"), k.count == 2, k[0] == k[1], k[0] >= 1, k[0] <= 4096 else {
            throw ImportProblem("kernel_shape \(String(describing: try intsAttr("kernel_shape"))) — supported: square")
        }
        let s = try intsAttr("strides") ?? [1, 1]
        guard s.count == 2, s[0] == s[1], s[0] >= 1 else { throw ImportProblem("strides \(s) — supported: equal") }
        let pads = try intsAttr("pads") ?? [0, 0, 0, 0]
        guard pads.count == 4, Set(pads).count == 1, pads[0] < k[0] else { throw ImportProblem("pads \(pads) — supported: equal on every side, smaller than the kernel") }
        guard (stringAttr("auto_pad") ?? "NOTSET") == "NOTSET" || (stringAttr("auto_pad") == "VALID" && pads[0] == 0) else {
            throw ImportProblem("auto_pad \(stringAttr("auto_pad") ?? "") — supported: NOTSET with explicit pads")
        }
        guard try intAttr("ceil_mode", 0)! == 0 else { throw ImportProblem("ceil_mode = 1 — supported: 0") }
        guard (try intsAttr("dilations") ?? [1, 1]).allSatisfy({ $0 == 1 }) else { throw ImportProblem("dilations — supported: 1") }
        let p = pads[0]
        let countsPadding = try intAttr("count_include_pad", 0)! != 0
        if average && p > 0 && !countsPadding {
            throw ImportProblem("average pooling with padding that does not count in the divisor — supported: count_include_pad = 1 (or no padding)")
        }
        let h = (x.dims[2] + 2 * p - k[0]) / s[0] + 1, w = (x.dims[3] + 2 * p - k[0]) / s[0] + 1
        guard h >= 1, w >= 1 else { throw ImportProblem("the input \(x.dims) is too small for this pooling") }
        let op: Op = average ? .avgPool(kernel: k[0], stride: s[0], pad: p) : .maxPool(kernel: k[0], stride: s[0], pad: p)
        set(0, .act(emit(op, [x.value], Shape3(h, w, x.channels), dims: [1, x.channels, h, w])))
    }

    // MARK: shape ops on feature maps

    mutating func importReshape() throws {
        let x = try actInput(0)
        guard let target = try constInput(1, "the target shape") else { throw ImportProblem("the target shape is missing") }
        var dims = x.dims
        if case .grouped(let g, let t) = x.pending {
            dims = [1, t ? x.channels / g : g, t ? g : x.channels / g, x.dims[2], x.dims[3]]
        }
        let to = try ConstOps.reshapeTarget(dims, target.ints, allowZero: try intAttr("allowzero", 0)! != 0)
        if case .grouped(let g, let transposed) = x.pending {
            guard transposed, to == x.dims else {
                throw ImportProblem("reshape \(dims) → \(to) — supported: the channel shuffle Reshape [1,g,C/g,H,W] → Transpose(0,2,1,3,4) → Reshape [1,C,H,W]")
            }
            let base = try materializeBase(x)
            set(0, .act(emit(.shuffle(groups: g), [base.value], try shape3(x.dims), dims: x.dims)))
            return
        }
        if to == x.dims { set(0, .act(x)); return }
        if x.dims.count == 4, to.count == 5, to[0] == 1, to[1] * to[2] == x.channels, to[3] == x.dims[2], to[4] == x.dims[3], to[1] > 1 {
            var out = try plainInput(0)
            out.pending = .grouped(groups: to[1], transposed: false)
            set(0, .act(out))
            return
        }
        let flat = x.dims.count == 2 || (x.dims.count == 4 && x.dims[2] == 1 && x.dims[3] == 1)
        if flat, to == [1, x.channels] || to == [1, x.channels, 1, 1] {
            var out = try plainInput(0)
            out.dims = to
            set(0, .act(out))
            return
        }
        throw ImportProblem("reshape \(x.dims) → \(to) — supported: [1, C, 1, 1] ↔ [1, C], and the channel shuffle Reshape → Transpose → Reshape")
    }

    /// The activation under a grouped view (its own pending transform is already emitted).
    func materializeBase(_ x: Act) throws -> Act {
        var base = x
        base.pending = .none
        return base
    }

    mutating func importTranspose() throws {
        let x = try actInput(0)
        let perm = try intsAttr("perm") ?? []
        guard case .grouped(let g, false) = x.pending, perm == [0, 2, 1, 3, 4] else {
            throw ImportProblem("transpose \(perm) of a feature map — supported: perm [0, 2, 1, 3, 4] inside a channel shuffle")
        }
        var out = x
        out.pending = .grouped(groups: g, transposed: true)
        set(0, .act(out))
    }

    mutating func importConcat() throws {
        let axis = try intAttr("axis", 0)!
        var parts: [Act] = []
        for i in current.inputs.indices where !current.inputs[i].isEmpty {
            guard case .act = try sym(current.inputs[i]) else {
                throw ImportProblem("concatenation of a feature map with a constant — supported: feature maps only")
            }
            parts.append(try plainInput(i))
        }
        guard let first = parts.first, first.dims.count == 4, axis == 1 || axis == -3,
              parts.allSatisfy({ $0.dims.count == 4 && $0.dims[2] == first.dims[2] && $0.dims[3] == first.dims[3] }) else {
            throw ImportProblem("concatenating \(parts.map(\.dims)) on axis \(axis) — supported: [1, C, H, W] maps of equal H, W on axis 1")
        }
        let c = parts.reduce(0) { $0 + $1.channels }
        let dims = [1, c, first.dims[2], first.dims[3]]
        set(0, .act(emit(.concat, parts.map(\.value), try shape3(dims), dims: dims)))
    }

    mutating func importSplit() throws {
        let x = try plainInput(0)
        let axis = try intAttr("axis", 0)!
        guard x.dims.count == 4, axis == 1 || axis == -3 else { throw ImportProblem("split of \(x.dims) on axis \(axis) — supported: channels (axis 1)") }
        let n = current.outputs.count
        var sizes = try constInput(1, "the split sizes")?.ints ?? intsAttr("split")
        if sizes == nil {
            guard n > 0, x.channels % n == 0 else { throw ImportProblem("\(x.channels) channels do not split into \(n) equal parts") }
            sizes = [Int](repeating: x.channels / n, count: n)
        }
        guard let sizes, sizes.count == n, sizes.allSatisfy({ $0 > 0 && $0 <= x.channels }), sizes.reduce(0, +) == x.channels else {
            throw ImportProblem("split sizes do not add up to \(x.channels) channels over \(n) outputs")
        }
        var start = 0
        for (i, size) in sizes.enumerated() {
            let dims = [1, size, x.dims[2], x.dims[3]]
            let out = emit(.split(start: start, count: size), [x.value], try shape3(dims), dims: dims, suffix: "/\(i)", output: i)
            set(i, .act(out))
            start += size
        }
    }

    mutating func importSlice() throws {
        let x = try plainInput(0)
        let starts = try constInput(1, "starts")?.ints ?? intsAttr("starts") ?? []
        let ends = try constInput(2, "ends")?.ints ?? intsAttr("ends") ?? []
        let axes = try constInput(3, "axes")?.ints ?? intsAttr("axes") ?? Array(0..<starts.count)
        let steps = try constInput(4, "steps")?.ints ?? [Int](repeating: 1, count: starts.count)
        guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count else {
            throw ImportProblem("starts, ends, axes and steps differ in length")
        }
        var range = (start: 0, count: x.channels)
        for k in axes.indices {
            guard let ax = normalizedAxis(axes[k], rank: x.dims.count) else { throw ImportProblem("axis \(axes[k]) is out of range") }
            let r = try ConstOps.sliceRange(dim: x.dims[ax], start: starts[k], end: ends[k], step: steps[k])
            if ax == 1 && steps[k] == 1 { range = r; continue }
            guard r.start == 0, r.count == x.dims[ax], steps[k] == 1 else {
                throw ImportProblem("slicing axis \(ax) of \(x.dims) — supported: a channel range (axis 1, step 1)")
            }
        }
        guard range.count > 0 else { throw ImportProblem("the slice is empty") }
        var dims = x.dims
        dims[1] = range.count
        if range.start == 0 && range.count == x.channels { set(0, .act(x)); return }
        set(0, .act(emit(.split(start: range.start, count: range.count), [x.value], try shape3(dims), dims: dims)))
    }

    mutating func importPad() throws {
        let mode = stringAttr("mode") ?? "constant"
        guard mode == "constant" else { throw ImportProblem("mode \(mode) — supported: constant (zero) padding") }
        let x = try plainInput(0)
        guard x.dims.count == 4 else { throw ImportProblem("padding a \(x.dims) value — supported: [1, C, H, W]") }
        guard let pads = try constInput(1, "the pads")?.ints ?? intsAttr("pads"), pads.count == 8 else {
            throw ImportProblem("pads — supported: 8 constant values for [N, C, H, W]")
        }
        if let v = try constInput(2, "the padding value"), v.values.contains(where: { $0 != 0 }) {
            throw ImportProblem("padding value \(v.values) — supported: 0")
        }
        if try constInput(3, "axes") != nil { throw ImportProblem("the axes input — supported: pads for every axis") }
        guard pads[0] == 0, pads[1] == 0, pads[4] == 0, pads[5] == 0, pads.allSatisfy({ $0 >= 0 && $0 < 1 << 16 }) else {
            throw ImportProblem("pads \(pads) — supported: non-negative padding of H and W only")
        }
        var out = x
        out.pending = .padded(top: pads[2], left: pads[3], bottom: pads[6], right: pads[7])
        out.dims = [1, x.channels, x.dims[2] + pads[2] + pads[6], x.dims[3] + pads[3] + pads[7]]
        set(0, .act(out))
    }
}
