import XCTest
@testable import IntEngine
@testable import QuantCore
import TestSupport

/// `logits(images:)` runs images in batches (pointwise and fully connected layers as one GEMM
/// over the batch): every image's logits must equal the reference kernels' on that image alone,
/// for several full batches and a partial last one, on one and two workers.
final class BatchedRunTests: XCTestCase {
    func testBatchesOfManyImagesMatchTheReference() throws {
        let model = ExecutorTests.makeModel()
        let engine = try IntEngine(model: model)
        var rng = TestRandom(seed: 21)
        let count = 41, size = model.input.shape.count
        let images = (0..<(count * size)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let want = (0..<count).map { i in
            ExecutorTests.referenceValues(model, images[(i * size)..<((i + 1) * size)].map { Int8(Int($0) - 128) }).last!
        }
        for threads in [1, 2] {
            var progress: [Int] = []
            let got = engine.logits(images: images, count: count, threads: threads) { done, _ in progress.append(done) }
            XCTAssertEqual(progress, Array(1...count))
            XCTAssertEqual(got, want, "\(threads) threads")
        }
    }

    /// `runKept(images:)` (the range search's batches: images `layout.bytes` apart, so the GEMMs
    /// gather and scatter) keeps the same values as `runKept` image by image, from the input or
    /// from a middle node on.
    func testKeptBatchesEqualKeptImages() throws {
        let model = ExecutorTests.makeModel()
        let engine = try IntEngine(model: model)
        let layout = engine.keptLayout
        var rng = TestRandom(seed: 23)
        let count = 5, size = model.input.shape.count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 2 * count * layout.bytes, alignment: 64)
        defer { raw.deallocate() }
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: 2 * count * layout.bytes)
        let single = raw.bindMemory(to: Int8.self, capacity: 2 * count * layout.bytes), batched = single + count * layout.bytes
        for n in 0..<count {
            for i in 0..<size { single[n * layout.bytes + i] = Int8.random(in: -128...127, using: &rng) }
            (batched + n * layout.bytes).update(from: single + n * layout.bytes, count: size)
        }
        for n in 0..<count { engine.runKept(single + n * layout.bytes, layout: layout) }
        engine.runKept(batched, layout: layout, images: count)
        for n in 0..<count {
            for v in 0...model.nodes.count {
                let at = n * layout.bytes + layout.offsets[v], length = model.info(v).shape.count
                XCTAssertEqual(Array(UnsafeBufferPointer(start: batched + at, count: length)),
                               Array(UnsafeBufferPointer(start: single + at, count: length)), "image \(n) value \(v)")
            }
        }
        // Again from node 3 on, after spoiling the later values of the batch.
        for n in 0..<count {
            let from = n * layout.bytes + layout.offsets[4]
            (batched + from).update(repeating: 77, count: layout.bytes - layout.offsets[4])
        }
        engine.runKept(batched, layout: layout, images: count, fromNode: 3)
        for n in 0..<count {
            let at = n * layout.bytes + layout.offsets[model.outputValue], length = model.info(model.outputValue).shape.count
            XCTAssertEqual(Array(UnsafeBufferPointer(start: batched + at, count: length)),
                           Array(UnsafeBufferPointer(start: single + at, count: length)), "image \(n) logits from node 3")
        }
    }

    /// A batch of images through a pointwise and a fully connected kernel equals image by image.
    func testKernelBatchesEqualSingleImages() {
        var rng = TestRandom(seed: 22)
        for (inShape, outC) in [(Shape3(3, 5, 24), 40), (Shape3(1, 1, 70), 33)] {
            let (p, out) = KernelParityTests.randomConv(&rng, inShape: inShape, outChannels: outC, kernel: (1, 1), stride: (1, 1),
                                                        groups: 1, padding: .symmetric, padValue: false)!
            let node = QNode(name: "c", op: .conv(p), inputs: [0], output: QTensorInfo(shape: out, zeroPoint: p.outputZeroPoint, scale: 1))
            let model = QModel(name: "c", input: QTensorInfo(shape: inShape, zeroPoint: p.inputZeroPoint, scale: 1), nodes: [node],
                               numClasses: out.count)
            for vnni in [false, hostHasVNNI] {
                let kernel = makeKernel(node, model: model, useReference: false, vnni: vnni)
                let n = 7
                let input = (0..<(n * inShape.count)).map { _ in Int8.random(in: -128...127, using: &rng) }
                var batched = [Int8](repeating: 0, count: n * out.count)
                var single = [Int8](repeating: 0, count: n * out.count)
                let scratch = UnsafeMutableRawPointer.allocate(byteCount: kernel.batchScratchBytes(n) + 64, alignment: 64)
                defer { scratch.deallocate() }
                let list = UnsafeMutablePointer<UnsafePointer<Int8>>.allocate(capacity: 2)
                defer { list.deallocate() }
                input.withUnsafeBufferPointer { x in
                    var stride = inShape.count
                    list[0] = x.baseAddress!
                    batched.withUnsafeMutableBufferPointer { o in
                        kernel.runBatch(list, inputStrides: &stride, inputCount: 1, o.baseAddress!, outputStride: out.count, count: n,
                                        scratch, imageInputs: list + 1)
                    }
                    for b in 0..<n {
                        list[0] = x.baseAddress! + b * inShape.count
                        single.withUnsafeMutableBufferPointer { kernel.run(list, $0.baseAddress! + b * out.count, scratch) }
                    }
                }
                XCTAssertEqual(batched, single, "\(type(of: kernel)) vnni \(vnni) \(inShape)")
                var want = [Int8](repeating: 0, count: out.count)
                input.withUnsafeBufferPointer { referenceConv($0.baseAddress! + (n - 1) * inShape.count, inShape, p, &want, out) }
                XCTAssertEqual(Array(batched[((n - 1) * out.count)...]), want)
            }
        }
    }
}
