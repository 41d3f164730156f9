import Foundation
import XCTest
@testable import QuantCore

final class OpParamsTests: XCTestCase {
    func real(_ m: Int32, _ s: Int32) -> Double { QuantizedMultiplier(multiplier: m, shift: s).real }

    func testAddFollowsTFLiteScheme() {
        let p = QAdd.make(input1Scale: 0.02, input1ZeroPoint: 3, input2Scale: 0.05, input2ZeroPoint: -7,
                          outputScale: 0.06, outputZeroPoint: 1, actMin: -128, actMax: 127)
        XCTAssertEqual(p.leftShift, 20)
        // The ratios are those of the float32 scales, computed in double.
        let s1 = Double(Float(0.02)), s2 = Double(Float(0.05)), so = Double(Float(0.06))
        XCTAssertEqual(real(p.input1Multiplier, p.input1Shift) / (s1 / (2 * s2)), 1, accuracy: pow(2, -30))
        XCTAssertEqual(real(p.input2Multiplier, p.input2Shift), 0.5, accuracy: 1e-12)
        XCTAssertEqual(real(p.outputMultiplier, p.outputShift) / (2 * s2 / (1_048_576 * so)), 1, accuracy: pow(2, -30))
        XCTAssertEqual([p.input1ZeroPoint, p.input2ZeroPoint, p.outputZeroPoint], [3, -7, 1])
    }

    func testAddIsCloseToTheRealSum() {
        let s1: Float = 0.031, s2: Float = 0.017, so: Float = 0.045
        let p = QAdd.make(input1Scale: s1, input1ZeroPoint: -10, input2Scale: s2, input2ZeroPoint: 20,
                          outputScale: so, outputZeroPoint: -5, actMin: -128, actMax: 127)
        for q1 in stride(from: -128, through: 127, by: 5) {
            for q2 in stride(from: -128, through: 127, by: 7) {
                let a = requantize((Int32(q1) + 10) << 20, p.input1Multiplier, p.input1Shift)
                let b = requantize((Int32(q2) - 20) << 20, p.input2Multiplier, p.input2Shift)
                let out = requantize(a + b, p.outputMultiplier, p.outputShift) - 5
                let exact = (Double(s1) * Double(q1 + 10) + Double(s2) * Double(q2 - 20)) / Double(so) - 5
                XCTAssertLessThanOrEqual(abs(Double(out) - exact), 0.51, "\(q1) + \(q2)")
            }
        }
    }

    func testMulAndReluMultipliers() {
        let m = QMul.make(inputScale: 0.1, inputZeroPoint: 2, gateScale: 1.0 / 256, gateZeroPoint: -128,
                          outputScale: 0.08, outputZeroPoint: 4, actMin: -128, actMax: 127)
        XCTAssertEqual(real(m.multiplier, m.shift) / (Double(Float(0.1)) / 256 / Double(Float(0.08))), 1, accuracy: pow(2, -30))
        // RELU divides in float32 first (CalculateReluOpData): the multiplier is that float32 quotient.
        let r = QRequantize.relu(.relu6, inputScale: 0.2, inputZeroPoint: 1, outputScale: 0.07, outputZeroPoint: -3)
        XCTAssertEqual(real(r.multiplier, r.shift), Double(Float(0.2) / Float(0.07)), accuracy: 4e-9)
        XCTAssertEqual([r.inputZeroPoint, r.outputZeroPoint, r.actMin, r.actMax], [1, -3, -3, 83])   // −3 + round(6 / 0.07) = −3 + 86
    }

