import IntKernels
import QuantCore

/// Any convolution (the stem: k×k, small input channel count, strided, TF-SAME or symmetric
/// padding, per-channel pad values; also strided 1×1 and grouped k×k): for each output row and
/// group, the input windows are gathered into rows of K = kh·kw·(inC/groups) int8 values
/// (im2col, in scratch memory, converted to the GEMM's unsigned form `x + 128` on the way;
/// padding stored as its int8 value converted the same way; a kernel row lying inside the input
/// is one contiguous copy) and multiplied with the packed weights by `q8h_gemm` (AVX-512 VNNI,
/// where the CPU has it) or the portable `gemmRows`.
/// Bit-exact with `referenceConv`.
struct GeneralConv: NodeKernel {
    let packed: PackedGemmWeights?
    let vnni: VNNIGemmWeights?
    /// K = kh·kw·(inC/groups): the length of one im2col row.
    let k: Int
    let ocPerGroup: Int
    let p: QConv
    let inShape: Shape3, outShape: Shape3
    /// The value each input channel is padded with (padValue, or the zero point), as int8.
    let padBytes: [Int8]
    /// One output row's im2col rows, plus the bytes the GEMMs may read past them.
    var scratchBytes: Int { outShape.w * k + 4 }

    init(_ p: QConv, inShape: Shape3, outShape: Shape3, vnni useVNNI: Bool = hostHasVNNI) {
        packed = useVNNI ? nil : PackedGemmWeights(p)
        vnni = useVNNI ? VNNIGemmWeights(p) : nil
        k = p.kernelH * p.kernelW * (p.inChannels / p.groups)
        ocPerGroup = p.outChannels / p.groups
        self.p = p
        self.inShape = inShape
        self.outShape = outShape
        padBytes = p.padValue ?? [Int8](repeating: Int8(truncatingIfNeeded: p.inputZeroPoint), count: p.inChannels)
    }

    func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ output: UnsafeMutablePointer<Int8>,
             _ scratch: UnsafeMutableRawPointer) {
        let input = inputs[0]
        let rows = scratch.assumingMemoryBound(to: UInt8.self)
        let icPerGroup = p.inChannels / p.groups
        let span = p.kernelW * icPerGroup
        padBytes.withUnsafeBufferPointer { padBuffer in
            guard let pad = padBuffer.baseAddress else { return }
            for oy in 0..<outShape.h {
                for g in 0..<p.groups {
                    let groupPad = pad + g * icPerGroup
                    for ox in 0..<outShape.w {
                        var dst = rows + ox * k
                        let ix0 = ox * p.strideW - p.padLeft
                        let rowInside = ix0 >= 0 && ix0 + p.kernelW <= inShape.w
                        for ky in 0..<p.kernelH {
                            let iy = oy * p.strideH - p.padTop + ky
                            if iy >= 0 && iy < inShape.h && rowInside && p.groups == 1 {
                                // The whole kernel row is one contiguous run of the input.
                                copySmall(dst, input + (iy * inShape.w + ix0) * inShape.c, span)
                            } else {
                                for kx in 0..<p.kernelW {
                                    let ix = ix0 + kx
                                    let inside = iy >= 0 && iy < inShape.h && ix >= 0 && ix < inShape.w
                                    let src = inside ? input + (iy * inShape.w + ix) * inShape.c + g * icPerGroup : groupPad
                                    copySmall(dst + kx * icPerGroup, src, icPerGroup)
                                }
                            }
                            dst += span
                        }
                    }
                    let out = output + oy * outShape.w * p.outChannels + g * ocPerGroup
                    if let vnni {
                        vnni.run(rows, rowStride: k, count: outShape.w, group: g, out, outStride: p.outChannels)
                    } else if let packed {
                        gemmRows(rows, rowStride: k, count: outShape.w, group: g, packed, out, outStride: p.outChannels)
                    }
                }
            }
        }
    }
}

/// Copies `n` int8 bytes (the short runs of im2col) converted to `x + 128` (each byte XOR 0x80),
/// without a library call: whole 8-byte words, then one overlapping word (or smaller overlapping
/// pieces) for the rest.
@inline(__always)
private func copySmall(_ dst: UnsafeMutablePointer<UInt8>, _ src: UnsafePointer<Int8>, _ n: Int) {
    let d = UnsafeMutableRawPointer(dst), s = UnsafeRawPointer(src)
    if n >= 8 {
        var i = 0
        while i + 8 <= n {
            d.storeBytes(of: s.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ 0x8080_8080_8080_8080, toByteOffset: i, as: UInt64.self)
            i += 8
        }
        if i < n {
            d.storeBytes(of: s.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) ^ 0x8080_8080_8080_8080,
                         toByteOffset: n - 8, as: UInt64.self)
        }
    } else if n >= 4 {
        let head = s.loadUnaligned(as: UInt32.self), tail = s.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
        d.storeBytes(of: head ^ 0x8080_8080, as: UInt32.self)
        d.storeBytes(of: tail ^ 0x8080_8080, toByteOffset: n - 4, as: UInt32.self)
    } else if n >= 2 {
        let head = s.loadUnaligned(as: UInt16.self), tail = s.loadUnaligned(fromByteOffset: n - 2, as: UInt16.self)
        d.storeBytes(of: head ^ 0x8080, as: UInt16.self)
        d.storeBytes(of: tail ^ 0x8080, toByteOffset: n - 2, as: UInt16.self)
    } else if n == 1 {
        dst[0] = UInt8(bitPattern: src[0]) ^ 0x80
    }
}
