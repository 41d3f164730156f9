import XCTest
import QuantCore
import Reports
import TestSupport

final class LayerErrorTests: XCTestCase {
    private func info(_ name: String, _ c: Int, count: Int, scale: Double, zp: Int32, inputs: [Int] = []) -> LayerInfo {
        LayerInfo(name: name, op: "pointwise", shape: Shape3(1, count / c, c), scale: scale, zeroPoint: zp, inputs: inputs)
    }

    private func add(_ acc: inout LayerErrorAccumulator, _ v: Int, _ f: [Float], _ q: [Int8]) throws {
        try f.withUnsafeBufferPointer { fb in try q.withUnsafeBufferPointer { qb in try acc.add(value: v, float: fb, int8: qb) } }
    }

    func testConstantRelativeErrorGivesKnownSQNR() throws {
        // f = ±1, d = ±0.9: noise 0.01 per value, signal 1 → exactly 20 dB, same direction.
        let n = 1_000
        let f = (0..<n).map { Float($0 % 2 == 0 ? 1 : -1) }
        let q = (0..<n).map { Int8($0 % 2 == 0 ? 9 : -9) }
        var acc = LayerErrorAccumulator(layers: [1: info("a", 1, count: n, scale: 0.1, zp: 0)])
        try add(&acc, 1, f, q)
        let r = try XCTUnwrap(acc.results().first)
        XCTAssertEqual(r.sqnrDB, 20, accuracy: 1e-6)
        XCTAssertEqual(r.cosine, 1, accuracy: 1e-12)
        XCTAssertEqual(r.maxAbsError, 0.1, accuracy: 1e-6)
        XCTAssertEqual(r.meanAbsError, 0.1, accuracy: 1e-6)
        XCTAssertEqual(r.floatRMS, 1, accuracy: 1e-12)
        XCTAssertEqual(r.rangeMin, -1)
        XCTAssertEqual(r.rangeMax, 1)
        XCTAssertEqual(r.clippedFraction, 0)
        XCTAssertEqual(r.count, n)
        XCTAssertNil(r.sqnrDropDB)
    }

    func testRandomDataMatchesDirectFormulas() throws {
        var rng = TestRandom(seed: 11)
        let n = 4_096, scale = 0.05, zp: Int32 = 7
        let q = (0..<n).map { _ in rng.int8(-120, 120) }
        let f = q.map { Float(scale * Double(Int32($0) - zp)) + Float(rng.uniform(-0.03, 0.03)) }
        var acc = LayerErrorAccumulator(layers: [3: info("b", 16, count: n, scale: scale, zp: zp)])
        try add(&acc, 3, f, q)
        let r = try XCTUnwrap(acc.results().first)
        var s = 0.0, e2 = 0.0, fd = 0.0, d2 = 0.0
        for k in 0..<n {
            let d = scale * Double(Int32(q[k]) - zp), x = Double(f[k])
            s += x * x; e2 += (x - d) * (x - d); fd += x * d; d2 += d * d
        }
        XCTAssertEqual(r.sqnrDB, 10 * log10(s / e2), accuracy: 1e-9)
        XCTAssertEqual(r.cosine, fd / (s * d2).squareRoot(), accuracy: 1e-12)
        XCTAssertLessThan(r.maxAbsError, 0.0301)
        XCTAssertEqual(r.valueId, 3)
    }

    func testOrthogonalAndExactCases() throws {
        var acc = LayerErrorAccumulator(layers: [1: info("orth", 2, count: 2, scale: 1, zp: 0),
                                                 2: info("exact", 2, count: 2, scale: 1, zp: 0)])
        try add(&acc, 1, [1, 1], [1, -1])
        try add(&acc, 2, [3, -4], [3, -4])
        let r = acc.results()
        XCTAssertEqual(r[0].cosine, 0, accuracy: 1e-12)
        XCTAssertEqual(r[0].sqnrDB, 10 * log10(2.0 / 4.0), accuracy: 1e-9)
        XCTAssertEqual(r[1].sqnrDB, .infinity)
        XCTAssertEqual(r[1].cosine, 1, accuracy: 1e-12)
    }

    func testClippedFractionCountsValuesBeyondTheGrid() throws {
        // Grid of scale 0.1, zero point 0: [−12.8, 12.7]; beyond half a step the values saturate.
        let f: [Float] = [0, 5, 12.74, 13, 20, -13, -12.8, -12.84]
        let q = f.map { Int8(Swift.max(-128, Swift.min(127, (Double($0) / 0.1).rounded()))) }
        var acc = LayerErrorAccumulator(layers: [1: info("c", 8, count: 8, scale: 0.1, zp: 0)])
        try add(&acc, 1, f, q)
        let r = try XCTUnwrap(acc.results().first)
        XCTAssertEqual(r.clippedFraction, 3.0 / 8.0, accuracy: 1e-12)
        XCTAssertEqual(r.maxAbsError, 7.3, accuracy: 1e-5)
    }

    func testChannelRangeRatio() throws {
        // HWC with 4 channels: channel maxima 1, 1, 1, 10 (plus one dead channel) → ratio 10.
        var f: [Float] = []
        for _ in 0..<3 { f += [0.5, -1, 1, 10, 0] }
        let q = f.map { Int8((Double($0) / 0.1).rounded()) }
        var acc = LayerErrorAccumulator(layers: [1: info("d", 5, count: 15, scale: 0.1, zp: 0)])
        try add(&acc, 1, f, q)
        XCTAssertEqual(acc.results()[0].channelRangeRatio, 10, accuracy: 1e-6)
    }

