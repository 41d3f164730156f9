import IntKernels
import QuantCore

/// Pointwise and grouped pointwise convolution (1×1, stride 1, no padding): the input is
/// converted once to the GEMM's unsigned form (scratch memory), then per group a GEMM of the H·W
/// pixels (rows of the group's input channels) with the packed weights: the AVX-512 VNNI
/// `q8h_gemm` where the CPU has it (`hostHasVNNI`), else the portable `gemmRows`. Bit-exact
/// with `referenceConv`. One input and one output channel per group (a 1×1 depthwise convolution,
/// e.g. hard-sigmoid) runs, with VNNI, the depthwise kernel instead of one GEMM per channel.
struct PointwiseConv: NodeKernel {
    let packed: PackedGemmWeights?
    let vnni: VNNIGemmWeights?
    /// The VNNI depthwise kernel for a 1×1 depthwise convolution (groups == inC == outC).
    let perChannel: VNNIDepthwise?
    let pixels: Int
    let inChannels: Int, outChannels: Int, groups: Int, ocPerGroup: Int
    /// The unsigned input, plus the bytes the GEMMs may read past it.
    var scratchBytes: Int { perChannel?.scratchBytes ?? pixels * inChannels + 4 }

    init(_ p: QConv, inShape: Shape3, vnni useVNNI: Bool = hostHasVNNI) {
        perChannel = useVNNI && p.groups > 1 && p.groups == p.inChannels && p.groups == p.outChannels
            ? VNNIDepthwise(p, inShape: inShape, outShape: Shape3(inShape.h, inShape.w, p.outChannels)) : nil
        packed = useVNNI ? nil : PackedGemmWeights(p)
        vnni = useVNNI && perChannel == nil ? VNNIGemmWeights(p) : nil
        pixels = inShape.h * inShape.w
        inChannels = p.inChannels
        outChannels = p.outChannels
        groups = p.groups
        ocPerGroup = p.outChannels / p.groups
    }

    func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ output: UnsafeMutablePointer<Int8>,
             _ scratch: UnsafeMutableRawPointer) {
        if let perChannel { return perChannel.run(inputs[0], output, scratch) }
        gemm(inputs[0], rows: pixels, output, scratch)
    }

    /// The unsigned inputs of the batch and, when the images are not back to back, their outputs.
    func batchScratchBytes(_ count: Int) -> Int { perChannel?.scratchBytes ?? count * pixels * (inChannels + outChannels) + 68 }

    /// One GEMM of count · H · W rows. Images back to back are read and written in place; images
    /// further apart (each in its own arena in `logits(images:)`, its own buffer in `runKept`)
    /// are gathered into scratch memory and their outputs scattered back.
    func runBatch(_ inputs: UnsafePointer<UnsafePointer<Int8>>, inputStrides: UnsafePointer<Int>, inputCount: Int,
                  _ output: UnsafeMutablePointer<Int8>, outputStride: Int, count: Int,
                  _ scratch: UnsafeMutableRawPointer, imageInputs: UnsafeMutablePointer<UnsafePointer<Int8>>) {
        if let perChannel {
            for b in 0..<count { perChannel.run(inputs[0] + b * inputStrides[0], output + b * outputStride, scratch) }
            return
        }
        let inSize = pixels * inChannels, outSize = pixels * outChannels
        if count == 1 || (inputStrides[0] == inSize && outputStride == outSize) {
            return gemm(inputs[0], rows: count * pixels, output, scratch)
        }
        let rows = scratch.assumingMemoryBound(to: UInt8.self)
        let results = UnsafeMutableRawPointer(rows + (count * inSize + 4 + 63) / 64 * 64).assumingMemoryBound(to: Int8.self)
        for b in 0..<count { toUnsigned(inputs[0] + b * inputStrides[0], rows + b * inSize, inSize) }
        gemmConverted(rows, rows: count * pixels, results)
        for b in 0..<count { (output + b * outputStride).update(from: results + b * outSize, count: outSize) }
    }

    /// `rows` pixels of inC int8 values → `rows` pixels of outC.
    private func gemm(_ input: UnsafePointer<Int8>, rows count: Int, _ output: UnsafeMutablePointer<Int8>,
                      _ scratch: UnsafeMutableRawPointer) {
        let rows = scratch.assumingMemoryBound(to: UInt8.self)
        toUnsigned(input, rows, count * inChannels)
        gemmConverted(rows, rows: count, output)
    }

    /// `count` int8 values to the GEMM's unsigned form.
    private func toUnsigned(_ input: UnsafePointer<Int8>, _ rows: UnsafeMutablePointer<UInt8>, _ count: Int) {
        if vnni != nil { q8h_to_unsigned(input, rows, count) } else { convertToUnsigned(input, rows, count: count) }
    }

    /// `count` pixels already in unsigned form → `count` pixels of outC.
    private func gemmConverted(_ rows: UnsafeMutablePointer<UInt8>, rows count: Int, _ output: UnsafeMutablePointer<Int8>) {
        let icPerGroup = inChannels / groups
        if let vnni {
            for g in 0..<groups {
                vnni.run(rows + g * icPerGroup, rowStride: inChannels, count: count, group: g,
                         output + g * ocPerGroup, outStride: outChannels)
            }
            return
        }
        guard let packed else { return }
        for g in 0..<groups {
            gemmRows(rows + g * icPerGroup, rowStride: inChannels, count: count, group: g, packed,
                     output + g * ocPerGroup, outStride: outChannels)
        }
    }
}
