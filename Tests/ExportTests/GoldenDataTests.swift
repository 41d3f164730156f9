import XCTest
import Foundation
import QuantCore
import IntEngine
@testable import Export
import TestSupport

/// The golden files the C tests use (Targets/tests/data): a blob of the every-op model, raw
/// input images and the logits the Swift IntEngine (reference kernels) computes for them. This
/// test regenerates them in memory and checks that the committed files are still exactly what
/// the writer and the engine produce. To regenerate after an intended change:
///
///     EXPORT_WRITE_GOLDEN=1 swift test --filter ExportTests.GoldenDataTests
final class GoldenDataTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Targets/tests/data")

    func testGoldenFilesAreCurrent() throws {
        try checkGolden(TestModels.everyOp(seed: 2025, int4: true), name: "every_op")
    }

    /// A MobileNetV2-shaped model under in-place depthwise and two patch stages; its expected
    /// logits are those of the layer-by-layer run (the C tests run it under the sanitizers).
    func testScheduledGoldenFilesAreCurrent() throws {
        var model = TestModels.mobileNetV2Like(seed: 2025, width: 0.35, size: 20)
        let (l1, l2) = ScheduleBlobTests.stageEnds(model)
        let scheduled = ExecutionSchedule(inPlaceDepthwise: true, stages: [PatchStage(firstNode: 0, lastNode: l1, bands: 3),
                                                                            PatchStage(firstNode: l1 + 1, lastNode: l2, bands: 2)])
        try checkGolden(model, name: "scheduled") { model.schedule = scheduled; return model }
    }

    /// Checks (or with EXPORT_WRITE_GOLDEN=1 writes) NAME.q8 (the blob of `blobModel()`, default
    /// `model`), NAME_input.raw and NAME_expected.raw (`model`'s logits, reference kernels).
    private func checkGolden(_ model: QModel, name: String, blobModel: (() -> QModel)? = nil) throws {
        let count = 4
        let images = TestModels.images(for: model, count: count, seed: 2025)
        let engine = try IntEngine(model: model, useReference: true)
        let size = model.input.shape.count
        var expected: [UInt8] = []
        for i in 0..<count {
            let input = images[(i * size)..<((i + 1) * size)].map { Int8(truncatingIfNeeded: Int($0) - 128) }
            expected += engine.run(input: input).map { UInt8(bitPattern: $0) }
        }
        let files: [(String, [UInt8])] = [("\(name).q8", try writeBlob(blobModel?() ?? model)), ("\(name)_input.raw", images),
                                          ("\(name)_expected.raw", expected)]
        if ProcessInfo.processInfo.environment["EXPORT_WRITE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
            for (name, bytes) in files { try Data(bytes).write(to: Self.directory.appendingPathComponent(name)) }
        }
        for (name, bytes) in files {
            let url = Self.directory.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                XCTFail("\(url.path) is missing; run with EXPORT_WRITE_GOLDEN=1 to create it"); continue
            }
            XCTAssertEqual([UInt8](data), bytes, "\(name) is stale; run with EXPORT_WRITE_GOLDEN=1 if the change is intended")
        }
    }
}
