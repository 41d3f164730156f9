import QuantCore
import Models

/// Per-channel sums of every value over images (for bias correction): each image adds its
/// per-channel mean; the caller counts the images in `images`.
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
        // Pixel by pixel, channel by channel: each channel's sum adds its elements in order.
        sums[v].withUnsafeMutableBufferPointer { s in
            for pixel in 0..<(count / c) {
                for ch in 0..<c { s[ch] += element(pixel * c + ch) * weight }
            }
        }
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

