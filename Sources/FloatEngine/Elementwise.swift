/// Element-wise kernels: clamps, hard-swish / hard-sigmoid, residual add, channel-wise multiply.
enum Elementwise {
    /// `out = clamp(x, lo, hi)` (ReLU, ReLU6).
    static func clamp(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int, lo: Float, hi: Float) {
        let l = SIMD8<Float>(repeating: lo), h = SIMD8<Float>(repeating: hi)
        var i = 0
        while i + 8 <= count { store8(clamp8(load8(x + i), l, h), out + i); i += 8 }
        while i < count { out[i] = min(max(x[i], lo), hi); i += 1 }
    }

    /// hard-swish `x · relu6(x + 3) / 6`, or hard-sigmoid `relu6(x + 3) / 6`.
    static func hard(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int, sigmoid: Bool) {
        let zero = SIMD8<Float>(repeating: 0), three = SIMD8<Float>(repeating: 3), six = SIMD8<Float>(repeating: 6)
        var i = 0
        while i + 8 <= count {
            let v = load8(x + i)
            let r = clamp8(v + three, zero, six)
            store8(sigmoid ? r / six : v * r / six, out + i)
            i += 8
        }
        while i < count {
            let r = min(max(x[i] + 3, 0), 6)
            out[i] = sigmoid ? r / 6 : x[i] * r / 6
            i += 1
        }
    }

    /// `out = clamp(a + b, lo, hi)`.
    static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int,
                    lo: Float, hi: Float) {
        let l = SIMD8<Float>(repeating: lo), h = SIMD8<Float>(repeating: hi)
        var i = 0
        while i + 8 <= count { store8(clamp8(load8(a + i) + load8(b + i), l, h), out + i); i += 8 }
        while i < count { out[i] = min(max(a[i] + b[i], lo), hi); i += 1 }
    }

    /// `out[p][c] = x[p][c] · gate[c]` over `pixels` positions of `channels`.
    static func mul(_ x: UnsafePointer<Float>, gate: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                    pixels: Int, channels c: Int) {
        for p in 0..<pixels {
            let src = x + p * c, dst = out + p * c
            var ch = 0
            while ch + 8 <= c { store8(load8(src + ch) * load8(gate + ch), dst + ch); ch += 8 }
            while ch < c { dst[ch] = src[ch] * gate[ch]; ch += 1 }
        }
    }
}
