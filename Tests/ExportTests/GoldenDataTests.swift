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
        let model = TestModels.everyOp(seed: 2025, int4: true)
        let count = 4
        let images = TestModels.images(for: model, count: count, seed: 2025)
        let engine = try IntEngine(model: model, useReference: true)
        let size = model.input.shape.count
        var expected: [UInt8] = []
        for i in 0..<count {
            let input = images[(i * size)..<((i + 1) * size)].map { Int8(truncatingIfNeeded: Int($0) - 128) }
            expected += engine.run(input: input).map { UInt8(bitPattern: $0) }
        }
        let files: [(String, [UInt8])] = [("every_op.q8", try writeBlob(model)), ("every_op_input.raw", images),
                                          ("every_op_expected.raw", expected)]
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
