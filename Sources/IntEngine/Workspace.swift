import QuantCore

/// The memory one worker runs the model in, allocated once: the input buffer (value 0, outside the
/// arena as on the microcontroller), one activation arena of `ArenaPlan.arenaBytes` in which value
/// v ≥ 1 lives at `ArenaPlan.offsets[v]` (the offsets the blob stores), the kernel scratch and the
/// input-pointer lists. Input and arena have 64 bytes of slack after them, so vector loads may run
/// past a value's end.
///
/// A workspace for `images` > 1 (the batches of `logits(images:)`) holds that many inputs back to
/// back and that many arenas `arenaStride` bytes apart: image b's value v ≥ 1 is at
/// `values[v] + b · arenaStride`, its input at `values[0] + b · inputSize`.
final class Workspace {
    let input: AlignedBuffer<Int8>
    let arena: AlignedBuffer<Int8>
    let scratch: AlignedBuffer<UInt8>
    /// Where in-place depthwise steps copy their input (`inPlaceCopyBytes`).
    let copy: AlignedBuffer<Int8>
    /// Images a run holds at once (1 for the single-image calls).
    let images: Int
    /// Bytes from one image's arena to the next: `arenaBytes` rounded up to 64.
    let arenaStride: Int
    /// Pointers to the current node's inputs (room for the widest node).
    let inputList: UnsafeMutablePointer<UnsafePointer<Int8>>
    /// The bytes between consecutive images of each input (batched runs).
    let inputStrides: UnsafeMutablePointer<Int>
    /// One image's input pointers (kernels without a batched path).
    let imageInputs: UnsafeMutablePointer<UnsafePointer<Int8>>
    let inputListCapacity: Int
    /// Where each value of image 0 lives: `values[0]` is the input buffer, `values[v]` = arena + offsets[v].
    let values: [UnsafeMutablePointer<Int8>]

    init(plan: ArenaPlan, scratchBytes: Int, maxInputs: Int, images: Int = 1, copyBytes: Int = 0) {
        self.images = images
        arenaStride = (plan.arenaBytes + 63) / 64 * 64
        let input = AlignedBuffer<Int8>(count: plan.sizes[0] * images + 64)
        let arena = AlignedBuffer<Int8>(count: arenaStride * images + 64)
        self.input = input
        self.arena = arena
        scratch = AlignedBuffer(count: scratchBytes + 64)
        copy = AlignedBuffer(count: copyBytes + 64)
        inputListCapacity = max(maxInputs, 1)
        inputList = .allocate(capacity: inputListCapacity)
        inputStrides = .allocate(capacity: inputListCapacity)
        imageInputs = .allocate(capacity: inputListCapacity)
        values = [input.pointer] + plan.offsets.dropFirst().map { arena.pointer + $0 }
    }

    deinit { inputList.deallocate(); inputStrides.deallocate(); imageInputs.deallocate() }
}
