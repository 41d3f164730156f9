/// The memory one worker runs the model in, allocated once: one buffer per slot of the
/// `BufferPlan` (with 64 bytes of slack), the scratch area and the input-pointer list.
final class Workspace {
    let slots: [AlignedBuffer<Int8>]
    let scratch: AlignedBuffer<UInt8>
    /// Pointers to the current node's inputs (room for the widest node).
    let inputList: UnsafeMutablePointer<UnsafePointer<Int8>>
    let inputListCapacity: Int

    init(plan: BufferPlan, scratchBytes: Int, maxInputs: Int) {
        slots = plan.slotSizes.map { AlignedBuffer(count: $0 + 64) }
        scratch = AlignedBuffer(count: scratchBytes + 64)
        inputListCapacity = max(maxInputs, 1)
        inputList = .allocate(capacity: inputListCapacity)
    }

    deinit { inputList.deallocate() }
}
