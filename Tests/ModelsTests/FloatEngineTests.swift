import XCTest
import FloatEngine
import ModelIO
import QuantCore
@testable import Models
import TestSupport

/// Plain-loop reference of one convolution on an HWC input (batch norm applied after the sum,
/// as PyTorch does; padding stands for `padValue`).
func referenceConv(_ x: [Float], _ s: Shape3, _ conv: Conv2D) -> [Float] {
    let (oh, top) = conv.geometry(rows: s.h), (ow, left) = conv.geometry(cols: s.w)
    let cg = conv.inChannels / conv.groups, og = conv.outChannels / conv.groups, k = conv.kernel
    var out = [Float](repeating: 0, count: oh * ow * conv.outChannels)
    for oy in 0..<oh {
        for ox in 0..<ow {
            for o in 0..<conv.outChannels {
                let g = o / og
                var sum = Double(conv.bias?[o] ?? 0)
                for c in 0..<cg {
                    for ky in 0..<k {
                        for kx in 0..<k {
                            let iy = oy * conv.stride - top + ky, ix = ox * conv.stride - left + kx
                            let channel = g * cg + c
                            let inside = iy >= 0 && iy < s.h && ix >= 0 && ix < s.w
                            let v = inside ? x[(iy * s.w + ix) * s.c + channel] : (conv.padValue?[channel] ?? 0)
                            sum += Double(v) * Double(conv.weight[((o * cg + c) * k + ky) * k + kx])
                        }
                    }
                }
                var y = Float(sum)
                if let bn = conv.batchNorm {
                    y = (y - bn.mean[o]) / (bn.variance[o] + bn.eps).squareRoot() * bn.gamma[o] + bn.beta[o]
                }
                switch conv.activation {
                case .none: break
                case .relu: y = max(y, 0)
                case .relu6: y = min(max(y, 0), 6)
                }
                out[(oy * ow + ox) * conv.outChannels + o] = y
            }
        }
    }
    return out
}

final class FloatEngineTests: XCTestCase {
    /// A graph whose input is the identity of the pixels (mean 0, std 1/255 → x = pixel).
    func identityPreprocessing(_ s: Shape3) -> Preprocessing {
        Preprocessing(height: s.h, width: s.w, channels: s.c, mean: [Float](repeating: 0, count: s.c),
                      std: [Float](repeating: 1 / 255, count: s.c))
    }

    /// Runs one conv through the engine on random pixels and compares it with `referenceConv`.
    func checkConv(_ conv: Conv2D, _ s: Shape3, _ rng: inout TestRandom, file: StaticString = #filePath, line: UInt = #line) {
        let (oh, _) = conv.geometry(rows: s.h), (ow, _) = conv.geometry(cols: s.w)
        let graph = Graph(name: "conv", arch: "test", preprocessing: identityPreprocessing(s),
                          nodes: [Node(name: "c", op: .conv(conv), inputs: [0], shape: Shape3(oh, ow, conv.outChannels))],
                          numClasses: oh * ow * conv.outChannels)
        let pixels = rng.bytes(s.count)
        let got = pixels.withUnsafeBufferPointer { FloatEngine(graph: graph).logits(pixels: $0) }
        let want = referenceConv(pixels.map { Float($0) }, s, conv)
        XCTAssertEqual(got.count, want.count, file: file, line: line)
        let worst = zip(got, want).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        XCTAssertLessThan(worst, 1e-4, "k\(conv.kernel) s\(conv.stride) g\(conv.groups) \(conv.padding) \(s) → \(conv.outChannels)",
                          file: file, line: line)
    }

