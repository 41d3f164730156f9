import QuantCore

/// Convolution weights packed for the blocked int8 GEMM (`gemmRows`), shared by the pointwise,
/// general (im2col) and stem kernels.
///
/// With K = kh·kw·(inC/groups) (the OHWI row of one output channel), each group's output
/// channels are cut into blocks of 32; a block is stored as ⌈K/2⌉ rows of 32 weight pairs (row
/// i = weights 2i and 2i + 1 of each of the 32 channels, side by side), zero beyond the group's
/// channels and for the missing weight K of an odd K. The micro-kernel multiplies
/// the inputs offset to unsigned, `u = x + 128` (the bits of `x ^ 0x80`, converted by the caller),
/// and the offsets are folded into the bias: `Σ (x − zp)·w = Σ u·w − (zp + 128)·Σ w`; padding
/// is then stored as its raw int8 value converted the same way. With u in [0, 255] and w in int8, LLVM turns each pair of
/// multiply-adds into one 16-bit pair dot product (`vpmaddwd`, with AVX-512 VNNI `vpdpwssd`);
/// pairs instead of one 16-bit product per 32-bit lane made mobilenet_v2-cifar10's 1×1
/// convolutions ~1.5× faster. All sums wrap in int32 exactly like
/// the reference's, so the result is bit-identical even where the converter's bound would fail.
final class PackedGemmWeights: @unchecked Sendable {
    /// Reduction length (weights per output channel).
    let k: Int
    /// ⌈k / 2⌉: rows of weight pairs.
    let kPairs: Int
    let groups: Int
    let ocPerGroup: Int
    /// 32-channel blocks per group.
    let blocks: Int
    /// `[group][block][kPairs][32][2]`.
    let weights: AlignedBuffer<Int8>
    /// `[group][block · 32]`: bias − (zp_in + 128) · Σ w.
    let bias: AlignedBuffer<Int32>
    /// `[group][block · 32]` requantization parameters.
    let requant: VectorRequant

    init(_ p: QConv) {
        let packing = GemmPacking(p, lanes: 32, depth: 2)
        k = packing.k; kPairs = packing.rows; groups = p.groups; ocPerGroup = packing.ocPerGroup; blocks = packing.blocks
        weights = packing.weights; bias = packing.bias
        requant = VectorRequant(multiplier: packing.multipliers, shift: packing.shifts, paddedCount: packing.multipliers.count,
                                zeroPoint: p.outputZeroPoint, lo: p.actMin, hi: p.actMax)
    }
}

/// A convolution's weights in the blocked layout of both GEMMs (`PackedGemmWeights`: 32 lanes ×
/// 2, `VNNIGemmWeights`: 16 × 4): with K = kh·kw·(inC/groups), each group's output channels in
/// blocks of `lanes`, a block stored as ⌈K/depth⌉ rows of `lanes` channels × `depth` consecutive
/// weights, zero beyond K and beyond the group's channels; the bias with the unsigned-input offset
/// folded in, bias − (zp_in + 128)·Σ w; multipliers and shifts in the same channel order (0 for
/// the padding channels).
struct GemmPacking {
    let k: Int, rows: Int, ocPerGroup: Int, blocks: Int
    let weights: AlignedBuffer<Int8>
    let bias: AlignedBuffer<Int32>
    let multipliers: [Int32], shifts: [Int32]

