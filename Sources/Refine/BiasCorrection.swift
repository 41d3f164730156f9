import QuantCore
import Models
import Quantizer
import IntEngine
import ImageIO

/// Layer-by-layer bias correction: in graph order, each convolution (and linear layer) is
/// converted again with the per-channel means of its input as the int8 model, corrected up to
/// that layer, really produces them on `images`, so its bias absorbs the mean error of its
/// rounded weights and of its int8 input (`QuantizerOptions.int8Means`). Grids do not move.
///
/// A layer's input depends only on the layers before it, which are final when its turn comes, so
/// the int8 network runs once over the images in all: each step runs just the nodes between the
/// previous corrected layer and this one, on the values the previous steps kept (values no later
/// node reads are dropped), and the engine re-packs only the layer it corrected. With
/// `progress`, a progress line counts the layers.
func correctBiases(_ model: inout QModel, _ folded: Graph, images: ImageSet, options: QuantizerOptions, threads: Int,
                   progress: Bool = false) throws {
    var options = options
    let weighted = folded.nodes.indices.filter {
        switch folded.nodes[$0].op { case .conv, .linear: return true; default: return false }
    }
    let lastUse = (0...folded.nodes.count).map { v in  // the last node reading each value
        folded.nodes.indices.last { folded.nodes[$0].inputs.contains(v) } ?? -1
    }
    let stores = (0..<workerCount(images.count, threads: threads)).map { _ in KeptValues() }
    var engine = try IntEngine(model: model)
    var done = 0  // nodes before it have run on every image
    let line = ProgressLine("bias correction", total: weighted.count, unit: "layers", enabled: progress)
    for i in weighted {
        let v = folded.nodes[i].inputs[0]
        let grid = model.info(v)
        let (from, step) = (done, engine)
        let parts = parallelSlices(count: images.count, threads: threads) { w, range in
            var means = ChannelMeans(folded)
            let store = stores[w]
            for (k, n) in range.enumerated() {
                if k == store.images.count { store.images.append([images.image(n).map { Int8(truncatingIfNeeded: Int($0) - 128) }]) }
                step.runKeepingValues(&store.images[k], fromNode: from, toNode: i)
                store.images[k][v].withUnsafeBufferPointer { means.add(value: v, $0, grid: grid) }
                means.images += 1
                for u in 0...i where lastUse[u] < i { store.images[k][u] = [] }
            }
            return means
        }
        var merged = parts[0]
        for p in parts.dropFirst() { merged.merge(p) }
        options.int8Means = [v: merged.means()[v]!]
        try reconvertWeighted(&model, graph: folded, node: i, options: options)
        engine = try engine.updated(model, changed: [i])
        done = i
        line.advance()
    }
}

/// One worker's images during bias correction: every value of each image that a node still to
/// run reads (others are empty arrays). Only its worker touches it.
private final class KeptValues: @unchecked Sendable {
    var images: [[[Int8]]] = []
}
