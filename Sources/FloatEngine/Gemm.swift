/// Matrix product with bias and clamp, the workhorse of every 1×1 convolution, im2col convolution
/// and fully connected layer: `C[m][n] = clamp(bias[n] + Σ_k A[m][k] · B[k][n], lo, hi)`.
/// `B` is packed once at preparation into panels of 16 columns (`panel × K × 16`, zero-padded),
/// so the micro-kernel streams it contiguously and keeps a tile of C in SIMD registers: 4×16 when
/// the build targets AVX2 (compilation condition `AVX2`, 16 256-bit registers), else two 4×8
/// halves, which fit the 16 128-bit registers of the default x86-64 target without spilling.
struct PackedGemm: Sendable {
    /// Inner dimension K and output columns N.
    let k: Int, n: Int
    let panels: Int
    /// `panels × k × 16` floats.
    let weights: AlignedFloats
    /// `panels × 16` floats.
    let bias: AlignedFloats
    /// Clamp of the fused activation.
    let lo: Float, hi: Float

    /// Packs `B` given as a function of (k, n).
    init(k: Int, n: Int, bias: [Float], lo: Float, hi: Float, element: (Int, Int) -> Float) {
        self.k = k; self.n = n; self.lo = lo; self.hi = hi
        panels = (n + 15) / 16
        var w = [Float](repeating: 0, count: panels * k * 16)
        for p in 0..<panels {
            for kk in 0..<k {
                for j in 0..<16 where p * 16 + j < n { w[(p * k + kk) * 16 + j] = element(kk, p * 16 + j) }
            }
        }
        weights = AlignedFloats(w)
        var b = [Float](repeating: 0, count: panels * 16)
        for j in 0..<n { b[j] = bias[j] }
        self.bias = AlignedFloats(b)
    }

    /// Computes `m` rows: row `r` of A starts at `a + r·lda`, row `r` of C at `c + r·ldc`.
    func run(a: UnsafePointer<Float>, lda: Int, m: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let w = UnsafePointer(weights.pointer), b = UnsafePointer(bias.pointer)
        // Rows per chunk: keep the chunk of A (rows × K) within about 256 KB so it stays in L2
        // while every panel of B passes over it once.
        let chunk = max(4, (65_536 / max(k, 1)) & ~3)
        var m0 = 0
        while m0 < m {
            let m1 = min(m, m0 + chunk)
            for p in 0..<panels {
                let cols = min(16, n - p * 16)
                let panel = w + p * k * 16
                let bias = b + p * 16
                var r = m0
                while r + 4 <= m1 {
                    #if AVX2
                    gemmKernel4x16(a: a + r * lda, lda: lda, b: panel, k: k, bias: bias, c: c + r * ldc + p * 16,
                                   ldc: ldc, cols: cols, lo: lo, hi: hi)
                    #else
                    gemmKernel4x8(a: a + r * lda, lda: lda, b: panel, k: k, bias: bias, c: c + r * ldc + p * 16,
                                  ldc: ldc, cols: min(cols, 8), lo: lo, hi: hi)
                    if cols > 8 {
                        gemmKernel4x8(a: a + r * lda, lda: lda, b: panel + 8, k: k, bias: bias + 8,
                                      c: c + r * ldc + p * 16 + 8, ldc: ldc, cols: cols - 8, lo: lo, hi: hi)
                    }
                    #endif
                    r += 4
                }
                while r < m1 {
                    gemmKernel1x16(a: a + r * lda, b: panel, k: k, bias: bias, c: c + r * ldc + p * 16, cols: cols, lo: lo, hi: hi)
                    r += 1
                }
            }
            m0 = m1
        }
    }
}

@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// Stores 8 lanes, or only the first `remaining` if fewer are left.
@inline(__always)
func storeChannels(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ remaining: Int) {
    if remaining >= 8 {
        store8(v, p)
    } else {
        for j in 0..<remaining { p[j] = v[j] }
    }
}

/// Stores the first `cols` (≤ 16) lanes of the pair (lo lanes 0–7, hi lanes 8–15).
@inline(__always)
func storePartial16(_ v0: SIMD8<Float>, _ v1: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, cols: Int) {
    if cols == 16 {
        store8(v0, p); store8(v1, p + 8)
        return
    }
    for j in 0..<min(cols, 8) { p[j] = v0[j] }
    if cols > 8 { for j in 8..<cols { p[j] = v1[j - 8] } }
}