    init(_ p: QConv, lanes: Int, depth: Int) {
        k = p.kernelH * p.kernelW * (p.inChannels / p.groups)
        rows = (k + depth - 1) / depth
        ocPerGroup = p.outChannels / p.groups
        blocks = (ocPerGroup + lanes - 1) / lanes
        let padded = p.groups * blocks * lanes
        weights = AlignedBuffer(count: padded * rows * depth)
        bias = AlignedBuffer(count: padded)
        var multipliers = [Int32](repeating: 0, count: padded), shifts = [Int32](repeating: 0, count: padded)
        for g in 0..<p.groups {
            for j in 0..<ocPerGroup {
                let oc = g * ocPerGroup + j
                let block = g * blocks + j / lanes, c = j % lanes, lane = block * lanes + c
                var sum: Int32 = 0
                for i in 0..<k {
                    let w = p.weights[oc * k + i]
                    weights.pointer[((block * rows + i / depth) * lanes + c) * depth + i % depth] = w
                    sum = sum &+ Int32(w)
                }
                bias.pointer[lane] = p.bias[oc] &- (p.inputZeroPoint &+ 128) &* sum
                multipliers[lane] = p.multiplier[oc]
                shifts[lane] = p.shift[oc]
            }
        }
        self.multipliers = multipliers; self.shifts = shifts
    }
}

/// Blocked int8 GEMM with requantization, for one group: `count` input rows (row r at
/// `rows + r · rowStride`, K unsigned values `x + 128`) times the group's packed weights, written as int8
/// to `output + r · outStride` (the group's first output channel). For an odd K the byte after
/// each row is read (its weight is zero, so any value gives the same result): callers provide
/// one readable byte past the last row.
///
/// Micro-kernel: 4 rows × 32 channels in sixteen 8-lane int32 accumulators; each step takes two
/// inputs per row (one broadcast pair of 16-bit values) and one row of 32 weight pairs, and
/// adds both products per lane at once (`vpdpwssd` with its two 16-bit halves both in use).
/// The last block of a group computes only the 8-lane sub-blocks it needs. Missing rows repeat
/// the last one and are not stored.
func gemmRows(_ rows: UnsafePointer<UInt8>, rowStride: Int, count: Int, group: Int, _ w: PackedGemmWeights,
              _ output: UnsafeMutablePointer<Int8>, outStride: Int) {
    for block in 0..<w.blocks {
        let lane = (group * w.blocks + block) * 32
        let valid = min(32, w.ocPerGroup - block * 32)
        var r = 0
        while r < count {
            let n = min(4, count - r)
            let x0 = rows + r * rowStride
            let x1 = rows + (r + min(1, n - 1)) * rowStride
            let x2 = rows + (r + min(2, n - 1)) * rowStride
            let x3 = rows + (r + min(3, n - 1)) * rowStride
            let out = output + r * outStride + block * 32
            switch (valid + 7) / 8 {
            case 4: gemm4Rows(x0, x1, x2, x3, w, lane: lane, out, outStride: outStride, rows: n, valid: valid, subBlocks: 4)
            case 3: gemm4Rows(x0, x1, x2, x3, w, lane: lane, out, outStride: outStride, rows: n, valid: valid, subBlocks: 3)
            case 2: gemm4Rows(x0, x1, x2, x3, w, lane: lane, out, outStride: outStride, rows: n, valid: valid, subBlocks: 2)
            default: gemm4Rows(x0, x1, x2, x3, w, lane: lane, out, outStride: outStride, rows: n, valid: valid, subBlocks: 1)
            }
            r += 4
        }
    }
}

