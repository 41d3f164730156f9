import QuantCore

/// Reference in-place depthwise convolution (`groups == in == out`): the output is written over
/// the input (HWC; the input has `inShape`, the output `outShape`; `output` and `input` point
/// into one buffer a multiple of C bytes apart — the same address for a whole value), with the
/// bytes of `referenceConv`. One channel at a time: channel c's input plane (H·W bytes) is copied
/// to `plane`, then channel c's outputs are written — at indices ≡ c (mod C), which hold only
/// channel c's input, already copied; the other channels are untouched. The C runtime's
/// `q8_depthwise_conv_inplace_s8` is this algorithm.
public func referenceDepthwiseInPlace(input: UnsafePointer<Int8>, _ inShape: Shape3, _ p: QConv,
                                      output: UnsafeMutablePointer<Int8>, _ outShape: Shape3, plane: UnsafeMutablePointer<Int8>) {
    let channels = inShape.c
    let zp = p.inputZeroPoint
    for c in 0..<channels {
        for i in 0..<(inShape.h * inShape.w) { plane[i] = input[i * channels + c] }
        let pad = p.padValue.map { Int32($0[c]) - zp } ?? 0
        for oy in 0..<outShape.h {
            for ox in 0..<outShape.w {
                var acc = p.bias[c]
                for ky in 0..<p.kernelH {
                    for kx in 0..<p.kernelW {
                        let iy = oy * p.strideH - p.padTop + ky
                        let ix = ox * p.strideW - p.padLeft + kx
                        let inside = iy >= 0 && iy < inShape.h && ix >= 0 && ix < inShape.w
                        let x = inside ? Int32(plane[iy * inShape.w + ix]) - zp : pad
                        acc = acc &+ x &* Int32(p.weights[(c * p.kernelH + ky) * p.kernelW + kx])
                    }
                }
                output[(oy * outShape.w + ox) * channels + c] = requantizeToInt8(
                    acc, p.multiplier[c], p.shift[c], zeroPoint: p.outputZeroPoint, lo: p.actMin, hi: p.actMax)
            }
        }
    }
}