    func testConvolutionsMatchThePlainReference() {
        var rng = TestRandom(seed: 7)
        // (h, w, in, out, kernel, stride, groups, padding)
        let cases: [(Int, Int, Int, Int, Int, Int, Int, Padding)] = [
            (9, 11, 3, 16, 3, 1, 1, .symmetric), (12, 12, 3, 24, 3, 2, 1, .tfSame), (7, 10, 13, 29, 1, 1, 1, .symmetric),
            (5, 6, 40, 17, 1, 1, 1, .symmetric), (9, 9, 24, 24, 3, 1, 24, .symmetric), (16, 16, 40, 40, 3, 2, 40, .symmetric),
            (14, 15, 37, 37, 5, 1, 37, .symmetric), (15, 14, 19, 19, 5, 2, 19, .tfSame), (12, 12, 8, 8, 3, 2, 8, .tfSame),
            (8, 8, 12, 18, 1, 1, 3, .symmetric), (7, 7, 12, 6, 3, 1, 3, .symmetric), (9, 9, 10, 7, 1, 2, 1, .symmetric),
            (1, 1, 33, 70, 1, 1, 1, .symmetric), (3, 3, 64, 64, 5, 1, 64, .symmetric),
        ]
        for (h, w, cin, cout, k, stride, groups, padding) in cases {
            let n = cout * (cin / groups) * k * k
            let bn = BatchNorm(gamma: rng.floats(cout, 0.5, 1.5), beta: rng.floats(cout), mean: rng.floats(cout, -10, 10),
                               variance: rng.floats(cout, 0.5, 2), eps: 1e-3)
            let conv = Conv2D(inChannels: cin, outChannels: cout, kernel: k, stride: stride, groups: groups, padding: padding,
                              weight: rng.floats(n, -0.05, 0.05), bias: groups == 3 ? rng.floats(cout) : nil,
                              batchNorm: groups == 3 ? nil : bn, activation: cout % 2 == 0 ? .relu6 : .none)
            checkConv(conv, Shape3(h, w, cin), &rng)
        }
    }

    func testPaddingValueIsHonoured() {
        var rng = TestRandom(seed: 11)
        for (k, groups, padding) in [(3, 1, Padding.symmetric), (3, 1, .tfSame), (3, 6, .symmetric), (1, 1, .symmetric)] {
            let conv = Conv2D(inChannels: 6, outChannels: 12, kernel: k, stride: 2, groups: groups, padding: padding,
                              weight: rng.floats(12 * (6 / groups) * k * k, -0.1, 0.1), bias: rng.floats(12),
                              padValue: [10, 200, 30, 128, 255, 77])
            checkConv(conv, Shape3(9, 10, 6), &rng)
        }
    }

