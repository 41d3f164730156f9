import Foundation
import XCTest

/// What was assumed about the model (input size, channels, stem stride, mean/std, class names) and
/// where each came from, in the console, report.md/json and the blob's metadata.
final class AssumptionsCLITests: XCTestCase {
    func run(_ weights: String) throws -> (CLI.Output, report: String, json: [String: Any], inspect: CLI.Output) {
        let out = try CLI.tempDir() + "/out"
        let r = try CLI.run([weights, "--calib", Fixtures.shared + "/datasets/cifar10/calib_batch.bin", "--calib-limit", "32",
                             "--eval", Fixtures.shared + "/datasets/cifar10/test_batch.bin", "--eval-limit", "200",
                             "--no-range-search", "--out", out, "--quiet"])
        XCTAssertEqual(r.status, 0, r.text)
        let report = (try? String(contentsOfFile: out + "/report.md", encoding: .utf8)) ?? ""
        let json = ((try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json")))) as? [String: Any]) ?? [:]
        return (r, report, json, try CLI.run(["inspect", out + "/model.q8"]))
    }

    /// A checkpoint without metadata: input size, stem stride and mean/std are conventions, and say so.
    func testConventionsAreNamedEverywhere() throws {
        let weights = try Fixtures.resavedSafetensors("mobilenet_v1_025-cifar10.safetensors", metadata: nil)
        let (r, report, json, inspect) = try run(weights)
        for (setting, value) in [("input size", "32x32 (convention: CIFAR-10-like)"), ("stem stride", "1 (convention: CIFAR-10-like)"),
                                 ("mean", "(convention: CIFAR-10 mean/std (3 channels))"), ("input channels", "3 (stem shape)"),
                                 ("classes", "10 (classifier shape)")] {
            XCTAssertTrue(r.stdout.contains("\(setting): ") && r.stdout.contains(value), "console lacks \(setting) \(value): \(r.stdout)")
            let key = "model." + setting.replacingOccurrences(of: " ", with: "_")
            XCTAssertTrue(inspect.stdout.contains(key + " = ") && inspect.stdout.contains(value), "inspect lacks \(key): \(inspect.stdout)")
        }
        XCTAssertTrue(report.contains("## Model and preprocessing"), report)
        XCTAssertTrue(report.contains("| input size | 32x32 | **convention: CIFAR-10-like** |"), report)
        let settings = (json["settings"] as? [[String: String]]) ?? []
        XCTAssertTrue(settings.contains { $0["name"] == "stem stride" && $0["source"] == "convention: CIFAR-10-like" }, "\(settings)")
    }

    /// The shared checkpoint states everything in its metadata, and the reports say that instead.
    func testMetadataIsNamedAsTheSource() throws {
        let (r, report, _, inspect) = try run(Fixtures.shared + "/models/mobilenet_v1_025-cifar10.safetensors")
        XCTAssertTrue(r.stdout.contains("input size: 32x32 (metadata input_size)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("class names: airplane, automobile, bird, … (10) (metadata dataset = cifar10)"), r.stdout)
        XCTAssertFalse(r.stdout.contains("convention"), r.stdout)
        XCTAssertTrue(report.contains("| stem stride | 1 | metadata stem_stride |"), report)
        XCTAssertTrue(inspect.stdout.contains("model.mean = [0.4914, 0.4822, 0.4465] (metadata mean)"), inspect.stdout)
    }
}
