import XCTest
import Calibration
import QuantCore
import TestSupport

final class QuantParamsTests: XCTestCase {
    func testKnownRanges() {
        let relu6 = activationQuantParams(min: 0, max: 6)
        XCTAssertEqual(relu6.scale, 6.0 / 255, accuracy: 1e-12)
        XCTAssertEqual(relu6.zeroPoint, -128)
        let negative = activationQuantParams(min: -6, max: 0)
        XCTAssertEqual(negative.zeroPoint, 127)
        let symmetric = activationQuantParams(min: -1, max: 1)
        XCTAssertEqual(symmetric.scale, 2.0 / 255, accuracy: 1e-12)
        // −128 + 127.5 = −0.5 rounds away from zero.
        XCTAssertEqual(symmetric.zeroPoint, -1)
        // A range not containing zero is widened to contain it.
        let positive = activationQuantParams(min: 2, max: 5.1)
        XCTAssertEqual(positive.scale, 5.1 / 255, accuracy: 1e-9)
        XCTAssertEqual(positive.zeroPoint, -128)
    }

    func testGridCoversTheRangeWithinHalfAStep() {
        var r = TestRandom(seed: 9)
        for _ in 0..<2_000 {
            let lo = -Float(r.unit() * 10) * (r.unit() < 0.2 ? 0 : 1)
            let hi = Float(r.unit() * 10) * (r.unit() < 0.2 ? 0 : 1)
            let p = activationQuantParams(min: lo, max: hi)
            XCTAssertGreaterThan(p.scale, 0)
            XCTAssertTrue((-128...127).contains(p.zeroPoint))
            let (gridLo, gridHi) = gridRange(scale: p.scale, zeroPoint: p.zeroPoint)
            XCTAssertLessThanOrEqual(gridLo, Double(lo) + p.scale / 2 + 1e-9)
            XCTAssertGreaterThanOrEqual(gridHi, Double(hi) - p.scale / 2 - 1e-9)
            XCTAssertLessThanOrEqual(gridLo, 0)
            XCTAssertGreaterThanOrEqual(gridHi, 0)
        }
    }

    func testDegenerateInputsNeverGiveZeroScale() {
        for (lo, hi) in [(Float(0), Float(0)), (.nan, .nan), (-.infinity, .infinity), (1e-30, 1e-30), (-1e-12, 0)] {
            let p = activationQuantParams(min: lo, max: hi)
            XCTAssertGreaterThan(p.scale, 0, "\(lo) \(hi)")
            XCTAssertTrue(p.scale.isFinite, "\(lo) \(hi)")
            XCTAssertTrue((-128...127).contains(p.zeroPoint))
        }
        let r = validActivationRange(min: 0, max: 0)
        XCTAssertEqual(r.max - r.min, minimumActivationRangeSpan)
        let negative = validActivationRange(min: -1e-9, max: 0)
        XCTAssertEqual(negative.max, 0)
        XCTAssertLessThan(negative.min, 0)
    }
}
