import XCTest
import ModelIO
import QuantCore
@testable import Models

/// Bad checkpoints (mutated in memory from a real one) must be refused with an error that names
/// the key and both shapes.
final class CheckpointErrorTests: XCTestCase {
    func reference() throws -> Checkpoint {
        try loadCheckpoint(SharedData.path("models/mobilenet_v3_small-fashion.safetensors"))
    }

    func message(_ body: () throws -> Graph) -> String {
        do {
            _ = try body()
            XCTFail("expected an error")
            return ""
        } catch let error as ToolkitError {
            return error.message
        } catch {
            XCTFail("unexpected error type \(error)")
            return ""
        }
    }

    func testMissingKeyIsNamed() throws {
        var checkpoint = try reference()
        checkpoint.tensors["features.4.block.2.fc1.weight"] = nil
        checkpoint.names.removeAll { $0 == "features.4.block.2.fc1.weight" }
        let text = message { try buildGraph(checkpoint, name: "broken") }
        XCTAssertTrue(text.contains("missing tensor `features.4.block.2.fc1.weight`"), text)
        XCTAssertTrue(text.contains("[24, 96, 1, 1]"), text)
    }

    func testWrongShapeNamesExpectedAndFound() throws {
        var checkpoint = try reference()
        checkpoint.tensors["features.6.block.1.0.weight"] = Tensor(shape: [240, 1, 3, 3], values: [Float](repeating: 0, count: 240 * 9))
        let text = message { try buildGraph(checkpoint, name: "broken") }
        XCTAssertTrue(text.contains("`features.6.block.1.0.weight`"), text)
        XCTAssertTrue(text.contains("expected shape [240, 1, 5, 5]"), text)
        XCTAssertTrue(text.contains("found [240, 1, 3, 3]"), text)
    }

    func testUnexpectedKeyIsNamed() throws {
        var checkpoint = try reference()
        checkpoint.tensors["features.13.extra.weight"] = Tensor(shape: [4], values: [1, 2, 3, 4])
        checkpoint.names.append("features.13.extra.weight")
        let text = message { try buildGraph(checkpoint, name: "broken") }
        XCTAssertTrue(text.contains("unexpected tensor `features.13.extra.weight`"), text)
    }

    func testUserClassCountMustMatchClassifier() throws {
        let checkpoint = try reference()
        let text = message { try buildGraph(checkpoint, name: "wrong", options: ModelOptions(numClasses: 100)) }
        XCTAssertTrue(text.contains("100 classes"), text)
        XCTAssertTrue(text.contains("`classifier.3.weight`"), text)
        XCTAssertTrue(text.contains("[10, 1024]"), text)
    }

    func testClassifierWithTheWrongClassCountInTheFile() throws {
        var checkpoint = try reference()
        checkpoint.tensors["classifier.3.weight"] = Tensor(shape: [7, 1024], values: [Float](repeating: 0, count: 7 * 1024))
        let text = message { try buildGraph(checkpoint, name: "broken") }
        XCTAssertTrue(text.contains("expected shape [10, 1024], found [7, 1024]"), text)
    }

    /// `--mean/--std` of a checkpoint follow the one rule of every model file (`normalization`):
    /// one value stands for every channel, else one value per channel, std positive, mean finite.
    func testMeanAndStdFollowTheOneNormalizationRule() throws {
        let checkpoint = try loadCheckpoint(SharedData.path("models/mobilenet_v1_025-cifar10.safetensors"))
        let graph = try buildGraph(checkpoint, name: "x", options: ModelOptions(mean: [0.5], std: [0.25]))
        XCTAssertEqual(graph.preprocessing.mean, [0.5, 0.5, 0.5])
        XCTAssertEqual(graph.preprocessing.std, [0.25, 0.25, 0.25])
        let perChannel = try buildGraph(checkpoint, name: "x", options: ModelOptions(mean: [0.1, 0.2, 0.3]))
        XCTAssertEqual(perChannel.preprocessing.mean, [0.1, 0.2, 0.3])
        XCTAssertEqual(perChannel.preprocessing.std, [0.247, 0.2435, 0.2616])
        XCTAssertTrue(message { try buildGraph(checkpoint, name: "x", options: ModelOptions(mean: [0.1, 0.2])) }
            .contains("mean and std need 3 values (one per input channel), got 2 and 3"))
        XCTAssertTrue(message { try buildGraph(checkpoint, name: "x", options: ModelOptions(std: [0.2, 0, 0.2])) }
            .contains("std must be positive and mean finite"))
        XCTAssertTrue(message { try buildGraph(checkpoint, name: "x", options: ModelOptions(mean: [.nan])) }
            .contains("std must be positive and mean finite"))
    }

