/// The kernel of one node, prepared once when the engine is built (packed weights, tables,
/// shapes). `run` allocates nothing: it reads its inputs, writes its output and may use
/// `scratchBytes` bytes of per-worker scratch memory (64-byte aligned).
protocol NodeKernel: Sendable {
    /// Scratch memory `run` needs, in bytes.
    var scratchBytes: Int { get }
    /// Computes the node: `inputs[i]` is the node's i-th input value.
    func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ output: UnsafeMutablePointer<Int8>,
             _ scratch: UnsafeMutableRawPointer)
    /// Scratch memory `runBatch` needs for `count` images, in bytes.
    func batchScratchBytes(_ count: Int) -> Int
    /// Computes the node on `count` images at once: image b's i-th input is at
    /// `inputs[i] + b · inputStrides[i]` (i < `inputCount`), its output at `output + b · outputStride`.
    /// `imageInputs` has room for `inputCount` pointers. The default runs `run` image by image;
    /// kernels that gain from a longer GEMM (pointwise, fully connected) override it.
    func runBatch(_ inputs: UnsafePointer<UnsafePointer<Int8>>, inputStrides: UnsafePointer<Int>, inputCount: Int,
                  _ output: UnsafeMutablePointer<Int8>, outputStride: Int, count: Int,
                  _ scratch: UnsafeMutableRawPointer, imageInputs: UnsafeMutablePointer<UnsafePointer<Int8>>)
}

extension NodeKernel {
    func batchScratchBytes(_ count: Int) -> Int { scratchBytes }

    func runBatch(_ inputs: UnsafePointer<UnsafePointer<Int8>>, inputStrides: UnsafePointer<Int>, inputCount: Int,
                  _ output: UnsafeMutablePointer<Int8>, outputStride: Int, count: Int,
                  _ scratch: UnsafeMutableRawPointer, imageInputs: UnsafeMutablePointer<UnsafePointer<Int8>>) {
        for b in 0..<count {
            for i in 0..<inputCount { imageInputs[i] = inputs[i] + b * inputStrides[i] }
            run(UnsafePointer(imageInputs), output + b * outputStride, scratch)
        }
    }
}
