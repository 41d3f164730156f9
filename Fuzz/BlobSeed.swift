import Export
import TestSupport

/// The blob of the seed model: TestSupport's every-op model (conv with pad values, depthwise
/// convs, hard-swish, hard-sigmoid, residual add, squeeze-excitation multiply, pools, concat,
/// shuffle, split, with real requantization parameters; four convs with int4 weights packed two
/// per byte) at 16×16, written as a `.q8`, to seed the blob reader. Throws if the writer refuses
/// it (reported by the caller).
func seedBlob() throws -> [UInt8] {
    try writeBlob(TestModels.everyOp(seed: 8, int4: true))
}