    func testMergeEqualsSinglePassAndDropIsRelativeToInputs() throws {
        let layers = [1: info("first", 4, count: 64, scale: 0.02, zp: -3),
                      2: info("second", 4, count: 64, scale: 0.05, zp: 10, inputs: [1])]
        var rng = TestRandom(seed: 5)
        let images: [(Int, [Float], [Int8])] = (0..<6).flatMap { _ in
            [1, 2].map { v -> (Int, [Float], [Int8]) in
                let q = (0..<64).map { _ in rng.int8(-100, 100) }
                let noise: Float = v == 1 ? 0.005 : 0.04
                let s = layers[v]!.scale, zp = layers[v]!.zeroPoint
                return (v, q.map { Float(s * Double(Int32($0) - zp)) + rng.uniform(-noise, noise) }, q)
            }
        }
        var single = LayerErrorAccumulator(layers: layers)
        for (v, f, q) in images { try add(&single, v, f, q) }
        var a = LayerErrorAccumulator(layers: layers), b = LayerErrorAccumulator(layers: layers)
        for (k, (v, f, q)) in images.enumerated() {
            if k < 4 { try add(&a, v, f, q) } else { try add(&b, v, f, q) }
        }
        a.merge(b)
        let r = a.results(), s = single.results()
        XCTAssertEqual(r.count, s.count)
        for (x, y) in zip(r, s) {
            // Sums are added in another order: equal up to rounding.
            XCTAssertEqual(x.sqnrDB, y.sqnrDB, accuracy: 1e-9)
            XCTAssertEqual(x.cosine, y.cosine, accuracy: 1e-12)
            XCTAssertEqual(x.meanAbsError, y.meanAbsError, accuracy: 1e-12)
            XCTAssertEqual(x.floatRMS, y.floatRMS, accuracy: 1e-12)
            XCTAssertEqual(x.maxAbsError, y.maxAbsError)
            XCTAssertEqual(x.rangeMin, y.rangeMin)
            XCTAssertEqual(x.rangeMax, y.rangeMax)
            XCTAssertEqual(x.clippedFraction, y.clippedFraction)
            XCTAssertEqual(x.channelRangeRatio, y.channelRangeRatio)
            XCTAssertEqual(x.count, y.count)
        }
        XCTAssertEqual(r.map(\.name), ["first", "second"])
        let drop = try XCTUnwrap(r[1].sqnrDropDB)
        XCTAssertEqual(drop, r[0].sqnrDB - r[1].sqnrDB, accuracy: 1e-12)
        XCTAssertGreaterThan(drop, 3)
    }

    func testBadInputThrows() throws {
        var acc = LayerErrorAccumulator(layers: [1: info("e", 1, count: 4, scale: 1, zp: 0)])
        XCTAssertThrowsError(try add(&acc, 1, [1, 2, 3, 4], [1, 2, 3])) { error in
            XCTAssertEqual((error as? ToolkitError)?.file, "e")
        }
        XCTAssertThrowsError(try add(&acc, 1, [1, 2, 3], [1, 2, 3]))
        XCTAssertThrowsError(try add(&acc, 9, [1, 2, 3, 4], [1, 2, 3, 4]))
        XCTAssertTrue(acc.results().isEmpty)
    }

    func testLayerInfoLabelsQuantizedOps() {
        func conv(_ k: Int, _ groups: Int, _ cin: Int, _ cout: Int, stride: Int = 1) -> QOp {
            .conv(QConv(inChannels: cin, outChannels: cout, kernelH: k, kernelW: k, strideH: stride, strideW: stride,
                        padTop: k / 2, padLeft: k / 2, groups: groups, weights: [], bias: [], multiplier: [], shift: [],
                        inputZeroPoint: 0, outputZeroPoint: 0, actMin: -128, actMax: 127))
        }
        let t = { (s: Shape3) in QTensorInfo(shape: s, zeroPoint: -128, scale: 0.1) }
        let model = QModel(name: "m", input: t(Shape3(8, 8, 3)), nodes: [
            QNode(name: "stem", op: conv(3, 1, 3, 8, stride: 2), inputs: [0], output: t(Shape3(4, 4, 8))),
            QNode(name: "dw", op: conv(3, 8, 8, 8), inputs: [1], output: t(Shape3(4, 4, 8))),
            QNode(name: "pw", op: conv(1, 1, 8, 16), inputs: [2], output: t(Shape3(4, 4, 16))),
            QNode(name: "pool", op: .globalAvgPool(QRequantize(inputZeroPoint: 0, multiplier: 0, shift: 0, outputZeroPoint: 0)),
                  inputs: [3], output: t(Shape3(1, 1, 16))),
            QNode(name: "fc", op: conv(1, 1, 16, 10), inputs: [4], output: t(Shape3(1, 1, 10))),
        ], numClasses: 10)
        let infos = LayerInfo.all(in: model)
        XCTAssertEqual(infos.count, 6)
        XCTAssertEqual(infos[1]?.op, "conv 3x3 s2")
        XCTAssertEqual(infos[2]?.op, "depthwise 3x3")
        XCTAssertEqual(infos[3]?.op, "pointwise")
        XCTAssertEqual(infos[4]?.op, "global avg pool")
        XCTAssertEqual(infos[5]?.op, "fully connected")
        XCTAssertEqual(infos[5]?.inputs, [4])
        XCTAssertEqual(infos[0]?.name, "input")
    }
}
