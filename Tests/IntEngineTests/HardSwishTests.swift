import Foundation
import XCTest
@testable import IntEngine
@testable import QuantCore

/// Hard-swish (TFLite's int16 fixed-point kernel) on all 256 int8 inputs: within one output step
/// of the exact real function rounded to the output grid, and exact on all but a few inputs.
/// (Hard-sigmoid is a 1×1 depthwise conv: OpParamsTests.testHardSigmoidConvIsRelu6OfXPlus3Over6.)
final class HardSwishTests: XCTestCase {
    static let inputScales: [Float] = [0.005, 0.0083, 0.01, 0.023, 0.05, 0.1, 0.2]
    static let inputZeroPoints: [Int32] = [-128, -77, -10, 0, 33, 127]
    var refused = 0

    /// Runs the reference kernel on all 256 inputs and checks every output; returns how many
    /// were off by one (the rest are exact).
    @discardableResult
    func check(sIn sIn32: Float, zpIn: Int32, sOut sOut32: Float, zpOut: Int32,
               file: StaticString = #filePath, line: UInt = #line) -> Int {
        guard let p = QHardSwish.make(inputScale: sIn32, inputZeroPoint: zpIn, outputScale: sOut32, outputZeroPoint: zpOut) else {
            // TFLite refuses an output multiplier (s_in/128)/s_out ≥ 1, and so do we; nothing else.
            XCTAssertGreaterThanOrEqual(Double(sIn32 / 128 / sOut32), 0.99, "no parameters for s_in \(sIn32) s_out \(sOut32)", file: file, line: line)
            refused += 1
            return 0
        }
        let sIn = Double(sIn32), sOut = Double(sOut32)
        let input = (-128...127).map { Int8($0) }
        var output = [Int8](repeating: 0, count: 256)
        referenceHardSwish(input, Shape3(1, 1, 256), p, &output)
        var offByOne = 0
        for (q, got) in zip(input, output) {
            let x = sIn * Double(Int32(q) - zpIn)
            let relu6 = min(max(x + 3, 0), 6)
            let y = x * relu6 / 6
            let want = min(max((y / sOut).rounded() + Double(zpOut), -128), 127)
            let error = abs(Double(got) - want)
            XCTAssertLessThanOrEqual(error, 1, "hard-swish s_in \(sIn) zp_in \(zpIn) s_out \(sOut) zp_out \(zpOut): q \(q) → \(got), exact \(want)", file: file, line: line)
            if error > 0 { offByOne += 1 }
        }
        return offByOne
    }

    func testHardSwishAllInputs() {
        var cases = 0, offByOne = 0
        for sIn in Self.inputScales {
            for zpIn in Self.inputZeroPoints {
                // Output grid covering the function's range over this input grid, and two others.
                let xs = (-128...127).map { Double(sIn) * Double(Int32($0) - zpIn) }
                let ys = xs.map { $0 * min(max($0 + 3, 0), 6) / 6 }
                let lo = min(ys.min()!, 0), hi = max(ys.max()!, 0)
                let sOut = max(hi - lo, 1e-3) / 255
                let zpOut = Int32(min(max((-128 - lo / sOut).rounded(), -128), 127))
                for (s, z) in [(Float(sOut), zpOut), (sIn, zpIn), (Float(sOut * 0.5), zpOut)] {
                    offByOne += check(sIn: sIn, zpIn: zpIn, sOut: s, zpOut: z)
                    cases += 256
                }
            }
        }
        XCTAssertEqual(cases, Self.inputScales.count * Self.inputZeroPoints.count * 3 * 256)
        XCTAssertLessThan(refused, 4, "only all-negative inputs with a very fine output grid are refused")
        // Almost every output is exact; TFLite's fixed point is off by one on a few inputs.
        XCTAssertLessThan(Double(offByOne) / Double(cases), 0.02, "\(offByOne) of \(cases) outputs off by one")
    }

    func testNegativeSaturationIsExactZero() {
        // x ≤ −3 gives exactly the real zero (the relu-ish value saturates at −1, i.e. 0 after the shift).
        let sIn: Float = 0.05
        let hs = QHardSwish.make(inputScale: sIn, inputZeroPoint: 0, outputScale: sIn, outputZeroPoint: 0)!
        let input = (-128...127).map { Int8($0) }
        var swish = [Int8](repeating: 0, count: 256)
        referenceHardSwish(input, Shape3(16, 16, 1), hs, &swish)
        for (i, q) in input.enumerated() where Double(q) * Double(sIn) <= -3 { XCTAssertEqual(swish[i], 0, "q = \(q)") }
        for (i, q) in input.enumerated() where Double(q) * Double(sIn) >= 3 { XCTAssertLessThanOrEqual(abs(Int(swish[i]) - Int(q)), 1, "q = \(q)") }
    }
}
