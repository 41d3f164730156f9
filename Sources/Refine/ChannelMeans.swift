import Foundation
import QuantCore
import Models
import IntEngine
import ImageIO

/// Per-channel sums of every value over images (for bias correction).
struct ChannelMeans {
    var sums: [[Double]]
    var images = 0

    init(_ graph: Graph) { sums = (0...graph.nodes.count).map { [Double](repeating: 0, count: graph.shape($0).c) } }

    mutating func add(value v: Int, _ buf: UnsafeBufferPointer<Float>) {
        add(value: v, count: buf.count) { Double(buf[$0]) }
    }

    /// Adds an int8 value, dequantized with its grid.
    mutating func add(value v: Int, _ buf: UnsafeBufferPointer<Int8>, grid: QTensorInfo) {
        add(value: v, count: buf.count) { (Double(buf[$0]) - Double(grid.zeroPoint)) * grid.scale }
    }

    private mutating func add(value v: Int, count: Int, _ element: (Int) -> Double) {
        let c = sums[v].count
        let weight = 1 / Double(count / c)  // each position's share of this image's mean
        sums[v].withUnsafeMutableBufferPointer { s in
            for i in 0..<count { s[i % c] += element(i) * weight }
        }
        if v == 0 { images += 1 }
    }

    mutating func merge(_ other: ChannelMeans) {
        for v in sums.indices { for j in sums[v].indices { sums[v][j] += other.sums[v][j] } }
        images += other.images
    }

    func means() -> [Int: [Float]] {
        var out: [Int: [Float]] = [:]
        for v in sums.indices { out[v] = sums[v].map { Float($0 / Double(max(images, 1))) } }
        return out
    }
}

/// Per-channel means of every value of the int8 model on `images`, dequantized (for bias correction).
func int8Means(_ folded: Graph, _ model: QModel, images: ImageSet, threads: Int) throws -> [Int: [Float]] {
    let engines = try (0..<workerCount(images.count, threads: threads)).map { _ in try IntEngine(model: model) }
    let grids = [model.input] + model.nodes.map(\.output)
    let parts = parallelSlices(count: images.count, threads: threads) { w, range in
        var means = ChannelMeans(folded)
        for i in range {
            let input = images.image(i).map { Int8(truncatingIfNeeded: Int($0) - 128) }
            _ = engines[w].run(input: input) { v, q in means.add(value: v, q, grid: grids[v]) }
        }
        return means
    }
    var merged = parts[0]
    for p in parts.dropFirst() { merged.merge(p) }
    return merged.means()
}

