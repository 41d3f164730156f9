/// Lane-type conversions and clamps for the vector kernels. The standard library's generic
/// `SIMD.init(truncatingIfNeeded:)` and `pointwiseMin/Max` are not inlined into the kernels (each
/// becomes a call); these fixed-size loops are, and LLVM turns each into one instruction
/// (`vpmovsxbd`, `vpmovzxbd`, `vpmovsxdq`, `vpmovqd`, `vpmovdb`, `vpmaxsd`/`vpminsd`).

/// 8 int32 lanes: the SIMD width of the vector requantization and the kernels' accumulators.
typealias Int32x8 = SIMD8<Int32>
/// 8 int64 lanes (the 64-bit products of the requantization).
typealias Int64x8 = SIMD8<Int64>

/// Loads 8 int8 values sign-extended to int32.
@inline(__always)
func loadWidened(_ p: UnsafePointer<Int8>) -> Int32x8 {
    let v = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Int8>.self)
    var r = Int32x8()
    for i in 0..<8 { r[i] = Int32(v[i]) }
    return r
}

/// Loads 8 uint8 values zero-extended to int32.
@inline(__always)
func loadWidened(_ p: UnsafePointer<UInt8>) -> Int32x8 {
    let v = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<UInt8>.self)
    var r = Int32x8()
    for i in 0..<8 { r[i] = Int32(v[i]) }
    return r
}

/// Sign-extends 8 int32 lanes to int64.
@inline(__always)
func widen(_ v: Int32x8) -> Int64x8 {
    var r = Int64x8()
    for i in 0..<8 { r[i] = Int64(v[i]) }
    return r
}

/// Keeps the low 32 bits of 8 int64 lanes.
@inline(__always)
func narrow(_ v: Int64x8) -> Int32x8 {
    var r = Int32x8()
    for i in 0..<8 { r[i] = Int32(truncatingIfNeeded: v[i]) }
    return r
}

/// Keeps the low 8 bits of 8 int32 lanes.
@inline(__always)
func narrowToBytes(_ v: Int32x8) -> SIMD8<Int8> {
    var r = SIMD8<Int8>()
    for i in 0..<8 { r[i] = Int8(truncatingIfNeeded: v[i]) }
    return r
}

/// Clamps every lane to [lo, hi].
@inline(__always)
func clamp(_ v: Int32x8, _ lo: Int32x8, _ hi: Int32x8) -> Int32x8 {
    v.replacing(with: lo, where: v .< lo).replacing(with: hi, where: v .> hi)
}

/// Clamps every lane to [lo, hi].
@inline(__always)
func clamp(_ v: Int64x8, _ lo: Int64x8, _ hi: Int64x8) -> Int64x8 {
    v.replacing(with: lo, where: v .< lo).replacing(with: hi, where: v .> hi)
}

/// Stores the first `count` lanes (1…8) of `v` at `out`.
@inline(__always)
func storeLanes(_ v: SIMD8<Int8>, _ out: UnsafeMutablePointer<Int8>, count: Int) {
    if count == 8 {
        UnsafeMutableRawPointer(out).storeBytes(of: v, as: SIMD8<Int8>.self)
    } else {
        for i in 0..<count { out[i] = v[i] }
    }
}

/// 16 int32 lanes (one AVX-512 register): the depthwise kernel's accumulators.
typealias Int32x16 = SIMD16<Int32>

/// Loads 16 int8 values sign-extended to int32.
@inline(__always)
func loadWidened16(_ p: UnsafePointer<Int8>) -> Int32x16 {
    let v = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Int8>.self)
    var r = Int32x16()
    for i in 0..<16 { r[i] = Int32(v[i]) }
    return r
}

/// Loads 16 uint8 values zero-extended to int32.
@inline(__always)
func loadWidened16(_ p: UnsafePointer<UInt8>) -> Int32x16 {
    let v = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<UInt8>.self)
    var r = Int32x16()
    for i in 0..<16 { r[i] = Int32(v[i]) }
    return r
}

/// The low (lanes 0–7) and high (lanes 8–15) halves of 16 lanes.
@inline(__always)
func halves(_ v: Int32x16) -> (Int32x8, Int32x8) {
    var lo = Int32x8(), hi = Int32x8()
    for i in 0..<8 { lo[i] = v[i]; hi[i] = v[i + 8] }
    return (lo, hi)
}

/// Loads the two unsigned bytes at `p` and broadcasts them as a pair: lanes 2i and 2i + 1 hold
/// `p[0]` and `p[1]` (16-bit values, the halves of one 32-bit broadcast).
@inline(__always)
func loadPairBroadcast(_ p: UnsafePointer<UInt8>) -> Int32x16 {
    let v = UInt32(UnsafeRawPointer(p).loadUnaligned(as: UInt16.self))
    let halves = unsafeBitCast(SIMD8<UInt32>(repeating: (v | v << 8) & 0x00FF_00FF), to: SIMD16<Int16>.self)
    var r = Int32x16()
    for i in 0..<16 { r[i] = Int32(halves[i]) }
    return r
}

/// Adds neighbouring lanes: lane i of the result is `v[2i] + v[2i + 1]`. Applied to products of
/// 16-bit values, LLVM makes the multiply and this sum one `vpdpwssd`/`vpmaddwd`.
@inline(__always)
func pairSums(_ v: Int32x16) -> Int32x8 {
    var even = Int32x8(), odd = Int32x8()
    for i in 0..<8 { even[i] = v[2 * i]; odd[i] = v[2 * i + 1] }
    return even &+ odd
}
