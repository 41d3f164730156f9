import QuantCore

/// Reference global average pooling to 1×1×C: the int32 sum over all H·W pixels of `q − zp_in`
/// is requantized once (the multiplier folds in 1/(H·W)):
///
///     out[c] = clamp(zp_out + requantize(Σ_{y,x} (q[y][x][c] − zp_in)), actMin, actMax)
public func referenceGlobalAvgPool(_ input: UnsafePointer<Int8>, _ inShape: Shape3, _ p: QRequantize,
                                   _ output: UnsafeMutablePointer<Int8>) {
    for c in 0..<inShape.c {
        var sum: Int32 = 0
        for pixel in 0..<(inShape.h * inShape.w) {
            sum += Int32(input[pixel * inShape.c + c]) - p.inputZeroPoint
        }
        output[c] = requantizeToInt8(sum, p.multiplier, p.shift, zeroPoint: p.outputZeroPoint, lo: p.actMin, hi: p.actMax)
    }
}
