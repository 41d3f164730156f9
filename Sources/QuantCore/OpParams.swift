import Foundation

// The derivations of every integer op parameter from float32 scales — TensorFlow Lite Micro's, as
// its kernels' Prepare functions compute them (Docs/ARITHMETIC.md), so that a model exported to
// `.tflite` runs with the same bits in TFLM. This is the ONE place they are written: the Quantizer
// builds its ops with them and the blob reader checks a blob's integers against them
// (`derivationProblem`). The C runtime never derives (it runs the integers the blob stores).

/// A fused activation as TFLite names it, turned into an output clamp by `bounds`.
public enum FusedActivation: Sendable, Equatable {
    case none, relu, relu6

    /// TFLite's `CalculateActivationRangeQuantized` on the output grid: ReLU `[max(−128, z), 127]`,
    /// ReLU6 `[max(−128, z), min(127, z + roundf(6.0f / s))]` (float32 division, half away from zero).
    public func bounds(scale: Float, zeroPoint: Int32) -> (min: Int32, max: Int32) {
        switch self {
        case .none: return (-128, 127)
        case .relu: return (max(-128, zeroPoint), 127)
        case .relu6:
            let six = min(max((Float(6) / scale).rounded(), -1000), 1000)
            return (max(-128, zeroPoint), min(127, zeroPoint + Int32(six)))
        }
    }
}

extension QConv {
    /// Per output channel, TFLM's `PopulateConvolutionQuantizationParams` (also per-channel
    /// FULLY_CONNECTED): `QuantizeMultiplier(double(s_in) · double(s_w[c]) / double(s_out))`.
    public static func multipliers(inputScale: Float, weightScales: [Float], outputScale: Float) -> [QuantizedMultiplier] {
        weightScales.map { QuantizedMultiplier(Double(inputScale) * Double($0) / Double(outputScale)) }
    }

    /// The float32 weight scale `s_w` whose derivation (`multipliers`) gives exactly `(multiplier,
    /// shift)` for these activation scales, or nil when none does. A nonzero multiplier has 31
    /// significant bits and a float32 scale 24, so at most one float32 scale gives it: the search
    /// starts from `M · s_out / s_in` and tries the float32 values a few steps either side. A zero
    /// multiplier (a real multiplier below 2^−32) fits many scales and gives nil. This is what lets
    /// a blob leave out the weight scales (Docs/BLOB_FORMAT.md): they are recovered, not stored.
    public static func recoverWeightScale(multiplier: Int32, shift: Int32, inputScale: Float, outputScale: Float) -> Float? {
        guard multiplier > 0, inputScale > 0, outputScale > 0, inputScale.isFinite, outputScale.isFinite else { return nil }
        let target = QuantizedMultiplier(multiplier: multiplier, shift: shift)
        let guess = Float(target.real * Double(outputScale) / Double(inputScale))
        guard guess.isFinite, guess > 0 else { return nil }
        var down = guess, up = guess
        for _ in 0..<8 {
            for s in [down, up] where s.isFinite && s > 0
                && multipliers(inputScale: inputScale, weightScales: [s], outputScale: outputScale)[0] == target {
                return s
            }
            down = down.nextDown; up = up.nextUp
        }
        return nil
    }

    /// Hard-sigmoid as a 1×1 depthwise convolution (`y = x/6 + 1/2` on the fixed output grid
    /// 1/256, −128, whose int8 clamp is the clamp of relu6(x + 3)/6): weight 127 and weight scale
    /// `float32(1/762)` in every channel, bias `round(0.5 / (double(s_in) · double(s_w)))`.
    public static func hardSigmoid(channels: Int, inputScale: Float, inputZeroPoint: Int32) -> QConv {
        let sw = hardSigmoidWeightScale
        let out = hardSigmoidOutput
        let b = Int32((0.5 / (Double(inputScale) * Double(sw))).rounded())
        let m = multipliers(inputScale: inputScale, weightScales: [sw], outputScale: Float(out.scale))[0]
        return QConv(inChannels: channels, outChannels: channels, kernelH: 1, kernelW: 1, strideH: 1, strideW: 1,
                     padTop: 0, padLeft: 0, groups: channels, weights: [Int8](repeating: 127, count: channels),
                     bias: [Int32](repeating: b, count: channels),
                     multiplier: [Int32](repeating: m.multiplier, count: channels), shift: [Int32](repeating: m.shift, count: channels),
                     inputZeroPoint: inputZeroPoint, outputZeroPoint: out.zeroPoint, actMin: -128, actMax: 127,
                     weightScales: [Float](repeating: sw, count: channels))
    }

