import XCTest
@testable import QuantCore
import TestSupport

/// `requantize` against an exact oracle written from the mathematical definition (exact integer
/// arithmetic on the rational values, no shifts-and-masks tricks):
/// 1. `x = clamp(acc · 2^max(shift, 0))` to int32;
/// 2. `y = x · M0 / 2^31` rounded to nearest, exact halves UP (TFLite's doubling high multiply;
///    the single overflow case INT32_MIN × INT32_MIN gives INT32_MAX);
/// 3. if shift < 0: `y / 2^min(−shift, 31)` rounded to nearest, exact halves away from zero.
final class RequantizeOracleTests: XCTestCase {
    /// floor(n / d) for d > 0.
    static func floorDiv(_ n: Int64, _ d: Int64) -> Int64 {
        let q = n / d
        return (n % d != 0 && n < 0) ? q - 1 : q
    }

    /// Round n / d to nearest, halves up (toward +∞): the nearest integer; when n/d is exactly
    /// k + 1/2, k + 1. Decided by comparing 2·n with (2k + 1)·d, not by a nudge.
    static func roundHalfUp(_ n: Int64, _ d: Int64) -> Int64 {
        let k = floorDiv(n, d)                  // k ≤ n/d < k + 1
        let twiceRemainder = 2 * (n - k * d)    // 2·(n/d − k)·d ∈ [0, 2d)
        return twiceRemainder >= d ? k + 1 : k
    }

    /// Round n / d to nearest, halves away from zero.
    static func roundHalfAway(_ n: Int64, _ d: Int64) -> Int64 {
        let magnitude = n.magnitude
        let q = magnitude / UInt64(d), r = magnitude % UInt64(d)
        let rounded = Int64(2 * r >= UInt64(d) ? q + 1 : q)
        return n < 0 ? -rounded : rounded
    }

    static func oracleHighMul(_ x: Int32, _ m: Int32) -> Int32 {
        if x == Int32.min && m == Int32.min { return Int32.max }
        return Int32(roundHalfUp(Int64(x) * Int64(m), 1 << 31))
    }

    static func oracle(_ acc: Int32, _ m: Int32, _ shift: Int32) -> Int32 {
        let left = max(shift, 0)
        let x = Int32(clamping: Int64(acc) * (Int64(1) << Int64(left)))
        let y = oracleHighMul(x, m)
        if shift >= 0 { return y }
        return Int32(roundHalfAway(Int64(y), Int64(1) << Int64(min(-shift, 31))))
    }

    func check(_ acc: Int32, _ m: Int32, _ shift: Int32, file: StaticString = #filePath, line: UInt = #line) {
        let got = requantize(acc, m, shift), want = Self.oracle(acc, m, shift)
        if got != want {
            XCTFail("requantize(\(acc), \(m), \(shift)) = \(got), oracle \(want)", file: file, line: line)
        }
    }

    func testRoundingOfTheHighMultiplyIsHalfUp() {
        // 2^30 / 2^31 = 0.5 exactly: halves go up, so −0.5 → 0 and −1.5 → −1 (TFLite's rule).
        XCTAssertEqual(saturatingRoundingDoublingHighMul(1, 1 << 30), 1)
        XCTAssertEqual(saturatingRoundingDoublingHighMul(-1, 1 << 30), 0)
        XCTAssertEqual(saturatingRoundingDoublingHighMul(3, 1 << 30), 2)
        XCTAssertEqual(saturatingRoundingDoublingHighMul(-3, 1 << 30), -1)
        XCTAssertEqual(saturatingRoundingDoublingHighMul(Int32.min, Int32.min), Int32.max)
        XCTAssertEqual(saturatingRoundingDoublingHighMul(Int32.min, Int32.max), -Int32.max)
        XCTAssertEqual(saturatingRoundingDoublingHighMul(Int32.max, Int32.max), Int32.max - 1)
    }

    func testRoundingDivideIsHalfAwayFromZero() {
        XCTAssertEqual(roundingDivideByPowerOfTwo(1, 1), 1)
        XCTAssertEqual(roundingDivideByPowerOfTwo(-1, 1), -1)
        XCTAssertEqual(roundingDivideByPowerOfTwo(3, 1), 2)
        XCTAssertEqual(roundingDivideByPowerOfTwo(-3, 1), -2)
        XCTAssertEqual(roundingDivideByPowerOfTwo(-5, 2), -1)
        XCTAssertEqual(roundingDivideByPowerOfTwo(-6, 2), -2)
        XCTAssertEqual(roundingDivideByPowerOfTwo(Int32.min, 31), -1)
        XCTAssertEqual(roundingDivideByPowerOfTwo(Int32.max, 31), 1)
        XCTAssertEqual(roundingDivideByPowerOfTwo(1 << 30, 31), 1)
        XCTAssertEqual(roundingDivideByPowerOfTwo(-(1 << 30), 31), -1)
        XCTAssertEqual(roundingDivideByPowerOfTwo((1 << 30) - 1, 31), 0)
        XCTAssertEqual(roundingDivideByPowerOfTwo(17, 0), 17)
    }

