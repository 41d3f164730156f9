/// The accurate integer inverse DCT that libjpeg calls "islow" (its default), so that decoded
/// pixels match libjpeg/Pillow. It is the Loeffler–Ligtenberg–Moschytz factorisation with
/// 13-bit fixed-point constants: a column pass that keeps 2 extra bits of precision
/// (`pass1Bits`), then a row pass that removes them together with the 3-bit DCT scale,
/// rounding each descale, adds the +128 level shift and clamps through `idctRangeLimit`.

/// Fractional bits of the fixed-point constants.
private let constBits = 13
/// Extra precision kept between the two passes.
private let pass1Bits = 2

/// The LL&M rotation constants as round(x · 2^13).
private let fix0_298631336 = 2446, fix0_390180644 = 3196, fix0_541196100 = 4433, fix0_765366865 = 6270
private let fix0_899976223 = 7373, fix1_175875602 = 9633, fix1_501321110 = 12299, fix1_847759065 = 15137
private let fix1_961570560 = 16069, fix2_053119869 = 16819, fix2_562915447 = 20995, fix3_072711026 = 25172

/// Output limiting, indexed by (descaled IDCT value & 1023): values −128…127 map to 0…255,
/// larger ones (up to +383) to 255, more negative ones (down to −640) to 0 — libjpeg's table,
/// which wraps beyond those bounds for wildly corrupt data.
let idctRangeLimit: [UInt8] = (0..<1024).map { i in
    switch i {
    case 0..<128: return UInt8(i + 128)
    case 128..<512: return 255
    case 512..<896: return 0
    default: return UInt8(i - 896)
    }
}

/// Inverse-transforms one block of dequantized coefficients (natural order) into 8×8 samples at
/// `out` (rows `stride` apart). `workspace` holds 64 intermediate values.
@inline(__always)
func idctIslow(_ coef: UnsafePointer<Int>, _ workspace: UnsafeMutablePointer<Int>,
               _ out: UnsafeMutablePointer<UInt8>, stride: Int, _ range: UnsafePointer<UInt8>) {
    // Pass 1: columns, from coef to workspace.
    for col in 0..<8 {
        let c = coef + col
        let w = workspace + col
        if c[8] == 0 && c[16] == 0 && c[24] == 0 && c[32] == 0 && c[40] == 0 && c[48] == 0 && c[56] == 0 {
            let dc = c[0] << pass1Bits
            for k in 0..<8 { w[8 * k] = dc }
            continue
        }
        let (e0, e1, e2, e3) = idctEvenPart(c[0], c[16], c[32], c[48])
        let (o0, o1, o2, o3) = idctOddPart(c[8], c[24], c[40], c[56])
        let shift = constBits - pass1Bits, round = 1 << (shift - 1)
        w[0] = (e0 &+ o3 &+ round) >> shift
        w[56] = (e0 &- o3 &+ round) >> shift
        w[8] = (e1 &+ o2 &+ round) >> shift
        w[48] = (e1 &- o2 &+ round) >> shift
        w[16] = (e2 &+ o1 &+ round) >> shift
        w[40] = (e2 &- o1 &+ round) >> shift
        w[24] = (e3 &+ o0 &+ round) >> shift
        w[32] = (e3 &- o0 &+ round) >> shift
    }
    // Pass 2: rows, from workspace to samples.
    let shift = constBits + pass1Bits + 3, round = 1 << (shift - 1)
    for row in 0..<8 {
        let w = workspace + 8 * row
        let o = out + row * stride
        if w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0 {
            // Same result as the full computation: (w0 · 2^13 + 2^17) >> 18.
            let v = range[((w[0] &+ (1 << (pass1Bits + 2))) >> (pass1Bits + 3)) & 1023]
            for k in 0..<8 { o[k] = v }
            continue
        }
        let (e0, e1, e2, e3) = idctEvenPart(w[0], w[2], w[4], w[6])
        let (o0, o1, o2, o3) = idctOddPart(w[1], w[3], w[5], w[7])
        o[0] = range[((e0 &+ o3 &+ round) >> shift) & 1023]
        o[7] = range[((e0 &- o3 &+ round) >> shift) & 1023]
        o[1] = range[((e1 &+ o2 &+ round) >> shift) & 1023]
        o[6] = range[((e1 &- o2 &+ round) >> shift) & 1023]
        o[2] = range[((e2 &+ o1 &+ round) >> shift) & 1023]
        o[5] = range[((e2 &- o1 &+ round) >> shift) & 1023]
        o[3] = range[((e3 &+ o0 &+ round) >> shift) & 1023]
        o[4] = range[((e3 &- o0 &+ round) >> shift) & 1023]
    }
}

/// The even half of the 1-D IDCT from inputs 0, 2, 4, 6: the four sums for outputs (0,7),
/// (1,6), (2,5), (3,4), scaled by 2^13.
@inline(__always)
private func idctEvenPart(_ x0: Int, _ x2: Int, _ x4: Int, _ x6: Int) -> (Int, Int, Int, Int) {
    let z1 = (x2 &+ x6) &* fix0_541196100
    let t2 = z1 &+ x6 &* -fix1_847759065
    let t3 = z1 &+ x2 &* fix0_765366865
    let t0 = (x0 &+ x4) << constBits
    let t1 = (x0 &- x4) << constBits
    return (t0 &+ t3, t1 &+ t2, t1 &- t2, t0 &- t3)
}

/// The odd half of the 1-D IDCT from inputs 1, 3, 5, 7: the terms added to / subtracted from
/// the even sums for outputs (3,4), (2,5), (1,6), (0,7), scaled by 2^13.
@inline(__always)
private func idctOddPart(_ x1: Int, _ x3: Int, _ x5: Int, _ x7: Int) -> (Int, Int, Int, Int) {
    var z1 = x7 &+ x1, z2 = x5 &+ x3, z3 = x7 &+ x3, z4 = x5 &+ x1
    let z5 = (z3 &+ z4) &* fix1_175875602
    var t0 = x7 &* fix0_298631336, t1 = x5 &* fix2_053119869
    var t2 = x3 &* fix3_072711026, t3 = x1 &* fix1_501321110
    z1 = z1 &* -fix0_899976223
    z2 = z2 &* -fix2_562915447
    z3 = z3 &* -fix1_961570560 &+ z5
    z4 = z4 &* -fix0_390180644 &+ z5
    t0 = t0 &+ z1 &+ z3
    t1 = t1 &+ z2 &+ z4
    t2 = t2 &+ z2 &+ z3
    t3 = t3 &+ z1 &+ z4
    return (t0, t1, t2, t3)
}
