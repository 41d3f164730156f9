import QuantCore

/// Requantization parameters laid out for 8-lane vectors: per output channel (padded with
/// zeros to `paddedCount` channels), or the same for every lane (`uniform`). Lane i computes
/// exactly `requantizeToInt8(acc, multiplier[i], shift[i], zeroPoint:, lo:, hi:)`.
///
/// Two exact forms, picked once per op:
/// - **general** (some shift > 0): saturating left shift in 64 bits, then the high multiply
///   `h = (x·M0 + 2^30) >> 31`, then the rounding right shift `(h >> e) + (rem > thr)`;
/// - **fused** (every shift ≤ 0, the usual case): both roundings in one 64-bit add-and-shift.
///   With `t = x·M0 + 2^30`, the high multiply is `y = t >> 31` (floor(x·M0/2^31 + 1/2), exactly
///   the nudge-and-truncate result), and rounding `y / 2^e` half away from zero is
///   `(y + 2^(e−1) − [y < 0]) >> e` for e ≥ 1. As `y < 0 ⟺ t < 0` and
///   `(t >> 31) + c = (t + c·2^31) >> 31`, the result is
///   `(t + 2^(30+e) − [t < 0]·2^31) >> (31 + e)` (e ≥ 1), or `t >> 31` (e = 0). |x·M0| < 2^62, so
///   nothing overflows.
final class VectorRequant: @unchecked Sendable {
    /// M0 (widened at use, so LLVM sees a 32 × 32 → 64-bit multiply).
    let multiplier: AlignedBuffer<Int32>
    /// General form: `max(shift, 0)`. Fused form: `2^(30+e)` for e ≥ 1, else 0.
    let leftShiftOrBias: AlignedBuffer<Int64>
    /// General form: `e = min(−shift, 31)` (0 for shift ≥ 0) as int32. Unused when fused.
    let rightShift: AlignedBuffer<Int32>
    /// Fused form: `31 + e`. Unused in the general form.
    let totalShift: AlignedBuffer<Int64>
    /// Fused form: `2^31` for e ≥ 1, else 0 (the correction for negative t).
    let negativeCorrection: AlignedBuffer<Int64>
    /// Whether some lane shifts left (the general form is needed).
    let general: Bool
    /// The output zero point and the clamp bounds relative to it (`lo − zp`, `hi − zp`).
    let zeroPoint: Int32x8, lo: Int32x8, hi: Int32x8
    /// Lanes per parameter row: `paddedCount`, or 8 when uniform.
    let count: Int

    /// Per-channel parameters; `paddedCount` ≥ the channel count, a multiple of 8.
    init(multiplier m: [Int32], shift: [Int32], paddedCount: Int, zeroPoint: Int32, lo: Int32, hi: Int32) {
        count = paddedCount
        multiplier = AlignedBuffer(count: paddedCount)
        leftShiftOrBias = AlignedBuffer(count: paddedCount)
        rightShift = AlignedBuffer(count: paddedCount)
        totalShift = AlignedBuffer(count: paddedCount)
        negativeCorrection = AlignedBuffer(count: paddedCount)
        general = shift.contains { $0 > 0 }
        for i in 0..<paddedCount {
            let s = i < shift.count ? shift[i] : 0
            let e = Int64(min(max(-s, 0), 31))
            multiplier.pointer[i] = i < m.count ? m[i] : 0
            rightShift.pointer[i] = Int32(e)
            totalShift.pointer[i] = 31 + e
            if general {
                leftShiftOrBias.pointer[i] = Int64(max(s, 0))
            } else {
                leftShiftOrBias.pointer[i] = e >= 1 ? Int64(1) << (30 + e) : 0
                negativeCorrection.pointer[i] = e >= 1 ? Int64(1) << 31 : 0
            }
        }
        self.zeroPoint = Int32x8(repeating: zeroPoint)
        self.lo = Int32x8(repeating: lo &- zeroPoint)
        self.hi = Int32x8(repeating: hi &- zeroPoint)
    }

