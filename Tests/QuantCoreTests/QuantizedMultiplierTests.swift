import Foundation
import XCTest
@testable import QuantCore
import TestSupport

final class QuantizedMultiplierTests: XCTestCase {
    func checkRoundTrip(_ real: Double, file: StaticString = #filePath, line: UInt = #line) {
        let q = QuantizedMultiplier(real)
        XCTAssertGreaterThanOrEqual(q.multiplier, 1 << 30, "\(real)", file: file, line: line)
        XCTAssertTrue((-31...30).contains(q.shift), "\(real) → shift \(q.shift)", file: file, line: line)
        let relative = abs(q.real - real) / real
        XCTAssertLessThan(relative, pow(2, -30), "\(real) → \(q.real)", file: file, line: line)
    }

    func testRandomRealsRoundTrip() {
        var rng = TestRandom(seed: 42)
        for _ in 0..<100_000 {
            checkRoundTrip(pow(2, Double.random(in: -31.9...29.9, using: &rng)))
        }
    }

    func testPowersOfTwoAreExact() {
        // 2^e = 0.5 · 2^(e+1): representable for e + 1 in −31…30.
        for e in -32...29 {
            let q = QuantizedMultiplier(pow(2, Double(e)))
            XCTAssertEqual(q.multiplier, 1 << 30)
            XCTAssertEqual(q.real, pow(2, Double(e)))
        }
    }

    func testMantissaRoundingUpToTwoRenormalizes() {
        let q = QuantizedMultiplier(1 - pow(2, -40))
        XCTAssertEqual(q, QuantizedMultiplier(multiplier: 1 << 30, shift: 1))
        checkRoundTrip(1 - pow(2, -40))
        checkRoundTrip(0.75)
        checkRoundTrip(1.0 / 3.0)
    }

    func testZeroAndTinyMultipliersBecomeZero() {
        XCTAssertEqual(QuantizedMultiplier(0), QuantizedMultiplier(multiplier: 0, shift: 0))
        XCTAssertEqual(QuantizedMultiplier(pow(2, -33)), QuantizedMultiplier(multiplier: 0, shift: 0))
        XCTAssertEqual(requantize(123_456, 0, 0), 0)
    }

    func testRequantizeApproximatesTheRealProduct() {
        var rng = TestRandom(seed: 7)
        for _ in 0..<20_000 {
            let real = pow(2, Double.random(in: -20...4, using: &rng))
            let q = QuantizedMultiplier(real)
            let acc = Int32.random(in: -(1 << 24)...(1 << 24), using: &rng)
            let exact = Double(acc) * q.real
            guard abs(exact) < 2e9 else { continue }
            // Two roundings of at most 1/2 each.
            XCTAssertLessThanOrEqual(abs(Double(requantize(acc, q.multiplier, q.shift)) - exact), 1.0, "\(acc) × \(real)")
        }
    }
}
