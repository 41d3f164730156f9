import QuantCore

/// Reference average pooling (count_include_pad): for output (oy, ox, c) the int32 sum of
/// `q − zp_in` over the k×k window at (oy·stride − padTop, ox·stride − padLeft), padding counting
/// as 0, is requantized once with `p.requant` (whose multiplier folds in 1/k²):
///
///     out = clamp(zp_out + requantize(Σ (q − zp_in)), actMin, actMax)
public func referenceAvgPool(_ input: UnsafePointer<Int8>, _ inShape: Shape3, _ p: QPool,
                             _ output: UnsafeMutablePointer<Int8>, _ outShape: Shape3) {
    let r = p.requant
    for oy in 0..<outShape.h {
        for ox in 0..<outShape.w {
            for c in 0..<outShape.c {
                var sum: Int32 = 0
                for ky in 0..<p.kernel {
                    for kx in 0..<p.kernel {
                        let iy = oy * p.stride - p.padTop + ky
                        let ix = ox * p.stride - p.padLeft + kx
                        if iy >= 0 && iy < inShape.h && ix >= 0 && ix < inShape.w {
                            sum += Int32(input[(iy * inShape.w + ix) * inShape.c + c]) - r.inputZeroPoint
                        }
                    }
                }
                output[(oy * outShape.w + ox) * outShape.c + c] = requantizeToInt8(
                    sum, r.multiplier, r.shift, zeroPoint: r.outputZeroPoint, lo: r.actMin, hi: r.actMax)
            }
        }
    }
}
