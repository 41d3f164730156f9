/// An immutable float array on a 64-byte boundary (cache line), so the kernels' vector loads
/// never straddle two lines. Padded with 16 zero floats past the values for vector over-reads.
final class AlignedFloats: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>

    init(_ values: [Float]) {
        pointer = allocateAligned(values.count + 16)
        pointer.initialize(repeating: 0, count: values.count + 16)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { pointer.deallocate() }
}

/// Uninitialized floats on a 64-byte boundary; release with `deallocate()`.
func allocateAligned(_ count: Int) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64).bindMemory(to: Float.self, capacity: max(count, 1))
}
