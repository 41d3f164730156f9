import IntKernels
import QuantCore

/// Squeeze-excitation multiply: `(x − zp_x)·(g − zp_g)` in int32, one uniform requantization.
/// With AVX-512 (`vnni`, see `hostHasVNNI`) `q8h_channel_mul` (IntKernels/mul.c: 16 lanes, 64
/// bytes per pack); otherwise 8 channels per step in Swift, the last `C mod 8` channels of each
/// pixel through `referenceMul`. Bit-exact with `referenceMul`.
struct SqueezeMul: NodeKernel {
    let p: QMul
    let shape: Shape3
    let requant: VectorRequant
    /// The requantization for `q8h_channel_mul` (one block of 16 equal lanes), when used.
    let vnni: VNNIRequant?
    var scratchBytes: Int { 0 }

    init(_ p: QMul, shape: Shape3, vnni useVNNI: Bool = hostHasVNNI) {
        self.p = p
        self.shape = shape
        requant = VectorRequant(uniformMultiplier: p.multiplier, shift: p.shift, zeroPoint: p.outputZeroPoint, lo: p.actMin, hi: p.actMax)
        vnni = useVNNI ? VNNIRequant(multiplier: [Int32](repeating: p.multiplier, count: 16), shift: [Int32](repeating: p.shift, count: 16),
                                     paddedCount: 16, zeroPoint: p.outputZeroPoint, lo: p.actMin, hi: p.actMax) : nil
    }

    func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ out: UnsafeMutablePointer<Int8>,
             _ scratch: UnsafeMutableRawPointer) {
        let x = inputs[0], gate = inputs[1]
        let c = shape.c, vectorChannels = c / 8 * 8
        if let vnni {
            var rq = vnni.c()
            return q8h_channel_mul(x, gate, Int32(shape.h * shape.w), Int32(c), p.inputZeroPoint, p.gateZeroPoint, &rq, out)
        }
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