    /// The weight scale of the hard-sigmoid convolution: `float32(1/(6 · 127))`.
    public static let hardSigmoidWeightScale = Float(1.0 / 762.0)
    /// The fixed output grid of hard-sigmoid: scale 1/256, zero point −128 (covers [0, 255/256]).
    public static let hardSigmoidOutput = (scale: 1.0 / 256.0, zeroPoint: Int32(-128))
}

extension QHardSwish {
    /// TFLM's `HardSwishPrepare`: `hires = (1.0f/128.0f) · s_in`; output multiplier from
    /// `float32(hires / s_out)`, relu-ish multiplier from `float32(hires / (3.0f/32768.0f))`, each
    /// through `QuantizeMultiplier` and down-scaled to int16. Nil when an exponent falls outside
    /// what the kernel supports (output −15…0, relu-ish −15…15: input scales between ~4e-7 and ~380
    /// with an output scale not far below the input's).
    public static func make(inputScale: Float, inputZeroPoint: Int32, outputScale: Float, outputZeroPoint: Int32) -> QHardSwish? {
        let hires = (Float(1) / Float(128)) * inputScale
        let mo = QuantizedMultiplier(Double(hires / outputScale))
        let mr = QuantizedMultiplier(Double(hires / (Float(3) / Float(32768))))
        guard (-15...0).contains(mo.shift), (-15...15).contains(mr.shift) else { return nil }
        return QHardSwish(inputZeroPoint: inputZeroPoint, outputZeroPoint: outputZeroPoint,
                          outputMultiplier: int16Multiplier(mo.multiplier), outputExponent: mo.shift,
                          reluishMultiplier: int16Multiplier(mr.multiplier), reluishExponent: mr.shift)
    }

    /// TFLite's `DownScaleInt32ToInt16Multiplier`: `(m + 2^15) >> 16`, or 32767 near the top.
    public static func int16Multiplier(_ m: Int32) -> Int32 {
        m >= Int32.max - (1 << 15) ? 32767 : (m + (1 << 15)) >> 16
    }
}

extension QAdd {
    /// The fine grid of the residual add: inputs are shifted left by 20 bits before rescaling.
    public static let fineGridShift: Int32 = 20

    /// TFLM's `CalculateOpDataAdd` (int8): `twice = 2 · double(max(s1, s2))`, input i rescaled by
    /// `double(s_i) / twice` (≤ 1/2) after the left shift of 20 bits, the int32 sum by
    /// `twice / (2^20 · double(s_out))`. `(q − z) · 2^20` is at most 255 · 2^20 < 2^28 and the
    /// rescaled sum at most 2^28, so nothing overflows.
    public static func make(input1Scale: Float, input1ZeroPoint: Int32, input2Scale: Float, input2ZeroPoint: Int32,
                            outputScale: Float, outputZeroPoint: Int32, actMin: Int32, actMax: Int32) -> QAdd {
        let twiceMax = 2 * Double(max(input1Scale, input2Scale))
        let m1 = QuantizedMultiplier(Double(input1Scale) / twiceMax)
        let m2 = QuantizedMultiplier(Double(input2Scale) / twiceMax)
        let mo = QuantizedMultiplier(twiceMax / (Double(1 << fineGridShift) * Double(outputScale)))
        return QAdd(input1ZeroPoint: input1ZeroPoint, input2ZeroPoint: input2ZeroPoint, leftShift: fineGridShift,
                    input1Multiplier: m1.multiplier, input1Shift: m1.shift,
                    input2Multiplier: m2.multiplier, input2Shift: m2.shift,
                    outputMultiplier: mo.multiplier, outputShift: mo.shift,
                    outputZeroPoint: outputZeroPoint, actMin: actMin, actMax: actMax)
    }
}

