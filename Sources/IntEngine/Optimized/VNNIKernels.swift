import Foundation
import IntKernels
import QuantCore

/// Whether the convolutions run on the AVX-512 VNNI kernels of the C target `IntKernels`
/// (checked once: the CPU has AVX-512 F/BW/VL/DQ/VNNI/VBMI and `INT8_KERNELS` is not `portable`).
/// Otherwise they run the portable Swift SIMD kernels; both are bit-exact with the reference.
let hostHasVNNI: Bool = q8h_has_vnni() != 0 && ProcessInfo.processInfo.environment["INT8_KERNELS"] != "portable"

/// Per-channel requantization laid out for `q8h_scale16` (IntKernels/avx512.h): per block of
/// 16 channels 8 rows of 8 int64, even and odd channels apart; the exact forms of
/// `VectorRequant` (fused when no channel shifts left, general otherwise).
final class VNNIRequant: @unchecked Sendable {
    let params: AlignedBuffer<Int64>
    let zeroPoint: Int32, lo: Int32, hi: Int32
    let general: Bool

    /// `paddedCount`: the channels rounded up to 16 (missing channels get multiplier 0).
    init(multiplier m: [Int32], shift: [Int32], paddedCount: Int, zeroPoint: Int32, lo: Int32, hi: Int32) {
        precondition(paddedCount % 16 == 0)
        params = AlignedBuffer(count: paddedCount * 4)
        general = shift.contains { $0 > 0 }
        self.zeroPoint = zeroPoint
        self.lo = lo &- zeroPoint
        self.hi = hi &- zeroPoint
        for block in 0..<(paddedCount / 16) {
            let row = params.pointer + block * 64
            for lane in 0..<16 {
                let ch = block * 16 + lane
                let s = ch < shift.count ? shift[ch] : 0
                let e = Int64(min(max(-s, 0), 31))
                let half = lane % 2, i = lane / 2
                row[half * 8 + i] = Int64(ch < m.count ? m[ch] : 0)
                if general {
                    row[16 + half * 8 + i] = Int64(max(s, 0))
                    UnsafeMutableRawPointer(row + 32).storeBytes(of: Int32(e), toByteOffset: 4 * lane, as: Int32.self)
                } else {
                    row[16 + half * 8 + i] = (1 << 30) + (e >= 1 ? Int64(1) << (30 + e) : 0)
                    row[32 + half * 8 + i] = e >= 1 ? Int64(1) << 31 : 0
                    row[48 + half * 8 + i] = 31 + e
                }
            }
        }
    }

    /// The C view, with `params` starting at 16-channel block `block`.
    func c(block: Int = 0) -> q8h_requant {
        q8h_requant(params: UnsafePointer(params.pointer + block * 64), zeroPoint: zeroPoint, lo: lo, hi: hi,
                    general: general ? 1 : 0)
    }
}

/// Convolution weights packed for `q8h_gemm` (`GemmPacking` with 16 lanes × 4: with
/// K = kh·kw·(inC/groups), each group's output channels in blocks of 16, a block stored as ⌈K/4⌉
/// rows of 16 channels × 4 consecutive weights; the bias with the unsigned-input offset folded in).
final class VNNIGemmWeights: @unchecked Sendable {
    let k: Int, k4: Int
    let groups: Int, ocPerGroup: Int
    /// 16-channel blocks per group.
    let blocks: Int
    let weights: AlignedBuffer<Int8>
    let bias: AlignedBuffer<Int32>
    let requant: VNNIRequant

    init(_ p: QConv) {
        let packing = GemmPacking(p, lanes: 16, depth: 4)
        k = packing.k; k4 = packing.rows; groups = p.groups; ocPerGroup = packing.ocPerGroup; blocks = packing.blocks
        weights = packing.weights; bias = packing.bias
        requant = VNNIRequant(multiplier: packing.multipliers, shift: packing.shifts, paddedCount: packing.multipliers.count,
                              zeroPoint: p.outputZeroPoint, lo: p.actMin, hi: p.actMax)
    }

