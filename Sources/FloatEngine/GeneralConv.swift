/// Any other convolution (the stems, grouped k×k, strided 1×1, or any conv whose padding stands
/// for a non-zero value): gathers tiles of output positions into rows of `k·k·(C/groups)` inputs
/// (im2col, padding filled with `padValue`) and multiplies them with the packed weights per group.
struct GeneralConv: Sendable {
    let inChannels: Int, outChannels: Int, kernel: Int, stride: Int, groups: Int, padTop: Int, padLeft: Int
    /// Per-input-channel padding value.
    let padValue: [Float]
    /// One packed product per group, K ordered (ky, kx, c).
    let gemms: [PackedGemm]
    /// Output positions gathered per tile.
    static let tileRows = 64

    /// Scratch floats one run needs.
    var scratchCount: Int { GeneralConv.tileRows * kernel * kernel * (inChannels / groups) }

    /// `input` H×W×C, `output` OH×OW×outC, `scratch` at least `scratchCount` floats.
    func run(_ input: UnsafePointer<Float>, height: Int, width: Int, _ output: UnsafeMutablePointer<Float>,
             outHeight: Int, outWidth: Int, scratch: UnsafeMutablePointer<Float>) {
        let cg = inChannels / groups, og = outChannels / groups
        let kk = kernel * kernel * cg
        let positions = outHeight * outWidth
        padValue.withUnsafeBufferPointer { pads in
            var p0 = 0
            while p0 < positions {
                let rows = min(GeneralConv.tileRows, positions - p0)
                for g in 0..<groups {
                    for r in 0..<rows {
                        let oy = (p0 + r) / outWidth, ox = (p0 + r) % outWidth
                        var dst = scratch + r * kk
                        for ky in 0..<kernel {
                            let iy = oy * stride - padTop + ky
                            let ix0 = ox * stride - padLeft
                            if groups == 1 && iy >= 0 && iy < height && ix0 >= 0 && ix0 + kernel <= width {
                                // The whole kernel row is inside: k pixels of all channels are contiguous.
                                dst.update(from: input + (iy * width + ix0) * inChannels, count: kernel * cg)
                                dst += kernel * cg
                                continue
                            }
                            for kx in 0..<kernel {
                                let ix = ix0 + kx
                                if iy >= 0 && iy < height && ix >= 0 && ix < width {
                                    let src = input + (iy * width + ix) * inChannels + g * cg
                                    for c in 0..<cg { dst[c] = src[c] }
                                } else {
                                    for c in 0..<cg { dst[c] = pads[g * cg + c] }
                                }
                                dst += cg
                            }
                        }
                    }
                    gemms[g].run(a: scratch, lda: kk, m: rows, c: output + p0 * outChannels + g * og, ldc: outChannels)
                }
                p0 += rows
            }
        }
    }
}
