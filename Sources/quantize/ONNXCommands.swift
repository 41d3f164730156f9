import Foundation
import QuantCore
import ModelIO
import Models

/// `quantize inspect MODEL.onnx`: the op types with what each becomes, then the imported graph
/// (or the reason it cannot be imported).
func inspectONNX(_ path: String, options: ModelOptions) throws {
    let model = try loadONNX(path)
    print("\(path) (ONNX, IR version \(model.irVersion), opset \(model.opset), producer `\(model.producer)`)")
    print("\(model.graph.nodes.count) nodes, \(model.graph.initializers.count) initializers")
    for input in model.graph.inputs where !model.graph.initializers.contains(where: { $0.name == input.name }) {
        print("input `\(input.name)`: \(onnxTypeName(input.elemType)) \(describe(input.dims))")
    }
    if !model.metadata.isEmpty {
        print("metadata:")
        for key in model.metadata.keys.sorted() { print("  \(key) = \(model.metadata[key] ?? "")") }
    }
    let rows = onnxOpTable(model)
    let width = max(8, rows.map(\.opType.count).max() ?? 0)
    print("\n" + "op type".padding(toLength: width, withPad: " ", startingAt: 0) + "  nodes  becomes")
    for row in rows {
        print(row.opType.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + String(format: "%5d", row.count)
              + "  " + (row.supported ? row.becomes : "UNSUPPORTED: " + row.becomes))
    }
    print("")
    do {
        let graph = try importONNX(model, name: onnxModelName(path), options: options)
        for note in graph.notes { print(note) }
        print(graph.summary())
    } catch {
        print("graph: not imported: \(error)")
    }
}
