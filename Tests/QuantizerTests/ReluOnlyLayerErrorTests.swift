import XCTest
import QuantCore
import Models
import Quantizer
import Pipeline
import Refine

/// ShuffleNetV1's stride-2 units end in `ReLU(concat[avg pool, branch])`: the branch's grid starts
/// at 0 (`reluOnlyValues`), so its int8 values are the float values after that ReLU. The per-layer
/// errors must compare them with exactly that, or the report blames the branch for the negatives
/// the ReLU drops (2.5–3.2 dB SQNR and ~50 % "clipped" on the real checkpoint before this was so).
final class ReluOnlyLayerErrorTests: XCTestCase {
    func testShuffleNetV1BranchesBeforeTheReLUAreMeasuredAfterIt() throws {
        let graph = try loadGraph(weights: SharedData.path("models/shufflenet_v1_g3-cifar10.safetensors"), options: ModelOptions())
        let calib = try loadImages(SharedData.path("datasets/cifar10/calib_batch.bin"), for: graph, limit: 32)
        let (folded, model) = try convert(graph, calib: calib, method: .percentile, biasCorrection: false, rangeSearch: false,
                                          threads: 2, progress: false)
        let reluOnly = reluOnlyValues(folded)
        // The three stride-2 units: branch conv, avg pool and concat each.
        let names = Set(reluOnly.map { folded.nodes[$0 - 1].name })
        for stage in 2...4 {
            for part in ["conv3", "avgpool", "concat"] { XCTAssertTrue(names.contains("stage\(stage).0.\(part)"), "stage\(stage).0.\(part)") }
        }
        XCTAssertEqual(reluOnly.count, 9, "\(names.sorted())")
        for v in reluOnly { XCTAssertEqual(model.nodes[v - 1].output.zeroPoint, -128, "\(folded.nodes[v - 1].name): grid starts at 0") }

        let layers = try layerErrors(folded, model, images: calib.subset(Array(0..<16)), threads: 2)
        for layer in layers where reluOnly.contains(layer.valueId) {
            XCTAssertGreaterThanOrEqual(layer.rangeMin, 0, layer.name)
            XCTAssertLessThan(layer.clippedFraction, 0.01, layer.name)
            XCTAssertGreaterThan(layer.sqnrDB, 15, layer.name)
        }
    }
}
