import QuantCore

extension Op {
    /// Short op name for listings (`conv`, `dwconv`, `linear`, `add`, ...).
    public var kindName: String {
        switch self {
        case .conv(let c):
            if c.groups == c.inChannels && c.groups == c.outChannels && c.groups > 1 { return "dwconv\(c.kernel)x\(c.kernel)" }
            return c.groups > 1 ? "gconv\(c.kernel)x\(c.kernel)/g\(c.groups)" : "conv\(c.kernel)x\(c.kernel)"
        case .linear: return "linear"
        case .relu: return "relu"
        case .relu6: return "relu6"
        case .hardSwish: return "hardswish"
        case .hardSigmoid: return "hardsigmoid"
        case .function(let f): return f.name
        case .add: return "add"
        case .mul: return "mul"
        case .concat: return "concat"
        case .split: return "split"
        case .shuffle(let g): return "shuffle/g\(g)"
        case .maxPool(let k, let s, _): return "maxpool\(k)x\(k)/s\(s)"
        case .avgPool(let k, let s, _): return "avgpool\(k)x\(k)/s\(s)"
        case .globalAvgPool: return "globalavgpool"
        }
    }

    /// Trainable parameters: weights, biases, and batch-norm scale and shift.
    public var parameterCount: Int {
        switch self {
        case .conv(let c): return c.weight.count + (c.bias?.count ?? 0) + (c.batchNorm.map { $0.gamma.count * 2 } ?? 0)
        case .linear(let l): return l.weight.count + (l.bias?.count ?? 0)
        default: return 0
        }
    }
}

extension Graph {
    /// Multiply-accumulates of node `i` (convolutions and fully connected layers; 0 for the rest).
    public func macs(_ i: Int) -> Int {
        switch nodes[i].op {
        case .conv(let c): return nodes[i].shape.count * (c.inChannels / c.groups) * c.kernel * c.kernel
        case .linear(let l): return l.inFeatures * l.outFeatures
        default: return 0
        }
    }

    /// Multiply-accumulates of one inference.
    public var totalMACs: Int { nodes.indices.reduce(0) { $0 + macs($1) } }

    /// Trainable parameters of the whole graph.
    public var parameterCount: Int { nodes.reduce(0) { $0 + $1.op.parameterCount } }

    /// One line per op (index, name, op, input values, output shape, MACs), then the totals.
    public func summary() -> String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func padLeft(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
        let ops = nodes.map { node -> String in
            var text = node.op.kindName
            switch node.op {
            case .conv(let c):
                if c.stride > 1 { text += "/s\(c.stride)" }
                if c.activation != .none { text += " +" + c.activation.rawValue }
            case .linear(let l) where l.activation != .none: text += " +" + l.activation.rawValue
            case .add(let a) where a != .none: text += " +" + a.rawValue
            default: break
            }
            return text
        }
        let nameWidth = max(4, nodes.map(\.name.count).max() ?? 0)
        let opWidth = max(2, ops.map(\.count).max() ?? 0)
        var lines = ["\(name) (\(arch)): input \(shape(0)), \(numClasses) classes"]
        lines.append("    # \(pad("name", nameWidth))  \(pad("op", opWidth))  inputs      output              MACs")
        for (i, node) in nodes.enumerated() {
            let inputs = node.inputs.map(String.init).joined(separator: ",")
            lines.append("\(padLeft(String(i + 1), 5)) \(pad(node.name, nameWidth))  \(pad(ops[i], opWidth))  "
                + "\(pad(inputs, 10))  \(pad(node.shape.description, 12))  \(padLeft(String(macs(i)), 10))")
        }
        let millions = (Double(totalMACs) / 1e5).rounded() / 10
        lines.append("total: \(nodes.count) ops, \(parameterCount) parameters, \(totalMACs) MACs (\(millions) M)")
        return lines.joined(separator: "\n")
    }
}