    func testBadOptionsAreRefused() throws {
        let checkpoint = try reference()
        XCTAssertTrue(message { try buildGraph(checkpoint, name: "x", options: ModelOptions(arch: "resnet50")) }
            .contains("unknown architecture `resnet50`"))
        XCTAssertTrue(message { try buildGraph(checkpoint, name: "x", options: ModelOptions(mean: [0.1, 0.2])) }
            .contains("mean and std need 1 values"))
        XCTAssertTrue(message { try buildGraph(checkpoint, name: "x", options: ModelOptions(inputSize: 5)) }
            .contains("input size must be in 8...4096, got 5"))
        // Asking for another architecture than the file holds fails on the first tensor it lacks
        // (widths come from the shapes, so the stem itself fits).
        XCTAssertTrue(message { try buildGraph(checkpoint, name: "x", options: ModelOptions(arch: "v2")) }
            .contains("missing tensor `features.1.conv.0.0.weight` (expected shape [16, 1, 3, 3])"))
    }

    func testArchitectureIsRecognizedWithoutMetadata() throws {
        var checkpoint = try loadCheckpoint(SharedData.path("models/shufflenet_v2_x1_0-cifar10.safetensors"))
        checkpoint.metadata = [:]
        let graph = try buildGraph(checkpoint, name: "bare")
        XCTAssertEqual(graph.arch, "shufflenet_v2")
        XCTAssertEqual(graph.numClasses, 10)
        XCTAssertEqual(graph.shape(0), Shape3(32, 32, 3))
        XCTAssertEqual(graph.preprocessing.mean, [0.4914, 0.4822, 0.4465])
    }

    func testWidthAndGroupsAreInferredFromShapes() throws {
        var quarter = try loadCheckpoint(SharedData.path("models/mobilenet_v1_025-cifar10.safetensors"))
        quarter.metadata = [:]
        let v1 = try buildGraph(quarter, name: "v1")
        XCTAssertEqual(v1.arch, "mobilenet_v1")
        XCTAssertEqual(v1.nodes[0].shape, Shape3(32, 32, 8))
        XCTAssertEqual(v1.parameterCount, 215_642)
        var shuffle = try loadCheckpoint(SharedData.path("models/shufflenet_v1_g3-cifar10.safetensors"))
        shuffle.metadata = [:]
        let v1g3 = try buildGraph(shuffle, name: "g3")
        XCTAssertTrue(v1g3.nodes.contains { if case .shuffle(3) = $0.op { return true } else { return false } })
        XCTAssertEqual(v1g3.parameterCount, 914_338)
    }

    func testOptionsOverrideMetadata() throws {
        let checkpoint = try reference()
        let graph = try buildGraph(checkpoint, name: "big", options: ModelOptions(inputSize: 64, mean: [0.5], std: [0.25]))
        XCTAssertEqual(graph.shape(0), Shape3(64, 64, 1))
        XCTAssertEqual(graph.preprocessing.mean, [0.5])
        XCTAssertEqual(graph.preprocessing.std, [0.25])
        XCTAssertEqual(graph.nodes.last?.shape, Shape3(1, 1, 10))
    }

    func testShortArchitectureNames() {
        XCTAssertEqual(canonicalArch("v1"), "mobilenet_v1")
        XCTAssertEqual(canonicalArch("v3small"), "mobilenet_v3_small")
        XCTAssertEqual(canonicalArch("V3-Large"), "mobilenet_v3_large")
        XCTAssertEqual(canonicalArch("shufflenet1"), "shufflenet_v1")
        XCTAssertEqual(canonicalArch("shufflenet_v2"), "shufflenet_v2")
        XCTAssertEqual(canonicalArch("effnet-lite0"), "efficientnet_lite0")
        XCTAssertNil(canonicalArch("v4"))
    }

    func testSummaryListsEveryOpAndTotals() throws {
        let graph = try buildGraph(try reference(), name: "fashion")
        let lines = graph.summary().split(separator: "\n")
        XCTAssertEqual(lines.count, graph.nodes.count + 3)
        XCTAssertTrue(lines[2].contains("features.0") && lines[2].contains("conv3x3") && lines[2].contains("28x28x16"), String(lines[2]))
        XCTAssertTrue(lines.last?.contains("\(graph.parameterCount) parameters") ?? false)
        XCTAssertEqual(graph.parameterCount, 1_527_818)
    }
}
