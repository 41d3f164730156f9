/// Channel rearrangements on NHWC: concatenation, slicing, shuffle.
enum ChannelOps {
    /// Copies `count` channels starting at `start` of every pixel of `input` (`inChannels` wide)
    /// into channels [`offset`, `offset + count`) of `output` (`outChannels` wide).
    static func copy(_ input: UnsafePointer<Float>, inChannels: Int, start: Int, count: Int,
                     _ output: UnsafeMutablePointer<Float>, outChannels: Int, offset: Int, pixels: Int) {
        for p in 0..<pixels {
            (output + p * outChannels + offset).update(from: input + p * inChannels + start, count: count)
        }
    }

    /// Output channel `j·g + i` takes input channel `i·(C/g) + j`.
    static func shuffle(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, pixels: Int, channels c: Int, groups g: Int) {
        let per = c / g
        for p in 0..<pixels {
            let src = input + p * c, dst = output + p * c
            for i in 0..<g {
                for j in 0..<per { dst[j * g + i] = src[i * per + j] }
            }
        }
    }
}
