import QuantCore

/// Squeeze-excitation multiply, 8 channels per step: `(x − zp_x)·(g − zp_g)` in int32, one
/// uniform vector requantization; the last `C mod 8` channels of each pixel go through
/// `referenceMul`. Bit-exact with `referenceMul`.
struct SqueezeMul: NodeKernel {
    let p: QMul
    let shape: Shape3
    let requant: VectorRequant
    var scratchBytes: Int { 0 }

    init(_ p: QMul, shape: Shape3) {
        self.p = p
        self.shape = shape
        requant = VectorRequant(uniformMultiplier: p.multiplier, shift: p.shift, zeroPoint: p.outputZeroPoint, lo: p.actMin, hi: p.actMax)
    }

    func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ out: UnsafeMutablePointer<Int8>,
             _ scratch: UnsafeMutableRawPointer) {
        let x = inputs[0], gate = inputs[1]
        let c = shape.c, vectorChannels = c / 8 * 8
        let zpX = Int32x8(repeating: p.inputZeroPoint), zpG = Int32x8(repeating: p.gateZeroPoint)
        for pixel in 0..<(shape.h * shape.w) {
            let row = x + pixel * c, dst = out + pixel * c
            var ch = 0
            while ch < vectorChannels {
                let product = (loadWidened(row + ch) &- zpX) &* (loadWidened(gate + ch) &- zpG)
                UnsafeMutableRawPointer(dst + ch).storeBytes(of: requant.apply8(product, first: 0), as: SIMD8<Int8>.self)
                ch += 8
            }
            if vectorChannels < c {
                referenceMul(row + vectorChannels, Shape3(1, 1, c - vectorChannels), gate + vectorChannels, p, dst + vectorChannels)
            }
        }
    }
}
