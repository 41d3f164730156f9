import XCTest
import QuantCore
import ImageIO
import Models
import IntEngine
import Quantizer
import Pipeline
@testable import Refine

/// Bias correction runs its images through the int8 engine in batches, each image in its own
/// activation arena: the corrected model must be the one the plain path gives — every image run
/// alone with all its values kept in arrays (`runKeepingValues`), the means summed in the same
/// order — for any batch size and worker count.
final class BiasCorrectionTests: XCTestCase {
    func testBatchedBiasCorrectionEqualsTheUnbatchedPath() throws {
        let graph = try foldGraph(try loadGraph(weights: "Models/mobilenet_v3_small-fashion.safetensors", options: ModelOptions()))
        let images = try loadImages("Calibration", for: graph, limit: 37)
        let (ranges, means, _) = try calibrate(graph, images: images, method: .minmax, threads: 2, progress: false)
        let options = QuantizerOptions(channelMeans: means)
        let start = try quantize(graph, ranges: ranges.ranges, options: options)

        let want = try unbatchedBiasCorrection(start, graph, images: images, options: options, threads: 2)
        XCTAssertNotEqual(String(describing: want), String(describing: start), "bias correction changed nothing")
        for (batch, threads) in [(8, 2), (1, 1), (5, 1), (16, 2)] {
            var model = start
            try correctBiases(&model, graph, images: images, options: options, threads: threads, batch: batch)
            XCTAssertEqual(String(describing: model), String(describing: want), "batch \(batch), \(threads) threads")
        }
    }

    /// The plain path: per layer, each image alone through `runKeepingValues` (every value in its
    /// own array), its means added image by image per worker slice, the slices merged in order.
    private func unbatchedBiasCorrection(_ start: QModel, _ graph: Graph, images: ImageSet, options: QuantizerOptions,
                                         threads: Int) throws -> QModel {
        var model = start, options = options
        var engine = try IntEngine(model: model)
        var values = (0..<images.count).map { [images.image($0).map { Int8(truncatingIfNeeded: Int($0) - 128) }] }
        var done = 0
        for i in graph.nodes.indices {
            switch graph.nodes[i].op { case .conv, .linear: break; default: continue }
            let v = graph.nodes[i].inputs[0], grid = model.info(v)
            for n in values.indices { engine.runKeepingValues(&values[n], fromNode: done, toNode: i) }
            var merged: ChannelMeans?
            let workers = workerCount(images.count, threads: threads)
            for w in 0..<workers {
                var means = ChannelMeans(graph)
                for n in (w * images.count / workers)..<((w + 1) * images.count / workers) {
                    values[n][v].withUnsafeBufferPointer { means.add(value: v, $0, grid: grid) }
                    means.images += 1
                }
                if merged == nil { merged = means } else { merged!.merge(means) }
            }
            options.int8Means = [v: merged!.means()[v]!]
            try reconvertWeighted(&model, graph: graph, node: i, options: options)
            engine = try engine.updated(model, changed: [i])
            done = i
        }
        return model
    }
}
