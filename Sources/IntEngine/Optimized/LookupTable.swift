import QuantCore

/// Any element-wise int8 → int8 op (hard-swish, requantize/ReLU, lookup) as a 256-entry
/// table, built by running the op's reference kernel on all 256 int8 inputs — bit-exact by
/// construction.
struct LookupTable: NodeKernel {
    let table: [Int8]
    let count: Int
    var scratchBytes: Int { 0 }

    /// `reference` is the op's reference kernel applied to a 1×1×256 tensor.
    init(count: Int, reference: (UnsafePointer<Int8>, Shape3, UnsafeMutablePointer<Int8>) -> Void) {
        self.count = count
        let all = (0..<256).map { Int8(truncatingIfNeeded: $0) }
        var out = [Int8](repeating: 0, count: 256)
        all.withUnsafeBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o in reference(i.baseAddress!, Shape3(1, 1, 256), o.baseAddress!) }
        }
        table = out
    }

    func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ output: UnsafeMutablePointer<Int8>,
             _ scratch: UnsafeMutableRawPointer) {
        let x = inputs[0]
        table.withUnsafeBufferPointer { t in
            for i in 0..<count { output[i] = t[Int(UInt8(bitPattern: x[i]))] }
        }
    }
}