/// Clamps to [lo, hi].
@inline(__always)
func clamp8(_ v: SIMD8<Float>, _ lo: SIMD8<Float>, _ hi: SIMD8<Float>) -> SIMD8<Float> {
    v.replacing(with: lo, where: v .< lo).replacing(with: hi, where: v .> hi)
}

/// 4 rows × 8 of the 16 columns of a panel (`b` points at the first of the 8).
@inline(__always)
func gemmKernel4x8(a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, k: Int, bias: UnsafePointer<Float>,
                   c: UnsafeMutablePointer<Float>, ldc: Int, cols: Int, lo: Float, hi: Float) {
    let bias0 = load8(bias)
    var c0 = bias0, c1 = bias0, c2 = bias0, c3 = bias0
    let a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda
    var bp = b
    for kk in 0..<k {
        let b0 = load8(bp)
        c0 += SIMD8<Float>(repeating: a0[kk]) * b0
        c1 += SIMD8<Float>(repeating: a1[kk]) * b0
        c2 += SIMD8<Float>(repeating: a2[kk]) * b0
        c3 += SIMD8<Float>(repeating: a3[kk]) * b0
        bp += 16
    }
    let l = SIMD8<Float>(repeating: lo), h = SIMD8<Float>(repeating: hi)
    storeChannels(clamp8(c0, l, h), c, cols)
    storeChannels(clamp8(c1, l, h), c + ldc, cols)
    storeChannels(clamp8(c2, l, h), c + 2 * ldc, cols)
    storeChannels(clamp8(c3, l, h), c + 3 * ldc, cols)
}

/// 4 rows × 16 columns of C.
@inline(__always)
func gemmKernel4x16(a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, k: Int, bias: UnsafePointer<Float>,
                    c: UnsafeMutablePointer<Float>, ldc: Int, cols: Int, lo: Float, hi: Float) {
    let bias0 = load8(bias), bias1 = load8(bias + 8)
    var c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1
    var c20 = bias0, c21 = bias1, c30 = bias0, c31 = bias1
    let a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda
    var bp = b
    for kk in 0..<k {
        let b0 = load8(bp), b1 = load8(bp + 8)
        let x0 = SIMD8<Float>(repeating: a0[kk])
        c00 += x0 * b0; c01 += x0 * b1
        let x1 = SIMD8<Float>(repeating: a1[kk])
        c10 += x1 * b0; c11 += x1 * b1
        let x2 = SIMD8<Float>(repeating: a2[kk])
        c20 += x2 * b0; c21 += x2 * b1
        let x3 = SIMD8<Float>(repeating: a3[kk])
        c30 += x3 * b0; c31 += x3 * b1
        bp += 16
    }
    let l = SIMD8<Float>(repeating: lo), h = SIMD8<Float>(repeating: hi)
    storePartial16(clamp8(c00, l, h), clamp8(c01, l, h), c, cols: cols)
    storePartial16(clamp8(c10, l, h), clamp8(c11, l, h), c + ldc, cols: cols)
    storePartial16(clamp8(c20, l, h), clamp8(c21, l, h), c + 2 * ldc, cols: cols)
    storePartial16(clamp8(c30, l, h), clamp8(c31, l, h), c + 3 * ldc, cols: cols)
}

/// 1 row × 16 columns of C.
@inline(__always)
func gemmKernel1x16(a: UnsafePointer<Float>, b: UnsafePointer<Float>, k: Int, bias: UnsafePointer<Float>,
                    c: UnsafeMutablePointer<Float>, cols: Int, lo: Float, hi: Float) {
    var c0 = load8(bias), c1 = load8(bias + 8)
    var bp = b
    for kk in 0..<k {
        let x = SIMD8<Float>(repeating: a[kk])
        c0 += x * load8(bp); c1 += x * load8(bp + 8)
        bp += 16
    }
    let l = SIMD8<Float>(repeating: lo), h = SIMD8<Float>(repeating: hi)
    storePartial16(clamp8(c0, l, h), clamp8(c1, l, h), c, cols: cols)
}
