import QuantCore

/// Reference channel split: output channel c is input channel `start + c`, for c < outShape.c.
public func referenceSplit(_ input: UnsafePointer<Int8>, _ inShape: Shape3, start: Int,
                           _ output: UnsafeMutablePointer<Int8>, _ outShape: Shape3) {
    for pixel in 0..<(outShape.h * outShape.w) {
        for c in 0..<outShape.c {
            output[pixel * outShape.c + c] = input[pixel * inShape.c + start + c]
        }
    }
}
