import QuantCore

/// Reference convolution — the spec every optimized convolution must match bit for bit.
///
/// Covers every kind: general k×k (the stem), depthwise (`groups == inChannels`), pointwise and
/// grouped 1×1, and fully connected (1×1 on a 1×1 input). Input and output are HWC int8, weights
/// OHWI (`[outC][kh][kw][inC / groups]`). For output pixel (oy, ox) and channel oc of group g:
///
///     acc = bias[oc] + Σ_{ky, kx, i} (x(oy·sh − padTop + ky, ox·sw − padLeft + kx, g·icg + i) − zp_in) · w
///
/// where a position outside the input is padding and contributes `padValue[ic] − zp_in` (0 when
/// `padValue` is nil: padding is a real zero). The int32 sum wraps (the converter guarantees it
/// never overflows); then `requantize` per output channel, `+ zp_out`, clamp to [actMin, actMax].
/// The output shape (and with it the bottom/right padding) is `outShape`.
public func referenceConv(_ input: UnsafePointer<Int8>, _ inShape: Shape3, _ p: QConv,
                          _ output: UnsafeMutablePointer<Int8>, _ outShape: Shape3) {
    let icPerGroup = p.inChannels / p.groups
    let ocPerGroup = p.outChannels / p.groups
    let zp = p.inputZeroPoint
    for oy in 0..<outShape.h {
        for ox in 0..<outShape.w {
            for oc in 0..<outShape.c {
                let g = oc / ocPerGroup
                var acc = p.bias[oc]
                for ky in 0..<p.kernelH {
                    for kx in 0..<p.kernelW {
                        let iy = oy * p.strideH - p.padTop + ky
                        let ix = ox * p.strideW - p.padLeft + kx
                        let inside = iy >= 0 && iy < inShape.h && ix >= 0 && ix < inShape.w
                        for i in 0..<icPerGroup {
                            let ic = g * icPerGroup + i
                            let x: Int32
                            if inside {
                                x = Int32(input[(iy * inShape.w + ix) * inShape.c + ic]) - zp
                            } else if let pad = p.padValue {
                                x = Int32(pad[ic]) - zp
                            } else {
                                x = 0
                            }
                            let w = Int32(p.weights[((oc * p.kernelH + ky) * p.kernelW + kx) * icPerGroup + i])
                            acc = acc &+ x &* w
                        }
                    }
                }
                output[(oy * outShape.w + ox) * outShape.c + oc] = requantizeToInt8(
                    acc, p.multiplier[oc], p.shift[oc], zeroPoint: p.outputZeroPoint, lo: p.actMin, hi: p.actMax)
            }
        }
    }
}