    func testEdgeCasesAgainstOracle() {
        let accs: [Int32] = [0, 1, -1, 2, -2, 3, -3, 127, -128, 255, -255, 32385, -32385,
                             1 << 30, -(1 << 30), (1 << 30) - 1, -(1 << 30) + 1, (1 << 30) + 1,
                             Int32.max, Int32.min, Int32.max - 1, Int32.min + 1, 1 << 16, -(1 << 16)]
        let multipliers: [Int32] = [0, 1, 1 << 30, (1 << 30) + 1, Int32.max, Int32.max - 1, 1_518_500_250, 1_431_655_765]
        var count = 0
        for acc in accs {
            for m in multipliers {
                for shift in Int32(-31)...31 {
                    check(acc, m, shift)
                    count += 1
                }
            }
        }
        XCTAssertEqual(count, accs.count * multipliers.count * 63)
    }

    func testExactHalvesAgainstOracle() {
        // M0 = 2^30 halves x exactly: odd x makes step 2 an exact half; x = 2·(k·2^e ± 2^(e−1))
        // makes step 3 an exact half.
        let half: Int32 = 1 << 30
        for x in Int32(-41)...41 { check(x, half, 0) }
        for e in Int32(1)...30 {
            for k in Int64(-3)...3 {
                for sign in [Int64(1), -1] {
                    let y = k * (Int64(1) << e) + sign * (Int64(1) << (e - 1))
                    if let x = Int32(exactly: 2 * y) {
                        check(x, half, -e)
                        XCTAssertEqual(requantize(x, half, -e), Int32(Self.roundHalfAway(y, Int64(1) << e)))
                    }
                }
            }
        }
    }

    func testSaturatingLeftShift() {
        XCTAssertEqual(requantize(Int32.max, Int32.max, 1), Int32.max - 1)
        XCTAssertEqual(requantize(1 << 30, 1 << 30, 2), 1 << 30)      // saturates to 2^31 − 1, then × 1/2
        XCTAssertEqual(requantize(-(1 << 30), 1 << 30, 2), -(1 << 30))
        for shift in Int32(1)...31 {
            check(Int32.max, 1 << 30, shift)
            check(Int32.min, 1 << 30, shift)
            check(3, Int32.max, shift)
        }
    }

    func testMillionRandomCasesAgainstOracle() {
        var rng = TestRandom(seed: 0x5EED_0001)
        for i in 0..<1_000_000 {
            let acc: Int32
            switch i % 4 {
            case 0: acc = Int32.random(in: Int32.min...Int32.max, using: &rng)
            case 1: acc = Int32.random(in: -(1 << 20)...(1 << 20), using: &rng)
            case 2: acc = Int32.random(in: -1000...1000, using: &rng)
            default: acc = Int32(truncatingIfNeeded: Int64.random(in: -3...3, using: &rng) << Int.random(in: 0...31, using: &rng))
            }
            let m = i % 16 == 0 ? Int32.random(in: Int32.min...Int32.max, using: &rng)
                                : Int32.random(in: (1 << 30)...Int32.max, using: &rng)
            let shift = Int32.random(in: -31...31, using: &rng)
            check(acc, m, shift)
        }
    }

    func testRequantizeToInt8AddsZeroPointAndClamps() {
        XCTAssertEqual(requantizeToInt8(1000, 1 << 30, -2, zeroPoint: 5, lo: -128, hi: 127), 127)
        XCTAssertEqual(requantizeToInt8(-1000, 1 << 30, -2, zeroPoint: 5, lo: -128, hi: 127), -120)
        XCTAssertEqual(requantizeToInt8(-1000, 1 << 30, -1, zeroPoint: 5, lo: -128, hi: 127), -128)
        XCTAssertEqual(requantizeToInt8(10, 1 << 30, 0, zeroPoint: -3, lo: 0, hi: 6), 2)
        XCTAssertEqual(requantizeToInt8(-10, 1 << 30, 0, zeroPoint: -3, lo: 0, hi: 6), 0)
        XCTAssertEqual(requantizeToInt8(Int32.max, Int32.max, 31, zeroPoint: 127, lo: -128, hi: 127), 127)
    }
}
