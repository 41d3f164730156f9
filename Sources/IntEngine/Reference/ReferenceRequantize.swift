import QuantCore

/// Reference element-wise requantization (a scale change or a standalone ReLU):
///
///     out = clamp(zp_out + requantize(q − zp_in), actMin, actMax)
public func referenceRequantize(_ input: UnsafePointer<Int8>, _ shape: Shape3, _ p: QRequantize,
                                _ output: UnsafeMutablePointer<Int8>) {
    for i in 0..<shape.count {
        output[i] = requantizeToInt8(Int32(input[i]) - p.inputZeroPoint, p.multiplier, p.shift,
                                     zeroPoint: p.outputZeroPoint, lo: p.actMin, hi: p.actMax)
    }
}
