/// `quantize inspect x.tflite`: the op table, every operator with its tensors, and every tensor
/// with its type, shape, data size and quantization.
import Foundation

extension TFLiteModel {
    /// A human-readable listing of the model (first subgraph in detail).
    public func summary(path: String) -> String {
        var lines: [String] = []
        let dataBytes = buffers.reduce(0) { $0 + $1.count }
        lines.append("\(path) (TFLite, schema version \(version)\(description.isEmpty ? "" : ", `\(description)`"))")
        lines.append("\(subgraphs.count) subgraph(s), \(operatorCodes.count) operator codes, \(buffers.count) buffers holding \(dataBytes) bytes")
        if !metadata.isEmpty { lines.append("metadata: " + metadata.map(\.name).joined(separator: ", ")) }
        guard let g = subgraphs.first else { return lines.joined(separator: "\n") }

        // Op table: count per operator name (and version).
        var counts: [String: Int] = [:]
        var order: [String] = []
        for op in g.operators {
            var key = opName(op)
            if Int(op.opcodeIndex) < operatorCodes.count { key += " v\(operatorCodes[Int(op.opcodeIndex)].version)" }
            if counts[key] == nil { order.append(key) }
            counts[key, default: 0] += 1
        }
        lines.append("")
        lines.append("operator                   count")
        for key in order { lines.append(key.padding(toLength: 26, withPad: " ", startingAt: 0) + String(format: "%6d", counts[key]!)) }

        func tensorLabel(_ i: Int32) -> String {
            guard i >= 0, Int(i) < g.tensors.count else { return i == -1 ? "-" : "#\(i)?" }
            let t = g.tensors[Int(i)]
            return "#\(i) \(t.type) [\(t.shape.map(String.init).joined(separator: ","))]"
        }
        lines.append("")
        lines.append("subgraph 0 `\(g.name)`: inputs \(g.inputs.map(tensorLabel).joined(separator: "; ")), outputs \(g.outputs.map(tensorLabel).joined(separator: "; "))")
        lines.append("")
        lines.append("operators:")
        for (i, op) in g.operators.enumerated() {
            lines.append(String(format: "%4d ", i) + opName(op) + optionText(op.options) + "  "
                         + op.inputs.map(tensorLabel).joined(separator: ", ") + " -> " + op.outputs.map(tensorLabel).joined(separator: ", "))
        }
        lines.append("")
        lines.append("tensors:")
        for (i, t) in g.tensors.enumerated() {
            let bytes = Int(t.buffer) < buffers.count ? buffers[Int(t.buffer)].count : 0
            var s = String(format: "%4d ", i) + "\(t.type) [\(t.shape.map(String.init).joined(separator: ","))] `\(t.name)`"
            if bytes > 0 { s += " data \(bytes) B (buffer \(t.buffer))" }
            if let q = t.quantization, !quantText(q).isEmpty { s += " " + quantText(q) }
            if t.isSparse { s += " sparse" }
            lines.append(s)
        }
        return lines.joined(separator: "\n")
    }
}

private func quantText(_ q: TFLiteQuantization) -> String {
    if q.hasDetails { return "quantization: custom details" }
    if q.scale.count == 1 {
        return String(format: "scale %.9g zero point %lld", Double(q.scale[0]), q.zeroPoint.first ?? 0)
    }
    if q.scale.isEmpty { return q.min.isEmpty ? "" : "min/max only" }
    let lo = q.scale.min() ?? 0, hi = q.scale.max() ?? 0
    let zps = Set(q.zeroPoint)
    return String(format: "per-channel (dimension %d): %d scales %.3g … %.3g, zero points %@", q.quantizedDimension, q.scale.count,
                  Double(lo), Double(hi), zps.count == 1 ? "all \(zps.first!)" : "\(zps.count) distinct")
}

private func optionText(_ o: TFLiteOptions) -> String {
    switch o {
    case .none, .empty, .other: return ""
    case let .conv2D(p, sw, sh, a, dw, dh):
        return "(\(p), stride \(sh)x\(sw)\(dw != 1 || dh != 1 ? ", dilation \(dh)x\(dw)" : ""), \(a))"
    case let .depthwiseConv2D(p, sw, sh, m, a, dw, dh):
        return "(\(p), stride \(sh)x\(sw), multiplier \(m)\(dw != 1 || dh != 1 ? ", dilation \(dh)x\(dw)" : ""), \(a))"
    case let .pool2D(p, sw, sh, fw, fh, a): return "(\(fh)x\(fw), \(p), stride \(sh)x\(sw), \(a))"
    case let .fullyConnected(a, keep): return "(\(a)\(keep ? ", keep dims" : ""))"
    case let .concatenation(axis, a): return "(axis \(axis), \(a))"
    case let .add(a), let .mul(a): return "(\(a))"
    case let .reducer(keep): return keep ? "(keep dims)" : ""
    case let .split(n): return "(\(n))"
    case let .reshape(s): return s.isEmpty ? "" : "(\(s))"
    }
}