    /// MEAN folds 1/n into the integer multiplier: ⌊M0 · 2^k / n⌋ with k = ⌊log2 n⌋, shift e0 − k.
    func testMeanFoldsTheCountIntoTheIntegerMultiplier() {
        let base = QuantizedMultiplier(Double(Float(0.2)) / Double(Float(0.05)))
        for n in [1, 2, 7, 49, 64, 100, 3136] {
            let r = QRequantize.mean(inputScale: 0.2, inputZeroPoint: 1, outputScale: 0.05, outputZeroPoint: -3, count: n)
            var k = 0
            while (1 << (k + 1)) <= n { k += 1 }
            XCTAssertEqual(r.shift, base.shift - Int32(k), "n = \(n)")
            XCTAssertEqual(Int64(r.multiplier), (Int64(base.multiplier) << Int64(k)) / Int64(n), "n = \(n)")
            XCTAssertEqual(real(r.multiplier, r.shift) * Double(n) / 4, 1, accuracy: pow(2, -29), "n = \(n)")
            if n.nonzeroBitCount == 1 { XCTAssertEqual(r.multiplier, base.multiplier, "n = \(n): a power of two is exact") }
            XCTAssertEqual([r.actMin, r.actMax], [-128, 127])
        }
        // The shift never goes below −31: a tiny ratio gives up bits of the multiplier instead.
        let tiny = QRequantize.mean(inputScale: 1e-6, inputZeroPoint: 0, outputScale: 1, outputZeroPoint: 0, count: 1 << 20)
        XCTAssertGreaterThanOrEqual(tiny.shift, -31)
    }

    func testAveragePoolIsADepthwiseConvOfOnes() {
        let r = QRequantize.averagePool(kernel: 3, inputScale: 0.2, inputZeroPoint: 1, outputScale: 0.05, outputZeroPoint: -3)
        let conv = QConv.multipliers(inputScale: 0.2, weightScales: [Float(1.0 / 9.0)], outputScale: 0.05)[0]
        XCTAssertEqual([r.multiplier, r.shift], [conv.multiplier, conv.shift])
        XCTAssertEqual(real(r.multiplier, r.shift) * 9 / 4, 1, accuracy: 1e-7)
    }

    func testFusedActivationBoundsRoundInFloat32() {
        XCTAssertEqual(FusedActivation.none.bounds(scale: 0.1, zeroPoint: -5).min, -128)
        XCTAssertEqual(FusedActivation.relu.bounds(scale: 0.1, zeroPoint: -5).min, -5)
        XCTAssertEqual(FusedActivation.relu6.bounds(scale: 0.1, zeroPoint: -5).max, 55)
        XCTAssertEqual(FusedActivation.relu6.bounds(scale: 0.01, zeroPoint: -5).max, 127)
        // 6 / s with s = 6/2.5 rounded to float32: the float32 quotient decides the rounding.
        let s = Float(6.0 / 2.5)
        XCTAssertEqual(FusedActivation.relu6.bounds(scale: s, zeroPoint: 0).max, Int32((Float(6) / s).rounded()))
    }

    func testHardSwishParametersFollowTFLitePrepare() throws {
        for s: Float in [0.0001, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 2.0] {
            let p = try XCTUnwrap(QHardSwish.make(inputScale: s, inputZeroPoint: 0, outputScale: s, outputZeroPoint: 0), "scale \(s)")
            // int16 multipliers of ((s/128)/s_out) and ((s/128)/(3/32768)).
            let outReal = Double(p.outputMultiplier) * pow(2, Double(p.outputExponent) - 15)
            XCTAssertEqual(outReal * 128, 1, accuracy: 1e-4, "scale \(s)")
            let reluReal = Double(p.reluishMultiplier) * pow(2, Double(p.reluishExponent) - 15)
            XCTAssertEqual(reluReal / (Double(s) / 128 * 32768 / 3), 1, accuracy: 1e-4, "scale \(s)")
            XCTAssertTrue((16384...32767).contains(p.outputMultiplier) && (16384...32767).contains(p.reluishMultiplier))
        }
        XCTAssertNil(QHardSwish.make(inputScale: 1, inputZeroPoint: 0, outputScale: 1e-5, outputZeroPoint: 0),
                     "an output exponent above 0 is refused (TFLite refuses it too)")
        XCTAssertEqual(QHardSwish.int16Multiplier(Int32.max), 32767)
        XCTAssertEqual(QHardSwish.int16Multiplier(1 << 30), 16384)
        XCTAssertEqual(QHardSwish.int16Multiplier((1 << 30) + (1 << 15)), 16385)   // rounds half up
    }

