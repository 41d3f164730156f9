/// Pooling kernels on NHWC, vectorized over channels.
enum Pooling {
    /// Max (`average == false`, padding never wins) or average pooling that counts padding in
    /// the divisor (count_include_pad). `input` must be readable 8 floats past its end.
    static func window(_ input: UnsafePointer<Float>, height: Int, width: Int, channels c: Int,
                       _ output: UnsafeMutablePointer<Float>, outHeight: Int, outWidth: Int,
                       kernel k: Int, stride: Int, pad: Int, average: Bool) {
        let divisor = SIMD8<Float>(repeating: Float(k * k))
        for oy in 0..<outHeight {
            let iy0 = oy * stride - pad
            let kyLo = max(0, -iy0), kyHi = min(k, height - iy0)
            for ox in 0..<outWidth {
                let ix0 = ox * stride - pad
                let kxLo = max(0, -ix0), kxHi = min(k, width - ix0)
                let out = output + (oy * outWidth + ox) * c
                var ch = 0
                while ch < c {
                    var acc = SIMD8<Float>(repeating: average ? 0 : -.infinity)
                    for ky in kyLo..<kyHi {
                        for kx in kxLo..<kxHi {
                            let v = load8(input + ((iy0 + ky) * width + ix0 + kx) * c + ch)
                            acc = average ? acc + v : acc.replacing(with: v, where: v .> acc)
                        }
                    }
                    if average { acc /= divisor }
                    if ch + 8 <= c {
                        store8(acc, out + ch)
                    } else {
                        for j in 0..<(c - ch) { out[ch + j] = acc[j] }
                    }
                    ch += 8
                }
            }
        }
    }

    /// Mean over H and W of an H×W×C input into C floats.
    static func global(_ input: UnsafePointer<Float>, pixels: Int, channels c: Int, _ output: UnsafeMutablePointer<Float>) {
        let scale = 1 / Float(pixels)
        var ch = 0
        while ch + 8 <= c {
            var acc = SIMD8<Float>(repeating: 0)
            for p in 0..<pixels { acc += load8(input + p * c + ch) }
            store8(acc * scale, output + ch)
            ch += 8
        }
        while ch < c {
            var acc: Float = 0
            for p in 0..<pixels { acc += input[p * c + ch] }
            output[ch] = acc * scale
            ch += 1
        }
    }
}
