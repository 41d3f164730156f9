import QuantCore

/// `NodeKernel` wrappers that run the reference kernels (`useReference: true`, and the ops
/// whose reference loop is already as fast as needed: max/avg pooling, shuffle).
enum ReferenceKernel {
    struct Conv: NodeKernel {
        let p: QConv, inShape: Shape3, outShape: Shape3
        var scratchBytes: Int { 0 }
        func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ output: UnsafeMutablePointer<Int8>, _ scratch: UnsafeMutableRawPointer) {
            referenceConv(inputs[0], inShape, p, output, outShape)
        }
    }
    struct Add: NodeKernel {
        let p: QAdd, shape: Shape3
        var scratchBytes: Int { 0 }
        func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ output: UnsafeMutablePointer<Int8>, _ scratch: UnsafeMutableRawPointer) {
            referenceAdd(inputs[0], inputs[1], shape, p, output)
        }
    }
    struct Mul: NodeKernel {
        let p: QMul, shape: Shape3
        var scratchBytes: Int { 0 }
        func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ output: UnsafeMutablePointer<Int8>, _ scratch: UnsafeMutableRawPointer) {
            referenceMul(inputs[0], shape, inputs[1], p, output)
        }
    }
    struct HardSwish: NodeKernel {
        let p: QHardSwish, shape: Shape3
        var scratchBytes: Int { 0 }
        func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ output: UnsafeMutablePointer<Int8>, _ scratch: UnsafeMutableRawPointer) {
            referenceHardSwish(inputs[0], shape, p, output)
        }
    }
    struct Lookup: NodeKernel {
        let p: QLookup, shape: Shape3
        var scratchBytes: Int { 0 }
        func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ output: UnsafeMutablePointer<Int8>, _ scratch: UnsafeMutableRawPointer) {
            referenceLookup(inputs[0], shape, p, output)
        }
    }
    struct Requantize: NodeKernel {
        let p: QRequantize, shape: Shape3
        var scratchBytes: Int { 0 }
        func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ output: UnsafeMutablePointer<Int8>, _ scratch: UnsafeMutableRawPointer) {
            referenceRequantize(inputs[0], shape, p, output)
        }
    }
    struct Concat: NodeKernel {
        let inShapes: [Shape3], outShape: Shape3
        var scratchBytes: Int { 0 }
        func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ output: UnsafeMutablePointer<Int8>, _ scratch: UnsafeMutableRawPointer) {
            referenceConcat(inShapes.indices.map { (inputs[$0], inShapes[$0]) }, output, outShape)
        }
    }
    struct Split: NodeKernel {
        let start: Int, inShape: Shape3, outShape: Shape3
        var scratchBytes: Int { 0 }
        func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ output: UnsafeMutablePointer<Int8>, _ scratch: UnsafeMutableRawPointer) {
            referenceSplit(inputs[0], inShape, start: start, output, outShape)
        }
    }
    struct Shuffle: NodeKernel {
        let groups: Int, shape: Shape3
        var scratchBytes: Int { 0 }
        func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ output: UnsafeMutablePointer<Int8>, _ scratch: UnsafeMutableRawPointer) {
            referenceShuffle(inputs[0], shape, groups: groups, output)
        }
    }
    struct MaxPool: NodeKernel {
        let p: QPool, inShape: Shape3, outShape: Shape3
        var scratchBytes: Int { 0 }
        func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ output: UnsafeMutablePointer<Int8>, _ scratch: UnsafeMutableRawPointer) {
            referenceMaxPool(inputs[0], inShape, p, output, outShape)
        }
    }
    struct AvgPool: NodeKernel {
        let p: QPool, inShape: Shape3, outShape: Shape3
        var scratchBytes: Int { 0 }
        func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ output: UnsafeMutablePointer<Int8>, _ scratch: UnsafeMutableRawPointer) {
            referenceAvgPool(inputs[0], inShape, p, output, outShape)
        }
    }
    struct GlobalAvgPool: NodeKernel {
        let p: QRequantize, inShape: Shape3
        var scratchBytes: Int { 0 }
        func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ output: UnsafeMutablePointer<Int8>, _ scratch: UnsafeMutableRawPointer) {
            referenceGlobalAvgPool(inputs[0], inShape, p, output)
        }
    }
}
