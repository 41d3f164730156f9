import QuantCore

/// Reference max pooling on the int8 values: output (oy, ox, c) is the maximum of the input over
/// the k×k window at (oy·stride − padTop, ox·stride − padLeft); positions outside the input are
/// skipped (padding never wins). The output keeps the input's quantization.
public func referenceMaxPool(_ input: UnsafePointer<Int8>, _ inShape: Shape3, _ p: QPool,
                             _ output: UnsafeMutablePointer<Int8>, _ outShape: Shape3) {
    for oy in 0..<outShape.h {
        for ox in 0..<outShape.w {
            for c in 0..<outShape.c {
                var best = Int8.min
                for ky in 0..<p.kernel {
                    for kx in 0..<p.kernel {
                        let iy = oy * p.stride - p.padTop + ky
                        let ix = ox * p.stride - p.padLeft + kx
                        if iy >= 0 && iy < inShape.h && ix >= 0 && ix < inShape.w {
                            best = max(best, input[(iy * inShape.w + ix) * inShape.c + c])
                        }
                    }
                }
                output[(oy * outShape.w + ox) * outShape.c + c] = best
            }
        }
    }
}