    func testHardSigmoidConvIsRelu6OfXPlus3Over6() {
        let s: Float = 0.04, z: Int32 = -10
        let c = QConv.hardSigmoid(channels: 3, inputScale: s, inputZeroPoint: z)
        XCTAssertEqual(c.groups, 3); XCTAssertEqual(c.kernelH, 1); XCTAssertEqual(c.weights, [127, 127, 127])
        for q in -128...127 {
            let acc = c.bias[0] + (Int32(q) - z) * 127
            let out = requantizeToInt8(acc, c.multiplier[0], c.shift[0], zeroPoint: -128, lo: -128, hi: 127)
            let x = Double(s) * Double(Int32(q) - z)
            let exact = min(max((x + 3) / 6, 0), 1) * 256 - 128
            XCTAssertLessThanOrEqual(abs(Double(out) - min(exact, 127)), 0.51, "q = \(q)")
        }
    }

    /// The reader's check: a model whose integers are not those derived from its scales is named.
    func testDerivationProblemNamesTheOp() {
        let info = QTensorInfo(shape: Shape3(2, 2, 3), zeroPoint: -128, scale: 1.0 / 255)
        var conv = QConv.hardSigmoid(channels: 3, inputScale: info.scale32, inputZeroPoint: -128)
        let out = QTensorInfo(shape: Shape3(2, 2, 3), zeroPoint: -128, scale: 1.0 / 256)
        var model = QModel(name: "m", input: info, nodes: [QNode(name: "hs", op: .conv(conv), inputs: [0], output: out)], numClasses: 12)
        XCTAssertNil(derivationProblem(model))
        conv.multiplier[1] += 1
        model.nodes[0].op = .conv(conv)
        XCTAssertEqual(derivationProblem(model), "node 0 (hs): the multiplier of output channel 1 is not the one derived from its scales")
        conv.weightScales = []
        model.nodes[0].op = .conv(conv)
        XCTAssertNotNil(derivationProblem(model)?.contains("0 float32 weight scales"))
    }

    func testLookupTableTabulatesTheFunctionOnBothGrids() {
        // The identity on equal grids is the identity table.
        let identity = QLookup.make(function: { $0 }, inputScale: 0.05, inputZeroPoint: 7, outputScale: 0.05, outputZeroPoint: 7)
        XCTAssertEqual(identity.table, (-128...127).map { Int8($0) })
        // Sigmoid onto [0, 1] with the hard-sigmoid grid: 0 maps to 128 steps above −128, saturation at the ends.
        let sigmoid = QLookup.make(function: { 1 / (1 + exp(-$0)) }, inputScale: 0.1, inputZeroPoint: 0, outputScale: 1.0 / 256, outputZeroPoint: -128)
        XCTAssertEqual(sigmoid.table[128], 0)                    // q = 0: sigmoid(0) = 0.5 → 128 − 128
        XCTAssertEqual(sigmoid.table[255], 127)                  // q = 127: sigmoid(12.7) · 256 = 255.99… → clamped to 127
        XCTAssertEqual(sigmoid.table[0], -128)                   // q = −128: sigmoid(−12.8) · 256 ≈ 0.0007
        XCTAssertEqual(sigmoid.table[128 + 10], Int8(Int((256 / (1 + exp(-1.0))).rounded()) - 128))
        // Monotone functions give monotone tables; halves round away from zero.
        XCTAssertEqual(sigmoid.table, sigmoid.table.sorted())
        let half = QLookup.make(function: { $0 / 2 }, inputScale: 1, inputZeroPoint: 0, outputScale: 1, outputZeroPoint: 0)
        XCTAssertEqual(half.table[128 + 3], 2)
        XCTAssertEqual(half.table[128 - 3], -2)
    }
}