/// 4 rows × `subBlocks` · 8 channels of the block starting at packed channel `lane`.
/// `subBlocks` is a literal at every call site, so the unused accumulators fold away.
@inline(__always)
private func gemm4Rows(_ x0: UnsafePointer<UInt8>, _ x1: UnsafePointer<UInt8>, _ x2: UnsafePointer<UInt8>,
                       _ x3: UnsafePointer<UInt8>, _ w: PackedGemmWeights, lane: Int,
                       _ out: UnsafeMutablePointer<Int8>, outStride: Int, rows: Int, valid: Int, subBlocks: Int) {
    let bias = UnsafeRawPointer(w.bias.pointer + lane)
    let b0 = bias.load(as: Int32x8.self), b1 = (bias + 32).load(as: Int32x8.self)
    let b2 = (bias + 64).load(as: Int32x8.self), b3 = (bias + 96).load(as: Int32x8.self)
    var a00 = b0, a01 = b1, a02 = b2, a03 = b3
    var a10 = b0, a11 = b1, a12 = b2, a13 = b3
    var a20 = b0, a21 = b1, a22 = b2, a23 = b3
    var a30 = b0, a31 = b1, a32 = b2, a33 = b3
    var wp = UnsafePointer(w.weights.pointer + lane * w.kPairs * 2)
    for i in 0..<w.kPairs {
        let s0 = loadPairBroadcast(x0 + 2 * i), s1 = loadPairBroadcast(x1 + 2 * i)
        let s2 = loadPairBroadcast(x2 + 2 * i), s3 = loadPairBroadcast(x3 + 2 * i)
        let v0 = loadWidened16(wp)
        a00 &+= pairSums(v0 &* s0); a10 &+= pairSums(v0 &* s1); a20 &+= pairSums(v0 &* s2); a30 &+= pairSums(v0 &* s3)
        if subBlocks > 1 {
            let v1 = loadWidened16(wp + 16)
            a01 &+= pairSums(v1 &* s0); a11 &+= pairSums(v1 &* s1); a21 &+= pairSums(v1 &* s2); a31 &+= pairSums(v1 &* s3)
        }
        if subBlocks > 2 {
            let v2 = loadWidened16(wp + 32)
            a02 &+= pairSums(v2 &* s0); a12 &+= pairSums(v2 &* s1); a22 &+= pairSums(v2 &* s2); a32 &+= pairSums(v2 &* s3)
        }
        if subBlocks > 3 {
            let v3 = loadWidened16(wp + 48)
            a03 &+= pairSums(v3 &* s0); a13 &+= pairSums(v3 &* s1); a23 &+= pairSums(v3 &* s2); a33 &+= pairSums(v3 &* s3)
        }
        wp += 64
    }
    let rq = w.requant.lanes
    storeRow(a00, a01, a02, a03, rq, lane: lane, out, valid: valid, subBlocks: subBlocks)
    if rows > 1 { storeRow(a10, a11, a12, a13, rq, lane: lane, out + outStride, valid: valid, subBlocks: subBlocks) }
    if rows > 2 { storeRow(a20, a21, a22, a23, rq, lane: lane, out + 2 * outStride, valid: valid, subBlocks: subBlocks) }
    if rows > 3 { storeRow(a30, a31, a32, a33, rq, lane: lane, out + 3 * outStride, valid: valid, subBlocks: subBlocks) }
}

/// Requantizes and stores the `valid` channels of one row held in up to four 8-lane accumulators.
@inline(__always)
private func storeRow(_ a0: Int32x8, _ a1: Int32x8, _ a2: Int32x8, _ a3: Int32x8, _ rq: RequantLanes, lane: Int,
                      _ out: UnsafeMutablePointer<Int8>, valid: Int, subBlocks: Int) {
    storeLanes(rq.apply8(a0, first: lane), out, count: min(8, valid))
    if subBlocks > 1 { storeLanes(rq.apply8(a1, first: lane + 8), out + 8, count: min(8, valid - 8)) }
    if subBlocks > 2 { storeLanes(rq.apply8(a2, first: lane + 16), out + 16, count: min(8, valid - 16)) }
    if subBlocks > 3 { storeLanes(rq.apply8(a3, first: lane + 24), out + 24, count: min(8, valid - 24)) }
}


/// Converts `count` int8 values to the unsigned form `x + 128` the GEMM multiplies.
@inline(__always)
func convertToUnsigned(_ src: UnsafePointer<Int8>, _ dst: UnsafeMutablePointer<UInt8>, count: Int) {
    let s = UnsafeRawPointer(src).assumingMemoryBound(to: UInt8.self)
    for i in 0..<count { dst[i] = s[i] ^ 0x80 }
}
