import Foundation
import XCTest

/// The main command on a float32 `.tflite` (made from the converter's int8 Fashion-MNIST file by
/// `Scripts/float_tflite.py`): calibrated, converted and written like a checkpoint.
final class FloatTFLiteCLITests: XCTestCase {
    func floatFile() throws -> (dir: String, path: String) {
        let dir = try CLI.tempDir()
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Scripts/float_tflite.py").standardized.path
        let path = dir + "/mobilenet_v3_small-fashion.float.tflite"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", script, "make", Fixtures.shared + "/models/tflite/mobilenet_v3_small-fashion.int8.tflite", path]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "float_tflite.py make")
        return (dir, path)
    }

    func testMainCommandQuantizesAFloatTFLite() throws {
        let (dir, path) = try floatFile()
        let out = dir + "/out"
        let r = try CLI.run([path, "--calib", "Calibration", "--calib-limit", "32", "--eval", Fixtures.shared + "/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz",
                             "--eval-limit", "200", "--mean", "0.286", "--std", "0.353", "--out", out])
        XCTAssertEqual(r.status, 0, r.text)
        XCTAssertTrue(r.stdout.contains("model: mobilenet_v3_small-fashion (tflite, input 28x28x1, 10 classes, 108 ops)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("mean [0.286], std [0.353] — from --mean/--std"), r.stdout)
        for file in ["model.q8", "model.tflite", "model_data.h", "report.md", "report.json", "memory.md"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + file), file)
        }
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))) as? [String: Any]
        let agreement = report?["agreementTop1"] as? Double
        XCTAssertNotNil(agreement, "report.json has no agreementTop1")
        XCTAssertGreaterThanOrEqual(agreement ?? 0, 95, "int8 vs float top-1 agreement (%) on 200 images, 32 calibration images")
    }

    func testInspectAndWrongKindOfTFLite() throws {
        let (_, path) = try floatFile()
        let r = try CLI.run(["inspect", path])
        XCTAssertEqual(r.status, 0, r.text)
        XCTAssertTrue(r.stdout.contains("a float32 model"), r.stdout)
        XCTAssertTrue(r.stdout.contains("ASSUMED (a .tflite carries no normalization"), r.stdout)
        let int8 = Fixtures.shared + "/models/tflite/mobilenet_v3_small-fashion.int8.tflite"
        let e = try CLI.run([int8, "--calib", "Calibration", "--eval", "Calibration"])
        XCTAssertEqual(e.status, 1)
        XCTAssertTrue(e.stderr.hasPrefix("error: \(int8): the model's input is not float32"), e.stderr)
        let x = try CLI.run(["export", path, "--out", try CLI.tempDir()])
        XCTAssertEqual(x.status, 1)
        XCTAssertTrue(x.stderr.hasPrefix("error: \(path): a float32 model is not quantized yet"), x.stderr)
    }
}
