import Foundation

// Conversion-time constructors of the integer op parameters. This is one of the few places where
// floats meet the integer model: every scale is turned into Q31 multipliers and shifts here, once,
// and no kernel ever sees a float. The integer semantics themselves are documented on the types
// in QModel.swift.

extension QHardSwish {
    /// The largest `inputShift` tried (the input is refined by at most 2^20).
    public static let maxInputShift: Int32 = 20
    /// The largest `three` for which `|d × R| ≤ 255 × 2 · three` stays inside int32.
    public static let maxThree: Int32 = Int32.max / 510

    /// Parameters of hard-swish (`isSigmoid == false`) or hard-sigmoid for the given input and
    /// output quantization.
    ///
    /// `inputShift` (k) is the largest value ≤ 20 for which `three = round(3 · 2^k / s_in)` keeps
    /// every intermediate inside int32: `|d| ≤ 255` and `0 ≤ R ≤ 2 · three`, so
    /// `|d × R| ≤ 510 · three` must be ≤ 2^31 − 1, i.e. `three ≤ 4,210,752`; `X + three` is then
    /// at most 255 · 2^20 + 2^22 and never overflows either. A larger k makes `three` (the only
    /// rounded quantity) relatively more exact. For input scales below 3 / 4,210,752 ≈ 7.1e-7
    /// even k = 0 does not fit and `three` is capped at 4,210,752 (an input tensor spanning less
    /// than ±1.8e-4 — the quantizer should never produce one).
    public static func make(isSigmoid: Bool, inputScale: Double, inputZeroPoint: Int32,
                            outputScale: Double, outputZeroPoint: Int32) -> QHardSwish {
        var k = maxInputShift
        while k > 0 && (3 * Double(1 << k) / inputScale).rounded() > Double(maxThree) { k -= 1 }
        let three = Int32(min((3 * Double(1 << k) / inputScale).rounded(), Double(maxThree)))
        let unit = 6 * Double(1 << k) * outputScale
        let real = isSigmoid ? inputScale / unit : inputScale * inputScale / unit
        let m = QuantizedMultiplier(real)
        return QHardSwish(isSigmoid: isSigmoid, inputZeroPoint: inputZeroPoint, inputShift: k, three: three,
                          multiplier: m.multiplier, shift: m.shift, outputZeroPoint: outputZeroPoint)
    }
}

extension QAdd {
    /// The fine grid of the residual add: inputs are shifted left by 20 bits before rescaling.
    public static let fineGridShift: Int32 = 20

    /// Residual-add parameters (TFLite's scheme): with `twiceMax = 2 · max(s1, s2)`, input i is
    /// rescaled by `s_i / twiceMax` (≤ 1/2) after the left shift of 20 bits, and the int32 sum by
    /// `twiceMax / (2^20 · s_out)`. `(q − z) · 2^20` is at most 255 · 2^20 < 2^28, and the rescaled
    /// sum at most 2^28, so nothing overflows.
    public static func make(input1Scale: Double, input1ZeroPoint: Int32, input2Scale: Double, input2ZeroPoint: Int32,
                            outputScale: Double, outputZeroPoint: Int32, actMin: Int32, actMax: Int32) -> QAdd {
        let twiceMax = 2 * max(input1Scale, input2Scale)
        let m1 = QuantizedMultiplier(input1Scale / twiceMax)
        let m2 = QuantizedMultiplier(input2Scale / twiceMax)
        let mo = QuantizedMultiplier(twiceMax / (Double(1 << fineGridShift) * outputScale))
        return QAdd(input1ZeroPoint: input1ZeroPoint, input2ZeroPoint: input2ZeroPoint, leftShift: fineGridShift,
                    input1Multiplier: m1.multiplier, input1Shift: m1.shift,
                    input2Multiplier: m2.multiplier, input2Shift: m2.shift,
                    outputMultiplier: mo.multiplier, outputShift: mo.shift,
                    outputZeroPoint: outputZeroPoint, actMin: actMin, actMax: actMax)
    }
}

extension QMul {
    /// Squeeze-excitation multiply parameters: the int32 product `(q_x − z_x)(q_g − z_g)`
    /// (at most 255², no overflow) is requantized by `s_x · s_g / s_out`.
    public static func make(inputScale: Double, inputZeroPoint: Int32, gateScale: Double, gateZeroPoint: Int32,
                            outputScale: Double, outputZeroPoint: Int32, actMin: Int32, actMax: Int32) -> QMul {
        let m = QuantizedMultiplier(inputScale * gateScale / outputScale)
        return QMul(inputZeroPoint: inputZeroPoint, gateZeroPoint: gateZeroPoint, multiplier: m.multiplier, shift: m.shift,
                    outputZeroPoint: outputZeroPoint, actMin: actMin, actMax: actMax)
    }
}

extension QRequantize {
    /// Requantization of a sum of `count` values `q − z_in` (1 for an element-wise rescale or a
    /// standalone ReLU, H·W for the global average pool, k² for average pooling):
    /// `M = s_in / (count · s_out)`, so the division by the count is folded into the one rounding.
    public static func make(inputScale: Double, inputZeroPoint: Int32, outputScale: Double, outputZeroPoint: Int32,
                            count: Int = 1, actMin: Int32, actMax: Int32) -> QRequantize {
        let m = QuantizedMultiplier(inputScale / (Double(count) * outputScale))
        return QRequantize(inputZeroPoint: inputZeroPoint, multiplier: m.multiplier, shift: m.shift,
                           outputZeroPoint: outputZeroPoint, actMin: actMin, actMax: actMax)
    }
}

extension QLookup {
    /// The table of `function` from the input grid to the output grid: entry `q + 128` is
    /// `clamp(round(f((q − z_in) · s_in) / s_out) + z_out, −128, 127)`, rounding half away from
    /// zero. This is the only place the function is evaluated; no kernel sees a float.
    public static func make(function: (Double) -> Double, inputScale: Double, inputZeroPoint: Int32,
                            outputScale: Double, outputZeroPoint: Int32) -> QLookup {
        QLookup(table: (-128...127).map { q -> Int8 in
            let y = function(Double(Int32(q) - inputZeroPoint) * inputScale) / outputScale
            let level = y.isNaN ? 0 : min(max(y.rounded(), -512), 512)
            return Int8(min(max(Int32(level) + outputZeroPoint, -128), 127))
        })
    }
}
