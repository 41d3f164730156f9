import QuantCore

/// Pointwise and grouped pointwise convolution (1×1, stride 1, no padding): the input is
/// converted once to the GEMM's unsigned form (scratch memory), then per group a GEMM of the H·W
/// pixels (rows of the group's input channels) with the packed weights. Bit-exact with
/// `referenceConv`.
struct PointwiseConv: NodeKernel {
    let packed: PackedGemmWeights
    let pixels: Int
    let inChannels: Int, outChannels: Int
    /// The unsigned input, plus the byte `gemmRows` may read past it.
    var scratchBytes: Int { pixels * inChannels + 1 }

    init(_ p: QConv, inShape: Shape3) {
        packed = PackedGemmWeights(p)
        pixels = inShape.h * inShape.w
        inChannels = p.inChannels
        outChannels = p.outChannels
    }

    func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ output: UnsafeMutablePointer<Int8>,
             _ scratch: UnsafeMutableRawPointer) {
        let icPerGroup = inChannels / packed.groups
        let rows = scratch.assumingMemoryBound(to: UInt8.self)
        convertToUnsigned(inputs[0], rows, count: pixels * inChannels)
        for g in 0..<packed.groups {
            gemmRows(rows + g * icPerGroup, rowStride: inChannels, count: pixels, group: g, packed,
                     output + g * packed.ocPerGroup, outStride: outChannels)
        }
    }
}