    /// `count` rows of K unsigned bytes (row r at `rows + r·rowStride`; 3 readable bytes after
    /// the last row's K) times group `group`'s weights, requantized, to `output + r·outStride`.
    func run(_ rows: UnsafePointer<UInt8>, rowStride: Int, count: Int, group: Int,
             _ output: UnsafeMutablePointer<Int8>, outStride: Int) {
        var rq = requant.c(block: group * blocks)
        q8h_gemm(rows, rowStride, Int32(count), weights.pointer + group * blocks * k4 * 64, Int32(k4), Int32(blocks),
                 Int32(ocPerGroup), bias.pointer + group * blocks * 16, &rq, output, outStride)
    }
}

/// A depthwise convolution prepared for `q8h_depthwise` (IntKernels/depthwise.c): the layout
/// (`q8h_depthwise_plan`: quad rows, shifted quads for stride 1, 2×2 block rows for stride 2), the
/// weights packed by `q8h_depthwise_pack_weights`, the unsigned pad values, each kernel row's sum
/// over a padding row, the bias with the offset folded in.
final class VNNIDepthwise: @unchecked Sendable {
    let weights: AlignedBuffer<Int8>
    let bias: AlignedBuffer<Int32>
    let padValues: AlignedBuffer<UInt8>
    let padRowSums: AlignedBuffer<Int32>
    let requant: VNNIRequant
    /// The C description (pointing into the buffers above), allocated once.
    let plan: UnsafeMutablePointer<q8h_depthwise_t>
    let scratchBytes: Int

    /// nil when the kernel is larger than the C kernel's ring (k > 64).
    init?(_ p: QConv, inShape: Shape3, outShape: Shape3) {
        let k = p.kernelH
        guard k <= 64, p.kernelW == k else { return nil }
        let c = p.outChannels, cp = (c + 15) / 16 * 16
        bias = AlignedBuffer(count: cp)
        padValues = AlignedBuffer(count: cp)
        padRowSums = AlignedBuffer(count: cp * k)
        for ch in 0..<c {
            let pad = p.padValue.map { $0[ch] } ?? Int8(truncatingIfNeeded: p.inputZeroPoint)
            let u = UInt8(bitPattern: pad) ^ 0x80
            padValues.pointer[ch] = u
            var sum: Int32 = 0
            for ky in 0..<k {
                var rowSum: Int32 = 0
                for kx in 0..<k { rowSum = rowSum &+ Int32(p.weights[(ch * k + ky) * k + kx]) }
                padRowSums.pointer[((ch / 16) * k + ky) * 16 + ch % 16] = Int32(u) &* rowSum
                sum = sum &+ rowSum
            }
            bias.pointer[ch] = p.bias[ch] &- (p.inputZeroPoint &+ 128) &* sum
        }
        requant = VNNIRequant(multiplier: p.multiplier, shift: p.shift, paddedCount: cp,
                              zeroPoint: p.outputZeroPoint, lo: p.actMin, hi: p.actMax)
        let plan = UnsafeMutablePointer<q8h_depthwise_t>.allocate(capacity: 1)
        plan.initialize(to: q8h_depthwise_t(
            inH: Int32(inShape.h), inW: Int32(inShape.w), channels: Int32(c), outH: Int32(outShape.h), outW: Int32(outShape.w),
            k: Int32(k), strideH: Int32(p.strideH), strideW: Int32(p.strideW), padTop: Int32(p.padTop), padLeft: Int32(p.padLeft),
            paddedChannels: Int32(cp), blocks: 0, shifts: 1, qWidth: 0,
            padValues: UnsafePointer(padValues.pointer), padRowSums: UnsafePointer(padRowSums.pointer),
            weights: nil, bias: UnsafePointer(bias.pointer), rq: requant.c()))
        q8h_depthwise_plan(plan)
        let packed = AlignedBuffer<Int8>(count: q8h_depthwise_weight_bytes(plan))
        p.weights.withUnsafeBufferPointer { q8h_depthwise_pack_weights(plan, $0.baseAddress!, packed.pointer) }
        plan.pointee.weights = UnsafePointer(packed.pointer)
        weights = packed
        self.plan = plan
        scratchBytes = q8h_depthwise_scratch(plan)
    }

    deinit { plan.deallocate() }

    func run(_ input: UnsafePointer<Int8>, _ output: UnsafeMutablePointer<Int8>, _ scratch: UnsafeMutableRawPointer) {
        q8h_depthwise(plan, input, output, scratch)
    }
}
