import QuantCore

/// Channel split: channels [start, start + count) of every pixel, copied. Bit-exact with
/// `referenceSplit`.
struct ChannelSplit: NodeKernel {
    let start: Int, inChannels: Int, count: Int, pixels: Int
    var scratchBytes: Int { 0 }

    func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ output: UnsafeMutablePointer<Int8>,
             _ scratch: UnsafeMutableRawPointer) {
        let src = inputs[0] + start
        for pixel in 0..<pixels {
            (output + pixel * count).update(from: src + pixel * inChannels, count: count)
        }
    }
}
