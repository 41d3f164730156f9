import XCTest
@testable import IntEngine
@testable import QuantCore

/// Hand-computed cases for the reference kernels (the spec): what each op means, checked on
/// inputs small enough to work out by hand.
final class ReferenceKernelTests: XCTestCase {
    /// M = 1: multiplier 2^30 with shift 1.
    static let one = (m: Int32(1 << 30), s: Int32(1))

    func conv(_ c: Int, k: Int, weights: [Int8], bias: [Int32], zpIn: Int32, zpOut: Int32, pad: Int, padValue: [Int8]? = nil,
              groups: Int = 1, outC: Int? = nil) -> QConv {
        let oc = outC ?? c
        return QConv(inChannels: c, outChannels: oc, kernelH: k, kernelW: k, strideH: 1, strideW: 1, padTop: pad, padLeft: pad,
                     groups: groups, weights: weights, bias: bias, multiplier: [Int32](repeating: Self.one.m, count: oc),
                     shift: [Int32](repeating: Self.one.s, count: oc), inputZeroPoint: zpIn, outputZeroPoint: zpOut,
                     actMin: -128, actMax: 127, padValue: padValue)
    }

    func testConvPaddingIsTheRealValueItStandsFor() {
        // 3×3 box filter on a 2×2 image whose values are all the input zero point (real zero).
        let shape = Shape3(2, 2, 1)
        let input = [Int8](repeating: 7, count: 4)
        var out = [Int8](repeating: 0, count: 4)
        referenceConv(input, shape, conv(1, k: 3, weights: [Int8](repeating: 1, count: 9), bias: [5], zpIn: 7, zpOut: -3, pad: 1), &out, shape)
        XCTAssertEqual(out, [2, 2, 2, 2])          // bias 5 + zp_out −3; zero padding adds nothing
        // Padding with the value 9 (= real +2): every output sees 5 padded taps of 2.
        referenceConv(input, shape, conv(1, k: 3, weights: [Int8](repeating: 1, count: 9), bias: [5], zpIn: 7, zpOut: -3, pad: 1, padValue: [9]), &out, shape)
        XCTAssertEqual(out, [12, 12, 12, 12])
    }

    func testConvGroupsAndLayout() {
        // 1×1 conv, 4 channels in 2 groups, OHWI weights: out0 = 2·in0 + 3·in1, out1 = in1,
        // out2 = −in2, out3 = in2 + in3 (zero points 0, M = 1).
        let shape = Shape3(1, 2, 4)
        let input: [Int8] = [1, 2, 3, 4, -5, 6, 7, 8]
        var out = [Int8](repeating: 0, count: 8)
        referenceConv(input, shape, conv(4, k: 1, weights: [2, 3, 0, 1, -1, 0, 1, 1], bias: [0, 0, 0, 100], zpIn: 0, zpOut: 0, pad: 0, groups: 2), &out, shape)
        XCTAssertEqual(out, [8, 2, -3, 107, 8, 6, -7, 115])
    }

    func testAddOfEqualScalesIsTheSum() {
        let p = QAdd.make(input1Scale: 0.1, input1ZeroPoint: 10, input2Scale: 0.1, input2ZeroPoint: -20,
                          outputScale: 0.1, outputZeroPoint: 5, actMin: -128, actMax: 127)
        var out = [Int8](repeating: 0, count: 3)
        referenceAdd([10, 20, 40], [-20, -25, 60], Shape3(1, 1, 3), p, &out)
        XCTAssertEqual(out, [5, 10, 115])          // 0 + 0, 10 − 5, 30 + 80 (plus zp 5)
        referenceAdd([100], [100], Shape3(1, 1, 1), p, &out)
        XCTAssertEqual(out[0], 127)                // 90 + 120 clamped
    }

    func testMulByTheGate() {
        let p = QMul(inputZeroPoint: 3, gateZeroPoint: -128, multiplier: Self.one.m, shift: Self.one.s - 8, outputZeroPoint: -1, actMin: -128, actMax: 127)
        var out = [Int8](repeating: 0, count: 4)
        // Gate 1 is 0 (→ 0); gate 2 is 128/256 (→ half); channels alternate.
        referenceMul([13, 13, 23, -7], Shape3(1, 2, 2), [-128, 0], p, &out)
        XCTAssertEqual(out, [-1, 4, -1, -6])
    }

    func testCopiesAndShuffle() {
        let a: [Int8] = [1, 2, 3, 4, 5, 6], b: [Int8] = [7, 8]
        var cat = [Int8](repeating: 0, count: 8)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                referenceConcat([(pa.baseAddress!, Shape3(1, 2, 3)), (pb.baseAddress!, Shape3(1, 2, 1))], &cat, Shape3(1, 2, 4))
            }
        }
        XCTAssertEqual(cat, [1, 2, 3, 7, 4, 5, 6, 8])
        var split = [Int8](repeating: 0, count: 4)
        referenceSplit(cat, Shape3(1, 2, 4), start: 1, &split, Shape3(1, 2, 2))
        XCTAssertEqual(split, [2, 3, 5, 6])
        var shuffled = [Int8](repeating: 0, count: 6)
        referenceShuffle([0, 1, 2, 3, 4, 5], Shape3(1, 1, 6), groups: 2, &shuffled)
        XCTAssertEqual(shuffled, [0, 3, 1, 4, 2, 5])
        referenceShuffle([0, 1, 2, 3, 4, 5], Shape3(1, 1, 6), groups: 3, &shuffled)
        XCTAssertEqual(shuffled, [0, 2, 4, 1, 3, 5])
    }

    func testPooling() {
        let shape = Shape3(2, 2, 1)
        let input: [Int8] = [-128, -100, -90, -128]
        var out = [Int8](repeating: 0, count: 4)
        let same = QRequantize(inputZeroPoint: 0, multiplier: 0, shift: 0, outputZeroPoint: 0)
        referenceMaxPool(input, shape, QPool(kernel: 3, stride: 1, padTop: 1, padLeft: 1, requant: same), &out, shape)
        XCTAssertEqual(out, [-90, -90, -90, -90])  // padding never wins, even over −128
        // Average pool 3×3, count_include_pad: corner windows hold 4 real pixels of value +9.
        let ninth = QuantizedMultiplier(1.0 / 9)
        let avg = QPool(kernel: 3, stride: 1, padTop: 1, padLeft: 1,
                        requant: QRequantize(inputZeroPoint: -5, multiplier: ninth.multiplier, shift: ninth.shift, outputZeroPoint: 2))
        referenceAvgPool([Int8](repeating: 4, count: 4), shape, avg, &out, shape)
        XCTAssertEqual(out, [6, 6, 6, 6])          // round(36 / 9) + 2
        let quarter = QuantizedMultiplier(0.25)
        var mean = [Int8](repeating: 0, count: 2)
        referenceGlobalAvgPool([1, 10, 2, 20, 3, 30, 5, 40], Shape3(2, 2, 2),
                               QRequantize(inputZeroPoint: 1, multiplier: quarter.multiplier, shift: quarter.shift, outputZeroPoint: 0), &mean)
        XCTAssertEqual(mean, [2, 24])              // round(7/4), round(96/4)
    }

    func testRequantizeAsReLU() {
        let p = QRequantize(inputZeroPoint: -10, multiplier: Self.one.m, shift: Self.one.s, outputZeroPoint: -10, actMin: -10, actMax: 127)
        var out = [Int8](repeating: 0, count: 4)
        referenceRequantize([-128, -11, -10, 50], Shape3(1, 1, 4), p, &out)
        XCTAssertEqual(out, [-10, -10, -10, 50])
    }
}
