import Foundation
import QuantCore
import Reports

/// One line per integer op: index, name, op, inputs, output shape and quantization; then totals.
public func modelSummary(_ model: QModel) -> String {
    var lines = ["\(model.name): \(model.nodes.count) integer ops, input \(model.input.shape), \(model.numClasses) classes"]
    var weightBytes = 0
    for (i, node) in model.nodes.enumerated() {
        if case .conv(let c) = node.op {
            weightBytes += c.weights.count + 4 * (c.bias.count + c.multiplier.count + c.shift.count)
        }
        let kind = LayerInfo.opLabel(node.op, inputShape: model.info(node.inputs[0]).shape)
        let ins = node.inputs.map(String.init).joined(separator: ",")
        lines.append(String(format: "%4d %-28@ %-26@ in %-8@ out %-10@ scale %.6g zp %d", i + 1, node.name, kind, ins,
                            node.output.shape.description, node.output.scale, node.output.zeroPoint))
    }
    lines.append("parameters: \(weightBytes) bytes (int8 weights + int32 bias, multipliers, shifts)")
    return lines.joined(separator: "\n")
}
