import XCTest
import Foundation
import QuantCore
import ImageIO
import ModelIO
import Models
@testable import Quantizer
import Pipeline
import Refine

/// Bad input to the quantization pipeline: a clear error naming the file, or a documented
/// conversion — never a crash or a silently wrong model.
final class QuantizerBadInputTests: XCTestCase {
    let weights = "Models/mobilenet_v3_small-fashion.safetensors"

    func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "q8-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func testEmptyCalibrationFolderIsAnErrorNamingIt() throws {
        let graph = try loadGraph(weights: weights, options: ModelOptions())
        let dir = try tempDir()
        XCTAssertThrowsError(try loadImages(dir, for: graph, limit: nil)) { error in
            XCTAssertTrue("\(error)".contains(dir), "\(error)")
        }
    }

    func testUnreadableCalibrationImageIsAnErrorNamingIt() throws {
        let graph = try loadGraph(weights: weights, options: ModelOptions())
        let dir = try tempDir()
        let bad = dir + "/broken.png"
        _ = FileManager.default.createFile(atPath: bad, contents: Data([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0]))
        XCTAssertThrowsError(try loadImages(dir, for: graph, limit: nil)) { error in
            XCTAssertTrue("\(error)".contains("broken.png"), "\(error)")
        }
    }

    /// RGB 32×32 CIFAR images for a 28×28 grayscale model are converted, and the tool says so.
    func testImagesOfAnotherSizeAreConvertedAndNoted() throws {
        let graph = try loadGraph(weights: weights, options: ModelOptions())
        let set = try loadImages(SharedData.path("datasets/cifar10/calib_batch.bin"), for: graph, limit: 8)
        XCTAssertEqual(set.height, 28); XCTAssertEqual(set.width, 28); XCTAssertEqual(set.channels, 1)
        XCTAssertFalse(set.notes.isEmpty)
    }

    func testNaNWeightsAreRefused() throws {
        let dir = try tempDir()
        let path = dir + "/nan.safetensors"
        let header = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        var bytes = [UInt8]()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes += $0 }
        bytes += Array(header.utf8)
        withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: Float(1).bitPattern.littleEndian) { bytes += $0 }
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        XCTAssertThrowsError(try loadGraph(weights: path, options: ModelOptions())) { error in
            XCTAssertTrue("\(error)".contains(path), "\(error)")
        }
    }

    /// A tiny graph: input 4×4×C → 1×1 conv → global average pool.
    func tinyGraph(inChannels: Int, weight: Float) -> Graph {
        let pre = Preprocessing(height: 4, width: 4, channels: inChannels, mean: Array(repeating: 0, count: inChannels),
                                std: Array(repeating: 1, count: inChannels))
        let conv = Conv2D(inChannels: inChannels, outChannels: 2, kernel: 1, stride: 1, groups: 1, padding: .symmetric,
                          weight: Array(repeating: weight, count: 2 * inChannels), bias: [0, 0])
        return Graph(name: "tiny", arch: "test", preprocessing: pre,
                     nodes: [Node(name: "conv", op: .conv(conv), inputs: [0], shape: Shape3(4, 4, 2)),
                             Node(name: "pool", op: .globalAvgPool, inputs: [1], shape: Shape3(1, 1, 2))],
                     numClasses: 2)
    }

    /// A constant activation (here: all zero) still gets a valid, non-zero scale.
    func testConstantActivationGetsAValidScale() throws {
        let model = try quantize(tinyGraph(inChannels: 3, weight: 0.5), ranges: [1: (0, 0), 2: (0, 0)])
        for node in model.nodes {
            XCTAssertGreaterThan(node.output.scale, 0)
            XCTAssertTrue(node.output.scale.isFinite)
        }
    }

    /// 70,000 input channels × 255 × 127 cannot be held by an int32 accumulator: refused by name.
    func testAccumulatorOverflowIsRefused() throws {
        XCTAssertThrowsError(try quantize(tinyGraph(inChannels: 70_000, weight: 0.5), ranges: [1: (-1, 1), 2: (-1, 1)])) { error in
            XCTAssertTrue("\(error)".contains("conv"), "\(error)")
            XCTAssertTrue("\(error)".contains("accumulator"), "\(error)")
        }
    }

    func testNonFiniteCalibrationRangeIsRefused() throws {
        XCTAssertThrowsError(try quantize(tinyGraph(inChannels: 3, weight: 0.5), ranges: [1: (-Float.infinity, 1), 2: (0, 1)]))
    }
}

