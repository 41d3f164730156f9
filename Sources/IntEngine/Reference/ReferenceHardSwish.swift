import QuantCore

/// Reference piecewise-integer hard-swish / hard-sigmoid, element-wise (see `QHardSwish`):
///
///     d = q − zp_in,  X = d · 2^inputShift,  R = clamp(X + three, 0, 2 · three)
///     hard-swish:   out = clamp(zp_out + requantize(d · R), −128, 127)
///     hard-sigmoid: out = clamp(zp_out + requantize(R), −128, 127)
public func referenceHardSwish(_ input: UnsafePointer<Int8>, _ shape: Shape3, _ p: QHardSwish,
                               _ output: UnsafeMutablePointer<Int8>) {
    for i in 0..<shape.count {
        let d = Int32(input[i]) - p.inputZeroPoint
        let r = min(max((d << p.inputShift) &+ p.three, 0), 2 &* p.three)
        let value = p.isSigmoid ? r : d &* r
        output[i] = requantizeToInt8(value, p.multiplier, p.shift, zeroPoint: p.outputZeroPoint, lo: -128, hi: 127)
    }
}
