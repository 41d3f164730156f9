/// Depthwise convolution (one filter per channel) on NHWC, vectorized over channels, no im2col.
/// Weights are packed per block of 8 channels, `[channel / 8][ky·k + kx][channel % 8]`, the
/// channel count rounded up to 8 with zeros, so a block's taps sit at constant offsets.
/// Inside the image, 3×3 and 5×5 windows are computed four output pixels at a time so each
/// weight vector and each input vector is loaded once per strip; the border uses a clipped loop.
struct DepthwiseConv: Sendable {
    let channels: Int, kernel: Int, stride: Int, padTop: Int, padLeft: Int
    /// Channel count rounded up to a multiple of 8.
    let paddedChannels: Int
    /// `paddedChannels / 8 × kernel² × 8`.
    let weights: AlignedFloats
    /// `paddedChannels`.
    let bias: AlignedFloats
    let lo: Float, hi: Float

    init(channels: Int, kernel: Int, stride: Int, padTop: Int, padLeft: Int, weight: [Float], bias: [Float], lo: Float, hi: Float) {
        self.channels = channels; self.kernel = kernel; self.stride = stride; self.padTop = padTop; self.padLeft = padLeft
        self.lo = lo; self.hi = hi
        paddedChannels = (channels + 7) / 8 * 8
        var w = [Float](repeating: 0, count: kernel * kernel * paddedChannels)
        for c in 0..<channels {
            for t in 0..<(kernel * kernel) { w[((c / 8) * kernel * kernel + t) * 8 + c % 8] = weight[c * kernel * kernel + t] }
        }
        weights = AlignedFloats(w)
        self.bias = AlignedFloats(bias + [Float](repeating: 0, count: paddedChannels - channels))
    }

    /// `input` is H×W×C (readable 8 floats past its end), `output` OH×OW×C.
    func run(_ input: UnsafePointer<Float>, height: Int, width: Int, _ output: UnsafeMutablePointer<Float>,
             outHeight: Int, outWidth: Int) {
        let k = kernel, s = stride, c = channels
        let window = Window(c: c, taps: k * k, rowStride: width * c, w: UnsafePointer(weights.pointer),
                            b: UnsafePointer(bias.pointer), l: SIMD8(repeating: lo), h: SIMD8(repeating: hi))
        // Output columns whose window lies inside the input: [xLo, xHi).
        let xLo = min(outWidth, (padLeft + s - 1) / s)
        let xHi = max(xLo, min(outWidth, (width - k + padLeft) / s + 1))
        let strips = (k == 3 || k == 5) && (s == 1 || s == 2)
        for oy in 0..<outHeight {
            let iy0 = oy * s - padTop
            let kyLo = max(0, -iy0), kyHi = min(k, height - iy0)
            var ox = 0
            while ox < outWidth {
                let ix0 = ox * s - padLeft
                let out = output + (oy * outWidth + ox) * c
                let origin = input + (iy0 * width + ix0) * c
                if strips && kyLo == 0 && kyHi == k && ox >= xLo && ox + 4 <= xHi {
                    switch (k, s) {
                    case (3, 1): window.strip3x3s1(origin, out)
                    case (3, 2): window.strip3x3s2(origin, out)
                    case (5, 1): window.strip5x5s1(origin, out)
                    default: window.strip5x5s2(origin, out)
                    }
                    ox += 4
                } else {
                    let kxLo = max(0, -ix0), kxHi = min(k, width - ix0)
                    window.clipped(origin, out, k: k, ky: kyLo..<kyHi, kx: kxLo..<kxHi)
                    ox += 1
                }
            }
        }
    }
}

/// The geometry one output pixel's window needs, the packed weights and bias, and the clamp.
private struct Window {
    let c: Int, taps: Int, rowStride: Int
    let w: UnsafePointer<Float>, b: UnsafePointer<Float>
    let l: SIMD8<Float>, h: SIMD8<Float>

    /// Four horizontally adjacent output pixels whose windows lie inside the input; `kernel`
    /// and `stride` are constants at each call site, so the taps unroll and repeated input
    /// loads merge.
    @inline(__always)
    func strip4(_ origin: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, kernel k: Int, stride s: Int) {
        var ch = 0
        while ch < c {
            let bias = load8(b + ch)
            var a0 = bias, a1 = bias, a2 = bias, a3 = bias
            for ky in 0..<k {
                let row = origin + ky * rowStride + ch, wrow = w + ch * taps + ky * k * 8
                for kx in 0..<k {
                    let wv = load8(wrow + kx * 8)
                    a0 += load8(row + kx * c) * wv
                    a1 += load8(row + (s + kx) * c) * wv
                    a2 += load8(row + (2 * s + kx) * c) * wv
                    a3 += load8(row + (3 * s + kx) * c) * wv
                }
            }
            let remaining = c - ch
            storeChannels(clamp8(a0, l, h), out + ch, remaining)
            storeChannels(clamp8(a1, l, h), out + c + ch, remaining)
            storeChannels(clamp8(a2, l, h), out + 2 * c + ch, remaining)
            storeChannels(clamp8(a3, l, h), out + 3 * c + ch, remaining)
            ch += 8
        }
    }

    // One specialization per kernel size and stride, so the constants reach `strip4`.
    @inline(never) func strip3x3s1(_ o: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) { strip4(o, out, kernel: 3, stride: 1) }
    @inline(never) func strip3x3s2(_ o: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) { strip4(o, out, kernel: 3, stride: 2) }
    @inline(never) func strip5x5s1(_ o: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) { strip4(o, out, kernel: 5, stride: 1) }
    @inline(never) func strip5x5s2(_ o: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) { strip4(o, out, kernel: 5, stride: 2) }

    /// One output pixel, with only the taps `ky` × `kx` that fall inside the input.
    @inline(__always)
    func clipped(_ origin: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, k: Int, ky: Range<Int>, kx: Range<Int>) {
        var ch = 0
        while ch < c {
            var acc = load8(b + ch)
            for y in ky {
                for x in kx { acc += load8(origin + y * rowStride + x * c + ch) * load8(w + ch * taps + (y * k + x) * 8) }
            }
            storeChannels(clamp8(acc, l, h), out + ch, c - ch)
            ch += 8
        }
    }
}
