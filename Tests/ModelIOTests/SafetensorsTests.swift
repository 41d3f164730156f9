import Foundation
import XCTest
import QuantCore
@testable import ModelIO

/// Loading the real safetensors checkpoints in ../shared/models and rejecting malformed ones.
final class SafetensorsTests: XCTestCase {
    func testEverySharedSafetensorsLoads() throws {
        let folder = SharedData.path("models")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".safetensors") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 8)
        for file in files {
            let checkpoint = try loadCheckpoint(folder + "/" + file)
            XCTAssertEqual(checkpoint.format, "safetensors")
            XCTAssertFalse(checkpoint.names.isEmpty, file)
            XCTAssertEqual(Set(checkpoint.names), Set(checkpoint.tensors.keys), file)
            XCTAssertNotNil(checkpoint.metadata["arch"], file)
            for name in checkpoint.names {
                let tensor = try XCTUnwrap(checkpoint.tensors[name])
                XCTAssertEqual(tensor.shape.reduce(1, *), tensor.values.count, "\(file) \(name)")
            }
        }
    }

    func testFashionShapesAndMetadata() throws {
        let checkpoint = try loadCheckpoint(SharedData.path("models/mobilenet_v3_small-fashion.safetensors"))
        XCTAssertEqual(checkpoint.tensors["features.0.0.weight"]?.shape, [16, 1, 3, 3])
        XCTAssertEqual(checkpoint.dtypes["features.0.0.weight"], "F32")
        XCTAssertEqual(checkpoint.metadata["arch"], "mobilenet_v3_small")
        XCTAssertEqual(checkpoint.metadata["in_channels"], "1")
        let summary = checkpoint.summary()
        XCTAssertTrue(summary.contains("features.0.0.weight"))
        XCTAssertTrue(summary.contains("[16, 1, 3, 3]"))
        XCTAssertTrue(summary.contains("\(checkpoint.names.count) tensors"))
    }
}
