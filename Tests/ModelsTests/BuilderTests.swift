import XCTest
import ModelIO
import QuantCore
@testable import Models

/// The reference checkpoints and what `shared/models/README.md` states about them.
struct ReferenceModel {
    var name: String
    var file: String
    var parameters: Int
    var mmacs: Double
    var dataset: String

    static let all = [
        ReferenceModel(name: "mobilenet_v1-cifar10", file: "mobilenet_v1-cifar10.safetensors", parameters: 3_217_226, mmacs: 46.4, dataset: "cifar10"),
        ReferenceModel(name: "mobilenet_v1_025-cifar10", file: "mobilenet_v1_025-cifar10.safetensors", parameters: 215_642, mmacs: 3.3, dataset: "cifar10"),
        ReferenceModel(name: "mobilenet_v1_025-cifar10", file: "mobilenet_v1_025-cifar10.pth", parameters: 215_642, mmacs: 3.3, dataset: "cifar10"),
        ReferenceModel(name: "mobilenet_v2-cifar10", file: "mobilenet_v2-cifar10.safetensors", parameters: 2_236_682, mmacs: 24.5, dataset: "cifar10"),
        ReferenceModel(name: "mobilenet_v3_small-cifar10", file: "mobilenet_v3_small-cifar10.safetensors", parameters: 1_528_106, mmacs: 5.5, dataset: "cifar10"),
        ReferenceModel(name: "mobilenet_v3_large-cifar10", file: "mobilenet_v3_large-cifar10.safetensors", parameters: 4_214_842, mmacs: 20.1, dataset: "cifar10"),
        ReferenceModel(name: "shufflenet_v1_g3-cifar10", file: "shufflenet_v1_g3-cifar10.safetensors", parameters: 914_338, mmacs: 11.2, dataset: "cifar10"),
        ReferenceModel(name: "shufflenet_v2_x1_0-cifar10", file: "shufflenet_v2_x1_0-cifar10.safetensors", parameters: 1_263_854, mmacs: 11.8, dataset: "cifar10"),
        ReferenceModel(name: "mobilenet_v3_small-fashion", file: "mobilenet_v3_small-fashion.safetensors", parameters: 1_527_818, mmacs: 4.9, dataset: "fashion"),
        ReferenceModel(name: "efficientnet_lite0-imagenet", file: "efficientnet-lite0-57934424.pth", parameters: 4_652_008, mmacs: 385, dataset: "imagenet"),
    ]

    var path: String { SharedData.path("models/" + file) }
}

final class BuilderTests: XCTestCase {
    func testEveryReferenceModelBuildsWithTheStatedSize() throws {
        for model in ReferenceModel.all {
            let graph = try buildGraph(try loadCheckpoint(model.path), name: model.name)
            XCTAssertEqual(graph.parameterCount, model.parameters, model.file)
            XCTAssertEqual(Double(graph.totalMACs) / 1e6, model.mmacs, accuracy: 0.05 * model.mmacs, model.file)
            XCTAssertEqual(graph.numClasses, model.dataset == "imagenet" ? 1000 : 10, model.file)
            print(graph.summary().split(separator: "\n").suffix(1).joined(), model.file)
        }
    }
}
