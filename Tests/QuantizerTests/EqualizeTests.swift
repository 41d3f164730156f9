import XCTest
import QuantCore
import Models
import FloatEngine
import Pipeline
import Refine

/// Activation equalization (`equalizeRanges`) on the real ShuffleNetV1 and V2 checkpoints: it finds
/// every convolution → (shuffle →) depthwise chain, leaves the float network's outputs
/// bit-identical (power-of-two scales), and afterwards every channel of each equalized activation
/// peaks in the upper half of the largest channel's range.
final class EqualizeTests: XCTestCase {
    func testShuffleNetsEqualizeExactly() throws {
        for (name, expectedPairs) in [("shufflenet_v1_g3-cifar10", 16), ("shufflenet_v2_x1_0-cifar10", 16)] {
            let graph = try loadGraph(weights: SharedData.path("models/\(name).safetensors"), options: ModelOptions())
            let calib = try loadImages(SharedData.path("datasets/cifar10/calib_batch.bin"), for: graph, limit: 64)
            let folded = try foldGraph(graph)
            let pairs = equalizablePairs(folded)
            XCTAssertEqual(pairs.count, expectedPairs, name)
            let (equalized, found, changed) = equalizeRanges(folded, images: calib, threads: 2)
            XCTAssertEqual(found, expectedPairs, name)
            XCTAssertGreaterThan(changed, expectedPairs / 2, name)

            // Same outputs, bit for bit, for every value the two graphs share unscaled.
            var scaled = Set(pairs.map { $0.producer + 1 })
            for p in pairs where folded.nodes[p.consumer].inputs[0] != p.producer + 1 { scaled.insert(folded.nodes[p.consumer].inputs[0]) }
            let a = FloatEngine(graph: folded), b = FloatEngine(graph: equalized)
            var peaks: [Int: [Float]] = [:]
            for i in 0..<calib.count {
                var before: [Int: [Float]] = [:]
                calib.image(i).withUnsafeBufferPointer { px in
                    let la = a.run(pixels: px) { v, buf in before[v] = Array(buf) }
                    let lb = b.run(pixels: px) { v, buf in
                        if scaled.contains(v) {
                            let c = equalized.shape(v).c
                            var m = peaks[v] ?? [Float](repeating: 0, count: c)
                            for (j, x) in buf.enumerated() { m[j % c] = max(m[j % c], abs(x)) }
                            peaks[v] = m
                        } else {
                            XCTAssertEqual(before[v], Array(buf), "\(name) value \(v)")
                        }
                    }
                    XCTAssertEqual(la, lb, "\(name): logits of image \(i)")
                }
            }
            for pair in pairs {
                let m = peaks[pair.producer + 1]!, top = m.max()!
                for x in m where x > 0 { XCTAssertGreaterThan(x, top / 2, "\(name) \(folded.nodes[pair.producer].name)") }
            }
        }
    }
}