/// Conversion details checked on a tiny graph.
final class ConversionTests: XCTestCase {
    /// With the input's channel means known, the bias absorbs the mean shift caused by rounding
    /// the weights: at the mean input the int8 conv's (dequantized) output equals the float one.
    func testBiasCorrectionCancelsTheMeanShiftOfRoundedWeights() throws {
        let cin = 5
        let weights: [Float] = [0.503, -0.0071, 0.2549, 0.0011, -0.377, 0.1234, 0.0456, -0.0049, 0.3001, 0.2222]
        let pre = Preprocessing(height: 2, width: 2, channels: cin, mean: Array(repeating: 0, count: cin), std: Array(repeating: 1, count: cin))
        let conv = Conv2D(inChannels: cin, outChannels: 2, kernel: 1, stride: 1, groups: 1, padding: .symmetric, weight: weights, bias: [0.1, -0.2])
        let graph = Graph(name: "bc", arch: "test", preprocessing: pre,
                          nodes: [Node(name: "conv", op: .conv(conv), inputs: [0], shape: Shape3(2, 2, 2))], numClasses: 2)
        let mean: [Float] = [0.9, 0.8, 0.7, 0.95, 0.85]
        // What an int8 model's input might really average: each channel a little off.
        let int8Mean: [Float] = [0.93, 0.78, 0.74, 0.9, 0.86]
        /// |int8 output at the int8 input means − float output at the float means|, summed over channels.
        func meanError(_ options: QuantizerOptions, intMean: [Float]) throws -> Double {
            let model = try quantize(graph, ranges: [1: (-2, 2)], options: options)
            guard case .conv(let q) = model.nodes[0].op else { XCTFail("not a conv"); return 0 }
            var total = 0.0
            for o in 0..<2 {
                let sw = Double(q.multiplier[o]) * pow(2, Double(q.shift[o]) - 31) * model.nodes[0].output.scale / model.input.scale
                var intOut = Double(q.bias[o]) * model.input.scale * sw, floatOut = Double(conv.bias![o])
                for c in 0..<cin {
                    intOut += Double(q.weights[o * cin + c]) * sw * Double(intMean[c])
                    floatOut += Double(weights[o * cin + c]) * Double(mean[c])
                }
                total += abs(intOut - floatOut)
            }
            return total
        }
        let without = try meanError(QuantizerOptions(), intMean: mean)
        let with = try meanError(QuantizerOptions(channelMeans: [0: mean]), intMean: mean)
        XCTAssertGreaterThan(without, 1e-4)
        XCTAssertLessThan(with, without / 10)
        // Given the int8 model's own input means, the bias also absorbs their error.
        let floatOnly = try meanError(QuantizerOptions(channelMeans: [0: mean]), intMean: int8Mean)
        let both = try meanError(QuantizerOptions(channelMeans: [0: mean], int8Means: [0: int8Mean]), intMean: int8Mean)
        XCTAssertGreaterThan(floatOnly, 1e-2)
        XCTAssertLessThan(both, floatOnly / 10)
    }

    /// After one range changes, `reconvert` gives the model a full conversion gives, and names
    /// exactly the nodes that changed (the range search relies on both).
    func testReconvertEqualsAFullConversion() throws {
        let graph = try foldGraph(try loadGraph(weights: SharedData.path("models/shufflenet_v1_g3-cifar10.safetensors"), options: ModelOptions()))
        var ranges: [Int: (min: Float, max: Float)] = [:]
        for v in 1...graph.nodes.count { ranges[v] = (-1 - Float(v % 7) * 0.1, 2 + Float(v % 5) * 0.3) }
        let model = try quantize(graph, ranges: ranges)
        let same = try reconvert(model, graph: graph, ranges: ranges, options: .init())
        XCTAssertEqual(same.changed, [])
        for v in [3, graph.nodes.count / 2, graph.nodes.count] {
            var moved = ranges
            moved[v] = (-0.5, 9)
            let (partial, changed) = try reconvert(model, graph: graph, ranges: moved, options: .init())
            let full = try quantize(graph, ranges: moved)
            XCTAssertEqual(String(describing: partial), String(describing: full), "value \(v)")
            let differing = model.nodes.indices.filter { String(describing: model.nodes[$0]) != String(describing: full.nodes[$0]) }
            XCTAssertEqual(changed, differing, "value \(v)")
            XCTAssertFalse(changed.isEmpty)
        }
    }

    /// A tap's share of output positions that see the input rather than padding.
    func testTapCoverageCountsPaddedPositions() {
        let on1x1 = tapCoverage(convGeometry(1, kernel: 3, stride: 1, padding: .symmetric, axis: .rows), inSize: 1, kernel: 3, stride: 1)
        XCTAssertEqual(on1x1, [0, 1, 0])
        let on4 = tapCoverage(convGeometry(4, kernel: 3, stride: 1, padding: .symmetric, axis: .rows), inSize: 4, kernel: 3, stride: 1)
        XCTAssertEqual(on4, [0.75, 1, 0.75])
        let stride2 = tapCoverage(convGeometry(4, kernel: 3, stride: 2, padding: .symmetric, axis: .rows), inSize: 4, kernel: 3, stride: 2)
        XCTAssertEqual(stride2, [0.5, 1, 1])  // outputs 0, 1 read rows −1…1 and 1…3
    }
}