extension QMul {
    /// TFLM's MUL (int8): the int32 product `(q_x − z_x)(q_g − z_g)` (at most 255², no overflow)
    /// is requantized by `double(s_x) · double(s_g) / double(s_out)`.
    public static func make(inputScale: Float, inputZeroPoint: Int32, gateScale: Float, gateZeroPoint: Int32,
                            outputScale: Float, outputZeroPoint: Int32, actMin: Int32, actMax: Int32) -> QMul {
        let m = QuantizedMultiplier(Double(inputScale) * Double(gateScale) / Double(outputScale))
        return QMul(inputZeroPoint: inputZeroPoint, gateZeroPoint: gateZeroPoint, multiplier: m.multiplier, shift: m.shift,
                    outputZeroPoint: outputZeroPoint, actMin: actMin, actMax: actMax)
    }
}

extension QRequantize {
    /// A standalone ReLU / ReLU6 as TFLM's RELU derives it (`CalculateReluOpData`): multiplier
    /// from `double(float32(s_in / s_out))` (the division in float32), bounds as `FusedActivation`.
    public static func relu(_ activation: FusedActivation, inputScale: Float, inputZeroPoint: Int32,
                            outputScale: Float, outputZeroPoint: Int32) -> QRequantize {
        let m = QuantizedMultiplier(Double(inputScale / outputScale))
        let (lo, hi) = activation.bounds(scale: outputScale, zeroPoint: outputZeroPoint)
        return QRequantize(inputZeroPoint: inputZeroPoint, multiplier: m.multiplier, shift: m.shift,
                           outputZeroPoint: outputZeroPoint, actMin: lo, actMax: hi)
    }

    /// The global average pool as TFLM's MEAN over H and W (`reference_ops::QuantizedMeanOrSum`):
    /// `(M0, e0)` from `double(s_in) / double(s_out)`; with `n = count` and
    /// `k = min(⌊log2 n⌋, 32, 31 + e0)`, the multiplier is `⌊M0 · 2^k / n⌋` and the shift `e0 − k`.
    /// The kernel requantizes the int32 sum of `q − z_in` with them.
    public static func mean(inputScale: Float, inputZeroPoint: Int32, outputScale: Float, outputZeroPoint: Int32,
                            count: Int) -> QRequantize {
        let m0 = QuantizedMultiplier(Double(inputScale) / Double(outputScale))
        let n = Int64(max(count, 1))
        var k = 63 - UInt64(n).leadingZeroBitCount
        k = min(k, 32, 31 + Int(m0.shift))
        let m = (Int64(m0.multiplier) << Int64(k)) / n
        return QRequantize(inputZeroPoint: inputZeroPoint, multiplier: Int32(m), shift: m0.shift - Int32(k),
                           outputZeroPoint: outputZeroPoint, actMin: -128, actMax: 127)
    }

    /// Average pooling that counts padding, as a k×k depthwise convolution of ones (weight 1,
    /// weight scale `float32(1/k²)`, bias 0): multiplier from
    /// `double(s_in) · double(float32(1/k²)) / double(s_out)` (TFLM's convolution derivation).
    public static func averagePool(kernel: Int, inputScale: Float, inputZeroPoint: Int32,
                                   outputScale: Float, outputZeroPoint: Int32) -> QRequantize {
        let m = QConv.multipliers(inputScale: inputScale, weightScales: [averagePoolWeightScale(kernel: kernel)],
                                  outputScale: outputScale)[0]
        return QRequantize(inputZeroPoint: inputZeroPoint, multiplier: m.multiplier, shift: m.shift,
                           outputZeroPoint: outputZeroPoint, actMin: -128, actMax: 127)
    }

