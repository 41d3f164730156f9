import QuantCore

/// Reference channel concatenation: the output pixel is input 0's channels, then input 1's, ...
/// All inputs share the output's H, W and quantization; values are copied unchanged.
public func referenceConcat(_ inputs: [(UnsafePointer<Int8>, Shape3)], _ output: UnsafeMutablePointer<Int8>,
                            _ outShape: Shape3) {
    for pixel in 0..<(outShape.h * outShape.w) {
        var oc = 0
        for (data, shape) in inputs {
            for c in 0..<shape.c {
                output[pixel * outShape.c + oc] = data[pixel * shape.c + c]
                oc += 1
            }
        }
    }
}
