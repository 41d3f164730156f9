import QuantCore

/// Folds every batch norm into its convolution and the input normalization into the stem, so the
/// returned graph takes `pixel / 255` (preprocessing mean 0, std 1) and carries no batch norm.
/// It computes the same function as `graph` (up to float rounding); the stem pads with the mean
/// pixel, which is what zero padding meant in the normalized input.
public func foldGraph(_ graph: Graph) throws -> Graph {
    var g = graph
    for i in g.nodes.indices {
        if case .conv(var conv) = g.nodes[i].op, let bn = conv.batchNorm {
            foldBatchNorm(&conv, bn)
            g.nodes[i].op = .conv(conv)
        }
    }
    let pre = graph.preprocessing
    for i in g.nodes.indices where g.nodes[i].inputs.contains(0) {
        guard case .conv(var conv) = g.nodes[i].op else {
            throw ToolkitError(graph.name, "the input feeds \(g.nodes[i].name), not a convolution: cannot fold the input normalization")
        }
        foldNormalization(&conv, mean: pre.mean, std: pre.std)
        g.nodes[i].op = .conv(conv)
    }
    g.preprocessing.mean = Array(repeating: 0, count: pre.channels)
    g.preprocessing.std = Array(repeating: 1, count: pre.channels)
    return g
}

/// `W' = W · γ/σ`, `b' = β + (b − μ) · γ/σ` with `σ = sqrt(var + eps)`, per output channel,
/// computed in double precision and rounded once to float. The one batch-norm fold of the toolkit:
/// the float engine and the quantizer both see the weights this returns.
public func foldBatchNorm(_ conv: inout Conv2D, _ bn: BatchNorm) {
    let perOut = conv.weight.count / conv.outChannels
    var bias = conv.bias ?? Array(repeating: 0, count: conv.outChannels)
    for o in 0..<conv.outChannels {
        let k = Double(bn.gamma[o]) / (Double(bn.variance[o]) + Double(bn.eps)).squareRoot()
        for j in 0..<perOut { conv.weight[o * perOut + j] = Float(Double(conv.weight[o * perOut + j]) * k) }
        bias[o] = Float(Double(bn.beta[o]) + (Double(bias[o]) - Double(bn.mean[o])) * k)
    }
    conv.bias = bias
    conv.batchNorm = nil
}

/// The stem saw `(x − mean[c]) / std[c]`; afterwards it sees `x` (= pixel / 255):
/// `W'[o][c] = W[o][c] / std[c]`, `b'[o] = b[o] − Σ W[o][c] · mean[c] / std[c]`, padding = mean.
func foldNormalization(_ conv: inout Conv2D, mean: [Float], std: [Float]) {
    let cin = conv.inChannels / conv.groups
    let kk = conv.kernel * conv.kernel
    var bias = conv.bias ?? Array(repeating: 0, count: conv.outChannels)
    let outPerGroup = conv.outChannels / conv.groups
    for o in 0..<conv.outChannels {
        var shift = 0.0
        for ci in 0..<cin {
            let c = (o / outPerGroup) * cin + ci
            for k in 0..<kk {
                let idx = (o * cin + ci) * kk + k
                let w = Double(conv.weight[idx]) / Double(std[c])
                conv.weight[idx] = Float(w)
                shift += w * Double(mean[c])
            }
        }
        bias[o] = Float(Double(bias[o]) - shift)
    }
    conv.bias = bias
    conv.padValue = (0..<conv.inChannels).map { mean[$0] }
}
