import Foundation
import QuantCore
import Reports

/// One line per integer op: index, name, op, inputs, output shape and quantization; then totals.
public func modelSummary(_ model: QModel) -> String {
    var lines = ["\(model.name): \(model.nodes.count) integer ops, input \(model.input.shape), \(model.numClasses) classes"]
    var weightBytes = 0, int4Layers = 0, int8Layers = 0
    for (i, node) in model.nodes.enumerated() {
        var kind = LayerInfo.opLabel(node.op, inputShape: model.info(node.inputs[0]).shape)
        if case .conv(let c) = node.op {
            weightBytes += c.weightBits == 4 ? packedInt4Bytes(c.weights.count) : c.weights.count
            if c.weightBits == 4 { int4Layers += 1 } else { int8Layers += 1 }
            kind += " int\(c.weightBits)"
        }
        let ins = node.inputs.map(String.init).joined(separator: ",")
        lines.append(String(format: "%4d %-28@ %-26@ in %-8@ out %-10@ scale %.6g zp %d", i + 1, node.name, kind, ins,
                            node.output.shape.description, node.output.scale, node.output.zeroPoint))
    }
    lines.append("weights: \(weightBytes) bytes (\(int8Layers) int8 layers, \(int4Layers) int4 layers packed two per byte)")
    return lines.joined(separator: "\n")
}
