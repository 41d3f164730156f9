import XCTest
import FloatEngine
import ImageIO
import ModelIO
import QuantCore
@testable import Models

/// The shared float ONNX exports and the checkpoint each was exported from.
struct ONNXReference {
    var onnx: String
    var checkpoint: String
    var dataset: String

    static let all = [
        ONNXReference(onnx: "mobilenet_v1_025-cifar10", checkpoint: "mobilenet_v1_025-cifar10.safetensors", dataset: "cifar10"),
        ONNXReference(onnx: "mobilenet_v2-cifar10", checkpoint: "mobilenet_v2-cifar10.safetensors", dataset: "cifar10"),
        ONNXReference(onnx: "mobilenet_v3_small-cifar10", checkpoint: "mobilenet_v3_small-cifar10.safetensors", dataset: "cifar10"),
        ONNXReference(onnx: "mobilenet_v3_small-fashion", checkpoint: "mobilenet_v3_small-fashion.safetensors", dataset: "fashion"),
        ONNXReference(onnx: "shufflenet_v1_g3-cifar10", checkpoint: "shufflenet_v1_g3-cifar10.safetensors", dataset: "cifar10"),
        ONNXReference(onnx: "shufflenet_v2_x1_0-cifar10", checkpoint: "shufflenet_v2_x1_0-cifar10.safetensors", dataset: "cifar10"),
        ONNXReference(onnx: "efficientnet_lite0-imagenet", checkpoint: "efficientnet-lite0-57934424.pth", dataset: "imagenet"),
    ]

    var onnxPath: String { SharedData.path("models/onnx/\(onnx).float.onnx") }

    /// The checkpoint's graph (its preprocessing is the normalization the export expects).
    func checkpointGraph() throws -> Graph {
        try buildGraph(try loadCheckpoint(SharedData.path("models/" + checkpoint)), name: onnx)
    }

    /// The ONNX import with the checkpoint's mean / std, as bench and the README pass them.
    func importGraph() throws -> (onnx: Graph, checkpoint: Graph) {
        let reference = try checkpointGraph()
        let options = ModelOptions(mean: reference.preprocessing.mean, std: reference.preprocessing.std)
        return (try loadONNXGraph(onnxPath, options: options), reference)
    }
}

/// How many ops of each kind a graph has (the checkpoint builders and the importer must agree).
func opHistogram(_ g: Graph) -> [String: Int] {
    var h: [String: Int] = [:]
    for n in g.nodes { h[n.op.kindName, default: 0] += 1 }
    return h
}

final class ONNXImportTests: XCTestCase {
    /// Each export imports to the same ops, MACs and parameters as its checkpoint's builder, and
    /// its float logits match the golden logits within 1e-3.
    func testSharedExportsMatchTheCheckpointsAndGoldenLogits() throws {
        for ref in ONNXReference.all {
            let (graph, reference) = try ref.importGraph()
            XCTAssertEqual(opHistogram(graph), opHistogram(reference), ref.onnx)
            XCTAssertEqual(graph.totalMACs, reference.totalMACs, ref.onnx)
            XCTAssertEqual(graph.numClasses, reference.numClasses, ref.onnx)
            XCTAssertEqual(graph.shape(0), reference.shape(0), ref.onnx)
            let count = goldenImageCount(debugCount: ref.dataset == "imagenet" ? 1 : 8)
            let golden = try goldenLogits(ref.onnx)
            guard case .float32(let expected) = golden.values else { throw ToolkitError(ref.onnx, "golden logits are not float32") }
            let images = try loadImageSet(evaluationSetPath(ref.dataset), options: ImageSetOptions(limit: count))
            let logits = FloatEngine(graph: graph).logits(images: images.pixels, count: count, threads: 2)
            var worst: Float = 0
            for (i, row) in logits.enumerated() {
                for (j, v) in row.enumerated() {
                    let e = abs(v - expected[i * graph.numClasses + j])
                    worst = e.isNaN ? .infinity : max(worst, e)
                }
            }
            print("onnx \(ref.onnx): \(graph.nodes.count) ops, max abs logit error \(worst) over \(count) images")
            XCTAssertLessThan(worst, 1e-3, ref.onnx)
        }
    }

    /// Reading and importing the EfficientNet-Lite0 export (3,002 nodes) takes well under a second.
    func testLite0ImportIsFast() throws {
        let ref = ONNXReference.all.last!
        let options = ModelOptions(mean: [Float](repeating: 127 / 255, count: 3), std: [Float](repeating: 128 / 255, count: 3))
        let start = Date()
        let graph = try loadONNXGraph(ref.onnxPath, options: options)
        let seconds = Date().timeIntervalSince(start)
        print("import efficientnet_lite0: \(graph.nodes.count) ops in \(String(format: "%.3f", seconds)) s")
        XCTAssertLessThan(seconds, 1.0)
        XCTAssertEqual(graph.nodes.filter { if case .conv = $0.op { return true } else { return false } }.count, 49)
    }
}
