import QuantCore

/// The memory one worker runs the model in, allocated once: the input buffer (value 0, outside the
/// arena as on the microcontroller), one activation arena of `ArenaPlan.arenaBytes` in which value
/// v ≥ 1 lives at `ArenaPlan.offsets[v]` (the offsets the blob stores), the kernel scratch and the
/// input-pointer list. Input and arena have 64 bytes of slack after them, so vector loads may run
/// past a value's end.
final class Workspace {
    let input: AlignedBuffer<Int8>
    let arena: AlignedBuffer<Int8>
    let scratch: AlignedBuffer<UInt8>
    /// Pointers to the current node's inputs (room for the widest node).
    let inputList: UnsafeMutablePointer<UnsafePointer<Int8>>
    let inputListCapacity: Int
    /// Where each value lives: `values[0]` is the input buffer, `values[v]` = arena + offsets[v].
    let values: [UnsafeMutablePointer<Int8>]

    init(plan: ArenaPlan, scratchBytes: Int, maxInputs: Int) {
        let input = AlignedBuffer<Int8>(count: plan.sizes[0] + 64), arena = AlignedBuffer<Int8>(count: plan.arenaBytes + 64)
        self.input = input
        self.arena = arena
        scratch = AlignedBuffer(count: scratchBytes + 64)
        inputListCapacity = max(maxInputs, 1)
        inputList = .allocate(capacity: inputListCapacity)
        values = [input.pointer] + plan.offsets.dropFirst().map { arena.pointer + $0 }
    }

    deinit { inputList.deallocate() }
}
