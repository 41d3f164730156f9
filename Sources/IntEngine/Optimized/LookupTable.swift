import IntKernels
import QuantCore

/// Any element-wise int8 → int8 op (hard-swish, requantize/ReLU, lookup) as a 256-entry
/// table, built by running the op's reference kernel on all 256 int8 inputs — bit-exact by
/// construction. With AVX-512 VBMI (`vnni`, see `hostHasVNNI`) the lookups run 64 at a time in
/// `q8h_lookup` (IntKernels/lookup.c: the table in four registers, `vpermi2b`); a scalar loop
/// otherwise.
struct LookupTable: NodeKernel {
    let table: [Int8]
    let count: Int
    let vnni: Bool
    var scratchBytes: Int { 0 }

    /// `reference` is the op's reference kernel applied to a 1×1×256 tensor.
    init(count: Int, vnni: Bool = hostHasVNNI, reference: (UnsafePointer<Int8>, Shape3, UnsafeMutablePointer<Int8>) -> Void) {
        self.count = count
        self.vnni = vnni
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
            if vnni { return q8h_lookup(t.baseAddress!, x, output, count) }
            for i in 0..<count { output[i] = t[Int(UInt8(bitPattern: x[i]))] }
        }
    }
}
