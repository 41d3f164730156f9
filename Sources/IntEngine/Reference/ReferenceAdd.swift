import QuantCore

/// Reference residual add (TFLite's scheme) of two tensors of the same shape:
///
///     a_i  = requantize((q_i − zp_i) · 2^leftShift, input_i multiplier, shift)    (i = 1, 2)
///     out  = clamp(zp_out + requantize(a_1 + a_2, output multiplier, shift), actMin, actMax)
public func referenceAdd(_ input1: UnsafePointer<Int8>, _ input2: UnsafePointer<Int8>, _ shape: Shape3,
                         _ p: QAdd, _ output: UnsafeMutablePointer<Int8>) {
    for i in 0..<shape.count {
        let x1 = (Int32(input1[i]) - p.input1ZeroPoint) << p.leftShift
        let x2 = (Int32(input2[i]) - p.input2ZeroPoint) << p.leftShift
        let sum = requantize(x1, p.input1Multiplier, p.input1Shift) &+ requantize(x2, p.input2Multiplier, p.input2Shift)
        output[i] = requantizeToInt8(sum, p.outputMultiplier, p.outputShift,
                                     zeroPoint: p.outputZeroPoint, lo: p.actMin, hi: p.actMax)
    }
}
