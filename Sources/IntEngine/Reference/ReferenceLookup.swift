import QuantCore

/// Reference lookup-table activation, element-wise (see `QLookup`): `out = table[q + 128]`.
public func referenceLookup(_ input: UnsafePointer<Int8>, _ shape: Shape3, _ p: QLookup,
                            _ output: UnsafeMutablePointer<Int8>) {
    for i in 0..<shape.count { output[i] = p.table[Int(input[i]) + 128] }
}
