import QuantCore

/// Global average pooling: the per-channel int32 sums are accumulated pixel by pixel (a
/// contiguous, vectorized loop over the channels, in scratch memory), then `Σ q − H·W·zp_in`
/// (the same integer as the reference's `Σ (q − zp_in)`) is requantized 8 channels at a time.
/// Bit-exact with `referenceGlobalAvgPool`.
struct GlobalAveragePool: NodeKernel {
    let p: QRequantize
    let inShape: Shape3
    let requant: VectorRequant
    var scratchBytes: Int { (inShape.c + 7) / 8 * 8 * 4 }

    init(_ p: QRequantize, inShape: Shape3) {
        self.p = p
        self.inShape = inShape
        requant = VectorRequant(uniformMultiplier: p.multiplier, shift: p.shift, zeroPoint: p.outputZeroPoint, lo: p.actMin, hi: p.actMax)
    }

    func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ output: UnsafeMutablePointer<Int8>,
             _ scratch: UnsafeMutableRawPointer) {
        let x = inputs[0], c = inShape.c, pixels = inShape.h * inShape.w
        let sums = scratch.assumingMemoryBound(to: Int32.self)
        sums.update(repeating: 0, count: (c + 7) / 8 * 8)
        for pixel in 0..<pixels {
            let row = x + pixel * c
            for ch in 0..<c { sums[ch] &+= Int32(row[ch]) }
        }
        let offset = Int32x8(repeating: Int32(pixels) &* p.inputZeroPoint)
        for ch in stride(from: 0, to: c, by: 8) {
            let sum = UnsafeRawPointer(sums + ch).load(as: Int32x8.self) &- offset
            storeLanes(requant.apply8(sum, first: 0), output + ch, count: min(8, c - ch))
        }
    }
}
