import QuantCore
import Models
import Quantizer
import IntEngine
import ImageIO

/// Images bias correction runs through the int8 engine at once (`IntEngine.runKept(images:)`).
let biasCorrectionBatch = 8

/// Layer-by-layer bias correction: in graph order, each convolution (and linear layer) is
/// converted again with the per-channel means of its input as the int8 model, corrected up to
/// that layer, really produces them on `images`, so its bias absorbs the mean error of its
/// rounded weights and of its int8 input (`QuantizerOptions.int8Means`). Grids do not move.
///
/// A layer's input depends only on the layers before it, which are final when its turn comes, so
/// the int8 network runs once over the images in all: each step runs just the nodes between the
/// previous corrected layer and this one, `batch` images at a time (one GEMM per pointwise / fully
/// connected layer), each image in its own activation arena (`IntEngine.arenaLayout`: the values
/// a later node reads stay intact there), and the engine re-packs only the layer it corrected.
/// The means are summed image by image in a fixed order, so `batch` and the timing do not change
/// the result. With `progress`, a progress line counts the layers.
func correctBiases(_ model: inout QModel, _ folded: Graph, images: ImageSet, options: QuantizerOptions, threads: Int,
                   batch: Int = biasCorrectionBatch, progress: Bool = false) throws {
    var options = options
    let weighted = folded.nodes.indices.filter {
        switch folded.nodes[$0].op { case .conv, .linear: return true; default: return false }
    }
    var engine = try IntEngine(model: model)
    let layout = engine.arenaLayout
    let stores = (0..<workerCount(images.count, threads: threads)).map { _ in ArenaImages() }
    var done = 0  // nodes before it have run on every image
    let line = ProgressLine("bias correction", total: weighted.count, unit: "layers", enabled: progress)
    for i in weighted {
        let v = folded.nodes[i].inputs[0]
        let grid = model.info(v)
        let (from, step) = (done, engine)
        let parts = parallelSlices(count: images.count, threads: threads) { w, range in
            var means = ChannelMeans(folded)
            let store = stores[w]
            let buffer = store.buffer(layout, images: images, range)
            for start in stride(from: 0, to: range.count, by: max(batch, 1)) {
                step.runKept(buffer + start * layout.bytes, layout: layout, images: min(max(batch, 1), range.count - start),
                             fromNode: from, toNode: i)
            }
            for k in 0..<range.count {
                means.add(value: v, UnsafeBufferPointer(start: buffer + k * layout.bytes + layout.offsets[v], count: grid.shape.count),
                          grid: grid)
                means.images += 1
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

/// One worker's images during bias correction, one `arenaLayout` buffer each, back to back,
/// allocated (and the inputs filled) on first use. Only its worker touches it.
private final class ArenaImages: @unchecked Sendable {
    private var pointer: UnsafeMutablePointer<Int8>?

    /// The buffer of the images `range` of `images`.
    func buffer(_ layout: IntEngine.KeptLayout, images: ImageSet, _ range: Range<Int>) -> UnsafeMutablePointer<Int8> {
        if let pointer { return pointer }
        let bytes = max(layout.bytes * range.count, 1)
        let p = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64).bindMemory(to: Int8.self, capacity: bytes)
        p.initialize(repeating: 0, count: bytes)
        for (k, n) in range.enumerated() {
            let input = p + k * layout.bytes
            for (j, pixel) in images.image(n).enumerated() { input[j] = Int8(truncatingIfNeeded: Int(pixel) - 128) }
        }
        pointer = p
        return p
    }

    deinit { pointer?.deallocate() }
}