    /// The same multiplier and shift for every lane (element-wise ops).
    convenience init(uniformMultiplier m: Int32, shift: Int32, zeroPoint: Int32, lo: Int32, hi: Int32) {
        self.init(multiplier: [Int32](repeating: m, count: 8), shift: [Int32](repeating: shift, count: 8), paddedCount: 8,
                  zeroPoint: zeroPoint, lo: lo, hi: hi)
    }

    /// The same parameters as raw pointers and values, for kernels to copy into a local once
    /// (a struct the compiler keeps in registers and inlines into the loops).
    @inline(always)
    var lanes: RequantLanes {
        RequantLanes(multiplier: multiplier.pointer, leftShiftOrBias: leftShiftOrBias.pointer, rightShift: rightShift.pointer,
                     totalShift: totalShift.pointer, negativeCorrection: negativeCorrection.pointer, general: general,
                     zeroPoint: zeroPoint, lo: lo, hi: hi)
    }

    /// Requantizes 8 accumulators of channels `first ..< first + 8` (first a multiple of 8; 0
    /// when uniform) to int8, with zero point and clamp.
    @inline(always)
    func apply8(_ acc: Int32x8, first: Int) -> SIMD8<Int8> { lanes.apply8(acc, first: first) }

    /// `requantize(acc, M0, shift)` on 8 lanes (no zero point, no clamp).
    @inline(always)
    func scale8(_ acc: Int32x8, first: Int) -> Int32x8 { lanes.scale8(acc, first: first) }
}

/// A `VectorRequant`'s parameter rows as raw pointers (valid while the `VectorRequant` lives),
/// with the same meaning as its properties. Hot loops copy it into a local once.
///
/// `apply8`/`scale8` are `@inline(always)`: with `@inline(__always)` Swift 6.3 left them as
/// calls, and a call in a kernel's store path spills every vector register (forcing them inline
/// made mobilenet_v2-cifar10 ~10% faster). Forcing the GEMM's `storeRow` or the depthwise
/// `store` inline as well made it much slower, so those stay `@inline(__always)`.
struct RequantLanes {
    let multiplier: UnsafeMutablePointer<Int32>
    let leftShiftOrBias: UnsafeMutablePointer<Int64>
    let rightShift: UnsafeMutablePointer<Int32>
    let totalShift: UnsafeMutablePointer<Int64>
    let negativeCorrection: UnsafeMutablePointer<Int64>
    let general: Bool
    let zeroPoint: Int32x8, lo: Int32x8, hi: Int32x8

    /// Requantizes 8 accumulators of channels `first ..< first + 8` (first a multiple of 8; 0
    /// when uniform) to int8, with zero point and clamp.
    @inline(always)
    func apply8(_ acc: Int32x8, first: Int) -> SIMD8<Int8> {
        narrowToBytes(clamp(scale8(acc, first: first), lo, hi) &+ zeroPoint)
    }

    /// `requantize(acc, M0, shift)` on 8 lanes (no zero point, no clamp).
    @inline(always)
    func scale8(_ acc: Int32x8, first: Int) -> Int32x8 {
        let m = widen(UnsafeRawPointer(multiplier + first).load(as: Int32x8.self))
        let wide = widen(acc)
        if general {
            let left = UnsafeRawPointer(leftShiftOrBias + first).load(as: Int64x8.self)
            let x = clamp(wide &<< left, Int64x8(repeating: Int64(Int32.min)), Int64x8(repeating: Int64(Int32.max)))
            let high = narrow((x &* m &+ Int64x8(repeating: 1 << 30)) &>> 31)
            let e = UnsafeRawPointer(rightShift + first).load(as: Int32x8.self)
            let mask = (Int32x8(repeating: 1) &<< e) &- 1
            let threshold = (mask &>> 1) &- (high &>> 31)
            return (high &>> e) &- ((threshold &- (high & mask)) &>> 31)
        }
        let bias = UnsafeRawPointer(leftShiftOrBias + first).load(as: Int64x8.self)
        let correction = UnsafeRawPointer(negativeCorrection + first).load(as: Int64x8.self)
        let total = UnsafeRawPointer(totalShift + first).load(as: Int64x8.self)
        let t = wide &* m &+ Int64x8(repeating: 1 << 30)
        return narrow((t &+ bias &- ((t &>> 63) & correction)) &>> total)
    }
}