    /// Pools, channel ops and activations against hand-computed values.
    func testElementwiseAndChannelOps() {
        let s = Shape3(3, 3, 4)
        var nodes: [Node] = []
        func add(_ op: Op, _ inputs: [Int], _ shape: Shape3) -> Int {
            nodes.append(Node(name: "n\(nodes.count)", op: op, inputs: inputs, shape: shape))
            return nodes.count
        }
        let pixels: [UInt8] = (0..<36).map { UInt8(($0 * 7) % 23) }
        let maxPool = add(.maxPool(kernel: 3, stride: 2, pad: 1), [0], Shape3(2, 2, 4))
        let avgPool = add(.avgPool(kernel: 3, stride: 2, pad: 1), [0], Shape3(2, 2, 4))
        let split = add(.split(start: 1, count: 2), [0], Shape3(3, 3, 2))
        let concat = add(.concat, [0, split], Shape3(3, 3, 6))
        let shuffle = add(.shuffle(groups: 2), [concat], Shape3(3, 3, 6))
        let gap = add(.globalAvgPool, [0], Shape3(1, 1, 4))
        let gate = add(.hardSigmoid, [gap], Shape3(1, 1, 4))
        let mul = add(.mul, [0, gate], s)
        let swish = add(.hardSwish, [0], s)
        let sum = add(.add(.relu6), [swish, mul], s)
        let graph = Graph(name: "ops", arch: "test", preprocessing: identityPreprocessing(s), nodes: nodes, numClasses: 36)
        var values: [Int: [Float]] = [:]
        _ = pixels.withUnsafeBufferPointer { p in
            FloatEngine(graph: graph).run(pixels: p) { v, buffer in values[v] = Array(buffer) }
        }
        XCTAssertEqual(values.count, nodes.count + 1)
        let x = values[0] ?? []
        XCTAssertEqual(x.count, 36)
        for (value, pixel) in zip(x, pixels) { XCTAssertEqual(value, Float(pixel), accuracy: 1e-5) }
        func at(_ v: [Float], _ y: Int, _ x: Int, _ c: Int, _ w: Int, _ ch: Int) -> Float { v[(y * w + x) * ch + c] }
        for c in 0..<4 {
            // Output (1, 1) of the stride-2 pools covers rows/cols 1...2 (3 is padding).
            let window = [x[(1 * 3 + 1) * 4 + c], x[(1 * 3 + 2) * 4 + c], x[(2 * 3 + 1) * 4 + c], x[(2 * 3 + 2) * 4 + c]]
            XCTAssertEqual(at(values[maxPool]!, 1, 1, c, 2, 4), window.max())
            XCTAssertEqual(at(values[avgPool]!, 1, 1, c, 2, 4), window.reduce(0, +) / 9, accuracy: 1e-5)
            let mean = (0..<9).map { x[$0 * 4 + c] }.reduce(0, +) / 9
            XCTAssertEqual(values[gap]![c], mean, accuracy: 1e-4)
            XCTAssertEqual(values[gate]![c], min(max(mean + 3, 0), 6) / 6, accuracy: 1e-6)
        }
        for p in 0..<9 {
            XCTAssertEqual(Array(values[split]![(p * 2)..<(p * 2 + 2)]), Array(x[(p * 4 + 1)..<(p * 4 + 3)]))
            let joined = Array(x[(p * 4)..<(p * 4 + 4)]) + Array(x[(p * 4 + 1)..<(p * 4 + 3)])
            XCTAssertEqual(Array(values[concat]![(p * 6)..<(p * 6 + 6)]), joined)
            XCTAssertEqual(Array(values[shuffle]![(p * 6)..<(p * 6 + 6)]),
                           [joined[0], joined[3], joined[1], joined[4], joined[2], joined[5]])
            for c in 0..<4 {
                let v = x[p * 4 + c]
                let hs = v * min(max(v + 3, 0), 6) / 6
                XCTAssertEqual(values[swish]![p * 4 + c], hs, accuracy: 1e-4)
                XCTAssertEqual(values[mul]![p * 4 + c], v * values[gate]![c], accuracy: 1e-4)
                XCTAssertEqual(values[sum]![p * 4 + c], min(max(hs + v * values[gate]![c], 0), 6), accuracy: 1e-4)
            }
        }
    }

    /// Visiting every value, single images, and batches on several threads all give the same logits.
    func testRunVisitsEveryValueAndBatchesAgree() throws {
        let graph = try buildGraph(try loadCheckpoint(SharedData.path("models/mobilenet_v3_small-fashion.safetensors")), name: "fashion")
        let engine = FloatEngine(graph: graph)
        var rng = TestRandom(seed: 3)
        let images = rng.bytes(5 * engine.inputCount)
        var visited: [Int] = []
        let first = images[0..<engine.inputCount].withUnsafeBufferPointer { p in
            engine.run(pixels: p) { v, buffer in
                visited.append(v)
                XCTAssertEqual(buffer.count, graph.shape(v).count)
                XCTAssertTrue(buffer.allSatisfy(\.isFinite))
            }
        }
        XCTAssertEqual(visited, Array(0...graph.nodes.count))
        XCTAssertEqual(first.count, 10)
        var reported: [Int] = []
        let batch = engine.logits(images: images, count: 5, threads: 2) { done, total in
            XCTAssertEqual(total, 5)
            reported.append(done)
        }
        XCTAssertEqual(reported, [1, 2, 3, 4, 5])
        XCTAssertEqual(batch[0], first)
        XCTAssertEqual(batch, engine.logits(images: images, count: 5, threads: 1))
        XCTAssertNotEqual(batch[0], batch[1])
    }
}
