import Foundation
import QuantCore

/// One line per integer op: index, name, op, inputs, output shape and quantization; then totals.
public func modelSummary(_ model: QModel) -> String {
    var lines = ["\(model.name): \(model.nodes.count) integer ops, input \(model.input.shape), \(model.numClasses) classes"]
    var weightBytes = 0
    for (i, node) in model.nodes.enumerated() {
        let kind: String
        switch node.op {
        case .conv(let c):
            weightBytes += c.weights.count + 4 * (c.bias.count + c.multiplier.count + c.shift.count)
            kind = "conv \(c.kernelH)x\(c.kernelW)/s\(c.strideH) g\(c.groups)"
        case .add: kind = "add"
        case .mul: kind = "mul"
        case .hardSwish(let h): kind = h.isSigmoid ? "hard-sigmoid" : "hard-swish"
        case .requantize: kind = "requantize"
        case .concat: kind = "concat"
        case .split(let s, let n): kind = "split \(s)+\(n)"
        case .shuffle(let g): kind = "shuffle g\(g)"
        case .maxPool(let p): kind = "maxpool \(p.kernel)/s\(p.stride)"
        case .avgPool(let p): kind = "avgpool \(p.kernel)/s\(p.stride)"
        case .globalAvgPool: kind = "global-avgpool"
        }
        let ins = node.inputs.map(String.init).joined(separator: ",")
        lines.append(String(format: "%4d %-28@ %-20@ in %-8@ out %-10@ scale %.6g zp %d", i + 1, node.name, kind, ins,
                            node.output.shape.description, node.output.scale, node.output.zeroPoint))
    }
    lines.append("parameters: \(weightBytes) bytes (int8 weights + int32 bias, multipliers, shifts)")
    return lines.joined(separator: "\n")
}
