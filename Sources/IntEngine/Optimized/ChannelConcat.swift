import QuantCore

/// Channel concatenation without per-call allocation: for every pixel, each input's channel run
/// is copied in order. Bit-exact with `referenceConcat` (a copy).
struct ChannelConcat: NodeKernel {
    let channels: [Int]
    let pixels: Int
    var scratchBytes: Int { 0 }

    init(inShapes: [Shape3]) {
        channels = inShapes.map(\.c)
        pixels = inShapes.first.map { $0.h * $0.w } ?? 0
    }

    func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ output: UnsafeMutablePointer<Int8>,
             _ scratch: UnsafeMutableRawPointer) {
        let total = channels.reduce(0, +)
        var offset = 0
        for (i, c) in channels.enumerated() {
            let src = inputs[i]
            for pixel in 0..<pixels {
                (output + pixel * total + offset).update(from: src + pixel * c, count: c)
            }
            offset += c
        }
    }
}
