import XCTest
import Foundation
import QuantCore
import IntEngine
@testable import Export

/// Swift-vs-C parity on blob files written by the quantize tool (real quantized models):
///
///     EXPORT_PARITY_BLOBS=out/a/model.q8:out/b/model.q8 swift test --filter ExportTests.BlobFileParityTests
///
/// Each blob is read back with `readBlob` (which validates it), run by the Swift IntEngine and by
/// the C runtime on the same images, and the int8 logits must be identical. Skipped when the
/// variable is not set.
final class BlobFileParityTests: XCTestCase {
    func testBlobFiles() throws {
        guard let list = ProcessInfo.processInfo.environment["EXPORT_PARITY_BLOBS"], !list.isEmpty else {
            throw XCTSkip("set EXPORT_PARITY_BLOBS to a ':'-separated list of .q8 files")
        }
        let count = Int(ProcessInfo.processInfo.environment["EXPORT_PARITY_IMAGES"] ?? "") ?? 8
        for path in list.split(separator: ":").map(String.init) {
            guard let data = FileManager.default.contents(atPath: path) else { XCTFail("\(path): cannot read"); continue }
            let blob = [UInt8](data)
            let model = try readBlob(blob, path: path)
            XCTAssertEqual(try writeBlob(model), blob, "\(path): write(read(blob)) differs")
            let images = TestModels.images(for: model, count: count, seed: 77)
            let c = try runC(blob: blob, images: images, count: count)
            let swift = try IntEngine(model: model).logits(images: images, count: count)
            XCTAssertEqual(c, swift, "\(path): C and Swift logits differ")
            let plan = planMemory(model)
            print("\(path): \(model.nodes.count) ops, blob \(blob.count) B, payload \(plan.weightBytes + plan.parameterBytes) B, "
                  + "arena \(plan.arenaBytes) B (lower bound \(plan.lowerBoundBytes) B), \(count) images identical")
        }
    }
}
