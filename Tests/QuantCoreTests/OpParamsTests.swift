import Foundation
import XCTest
@testable import QuantCore

final class OpParamsTests: XCTestCase {
    func real(_ m: Int32, _ s: Int32) -> Double { QuantizedMultiplier(multiplier: m, shift: s).real }

    func testAddFollowsTFLiteScheme() {
        let p = QAdd.make(input1Scale: 0.02, input1ZeroPoint: 3, input2Scale: 0.05, input2ZeroPoint: -7,
                          outputScale: 0.06, outputZeroPoint: 1, actMin: -128, actMax: 127)
        XCTAssertEqual(p.leftShift, 20)
        XCTAssertEqual(real(p.input1Multiplier, p.input1Shift) / 0.2, 1, accuracy: pow(2, -30))
        XCTAssertEqual(real(p.input2Multiplier, p.input2Shift), 0.5, accuracy: 1e-12)
        XCTAssertEqual(real(p.outputMultiplier, p.outputShift) / (0.1 / (1_048_576 * 0.06)), 1, accuracy: pow(2, -30))
        XCTAssertEqual([p.input1ZeroPoint, p.input2ZeroPoint, p.outputZeroPoint], [3, -7, 1])
    }

    func testAddIsCloseToTheRealSum() {
        let s1 = 0.031, s2 = 0.017, so = 0.045
        let p = QAdd.make(input1Scale: s1, input1ZeroPoint: -10, input2Scale: s2, input2ZeroPoint: 20,
                          outputScale: so, outputZeroPoint: -5, actMin: -128, actMax: 127)
        for q1 in stride(from: -128, through: 127, by: 5) {
            for q2 in stride(from: -128, through: 127, by: 7) {
                let a = requantize((Int32(q1) + 10) << 20, p.input1Multiplier, p.input1Shift)
                let b = requantize((Int32(q2) - 20) << 20, p.input2Multiplier, p.input2Shift)
                let out = requantize(a + b, p.outputMultiplier, p.outputShift) - 5
                let exact = (s1 * Double(q1 + 10) + s2 * Double(q2 - 20)) / so - 5
                XCTAssertLessThanOrEqual(abs(Double(out) - exact), 0.51, "\(q1) + \(q2)")
            }
        }
    }

    func testMulAndRequantizeMultipliers() {
        let m = QMul.make(inputScale: 0.1, inputZeroPoint: 2, gateScale: 1.0 / 256, gateZeroPoint: -128,
                          outputScale: 0.08, outputZeroPoint: 4, actMin: -128, actMax: 127)
        XCTAssertEqual(real(m.multiplier, m.shift) / (0.1 / 256 / 0.08), 1, accuracy: pow(2, -30))
        let r = QRequantize.make(inputScale: 0.2, inputZeroPoint: 1, outputScale: 0.05, outputZeroPoint: -3,
                                 count: 49, actMin: -3, actMax: 127)
        XCTAssertEqual(real(r.multiplier, r.shift) / (0.2 / (49 * 0.05)), 1, accuracy: pow(2, -30))
        XCTAssertEqual([r.inputZeroPoint, r.outputZeroPoint, r.actMin, r.actMax], [1, -3, -3, 127])
    }

    func testHardSwishShiftIsTheLargestThatFits() {
        for s in [0.0001, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 2.0] {
            let p = QHardSwish.make(isSigmoid: false, inputScale: s, inputZeroPoint: 0, outputScale: s, outputZeroPoint: 0)
            XCTAssertTrue((0...20).contains(p.inputShift))
            XCTAssertEqual(Double(p.three), (3 * pow(2, Double(p.inputShift)) / s).rounded())
            XCTAssertLessThanOrEqual(510 * Int64(p.three), Int64(Int32.max), "scale \(s)")
            if p.inputShift < 20 {
                let next = (3 * pow(2, Double(p.inputShift + 1)) / s).rounded()
                XCTAssertGreaterThan(510 * next, Double(Int32.max), "scale \(s): shift \(p.inputShift) is not the largest")
            }
        }
        let tiny = QHardSwish.make(isSigmoid: true, inputScale: 1e-8, inputZeroPoint: 0, outputScale: 1.0 / 256, outputZeroPoint: -128)
        XCTAssertEqual(tiny.inputShift, 0)
        XCTAssertEqual(tiny.three, QHardSwish.maxThree)
    }

    func testHardSwishMultipliers() {
        let s = 0.03, so = 0.025
        let hs = QHardSwish.make(isSigmoid: false, inputScale: s, inputZeroPoint: -20, outputScale: so, outputZeroPoint: -110)
        XCTAssertEqual(real(hs.multiplier, hs.shift) / (s * s / (6 * pow(2, Double(hs.inputShift)) * so)), 1, accuracy: pow(2, -30))
        let sg = QHardSwish.make(isSigmoid: true, inputScale: s, inputZeroPoint: -20, outputScale: 1.0 / 256, outputZeroPoint: -128)
        XCTAssertEqual(real(sg.multiplier, sg.shift) / (s * 256 / (6 * pow(2, Double(sg.inputShift)))), 1, accuracy: pow(2, -30))
        XCTAssertTrue(sg.isSigmoid)
        XCTAssertFalse(hs.isSigmoid)
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
