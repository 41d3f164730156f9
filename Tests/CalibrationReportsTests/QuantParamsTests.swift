import XCTest
import Calibration
import QuantCore
import TestSupport

final class QuantParamsTests: XCTestCase {
    func testKnownRanges() {
        let relu6 = activationQuantParams(min: 0, max: 6)
        XCTAssertEqual(relu6.scale, shortScale(6.0 / 255))
        XCTAssertEqual(relu6.zeroPoint, -128)
        let negative = activationQuantParams(min: -6, max: 0)
        XCTAssertEqual(negative.zeroPoint, 127)
        let symmetric = activationQuantParams(min: -1, max: 1)
        XCTAssertEqual(symmetric.scale, shortScale(2.0 / 255))
        // −128 + 127.5 = −0.5 rounds away from zero.
        XCTAssertEqual(symmetric.zeroPoint, -1)
        // A range not containing zero is widened to contain it.
        let positive = activationQuantParams(min: 2, max: 5.1)
        XCTAssertEqual(positive.scale, shortScale(Double(Float(5.1)) / 255))
        XCTAssertEqual(positive.zeroPoint, -128)
    }

    /// Scales are rounded up to 8 significant bits: never smaller, less than 2⁻⁷ larger, already
    /// short scales unchanged, and values a few ulps apart almost always give the same scale.
    func testShortScale() {
        XCTAssertEqual(shortScale(6.0 / 255), 0.0235595703125)  // 193 · 2⁻¹³
        var r = TestRandom(seed: 4)
        var moved = 0
        for _ in 0..<10_000 {
            let s = Double(Float(r.unit() * 10 + 1e-6) / 255)
            let q = shortScale(s)
            XCTAssertGreaterThanOrEqual(q, s)
            XCTAssertLessThan(q, s * (1 + 1.0 / 128))
            XCTAssertEqual(shortScale(q), q)
            XCTAssertEqual(Double(Float(q)), q, "a float32 value")
            let m = q.significandBitPattern >> (52 - (scaleSignificantBits - 1))
            XCTAssertEqual(q.significandBitPattern, m << (52 - (scaleSignificantBits - 1)), "8 significant bits")
            if shortScale(Double(Float(s).nextUp.nextUp)) != q { moved += 1 }
        }
        XCTAssertLessThan(moved, 10, "two ulps rarely cross an 8-bit step")
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
