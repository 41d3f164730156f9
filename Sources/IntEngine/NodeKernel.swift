/// The kernel of one node, prepared once when the engine is built (packed weights, tables,
/// shapes). `run` allocates nothing: it reads its inputs, writes its output and may use
/// `scratchBytes` bytes of per-worker scratch memory (64-byte aligned).
protocol NodeKernel: Sendable {
    /// Scratch memory `run` needs, in bytes.
    var scratchBytes: Int { get }
    /// Computes the node: `inputs[i]` is the node's i-th input value.
    func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ output: UnsafeMutablePointer<Int8>,
             _ scratch: UnsafeMutableRawPointer)
}
