import XCTest
@testable import IntEngine
@testable import QuantCore
import TestSupport

/// Every optimized kernel against its reference kernel, byte for byte, on many random small
/// cases: shapes, strides, groups, symmetric / TF-SAME / arbitrary padding, pad values, zero
/// points, multipliers and shifts (including saturating left shifts and wrapping sums).
final class KernelParityTests: XCTestCase {
    enum Padding: CaseIterable { case symmetric, tfSame, arbitrary }

    /// A random convolution; nil when the shape has no output.
    static func randomConv(_ rng: inout TestRandom, inShape: Shape3, outChannels: Int, kernel: (Int, Int),
                           stride: (Int, Int), groups: Int, padding: Padding, padValue: Bool) -> (QConv, Shape3)? {
        func pads(_ size: Int, _ k: Int, _ s: Int) -> (Int, Int) {
            switch padding {
            case .symmetric: return ((k - 1) / 2, (k - 1) / 2)
            case .tfSame:
                let total = max(((size + s - 1) / s - 1) * s + k - size, 0)
                return (total / 2, total - total / 2)
            case .arbitrary: return (Int.random(in: 0...(k - 1), using: &rng), Int.random(in: 0...(k - 1), using: &rng))
            }
        }
        let (top, bottom) = pads(inShape.h, kernel.0, stride.0)
        let (left, right) = pads(inShape.w, kernel.1, stride.1)
        let outH = (inShape.h + top + bottom - kernel.0) / stride.0 + 1
        let outW = (inShape.w + left + right - kernel.1) / stride.1 + 1
        guard inShape.h + top + bottom >= kernel.0, inShape.w + left + right >= kernel.1, outH >= 1, outW >= 1 else { return nil }
        let k = kernel.0 * kernel.1 * inShape.c / groups
        let weights = (0..<(outChannels * k)).map { _ in
            Int.random(in: 0..<8, using: &rng) == 0 ? Int8([-127, 127, 0].randomElement(using: &rng)!) : Int8.random(in: -127...127, using: &rng)
        }
        let hugeBias = Int.random(in: 0..<10, using: &rng) == 0
        let bias = (0..<outChannels).map { _ in
            hugeBias ? Int32.random(in: Int32.min...Int32.max, using: &rng) : Int32.random(in: -20000...20000, using: &rng)
        }
        // Aim the multiplier at the typical accumulator size so outputs spread over int8, with
        // jitter, and now and then a positive shift that saturates.
        let typical = max(1.0, 127.0 * 64.0 * Double(k).squareRoot())
        let shift = (0..<outChannels).map { _ in
            Int.random(in: 0..<12, using: &rng) == 0 ? Int32.random(in: 1...4, using: &rng)
                : Int32((40.0 / typical).exponent) + 1 + Int32.random(in: -2...1, using: &rng)
        }
        let multiplier = (0..<outChannels).map { _ in Int32.random(in: (1 << 30)...Int32.max, using: &rng) }
        let zpIn = Int32.random(in: -128...127, using: &rng), zpOut = Int32.random(in: -128...127, using: &rng)
        // Mostly the full range; sometimes a ReLU / ReLU6-like clamp.
        let fullRange = Int.random(in: 0..<4, using: &rng) > 0
        let lo: Int32 = fullRange ? -128 : Int32.random(in: -128...0, using: &rng)
        let hi: Int32 = fullRange ? 127 : Int32.random(in: 40...127, using: &rng)
        let p = QConv(inChannels: inShape.c, outChannels: outChannels, kernelH: kernel.0, kernelW: kernel.1,
                      strideH: stride.0, strideW: stride.1, padTop: top, padLeft: left, groups: groups,
                      weights: weights, bias: bias, multiplier: multiplier, shift: shift,
                      inputZeroPoint: zpIn, outputZeroPoint: zpOut, actMin: lo, actMax: hi,
                      padValue: padValue ? (0..<inShape.c).map { _ in Int8.random(in: -128...127, using: &rng) } : nil)
        return (p, Shape3(outH, outW, outChannels))
    }

