import QuantCore

/// Depthwise convolution (groups == inC == outC), any square kernel and stride; 3×3 and 5×5
/// get fully unrolled tap loops. Where the CPU has AVX-512 VNNI (`hostHasVNNI`) it runs
/// `q8h_depthwise` (IntKernels/depthwise.c: 4 taps per `vpdpbusd`, horizontal quads or, for
/// stride 2, 2×2 blocks); the portable Swift path below otherwise.
///
/// Borders: instead of a separate border path, each input row the window needs is copied once
/// into a padded row of unsigned bytes `u = x + 128` (the bits of `x ^ 0x80`), positions outside
/// the input holding the pad value the same way (`padValue + 128`, or `zp_in + 128`), channels
/// rounded up to 16 and the row long enough for whole 4-pixel output tiles. A ring of k such rows is kept (row r in slot r mod k), so every output pixel
/// — border or interior — runs the same loop: 16 channels per vector (one AVX-512 register), 4 output pixels per step,
/// k² widening multiply-adds
/// (16-bit, `vpdpwssd` with VNNI, as u fits 8 bits unsigned and w 8 bits signed), two 8-lane
/// vector requantizations. `Σ (x − zp)·w = Σ u·w − (zp + 128)·Σ w`, the second term folded into the
/// bias. Bit-exact with `referenceConv`.
struct DepthwiseConv: NodeKernel {
    let p: QConv
    let inShape: Shape3, outShape: Shape3
    let k: Int
    /// Channels rounded up to a multiple of 16.
    let paddedChannels: Int
    /// Width of a padded input row: (outW' − 1)·stride + k, with outW' the output width rounded
    /// up to a multiple of 4 (the tile width), so a tile never reads past its row.
    let rowWidth: Int
    /// `[block of 16][tap][16]` int8 weights.
    let weights: AlignedBuffer<Int8>
    /// Per padded channel: bias − (zp_in + 128) · Σ w.
    let bias: AlignedBuffer<Int32>
    /// A whole row of padding (`rowWidth` pixels of `padValue + 128` or `zp_in + 128`).
    let paddingRow: AlignedBuffer<UInt8>
    let requant: VectorRequant
    /// The AVX-512 VNNI kernel, when used (then the portable buffers above stay empty).
    let vnni: VNNIDepthwise?

    var scratchBytes: Int { vnni?.scratchBytes ?? k * rowWidth * paddedChannels }

    init(_ p: QConv, inShape: Shape3, outShape: Shape3, vnni useVNNI: Bool = hostHasVNNI) {
        vnni = useVNNI ? VNNIDepthwise(p, inShape: inShape, outShape: outShape) : nil
        let portable = vnni == nil
        self.p = p
        self.inShape = inShape
        self.outShape = outShape
        k = p.kernelH
        let c = p.outChannels
        paddedChannels = (c + 15) / 16 * 16
        rowWidth = ((outShape.w + 3) / 4 * 4 - 1) * p.strideW + k
        weights = AlignedBuffer(count: portable ? paddedChannels * k * k : 0)
        bias = AlignedBuffer(count: portable ? paddedChannels : 0)
        paddingRow = AlignedBuffer(count: portable ? rowWidth * paddedChannels : 0)
        for ch in 0..<(portable ? c : 0) {
            var sum: Int32 = 0
            for tap in 0..<(k * k) {
                let w = p.weights[ch * k * k + tap]
                weights.pointer[((ch / 16) * k * k + tap) * 16 + ch % 16] = w
                sum = sum &+ Int32(w)
            }
            bias.pointer[ch] = p.bias[ch] &- (p.inputZeroPoint &+ 128) &* sum
            let pad = p.padValue.map { $0[ch] } ?? Int8(truncatingIfNeeded: p.inputZeroPoint)
            for j in 0..<rowWidth { paddingRow.pointer[j * paddedChannels + ch] = UInt8(bitPattern: pad) ^ 0x80 }
        }
        requant = VectorRequant(multiplier: p.multiplier, shift: p.shift, paddedCount: paddedChannels,
                                zeroPoint: p.outputZeroPoint, lo: p.actMin, hi: p.actMax)
    }

