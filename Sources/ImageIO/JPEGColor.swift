/// Chroma upsampling and colour conversion as libjpeg does them by default, so that decoded
/// pixels match libjpeg/Pillow: "fancy" (triangular) upsampling for 2:1 horizontal and/or
/// vertical subsampling, sample replication for other integer factors, and YCbCr → RGB in
/// 16-bit fixed point.

/// A component's samples at their stored resolution: `width`×`height` valid samples, rows
/// `stride` apart, starting at `offset` in the decoder's plane buffer.
struct JPEGPlane {
    var offset: Int, stride: Int, width: Int, height: Int
}

/// Upsamples `plane` by integer factors (`fh`, `fv`) to an `outWidth`×`outHeight` plane (rows
/// `outWidth` apart). 2×1, 1×2 and 2×2 use libjpeg's triangular filters (3/4 nearer sample +
/// 1/4 further, with its alternating rounding biases; edges repeat the last sample);
/// everything else replicates samples.
func upsample(_ src: UnsafeBufferPointer<UInt8>, _ plane: JPEGPlane, fh: Int, fv: Int,
              outWidth: Int, outHeight: Int) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: outWidth * outHeight)
    let cw = plane.width, ch = plane.height
    // libjpeg uses the horizontal triangular filter only when a row has more than two samples.
    let fancy = (fh == 2 && fv <= 2 && cw > 2) || (fh == 1 && fv == 2)
    out.withUnsafeMutableBufferPointer { dst in
        for y in 0..<outHeight {
            let r = y / fv
            let near = plane.offset + r * plane.stride
            let o = y * outWidth
            if !fancy {
                for x in 0..<outWidth { dst[o + x] = src[near + x / fh] }
                continue
            }
            // Vertical step: 3 × nearer row + the row beyond, or 4 × the row itself when not subsampled.
            let isUpper = y % 2 == 0
            let farRow = isUpper ? max(r - 1, 0) : min(r + 1, ch - 1)
            let far = plane.offset + farRow * plane.stride
            @inline(__always) func colsum(_ c: Int) -> Int {
                fv == 2 ? 3 * Int(src[near + c]) + Int(src[far + c]) : 4 * Int(src[near + c])
            }
            if fh == 1 {   // 1×2: (3 × near + far + bias) / 4, bias 1 for upper rows, 2 for lower
                let bias = isUpper ? 1 : 2
                for x in 0..<outWidth { dst[o + x] = UInt8((colsum(x) + bias) >> 2) }
                continue
            }
            if fv == 1 {   // 2×1: (3 × nearer + further + 1 or 2) / 4; edge columns copied
                for x in 0..<outWidth {
                    let c = x / 2
                    let v = Int(src[near + c])
                    if x % 2 == 0 {
                        dst[o + x] = c == 0 ? UInt8(v) : UInt8((3 * v + Int(src[near + c - 1]) + 1) >> 2)
                    } else {
                        dst[o + x] = c == cw - 1 ? UInt8(v) : UInt8((3 * v + Int(src[near + c + 1]) + 2) >> 2)
                    }
                }
                continue
            }
            // 2×2: column sums weighted 3:1 again, rounding bias 8 for even and 7 for odd columns.
            for x in 0..<outWidth {
                let c = x / 2
                let here = colsum(c)
                if x % 2 == 0 {
                    dst[o + x] = UInt8((c == 0 ? 4 * here + 8 : 3 * here + colsum(c - 1) + 8) >> 4)
                } else {
                    dst[o + x] = UInt8((c == cw - 1 ? 4 * here + 7 : 3 * here + colsum(c + 1) + 7) >> 4)
                }
            }
        }
    }
    return out
}

/// Fixed-point YCbCr → RGB (JFIF / ITU-R BT.601 full range) with 16 fractional bits, as libjpeg's
/// tables compute it: R = Y + round(1.402·Cr'), B = Y + round(1.772·Cb'),
/// G = Y + floor((−0.34414·Cb' − 0.71414·Cr') + 1/2), each constant rounded to a multiple of 2^−16,
/// where Cb' = Cb − 128 and Cr' = Cr − 128; results clamped to 0…255.
private let fixCrToR: Int32 = 91881, fixCbToB: Int32 = 116130   // 1.402 · 2^16, 1.772 · 2^16
private let fixCbToG: Int32 = 22554, fixCrToG: Int32 = 46802    // 0.34414 · 2^16, 0.71414 · 2^16

/// Interleaves three full-resolution planes into RGB, converting from YCbCr unless `isRGB`.
func convertToRGB(_ y: UnsafeBufferPointer<UInt8>, _ cb: UnsafeBufferPointer<UInt8>, _ cr: UnsafeBufferPointer<UInt8>,
                  planes: [JPEGPlane], width: Int, height: Int, isRGB: Bool) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: width * height * 3)
    out.withUnsafeMutableBufferPointer { dst in
        guard let d = dst.baseAddress, let p0 = y.baseAddress, let p1 = cb.baseAddress, let p2 = cr.baseAddress else { return }
        let half: Int32 = 1 << 15
        for row in 0..<height {
            let a = p0 + planes[0].offset + row * planes[0].stride
            let b = p1 + planes[1].offset + row * planes[1].stride
            let c = p2 + planes[2].offset + row * planes[2].stride
            let o = d + row * width * 3
            if isRGB {
                for x in 0..<width {
                    o[3 * x] = a[x]; o[3 * x + 1] = b[x]; o[3 * x + 2] = c[x]
                }
                continue
            }
            for x in 0..<width {
                let luma = Int32(a[x]), blue = Int32(b[x]) &- 128, red = Int32(c[x]) &- 128
                let r = luma &+ ((fixCrToR &* red &+ half) &>> 16)
                let g = luma &+ ((half &- fixCbToG &* blue &- fixCrToG &* red) &>> 16)
                let bl = luma &+ ((fixCbToB &* blue &+ half) &>> 16)
                o[3 * x] = UInt8(truncatingIfNeeded: min(max(r, 0), 255))
                o[3 * x + 1] = UInt8(truncatingIfNeeded: min(max(g, 0), 255))
                o[3 * x + 2] = UInt8(truncatingIfNeeded: min(max(bl, 0), 255))
            }
        }
    }
    return out
}