    /// Runs the dispatcher's kernel and the reference on a random input; returns the kernel.
    @discardableResult
    func checkConv(_ p: QConv, _ inShape: Shape3, _ outShape: Shape3, _ rng: inout TestRandom,
                   file: StaticString = #filePath, line: UInt = #line) -> any NodeKernel {
        let input = (0..<inShape.count).map { _ in Int8.random(in: -128...127, using: &rng) }
        var want = [Int8](repeating: 0, count: outShape.count)
        referenceConv(input, inShape, p, &want, outShape)
        let node = QNode(name: "conv", op: .conv(p), inputs: [0], output: QTensorInfo(shape: outShape, zeroPoint: p.outputZeroPoint, scale: 1))
        let model = QModel(name: "one conv", input: QTensorInfo(shape: inShape, zeroPoint: p.inputZeroPoint, scale: 1),
                           nodes: [node], numClasses: outShape.count)
        let kernel = makeKernel(node, model: model, useReference: false)
        let got = runKernel(kernel, [input], outShape.count)
        if got != want {
            let first = zip(got, want).enumerated().first { $0.1.0 != $0.1.1 }!
            XCTFail("\(type(of: kernel)) differs from the reference for \(inShape) → \(outShape), k \(p.kernelH)×\(p.kernelW) s \(p.strideH),\(p.strideW) pad \(p.padTop),\(p.padLeft) g \(p.groups): element \(first.offset) is \(first.element.0), reference \(first.element.1)", file: file, line: line)
        }
        return kernel
    }

