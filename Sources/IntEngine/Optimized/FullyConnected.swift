import IntKernels
import QuantCore

/// Fully connected layer (1×1 convolution on a 1×1 input, one group). Where the CPU has AVX-512
/// VNNI (`hostHasVNNI`): the input converted to unsigned bytes and one row of `q8h_gemm`.
/// Otherwise one int8 dot product of
/// length inC per output channel over the original OI weight rows (the loop vectorizes to
/// widening multiply-adds), the input zero point folded into the bias; the sums go to scratch
/// memory and are requantized 8 channels at a time. Bit-exact with `referenceConv`.
struct FullyConnected: NodeKernel {
    let vnni: VNNIGemmWeights?
    let weights: [Int8]
    let inChannels: Int, outChannels: Int
    /// Per output channel (padded to 8): bias − zp_in · Σ w.
    let bias: AlignedBuffer<Int32>
    let requant: VectorRequant
    var scratchBytes: Int { vnni == nil ? (outChannels + 7) / 8 * 8 * 4 : inChannels + 4 }

    init(_ p: QConv, vnni useVNNI: Bool = hostHasVNNI) {
        vnni = useVNNI ? VNNIGemmWeights(p) : nil
        weights = useVNNI ? [] : p.weights
        inChannels = p.inChannels
        outChannels = p.outChannels
        let padded = (p.outChannels + 7) / 8 * 8
        bias = AlignedBuffer(count: padded)
        for oc in 0..<p.outChannels {
            var sum: Int32 = 0
            for i in 0..<p.inChannels { sum = sum &+ Int32(p.weights[oc * p.inChannels + i]) }
            bias.pointer[oc] = p.bias[oc] &- p.inputZeroPoint &* sum
        }
        requant = VectorRequant(multiplier: p.multiplier, shift: p.shift, paddedCount: padded,
                                zeroPoint: p.outputZeroPoint, lo: p.actMin, hi: p.actMax)
    }

    func batchScratchBytes(_ count: Int) -> Int { vnni == nil ? scratchBytes : count * (inChannels + outChannels) + 68 }

    /// With VNNI, one GEMM of `count` rows (the weights are read once for the whole batch); the
    /// inputs are gathered into scratch memory, and when the outputs are not back to back
    /// (each image in its own arena or buffer) they are written there and scattered.
    func runBatch(_ inputs: UnsafePointer<UnsafePointer<Int8>>, inputStrides: UnsafePointer<Int>, inputCount: Int,
                  _ output: UnsafeMutablePointer<Int8>, outputStride: Int, count: Int,
                  _ scratch: UnsafeMutableRawPointer, imageInputs: UnsafeMutablePointer<UnsafePointer<Int8>>) {
        guard let vnni else {
            for b in 0..<count {
                imageInputs[0] = inputs[0] + b * inputStrides[0]
                run(UnsafePointer(imageInputs), output + b * outputStride, scratch)
            }
            return
        }
        let rows = scratch.assumingMemoryBound(to: UInt8.self)
        for b in 0..<count { q8h_to_unsigned(inputs[0] + b * inputStrides[0], rows + b * inChannels, inChannels) }
        if outputStride == outChannels || count == 1 {
            return vnni.run(rows, rowStride: inChannels, count: count, group: 0, output, outStride: outChannels)
        }
        let results = UnsafeMutableRawPointer(rows + (count * inChannels + 4 + 63) / 64 * 64).assumingMemoryBound(to: Int8.self)
        vnni.run(rows, rowStride: inChannels, count: count, group: 0, results, outStride: outChannels)
        for b in 0..<count { (output + b * outputStride).update(from: results + b * outChannels, count: outChannels) }
    }

    func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ output: UnsafeMutablePointer<Int8>,
             _ scratch: UnsafeMutableRawPointer) {
        let x = inputs[0]
        if let vnni {
            let row = scratch.assumingMemoryBound(to: UInt8.self)
            q8h_to_unsigned(x, row, inChannels)
            vnni.run(row, rowStride: inChannels, count: 1, group: 0, output, outStride: outChannels)
            return
        }
        let sums = scratch.assumingMemoryBound(to: Int32.self)
        weights.withUnsafeBufferPointer { w in
            guard let base = w.baseAddress else { return }
            for oc in 0..<outChannels { sums[oc] = dot(x, base + oc * inChannels, inChannels) &+ bias.pointer[oc] }
        }
        for oc in stride(from: 0, to: outChannels, by: 8) {
            storeLanes(requant.apply8(UnsafeRawPointer(sums + oc).load(as: Int32x8.self), first: oc), output + oc,
                       count: min(8, outChannels - oc))
        }
    }
}

/// `Σ a[i]·b[i]` over `count` int8 pairs, wrapping in int32.
@inline(__always)
private func dot(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, _ count: Int) -> Int32 {
    var sum: Int32 = 0
    for i in 0..<count { sum &+= Int32(a[i]) &* Int32(b[i]) }
    return sum
}
