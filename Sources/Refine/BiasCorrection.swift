import QuantCore
import Models
import Quantizer
import ImageIO

/// Layer-by-layer bias correction: in graph order, each convolution (and linear layer) is
/// converted again with the per-channel means of its input as the int8 model, corrected up to
/// that layer, really produces them on `images` (`int8Means`), so its bias absorbs the mean error
/// of its rounded weights and of its int8 input (`QuantizerOptions.int8Means`). Grids do not move.
/// With `progress`, a progress line counts the layers (each re-runs the int8 model on `images`).
func correctBiases(_ model: inout QModel, _ folded: Graph, images: ImageSet, options: QuantizerOptions, threads: Int,
                   progress: Bool = false) throws {
    var options = options
    let layers = folded.nodes.indices.filter { i in
        switch folded.nodes[i].op { case .conv, .linear: return true; default: return false }
    }
    let line = ProgressLine("bias correction", total: layers.count, unit: "layers", enabled: progress)
    for i in layers {
        options.int8Means = try int8Means(folded, model, images: images, threads: threads)
        try reconvertWeighted(&model, graph: folded, node: i, options: options)
        line.advance()
    }
}
