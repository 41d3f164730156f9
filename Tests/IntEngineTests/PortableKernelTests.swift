import XCTest
import IntKernels
@testable import IntEngine
@testable import QuantCore
import TestSupport

/// The convolution kernels have two paths: the AVX-512 VNNI C kernels (IntKernels), used where
/// the CPU has them, and the portable Swift SIMD kernels. `KernelParityTests` checks the path
/// this machine uses; this checks the other one too (when the CPU has VNNI, the portable path
/// is forced here; otherwise both tests check the portable path) on the same kind of random
/// cases, byte for byte against `referenceConv`.
final class PortableKernelTests: XCTestCase {
    /// Runs `kernel` on one input with guard bytes after the output (which must stay untouched).
    private func runKernel(_ kernel: any NodeKernel, _ input: [Int8], _ outCount: Int) -> [Int8] {
        var output = [Int8](repeating: 0x5A, count: outCount + 64)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: kernel.scratchBytes + 64, alignment: 64)
        defer { scratch.deallocate() }
        input.withUnsafeBufferPointer { x in
            var list = [x.baseAddress!]
            list.withUnsafeMutableBufferPointer { l in
                output.withUnsafeMutableBufferPointer { kernel.run(l.baseAddress!, $0.baseAddress!, scratch) }
            }
        }
        XCTAssertEqual(Array(output[outCount...]), [Int8](repeating: 0x5A, count: 64), "\(type(of: kernel)) wrote past its output")
        return Array(output[..<outCount])
    }

    /// Runs the kernel `makeKernel` gives with `vnni` and the reference on a random input.
    private func check(_ p: QConv, _ inShape: Shape3, _ outShape: Shape3, vnni: Bool, _ rng: inout TestRandom) {
        let input = (0..<inShape.count).map { _ in Int8.random(in: -128...127, using: &rng) }
        var want = [Int8](repeating: 0, count: outShape.count)
        referenceConv(input, inShape, p, &want, outShape)
        let node = QNode(name: "conv", op: .conv(p), inputs: [0], output: QTensorInfo(shape: outShape, zeroPoint: p.outputZeroPoint, scale: 1))
        let model = QModel(name: "one conv", input: QTensorInfo(shape: inShape, zeroPoint: p.inputZeroPoint, scale: 1),
                           nodes: [node], numClasses: outShape.count)
        let kernel = makeKernel(node, model: model, useReference: false, vnni: vnni)
        let got = runKernel(kernel, input, outShape.count)
        XCTAssertEqual(got, want, "\(type(of: kernel)) (vnni \(vnni)) for \(inShape) → \(outShape), k \(p.kernelH)×\(p.kernelW) s \(p.strideH),\(p.strideW) pad \(p.padTop),\(p.padLeft) g \(p.groups)")
    }

    func testPortableConvolutionsMatchReference() {
        var rng = TestRandom(seed: 11)
        var count = 0
        while count < 300 {
            let kind = count % 4
            let c = Int.random(in: 1...40, using: &rng)
            let inShape = Shape3(Int.random(in: 1...10, using: &rng), Int.random(in: 1...10, using: &rng), c)
            let made: (QConv, Shape3)?
            switch kind {
            case 0:  // pointwise
                made = KernelParityTests.randomConv(&rng, inShape: inShape, outChannels: Int.random(in: 1...70, using: &rng), kernel: (1, 1),
                                                    stride: (1, 1), groups: 1, padding: .symmetric, padValue: false)
            case 1:  // depthwise
                let k = [3, 5, 2, 7].randomElement(using: &rng)!, s = [1, 2, 3].randomElement(using: &rng)!
                made = KernelParityTests.randomConv(&rng, inShape: inShape, outChannels: c, kernel: (k, k), stride: (s, s), groups: c,
                                                    padding: KernelParityTests.Padding.allCases.randomElement(using: &rng)!,
                                                    padValue: Bool.random(using: &rng))
            case 2:  // general (stem-like)
                let k = Int.random(in: 1...5, using: &rng)
                made = KernelParityTests.randomConv(&rng, inShape: Shape3(inShape.h, inShape.w, Int.random(in: 1...4, using: &rng)),
                                                    outChannels: Int.random(in: 1...40, using: &rng), kernel: (k, k), stride: (2, 2),
                                                    groups: 1, padding: .tfSame, padValue: Bool.random(using: &rng))
            default:  // fully connected
                made = KernelParityTests.randomConv(&rng, inShape: Shape3(1, 1, Int.random(in: 1...300, using: &rng)),
                                                    outChannels: Int.random(in: 1...50, using: &rng), kernel: (1, 1), stride: (1, 1),
                                                    groups: 1, padding: .symmetric, padValue: false)
            }
            guard let (p, out) = made else { continue }
            let realIn = Shape3(kind == 3 ? 1 : inShape.h, kind == 3 ? 1 : inShape.w, p.inChannels)
            check(p, realIn, out, vnni: false, &rng)
            check(p, realIn, out, vnni: hostHasVNNI, &rng)
            count += 1
        }
    }

    /// 1×1 depthwise convolutions (groups == inC == outC: hard-sigmoid is one) go to
    /// `PointwiseConv`, which runs them on the depthwise kernel with VNNI: both paths against the
    /// reference, on spatial and 1×1 inputs.
    func testOneByOneDepthwiseMatchesReference() {
        var rng = TestRandom(seed: 13)
        for _ in 0..<60 {
            let c = Int.random(in: 2...80, using: &rng)
            let side = Bool.random(using: &rng) ? 1 : Int.random(in: 2...6, using: &rng)
            let inShape = Shape3(side, side, c)
            let (p, out) = KernelParityTests.randomConv(&rng, inShape: inShape, outChannels: c, kernel: (1, 1), stride: (1, 1),
                                                        groups: c, padding: .symmetric, padValue: false)!
            check(p, inShape, out, vnni: false, &rng)
            check(p, inShape, out, vnni: hostHasVNNI, &rng)
        }
    }

    /// The dispatcher's convolutions use the C kernels exactly when the CPU has VNNI (so the
    /// parity tests check the path that runs).
    func testVNNIKernelsAreUsedWhereAvailable() throws {        var rng = TestRandom(seed: 12)
        let (p, out) = KernelParityTests.randomConv(&rng, inShape: Shape3(4, 4, 8), outChannels: 8, kernel: (3, 3), stride: (1, 1),
                                                    groups: 8, padding: .symmetric, padValue: false)!
        let node = QNode(name: "dw", op: .conv(p), inputs: [0], output: QTensorInfo(shape: out, zeroPoint: 0, scale: 1))
        let model = QModel(name: "dw", input: QTensorInfo(shape: Shape3(4, 4, 8), zeroPoint: p.inputZeroPoint, scale: 1),
                           nodes: [node], numClasses: out.count)
        let kernel = try XCTUnwrap(makeKernel(node, model: model, useReference: false) as? DepthwiseConv)
        XCTAssertEqual(kernel.vnni != nil, hostHasVNNI)
        XCTAssertEqual(hostHasVNNI, q8h_has_vnni() != 0 && ProcessInfo.processInfo.environment["INT8_KERNELS"] != "portable")
    }
}
