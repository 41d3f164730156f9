import QuantCore

/// Reference channel shuffle with `groups` groups of n = C / groups channels:
/// output channel `j · groups + i` takes input channel `i · n + j` (i < groups, j < n).
public func referenceShuffle(_ input: UnsafePointer<Int8>, _ shape: Shape3, groups: Int,
                             _ output: UnsafeMutablePointer<Int8>) {
    let n = shape.c / groups
    for pixel in 0..<(shape.h * shape.w) {
        for i in 0..<groups {
            for j in 0..<n {
                output[pixel * shape.c + j * groups + i] = input[pixel * shape.c + i * n + j]
            }
        }
    }
}