    func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ output: UnsafeMutablePointer<Int8>,
             _ scratch: UnsafeMutableRawPointer) {
        if let vnni { return vnni.run(inputs[0], output, scratch) }
        let ring = scratch.assumingMemoryBound(to: UInt8.self)
        let rowSize = rowWidth * paddedChannels
        var converted = 0
        for oy in 0..<outShape.h {
            let last = oy * p.strideH + k - 1
            while converted <= last {
                convertRow(inputs[0], paddedRow: converted, into: ring + (converted % k) * rowSize)
                converted += 1
            }
            let out = output + oy * outShape.w * outShape.c
            switch k {
            case 3: outputRow(ring, oy: oy, out, taps: 3)
            case 5: outputRow(ring, oy: oy, out, taps: 5)
            default: outputRow(ring, oy: oy, out, taps: k)
            }
        }
    }

    /// Fills one padded row of unsigned bytes (padded row index r = input row r − padTop): the
    /// padding row, with the input pixels that exist in this row converted over it.
    private func convertRow(_ input: UnsafePointer<Int8>, paddedRow r: Int, into row: UnsafeMutablePointer<UInt8>) {
        row.update(from: paddingRow.pointer, count: rowWidth * paddedChannels)
        let iy = r - p.padTop
        guard iy >= 0 && iy < inShape.h else { return }
        let c = inShape.c
        let first = max(0, p.padLeft), last = min(rowWidth, p.padLeft + inShape.w)
        guard first < last else { return }
        let src = UnsafeRawPointer(input + (iy * inShape.w + first - p.padLeft) * c).assumingMemoryBound(to: UInt8.self)
        let dst = row + first * paddedChannels
        if c == paddedChannels {
            for i in 0..<((last - first) * c) { dst[i] = src[i] ^ 0x80 }
        } else {
            for j in 0..<(last - first) {
                for ch in 0..<c { dst[j * paddedChannels + ch] = src[j * c + ch] ^ 0x80 }
            }
        }
    }

    /// Computes output row `oy` from the ring; `taps` is k, a literal at the unrolled call sites.
    /// Output pixels go four at a time: each widened weight serves four outputs and, at stride 1,
    /// each widened input several taps (LLVM merges the repeated loads); every output keeps two
    /// accumulators (even and odd kernel rows) so the multiply-adds form short chains.
    @inline(__always)
    private func outputRow(_ ring: UnsafeMutablePointer<UInt8>, oy: Int, _ out: UnsafeMutablePointer<Int8>, taps: Int) {
        let rowSize = rowWidth * paddedChannels
        let sw = p.strideW
        let c = outShape.c, width = outShape.w
        let firstRow = oy * p.strideH
        let rq = requant.lanes
        for block in 0..<(paddedChannels / 16) {
            let lane = block * 16
            let valid = min(16, c - lane)
            let w = weights.pointer + block * taps * taps * 16
            let bias = UnsafeRawPointer(self.bias.pointer + lane).load(as: Int32x16.self)
            for ox in stride(from: 0, to: width, by: 4) {
                var even = (bias, bias, bias, bias), odd = (Int32x16(), Int32x16(), Int32x16(), Int32x16())
                for ky in 0..<taps {
                    let row = ring + ((firstRow + ky) % taps) * rowSize + ox * sw * paddedChannels + lane
                    var a = (Int32x16(), Int32x16(), Int32x16(), Int32x16())
                    for kx in 0..<taps {
                        let wk = loadWidened16(w + (ky * taps + kx) * 16)
                        a.0 &+= loadWidened16(row + kx * paddedChannels) &* wk
                        a.1 &+= loadWidened16(row + (sw + kx) * paddedChannels) &* wk
                        a.2 &+= loadWidened16(row + (2 * sw + kx) * paddedChannels) &* wk
                        a.3 &+= loadWidened16(row + (3 * sw + kx) * paddedChannels) &* wk
                    }
                    if ky % 2 == 0 {
                        even.0 &+= a.0; even.1 &+= a.1; even.2 &+= a.2; even.3 &+= a.3
                    } else {
                        odd.0 &+= a.0; odd.1 &+= a.1; odd.2 &+= a.2; odd.3 &+= a.3
                    }
                }
                let o = out + ox * c + lane
                store(even.0 &+ odd.0, o, rq, lane: lane, valid: valid)
                if ox + 1 < width { store(even.1 &+ odd.1, o + c, rq, lane: lane, valid: valid) }
                if ox + 2 < width { store(even.2 &+ odd.2, o + 2 * c, rq, lane: lane, valid: valid) }
                if ox + 3 < width { store(even.3 &+ odd.3, o + 3 * c, rq, lane: lane, valid: valid) }
            }
        }
    }

    /// Requantizes 16 accumulators (channels `lane ..< lane + 16`) and stores the `valid` first.
    @inline(__always)
    private func store(_ acc: Int32x16, _ out: UnsafeMutablePointer<Int8>, _ rq: RequantLanes, lane: Int, valid: Int) {
        let (lo, hi) = halves(acc)
        storeLanes(rq.apply8(lo, first: lane), out, count: min(8, valid))
        if valid > 8 { storeLanes(rq.apply8(hi, first: lane + 8), out + 8, count: valid - 8) }
    }
}
