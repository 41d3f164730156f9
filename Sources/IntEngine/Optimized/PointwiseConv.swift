import IntKernels
import QuantCore

/// Pointwise and grouped pointwise convolution (1×1, stride 1, no padding): the input is
/// converted once to the GEMM's unsigned form (scratch memory), then per group a GEMM of the H·W
/// pixels (rows of the group's input channels) with the packed weights: the AVX-512 VNNI
/// `q8h_gemm` where the CPU has it (`hostHasVNNI`), else the portable `gemmRows`. Bit-exact
/// with `referenceConv`.
struct PointwiseConv: NodeKernel {
    let packed: PackedGemmWeights?
    let vnni: VNNIGemmWeights?
    let pixels: Int
    let inChannels: Int, outChannels: Int, groups: Int, ocPerGroup: Int
    /// The unsigned input, plus the bytes the GEMMs may read past it.
    var scratchBytes: Int { pixels * inChannels + 4 }

    init(_ p: QConv, inShape: Shape3, vnni useVNNI: Bool = hostHasVNNI) {
        packed = useVNNI ? nil : PackedGemmWeights(p)
        vnni = useVNNI ? VNNIGemmWeights(p) : nil
        pixels = inShape.h * inShape.w
        inChannels = p.inChannels
        outChannels = p.outChannels
        groups = p.groups
        ocPerGroup = p.outChannels / p.groups
    }

    func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ output: UnsafeMutablePointer<Int8>,
             _ scratch: UnsafeMutableRawPointer) {
        gemm(inputs[0], rows: pixels, output, scratch)
    }

    func batchScratchBytes(_ count: Int) -> Int { count * pixels * inChannels + 4 }

    /// The images of a batch are consecutive pixels: one GEMM of count · H · W rows.
    func runBatch(_ inputs: UnsafePointer<UnsafePointer<Int8>>, inputStrides: UnsafePointer<Int>, inputCount: Int,
                  _ output: UnsafeMutablePointer<Int8>, outputStride: Int, count: Int,
                  _ scratch: UnsafeMutableRawPointer, imageInputs: UnsafeMutablePointer<UnsafePointer<Int8>>) {
        precondition(inputStrides[0] == pixels * inChannels && outputStride == pixels * outChannels)
        gemm(inputs[0], rows: count * pixels, output, scratch)
    }

    /// `rows` pixels of inC int8 values → `rows` pixels of outC.
    private func gemm(_ input: UnsafePointer<Int8>, rows count: Int, _ output: UnsafeMutablePointer<Int8>,
                      _ scratch: UnsafeMutableRawPointer) {
        let icPerGroup = inChannels / groups
        let rows = scratch.assumingMemoryBound(to: UInt8.self)
        if let vnni {
            q8h_to_unsigned(input, rows, count * inChannels)
            for g in 0..<groups {
                vnni.run(rows + g * icPerGroup, rowStride: inChannels, count: count, group: g,
                         output + g * ocPerGroup, outStride: outChannels)
            }
            return
        }
        guard let packed else { return }
        convertToUnsigned(input, rows, count: count * inChannels)
        for g in 0..<groups {
            gemmRows(rows + g * icPerGroup, rowStride: inChannels, count: count, group: g, packed,
                     output + g * ocPerGroup, outStride: outChannels)
        }
    }
}
