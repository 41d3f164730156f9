import QuantCore
import Models
import FloatEngine
import ImageIO

/// `E[x xᵀ]` over the input channels of each node in `nodes` (1×1 convolutions without groups and
/// linear layers), measured on the float graph over `images`: one `C × C` row-major matrix per
/// node, averaged over every pixel of every image. It is what a layer's output error depends on
/// when its weights are rounded (`roundWithErrorFeedback`, Quantizer).
public func inputGrams(_ folded: Graph, images: ImageSet, nodes: [Int]) -> [Int: [Double]] {
    var byValue: [Int: [Int]] = [:]
    for i in nodes { byValue[folded.nodes[i].inputs[0], default: []].append(i) }
    var sums: [Int: [Double]] = [:]
    var pixels: [Int: Int] = [:]
    let engine = FloatEngine(graph: folded)
    let size = engine.inputCount
    images.pixels.withUnsafeBufferPointer { all in
        for n in 0..<images.count {
            _ = engine.run(pixels: UnsafeBufferPointer(rebasing: all[(n * size)..<((n + 1) * size)])) { v, x in
                guard byValue[v] != nil else { return }
                let c = folded.shape(v).c
                // Accumulated in place (reading the sum out and writing it back would copy it per image).
                sums[v, default: [Double](repeating: 0, count: c * c)].withUnsafeMutableBufferPointer { g in
                    var p = 0
                    while p + c <= x.count {
                        for a in 0..<c {
                            let xa = Double(x[p + a])
                            if xa == 0 { continue }
                            for b in a..<c { g[a * c + b] += xa * Double(x[p + b]) }
                        }
                        p += c
                    }
                }
                pixels[v, default: 0] += x.count / c
            }
        }
    }
    var result: [Int: [Double]] = [:]
    for (v, g) in sums {
        let c = folded.shape(v).c, count = Double(max(1, pixels[v] ?? 1))
        var full = g
        for a in 0..<c {
            for b in a..<c { full[a * c + b] = g[a * c + b] / count; full[b * c + a] = full[a * c + b] }
        }
        for i in byValue[v] ?? [] { result[i] = full }
    }
    return result
}
