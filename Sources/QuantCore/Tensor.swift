/// A dense float32 tensor: a shape and its values in row-major (C) order.
/// Checkpoint tensors keep PyTorch's layout (e.g. OIHW for convolution weights).
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "tensor shape \(shape) does not match \(values.count) values")
        self.shape = shape
        self.values = values
    }

    /// Number of elements (the product of the shape).
    public var count: Int { values.count }
}

/// The shape of one activation: height, width, channels (NHWC with batch 1).
public struct Shape3: Sendable, Equatable, CustomStringConvertible {
    public var h: Int, w: Int, c: Int
    public init(_ h: Int, _ w: Int, _ c: Int) { self.h = h; self.w = w; self.c = c }
    public var count: Int { h * w * c }
    public var description: String { "\(h)x\(w)x\(c)" }
}
