import QuantCore

/// Reference squeeze-excitation multiply: `input` is H×W×C, `gate` the 1×1×C channel gate.
///
///     out[y][x][c] = clamp(zp_out + requantize((q[y][x][c] − zp_x) · (g[c] − zp_g)), actMin, actMax)
public func referenceMul(_ input: UnsafePointer<Int8>, _ shape: Shape3, _ gate: UnsafePointer<Int8>,
                         _ p: QMul, _ output: UnsafeMutablePointer<Int8>) {
    for pixel in 0..<(shape.h * shape.w) {
        for c in 0..<shape.c {
            let i = pixel * shape.c + c
            let product = (Int32(input[i]) - p.inputZeroPoint) * (Int32(gate[c]) - p.gateZeroPoint)
            output[i] = requantizeToInt8(product, p.multiplier, p.shift,
                                         zeroPoint: p.outputZeroPoint, lo: p.actMin, hi: p.actMax)
        }
    }
}
