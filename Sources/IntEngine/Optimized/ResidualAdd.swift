import QuantCore

/// Residual add, 8 elements per step with the vector requantization (three uniform
/// requantizations per element: each input into the fine grid, then the sum to the output);
/// the last `count mod 8` elements go through `referenceAdd`. Bit-exact with `referenceAdd`.
struct ResidualAdd: NodeKernel {
    let p: QAdd
    let count: Int
    let input1: VectorRequant, input2: VectorRequant, output: VectorRequant
    var scratchBytes: Int { 0 }

    init(_ p: QAdd, count: Int) {
        self.p = p
        self.count = count
        input1 = VectorRequant(uniformMultiplier: p.input1Multiplier, shift: p.input1Shift, zeroPoint: 0, lo: -128, hi: 127)
        input2 = VectorRequant(uniformMultiplier: p.input2Multiplier, shift: p.input2Shift, zeroPoint: 0, lo: -128, hi: 127)
        output = VectorRequant(uniformMultiplier: p.outputMultiplier, shift: p.outputShift,
                               zeroPoint: p.outputZeroPoint, lo: p.actMin, hi: p.actMax)
    }

    func run(_ inputs: UnsafePointer<UnsafePointer<Int8>>, _ out: UnsafeMutablePointer<Int8>,
             _ scratch: UnsafeMutableRawPointer) {
        let a = inputs[0], b = inputs[1]
        let zp1 = Int32x8(repeating: p.input1ZeroPoint), zp2 = Int32x8(repeating: p.input2ZeroPoint)
        let shift = p.leftShift
        var i = 0
        while i + 8 <= count {
            let x1 = (loadWidened(a + i) &- zp1) &<< shift
            let x2 = (loadWidened(b + i) &- zp2) &<< shift
            let sum = input1.scale8(x1, first: 0) &+ input2.scale8(x2, first: 0)
            UnsafeMutableRawPointer(out + i).storeBytes(of: output.apply8(sum, first: 0), as: SIMD8<Int8>.self)
            i += 8
        }
        if i < count { referenceAdd(a + i, b + i, Shape3(1, 1, count - i), p, out + i) }
    }
}