    /// The weight scale of the depthwise convolution of ones that an average pool is: `float32(1/k²)`.
    public static func averagePoolWeightScale(kernel: Int) -> Float { Float(1.0 / Double(kernel * kernel)) }
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

/// The first op of `model` whose integer parameters are not the ones TFLM derives from the
/// model's float32 scales (`OpParams.swift`), described in plain words; nil when all are. The
/// blob reader refuses such a blob: its integers and its scales would tell two stories, and a
/// `.tflite` written from the scales would not reproduce it.
public func derivationProblem(_ model: QModel) -> String? {
    func same(_ m: QuantizedMultiplier, _ multiplier: Int32, _ shift: Int32) -> Bool { m.multiplier == multiplier && m.shift == shift }
    func usable(_ s: Float) -> Bool { s.isFinite && s > 0 }
    for v in 0...model.nodes.count where !usable(model.info(v).scale32) {
        return "value \(v) has scale \(model.info(v).scale32); scales must be positive and finite"
    }
    for (i, node) in model.nodes.enumerated() {
        if case .conv(let c) = node.op, let k = c.weightScales.firstIndex(where: { !usable($0) }) {
            return "node \(i) (\(node.name)): the weight scale of output channel \(k) is \(c.weightScales[k]); scales must be positive and finite"
        }
    }
    for (i, node) in model.nodes.enumerated() {
        let sIn = node.inputs.map { model.info($0).scale32 }
        let zIn = node.inputs.map { model.info($0).zeroPoint }
        let sOut = node.output.scale32, zOut = node.output.zeroPoint
        let what = "node \(i) (\(node.name))"
        switch node.op {
        case .conv(let c):
            guard c.weightScales.count == c.outChannels else {
                return "\(what): \(c.weightScales.count) float32 weight scales for \(c.outChannels) output channels"
            }
            let ms = QConv.multipliers(inputScale: sIn[0], weightScales: c.weightScales, outputScale: sOut)
            if let k = ms.indices.first(where: { !same(ms[$0], c.multiplier[$0], c.shift[$0]) }) {
                return "\(what): the multiplier of output channel \(k) is not the one derived from its scales"
            }
        case .add(let a):
            let d = QAdd.make(input1Scale: sIn[0], input1ZeroPoint: zIn[0], input2Scale: sIn[1], input2ZeroPoint: zIn[1],
                              outputScale: sOut, outputZeroPoint: zOut, actMin: a.actMin, actMax: a.actMax)
            if d.leftShift != a.leftShift || d.input1Multiplier != a.input1Multiplier || d.input1Shift != a.input1Shift
                || d.input2Multiplier != a.input2Multiplier || d.input2Shift != a.input2Shift
                || d.outputMultiplier != a.outputMultiplier || d.outputShift != a.outputShift {
                return "\(what): the add's multipliers are not the ones derived from its scales"
            }
        case .mul(let m):
            let d = QMul.make(inputScale: sIn[0], inputZeroPoint: zIn[0], gateScale: sIn[1], gateZeroPoint: zIn[1],
                              outputScale: sOut, outputZeroPoint: zOut, actMin: m.actMin, actMax: m.actMax)
            if d.multiplier != m.multiplier || d.shift != m.shift { return "\(what): the multiply's multiplier is not the one derived from its scales" }
        case .hardSwish(let h):
            if QHardSwish.make(inputScale: sIn[0], inputZeroPoint: zIn[0], outputScale: sOut, outputZeroPoint: zOut) != h {
                return "\(what): the hard-swish multipliers are not the ones derived from its scales"
            }
        case .requantize(let r):
            let d = QRequantize.relu(.none, inputScale: sIn[0], inputZeroPoint: zIn[0], outputScale: sOut, outputZeroPoint: zOut)
            if d.multiplier != r.multiplier || d.shift != r.shift { return "\(what): the ReLU's multiplier is not the one derived from its scales" }
        case .avgPool(let p):
            let d = QRequantize.averagePool(kernel: p.kernel, inputScale: sIn[0], inputZeroPoint: zIn[0], outputScale: sOut, outputZeroPoint: zOut)
            if d.multiplier != p.requant.multiplier || d.shift != p.requant.shift {
                return "\(what): the average pool's multiplier is not the one derived from its scales"
            }
        case .globalAvgPool(let r):
            let s = model.info(node.inputs[0]).shape
            let d = QRequantize.mean(inputScale: sIn[0], inputZeroPoint: zIn[0], outputScale: sOut, outputZeroPoint: zOut, count: s.h * s.w)
            if d.multiplier != r.multiplier || d.shift != r.shift {
                return "\(what): the global average pool's multiplier is not the one derived from its scales"
            }
        case .maxPool, .concat, .split, .shuffle, .lookup:
            continue
        }
    }
    return nil
}
