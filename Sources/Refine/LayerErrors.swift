import Foundation
import QuantCore
import Models
import FloatEngine
import IntEngine
import ImageIO
import Quantizer
import Reports

/// Per-layer error of the int8 model against the folded float graph on `images` (with a progress
/// line when `progress`). A value whose grid starts at 0 because it only flows into ReLUs
/// (`reluOnlyValues`, Quantizer) is compared with its float values after that ReLU: the negatives
/// its grid drops are the ones the ReLU drops, not a loss of the int8 model.
public func layerErrors(_ folded: Graph, _ model: QModel, images: ImageSet, threads: Int, progress: Bool = false) throws -> [LayerError] {
    let line = ProgressLine("layer errors", total: images.count, enabled: progress)
    let fe = FloatEngine(graph: folded)  // thread-safe: one workspace per worker
    let reluOnly = reluOnlyValues(folded)
    // IntEngine's single-image runs take its lock, so each worker gets its own engine.
    let engines = try (0..<workerCount(images.count, threads: threads)).map { _ in try IntEngine(model: model) }
    let accs = parallelSlices(count: images.count, threads: threads) { w, range -> Result<LayerErrorAccumulator, Error> in
        var acc = LayerErrorAccumulator(model: model)
        var failure: Error?
        for i in range where failure == nil {
            var floats: [[Float]] = Array(repeating: [], count: model.nodes.count + 1)
            images.image(i).withUnsafeBufferPointer { px in
                _ = fe.run(pixels: px) { v, buf in floats[v] = reluOnly.contains(v) ? buf.map { max($0, 0) } : Array(buf) }
                let input = px.map { Int8(truncatingIfNeeded: Int($0) - 128) }
                _ = engines[w].run(input: input) { v, q in
                    guard v > 0, failure == nil else { return }
                    do { try floats[v].withUnsafeBufferPointer { try acc.add(value: v, float: $0, int8: q) } } catch { failure = error }
                }
            }
            line.advance()
        }
        return failure.map { .failure($0) } ?? .success(acc)
    }
    var merged = try accs[0].get()
    for a in accs.dropFirst() { merged.merge(try a.get()) }
    return merged.results()
}