    /// Runs `kernel` on `inputs` with guard bytes after the output (which must stay untouched).
    func runKernel(_ kernel: any NodeKernel, _ inputs: [[Int8]], _ outCount: Int) -> [Int8] {
        let guardBytes = 64
        var output = [Int8](repeating: 0x5A, count: outCount + guardBytes)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: kernel.scratchBytes + 64, alignment: 64)
        defer { scratch.deallocate() }
        let buffers = inputs.map { input -> UnsafeMutablePointer<Int8> in
            let b = UnsafeMutablePointer<Int8>.allocate(capacity: input.count)
            b.initialize(from: input, count: input.count)
            return b
        }
        defer { buffers.forEach { $0.deallocate() } }
        var list = buffers.map { UnsafePointer($0) }
        list.withUnsafeMutableBufferPointer { l in
            output.withUnsafeMutableBufferPointer { kernel.run(l.baseAddress!, $0.baseAddress!, scratch) }
        }
        XCTAssertEqual(Array(output[outCount...]), [Int8](repeating: 0x5A, count: guardBytes), "\(type(of: kernel)) wrote past its output")
        return Array(output[..<outCount])
    }

    func testPointwiseAndGroupedPointwise() {
        var rng = TestRandom(seed: 1)
        var count = 0
        while count < 150 {
            let groups = [1, 1, 2, 3, 4].randomElement(using: &rng)!
            let inShape = Shape3(Int.random(in: 1...9, using: &rng), Int.random(in: 1...9, using: &rng),
                                 groups * Int.random(in: 1...(groups == 1 ? 48 : 12), using: &rng))
            let outC = groups * Int.random(in: 1...(groups == 1 ? 70 : 20), using: &rng)
            if inShape.h == 1 && inShape.w == 1 && groups == 1 { continue }
            guard let (p, out) = Self.randomConv(&rng, inShape: inShape, outChannels: outC, kernel: (1, 1), stride: (1, 1),
                                                 groups: groups, padding: .symmetric, padValue: false) else { continue }
            XCTAssertTrue(checkConv(p, inShape, out, &rng) is PointwiseConv)
            count += 1
        }
    }

    func testDepthwise() {
        var rng = TestRandom(seed: 2)
        var count = 0
        while count < 250 {
            let k = [3, 3, 5, 5, 1, 2, 4, 7].randomElement(using: &rng)!
            let s = [1, 1, 2, 2, 3].randomElement(using: &rng)!
            let c = Int.random(in: 1...40, using: &rng)
            let inShape = Shape3(Int.random(in: 1...12, using: &rng), Int.random(in: 1...12, using: &rng), c)
            guard let (p, out) = Self.randomConv(&rng, inShape: inShape, outChannels: c, kernel: (k, k), stride: (s, s), groups: c,
                                                 padding: Padding.allCases.randomElement(using: &rng)!,
                                                 padValue: Int.random(in: 0..<4, using: &rng) == 0) else { continue }
            let kernel = checkConv(p, inShape, out, &rng)
            if !(k == 1 && s == 1 && p.padTop == 0 && p.padLeft == 0 && out.h == inShape.h && out.w == inShape.w) {
                XCTAssertTrue(kernel is DepthwiseConv, "\(type(of: kernel))")
            }
            count += 1
        }
    }

    /// The depthwise shapes of MobileNetV3-Small on 32×32 inputs (maps 32×32 … 1×1, 3×3 and 5×5,
    /// strides 1 and 2, up to 576 channels) and wide random ones: the paths testDepthwise's ≤ 40
    /// channels do not reach (64-byte input conversion, several 64-channel groups of a 1-pixel row,
    /// several 32-channel pairs of a 2-pixel row, kernel rows wholly in the padding on both sides).
    func testDepthwiseOnMobileNetShapes() {
        var rng = TestRandom(seed: 21)
        let shapes: [(size: Int, c: Int, k: Int, s: Int)] = [
            (32, 16, 3, 2), (16, 72, 3, 2), (8, 88, 3, 1), (8, 96, 5, 2), (4, 240, 5, 1), (4, 120, 5, 1), (4, 144, 5, 1),
            (4, 288, 5, 2), (2, 576, 5, 1), (1, 576, 5, 1), (1, 576, 3, 1), (2, 576, 1, 1), (1, 576, 1, 1), (1, 200, 1, 1),
            (7, 192, 3, 1), (14, 80, 5, 2), (3, 136, 5, 1), (2, 100, 3, 2), (1, 72, 5, 2)]
        for (i, shape) in shapes.enumerated() {
            let inShape = Shape3(shape.size, shape.size, shape.c)
            guard let (p, out) = Self.randomConv(&rng, inShape: inShape, outChannels: shape.c, kernel: (shape.k, shape.k),
                                                 stride: (shape.s, shape.s), groups: shape.c, padding: i % 3 == 2 ? .tfSame : .symmetric,
                                                 padValue: i % 4 == 3) else { XCTFail("no output for \(shape)"); continue }
            checkConv(p, inShape, out, &rng)
        }
        var count = 0
        while count < 60 {
            let k = [1, 3, 5, 7].randomElement(using: &rng)!, s = [1, 2].randomElement(using: &rng)!
            let c = Int.random(in: 41...300, using: &rng)
            let inShape = Shape3(Int.random(in: 1...6, using: &rng), Int.random(in: 1...6, using: &rng), c)
            guard let (p, out) = Self.randomConv(&rng, inShape: inShape, outChannels: c, kernel: (k, k), stride: (s, s), groups: c,
                                                 padding: Padding.allCases.randomElement(using: &rng)!,
                                                 padValue: Bool.random(using: &rng)) else { continue }
            checkConv(p, inShape, out, &rng)
            count += 1
        }
    }

    /// Every layout `q8h_depthwise_plan` picks, on every map from 1×1 to 4×4 (and odd ones up to
    /// 9×7): quad rows (strides 1×2 and 2×1), shifted quads at even columns (stride 1: pixels x and
    /// x + 1 from one quad) and 2×2 block rows (stride 2: the window's last block row and column
    /// half outside the kernel, half or wholly in the padding), 3×3 and 5×5, channel counts off the
    /// 16-lane width (17, 40, 72: a 64-channel gather plus a tail; 16 and 32: the contiguous
    /// gathers), symmetric and arbitrary padding on each side, with ReLU-like and full clamps.
    func testDepthwiseLayoutsOnSmallMaps() {
        var rng = TestRandom(seed: 41)
        var maps: [(Int, Int)] = []
        for h in 1...4 { for w in 1...4 { maps.append((h, w)) } }
        maps += [(5, 5), (6, 7), (9, 7), (7, 9)]
        let channels = [17, 40, 72, 16, 32, 5]
        var i = 0, checked = 0
        for (h, w) in maps {
            for k in [3, 5] {
                for stride in [(1, 1), (2, 2), (1, 2), (2, 1)] {
                    for padding in [Padding.symmetric, .arbitrary] {
                        let c = channels[i % channels.count]
                        i += 1
                        guard case (var p, let out)? = Self.randomConv(&rng, inShape: Shape3(h, w, c), outChannels: c, kernel: (k, k),
                                                                       stride: stride, groups: c, padding: padding,
                                                                       padValue: i % 5 == 0) else { continue }
                        if i % 2 == 0 { Self.fusedWithClamp(&p, i / 2 % 4, &rng) }
                        XCTAssertTrue(checkConv(p, Shape3(h, w, c), out, &rng) is DepthwiseConv)
                        checked += 1
                    }
                }
            }
        }
        XCTAssertGreaterThan(checked, 250)  // of 320: only windows larger than the padded map drop out
    }

    /// The fused requantization (no channel shifts left) with the clamps around the zero point
    /// that decide whether the AVX-512 kernels skip the negative-rounding correction (lo − zp
    /// below, at and above 0: ReLU / ReLU6 have lo = zp): the MobileNetV2-CIFAR depthwise shapes
    /// (32 channels: the two-register quad build; 2×2 outputs: two blocks × two pixels), 1×1 … 4×4
    /// maps, channel counts off the vector width, strides 1 and 2, arbitrary padding on every side,
    /// 3×3 and 5×5; and pointwise convolutions, whose GEMM shares the requantization.
    func testFusedRequantizationAroundReLUClamps() {
        var rng = TestRandom(seed: 31)
        let v2: [(size: Int, c: Int, s: Int)] = [
            (32, 32, 1), (32, 96, 2), (16, 144, 1), (16, 144, 2), (8, 192, 1), (8, 192, 2), (4, 384, 1), (4, 576, 1),
            (4, 576, 2), (2, 960, 1)]
        var cases: [(inShape: Shape3, k: Int, s: Int, padding: Padding)] = v2.map { (Shape3($0.size, $0.size, $0.c), 3, $0.s, .symmetric) }
        for _ in 0..<60 {
            let c = [32, 16, 48, 17, 33, 31, 100, 5].randomElement(using: &rng)!
            cases.append((Shape3(Int.random(in: 1...6, using: &rng), Int.random(in: 1...6, using: &rng), c),
                          [3, 3, 5].randomElement(using: &rng)!, [1, 2].randomElement(using: &rng)!, .arbitrary))
        }
        for (i, t) in cases.enumerated() {
            guard case (var p, let out)? = Self.randomConv(&rng, inShape: t.inShape, outChannels: t.inShape.c, kernel: (t.k, t.k),
                                                           stride: (t.s, t.s), groups: t.inShape.c, padding: t.padding,
                                                           padValue: i % 5 == 4) else { continue }
            Self.fusedWithClamp(&p, i % 4, &rng)
            XCTAssertTrue(checkConv(p, t.inShape, out, &rng) is DepthwiseConv)
        }
        for i in 0..<40 {
            let inShape = Shape3(Int.random(in: 1...6, using: &rng), Int.random(in: 1...6, using: &rng), Int.random(in: 1...70, using: &rng))
            guard case (var p, let out)? = Self.randomConv(&rng, inShape: inShape, outChannels: Int.random(in: 1...90, using: &rng), kernel: (1, 1),
                                                           stride: (1, 1), groups: 1, padding: .symmetric, padValue: false) else { continue }
            Self.fusedWithClamp(&p, i % 4, &rng)
            checkConv(p, inShape, out, &rng)
        }
    }

    /// Makes `p`'s requantization the fused form (every shift ≤ 0, some 0) and its clamp, by
    /// `kind`: 0 lo = zp (ReLU), 1 lo = zp + 1…3, 2 lo = zp − 1, 3 the full range.
    static func fusedWithClamp(_ p: inout QConv, _ kind: Int, _ rng: inout TestRandom) {
        p.shift = p.shift.map { s in Int.random(in: 0..<10, using: &rng) == 0 ? 0 : min(s, 0) }
        p.outputZeroPoint = Int32.random(in: -128...100, using: &rng)
        switch kind {
        case 0: p.actMin = p.outputZeroPoint
        case 1: p.actMin = p.outputZeroPoint + Int32.random(in: 1...3, using: &rng)
        case 2: p.actMin = max(-128, p.outputZeroPoint - 1)
        default: p.actMin = -128
        }
        p.actMax = Int32.random(in: (p.actMin + 1)...127, using: &rng)
    }

    func testStemAndGeneralConvolutions() {
        var rng = TestRandom(seed: 3)
        var count = 0
        while count < 200 {
            let cin = Int.random(in: 0..<4, using: &rng) == 0 ? Int.random(in: 4...12, using: &rng) : Int.random(in: 1...3, using: &rng)
            let groups = cin % 2 == 0 && Bool.random(using: &rng) ? 2 : 1
            let kh = Int.random(in: 1...5, using: &rng), kw = Bool.random(using: &rng) ? kh : Int.random(in: 1...5, using: &rng)
            let stride = (Int.random(in: 1...3, using: &rng), Int.random(in: 1...3, using: &rng))
            let inShape = Shape3(Int.random(in: 1...13, using: &rng), Int.random(in: 1...13, using: &rng), cin)
            let outC = groups * Int.random(in: 1...40, using: &rng)
            guard let (p, out) = Self.randomConv(&rng, inShape: inShape, outChannels: outC, kernel: (kh, kw), stride: stride, groups: groups,
                                                 padding: Padding.allCases.randomElement(using: &rng)!, padValue: Bool.random(using: &rng)) else { continue }
            let kernel = checkConv(p, inShape, out, &rng)
            if kh * kw > 1 || stride != (1, 1) { XCTAssertTrue(kernel is GeneralConv || kernel is DepthwiseConv, "\(type(of: kernel))") }
            count += 1
        }
    }

    func testFullyConnected() {
        var rng = TestRandom(seed: 4)
        for _ in 0..<80 {
            let inShape = Shape3(1, 1, Int.random(in: 1...300, using: &rng))
            let (p, out) = Self.randomConv(&rng, inShape: inShape, outChannels: Int.random(in: 1...50, using: &rng), kernel: (1, 1),
                                           stride: (1, 1), groups: 1, padding: .symmetric, padValue: false)!
            XCTAssertTrue(checkConv(p, inShape, out, &rng) is FullyConnected)
        }
    }

    /// Int4 weights (`weightBits` 4, values −8…7, 16 times smaller: shifts 4 higher) on every
    /// convolution kernel the dispatcher picks — pointwise, depthwise, general / stem and fully
    /// connected — against the reference.
    func testInt4WeightsOnEveryConvKernel() {
        var rng = TestRandom(seed: 44)
        var kinds = Set<String>(), count = 0
        while count < 200 {
            let kind = count % 4
            let c = Int.random(in: 1...40, using: &rng)
            let inShape = kind == 3 ? Shape3(1, 1, Int.random(in: 1...300, using: &rng))
                                    : Shape3(Int.random(in: 1...10, using: &rng), Int.random(in: 1...10, using: &rng), kind == 2 ? Int.random(in: 1...6, using: &rng) : c)
            let k = kind == 0 || kind == 3 ? 1 : [3, 5, 2].randomElement(using: &rng)!
            let s = kind == 0 || kind == 3 ? 1 : Int.random(in: 1...2, using: &rng)
            let groups = kind == 1 ? inShape.c : 1
            let outC = kind == 1 ? inShape.c : Int.random(in: 1...40, using: &rng)
            if kind == 0 && inShape.h == 1 && inShape.w == 1 { continue }
            guard case (var p, let out)? = Self.randomConv(&rng, inShape: inShape, outChannels: outC, kernel: (k, k), stride: (s, s), groups: groups,
                                                           padding: kind == 0 || kind == 3 ? .symmetric : .tfSame, padValue: kind == 2) else { continue }
            p.weights = p.weights.map { Int8(max(-8, min(7, Int($0) / 16))) }
            p.weightBits = 4
            p.shift = p.shift.map { min($0 + 4, 31) }
            kinds.insert("\(type(of: checkConv(p, inShape, out, &rng)))")
            count += 1
        }
        XCTAssertEqual(kinds.count, 4, "kernels: \(kinds.sorted())")
    }

    func testLookupTablesMatchTheirReference() {
        var rng = TestRandom(seed: 5)
        let shape = Shape3(3, 5, 37)
        for i in 0..<80 {
            let input = (0..<shape.count).map { _ in Int8.random(in: -128...127, using: &rng) }
            let op: QOp
            switch i % 4 {
            case 3:
                op = .lookup(QLookup(table: (0..<256).map { _ in Int8.random(in: -128...127, using: &rng) }))
            case 0, 1:
                op = .hardSwish(QHardSwish.make(inputScale: Float.random(in: 0.004...0.3, using: &rng),
                                                inputZeroPoint: Int32.random(in: -128...127, using: &rng),
                                                outputScale: Float.random(in: 0.004...0.3, using: &rng),
                                                outputZeroPoint: Int32.random(in: -128...127, using: &rng))!)
            default:
                let zp = Int32.random(in: -128...127, using: &rng)
                op = .requantize(QRequantize.relu(.relu, inputScale: Float.random(in: 0.004...0.3, using: &rng),
                                                  inputZeroPoint: Int32.random(in: -128...127, using: &rng),
                                                  outputScale: Float.random(in: 0.004...0.3, using: &rng), outputZeroPoint: zp))
            }
            let node = QNode(name: "elementwise", op: op, inputs: [0], output: QTensorInfo(shape: shape, zeroPoint: 0, scale: 1))
            let model = QModel(name: "one op", input: QTensorInfo(shape: shape, zeroPoint: 0, scale: 1), nodes: [node], numClasses: shape.count)
            let fast = makeKernel(node, model: model, useReference: false)
            let reference = makeKernel(node, model: model, useReference: true)
            let portable = makeKernel(node, model: model, useReference: false, vnni: false)
            XCTAssertTrue(fast is LookupTable)
            XCTAssertEqual((fast as? LookupTable)?.vnni, hostHasVNNI)
            XCTAssertEqual((portable as? LookupTable)?.vnni, false)
            let want = runKernel(reference, [input], shape.count)
            XCTAssertEqual(runKernel(fast, [input], shape.count), want)
            XCTAssertEqual(runKernel(portable, [input], shape.count), want)
        }
    }

    func testResidualAddAndSqueezeMul() {
        var rng = TestRandom(seed: 7)
        func multiplier() -> (Int32, Int32) {
            (Int32.random(in: (1 << 30)...Int32.max, using: &rng),
             Int.random(in: 0..<8, using: &rng) == 0 ? Int32.random(in: 1...3, using: &rng) : Int32.random(in: -20...0, using: &rng))
        }
        var spread = 0
        for i in 0..<120 {
            let channels = i % 3 == 1 ? Int.random(in: 31...200, using: &rng) : Int.random(in: 1...30, using: &rng)
            let shape = Shape3(Int.random(in: 1...5, using: &rng), Int.random(in: 1...5, using: &rng), channels)
            let zp = { Int32.random(in: -128...127, using: &rng) }
            let lo = Bool.random(using: &rng) ? Int32(-128) : Int32.random(in: -128...0, using: &rng)
            let op: QOp, inputShapes: [Shape3]
            if i % 2 == 0 {
                let add: QAdd
                if Bool.random(using: &rng) {
                    add = QAdd.make(input1Scale: Float.random(in: 0.01...0.2, using: &rng), input1ZeroPoint: zp(),
                                    input2Scale: Float.random(in: 0.01...0.2, using: &rng), input2ZeroPoint: zp(),
                                    outputScale: Float.random(in: 0.01...0.3, using: &rng), outputZeroPoint: zp(), actMin: lo, actMax: 127)
                } else {
                    let (m1, s1) = multiplier(), (m2, s2) = multiplier(), (mo, so) = multiplier()
                    add = QAdd(input1ZeroPoint: zp(), input2ZeroPoint: zp(), leftShift: Int32.random(in: 0...22, using: &rng),
                               input1Multiplier: m1, input1Shift: s1, input2Multiplier: m2, input2Shift: s2,
                               outputMultiplier: mo, outputShift: so, outputZeroPoint: zp(), actMin: lo, actMax: 127)
                }
                op = .add(add)
                inputShapes = [shape, shape]
            } else {
                let m = Int32.random(in: (1 << 30)...Int32.max, using: &rng)
                let s = Int.random(in: 0..<8, using: &rng) == 0 ? Int32.random(in: 1...3, using: &rng) : Int32.random(in: -14...(-6), using: &rng)
                op = .mul(QMul(inputZeroPoint: zp(), gateZeroPoint: zp(), multiplier: m, shift: s,
                               outputZeroPoint: zp(), actMin: lo, actMax: 127))
                inputShapes = [shape, Shape3(1, 1, shape.c)]
            }
            let inputs = inputShapes.map { s in (0..<s.count).map { _ in Int8.random(in: -128...127, using: &rng) } }
            let node = QNode(name: "elementwise", op: op, inputs: [0, 0], output: QTensorInfo(shape: shape, zeroPoint: 0, scale: 1))
            let model = QModel(name: "one op", input: QTensorInfo(shape: shape, zeroPoint: 0, scale: 1), nodes: [node], numClasses: shape.count)
            let fast = makeKernel(node, model: model, useReference: false)
            XCTAssertTrue(fast is ResidualAdd || fast is SqueezeMul)
            let want = runKernel(makeKernel(node, model: model, useReference: true), inputs, shape.count)
            XCTAssertEqual(runKernel(fast, inputs, shape.count), want, "\(type(of: fast)) \(shape)")
            let portable = makeKernel(node, model: model, useReference: false, vnni: false)
            XCTAssertEqual(runKernel(portable, inputs, shape.count), want, "portable \(type(of: portable)) \(shape)")
            if Set(want).count > 2 { spread += 1 }
        }
        XCTAssertGreaterThan(spread, 80, "most cases must produce varied outputs")
    }

    func testConcatAndSplit() {
        var rng = TestRandom(seed: 8)
        for _ in 0..<40 {
            let h = Int.random(in: 1...5, using: &rng), w = Int.random(in: 1...5, using: &rng)
            let shapes = (0..<Int.random(in: 1...4, using: &rng)).map { _ in Shape3(h, w, Int.random(in: 1...20, using: &rng)) }
            let out = Shape3(h, w, shapes.reduce(0) { $0 + $1.c })
            let inputs = shapes.map { s in (0..<s.count).map { _ in Int8.random(in: -128...127, using: &rng) } }
            let start = Int.random(in: 0..<out.c, using: &rng), count = Int.random(in: 1...(out.c - start), using: &rng)
            for (op, inShapes, outShape, ins) in [(QOp.concat, shapes, out, inputs),
                                                  (QOp.split(start: start, count: count), [out], Shape3(h, w, count), [inputs.flatMap { $0 }])] {
                // Values 1… (dummy producers) carry the shapes of inputs 1… of the copy op.
                let producers = inShapes.dropFirst().map {
                    QNode(name: "input", op: .split(start: 0, count: $0.c), inputs: [0], output: QTensorInfo(shape: $0, zeroPoint: 0, scale: 1))
                }
                let node = QNode(name: "copy", op: op, inputs: Array(0..<inShapes.count), output: QTensorInfo(shape: outShape, zeroPoint: 0, scale: 1))
                let model = QModel(name: "copy", input: QTensorInfo(shape: inShapes[0], zeroPoint: 0, scale: 1), nodes: producers + [node], numClasses: 1)
                let fast = makeKernel(node, model: model, useReference: false)
                XCTAssertTrue(fast is ChannelConcat || fast is ChannelSplit)
                XCTAssertEqual(runKernel(fast, ins, outShape.count),
                               runKernel(makeKernel(node, model: model, useReference: true), ins, outShape.count))
            }
        }
    }

    func testVectorRequantizeMatchesScalar() {
        var rng = TestRandom(seed: 6)
        for _ in 0..<20_000 {
            var acc = Int32x8(), mult = [Int32](), shift = [Int32]()
            for lane in 0..<8 {
                acc[lane] = Bool.random(using: &rng) ? Int32.random(in: Int32.min...Int32.max, using: &rng) : Int32.random(in: -99999...99999, using: &rng)
                mult.append(Int.random(in: 0..<20, using: &rng) == 0 ? 0 : Int32.random(in: (1 << 30)...Int32.max, using: &rng))
                shift.append(Int32.random(in: -31...31, using: &rng))
            }
            let zp = Int32.random(in: -128...127, using: &rng), lo = Int32.random(in: -128...127, using: &rng)
            let hi = Int32.random(in: lo...127, using: &rng)
            let rq = VectorRequant(multiplier: mult, shift: shift, paddedCount: 16, zeroPoint: zp, lo: lo, hi: hi)
            // Also the fused form (no left shifts) on the same lanes.
            let fused = VectorRequant(multiplier: mult, shift: shift.map { min($0, 0) }, paddedCount: 8, zeroPoint: zp, lo: lo, hi: hi)
            let gotFused = fused.apply8(acc, first: 0)
            XCTAssertFalse(fused.general)
            for lane in 0..<8 {
                XCTAssertEqual(gotFused[lane], requantizeToInt8(acc[lane], mult[lane], min(shift[lane], 0), zeroPoint: zp, lo: lo, hi: hi))
            }
            let got = rq.apply8(acc, first: 0)
            for lane in 0..<8 {
                XCTAssertEqual(got[lane], requantizeToInt8(acc[lane], mult[lane], shift[lane], zeroPoint: zp, lo: lo, hi: hi),
                               "acc \(acc[lane]) M \(mult[lane]) shift \(shift[lane]) zp \(zp)")
            }
        }
    }
}
