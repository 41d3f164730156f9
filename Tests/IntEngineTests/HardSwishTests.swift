import Foundation
import XCTest
@testable import IntEngine
@testable import QuantCore

/// Hard-swish and hard-sigmoid on all 256 int8 inputs: the integer kernel must be within one
/// output step of the exact real function rounded to the output grid.
final class HardSwishTests: XCTestCase {
    static let inputScales = [0.005, 0.0083, 0.01, 0.023, 0.05, 0.1, 0.2]
    static let inputZeroPoints: [Int32] = [-128, -77, -10, 0, 33, 127]

    /// Runs the reference kernel on all 256 inputs and checks every output; returns how many
    /// were off by one (the rest are exact).
    @discardableResult
    func check(sigmoid: Bool, sIn: Double, zpIn: Int32, sOut: Double, zpOut: Int32,
               file: StaticString = #filePath, line: UInt = #line) -> Int {
        let p = QHardSwish.make(isSigmoid: sigmoid, inputScale: sIn, inputZeroPoint: zpIn, outputScale: sOut, outputZeroPoint: zpOut)
        let input = (-128...127).map { Int8($0) }
        var output = [Int8](repeating: 0, count: 256)
        referenceHardSwish(input, Shape3(1, 1, 256), p, &output)
        var offByOne = 0
        for (q, got) in zip(input, output) {
            let x = sIn * Double(Int32(q) - zpIn)
            let relu6 = min(max(x + 3, 0), 6)
            let y = sigmoid ? relu6 / 6 : x * relu6 / 6
            let want = min(max((y / sOut).rounded() + Double(zpOut), -128), 127)
            let error = abs(Double(got) - want)
            XCTAssertLessThanOrEqual(error, 1, "\(sigmoid ? "hard-sigmoid" : "hard-swish") s_in \(sIn) zp_in \(zpIn) s_out \(sOut) zp_out \(zpOut): q \(q) → \(got), exact \(want)", file: file, line: line)
            if error > 0 { offByOne += 1 }
        }
        return offByOne
    }

    func testHardSwishAllInputs() {
        var cases = 0, offByOne = 0
        for sIn in Self.inputScales {
            for zpIn in Self.inputZeroPoints {
                // Output grid covering the function's range over this input grid, and two others.
                let xs = (-128...127).map { sIn * Double(Int32($0) - zpIn) }
                let ys = xs.map { $0 * min(max($0 + 3, 0), 6) / 6 }
                let lo = min(ys.min()!, 0), hi = max(ys.max()!, 0)
                let sOut = max(hi - lo, 1e-3) / 255
                let zpOut = Int32(min(max((-128 - lo / sOut).rounded(), -128), 127))
                for (s, z) in [(sOut, zpOut), (sIn, zpIn), (sOut * 0.5, zpOut)] {
                    offByOne += check(sigmoid: false, sIn: sIn, zpIn: zpIn, sOut: s, zpOut: z)
                    cases += 256
                }
            }
        }
        XCTAssertEqual(cases, Self.inputScales.count * Self.inputZeroPoints.count * 3 * 256)
        // Almost every output is exact; the ±1 budget is for the double rounding.
        XCTAssertLessThan(Double(offByOne) / Double(cases), 0.02, "\(offByOne) of \(cases) outputs off by one")
    }

    func testHardSigmoidAllInputsOnTheFixedGrid() {
        var cases = 0, offByOne = 0
        for sIn in Self.inputScales {
            for zpIn in Self.inputZeroPoints {
                offByOne += check(sigmoid: true, sIn: sIn, zpIn: zpIn, sOut: 1.0 / 256, zpOut: -128)
                cases += 256
            }
        }
        XCTAssertLessThan(Double(offByOne) / Double(cases), 0.02, "\(offByOne) of \(cases) outputs off by one")
    }

    func testSaturatedRegionsAreExact() {
        // x ≤ −3 gives exactly the real zero, x ≥ 3 gives x (hard-swish) or 1 − 1/256 (clamped).
        let sIn = 0.05, zpIn: Int32 = 0
        let hs = QHardSwish.make(isSigmoid: false, inputScale: sIn, inputZeroPoint: zpIn, outputScale: sIn, outputZeroPoint: 0)
        let sg = QHardSwish.make(isSigmoid: true, inputScale: sIn, inputZeroPoint: zpIn, outputScale: 1.0 / 256, outputZeroPoint: -128)
        let input = (-128...127).map { Int8($0) }
        var swish = [Int8](repeating: 0, count: 256), sigmoid = [Int8](repeating: 0, count: 256)
        referenceHardSwish(input, Shape3(16, 16, 1), hs, &swish)
        referenceHardSwish(input, Shape3(16, 16, 1), sg, &sigmoid)
        for (i, q) in input.enumerated() {
            if Double(q) * sIn <= -3 { XCTAssertEqual(swish[i], 0); XCTAssertEqual(sigmoid[i], -128) }
            if Double(q) * sIn >= 3 { XCTAssertEqual(swish[i], q); XCTAssertEqual(sigmoid[i], 127) }
        }
    }
}
