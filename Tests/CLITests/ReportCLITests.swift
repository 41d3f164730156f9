import Foundation
import XCTest

/// What the main command writes besides the model: report.html / .json / .md with per-class
/// accuracy, the changed images, settings and reproducibility; memory.md and model_data.h that
/// name the model and its sizes; `--version` and `--help`.
final class ReportCLITests: XCTestCase {
    func testVersionNamesTheCommitOfThisCheckout() throws {
        let r = try CLI.run(["--version"])
        XCTAssertEqual(r.status, 0, r.text)
        let line = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(line.hasPrefix("quantize 0.1.0, git commit "), line)
        let commit = String(line.dropFirst("quantize 0.1.0, git commit ".count))
        // The tests run from the package root; when that is a git checkout, the commit is its HEAD.
        if let head = shell("git", ["rev-parse", "HEAD"]), head.count == 40 {
            XCTAssertTrue(commit.hasPrefix(head), "\(commit) vs HEAD \(head)")
        } else {
            XCTAssertEqual(commit, "unknown")
        }
    }

    func testHelpDescribesTheEvaluationLayouts() throws {
        let r = try CLI.run(["--help"])
        XCTAssertEqual(r.status, 0, r.text)
        for phrase in ["labels.csv", "file,label", "one sub-folder per class", "--version", "report.html", "labels-idx1-ubyte"] {
            XCTAssertTrue(r.stdout.contains(phrase), "--help lacks '\(phrase)'")
        }
    }

    func testReportsCarrySettingsDigestsAndSizes() throws {
        let out = try CLI.tempDir()
        let args = ["v3small", "--calib", "Calibration/", "--calib-limit", "16", "--eval-limit", "300",
                    "--no-range-search", "--quiet", "--out", out]
        let r = try CLI.run(args)
        XCTAssertEqual(r.status, 0, r.text)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))) as? [String: Any])
        // Numbers are numbers.
        XCTAssertNotNil(json["blobBytes"] as? Int)
        XCTAssertEqual(json["arenaBytes"] as? Int, 25088)
        // Per-class accuracy over the 300 images, and the changed images (an IDX file: no file names).
        let perClass = try XCTUnwrap(json["perClass"] as? [[String: Any]])
        XCTAssertEqual(perClass.count, 10)
        XCTAssertEqual(perClass.compactMap { $0["images"] as? Int }.reduce(0, +), 300)
        XCTAssertEqual(perClass.first?["name"] as? String, "T-shirt/top")
        let changed = try XCTUnwrap(json["changed"] as? [[String: Any]])
        XCTAssertEqual(changed.count, json["disagreements"] as? Int)
        XCTAssertTrue(changed.allSatisfy { $0["file"] == nil && $0["index"] is Int })
        // Calibration settings and reproducibility: the command line, and SHA-256 digests that
        // sha256sum agrees with.
        let calibration = try XCTUnwrap(json["calibration"] as? [String: Any])
        XCTAssertEqual(calibration["images"] as? Int, 16)
        XCTAssertEqual(calibration["method"] as? String, "percentile")
        XCTAssertNil(calibration["rangeSearchImages"])
        // MobileNetV3-Small has two convolution (ReLU) → depthwise chains (the expansions of
        // features.2 and .3), the pairs activation equalization works on.
        XCTAssertEqual(calibration["equalizedPairs"] as? Int, 2)
        let run = try XCTUnwrap(json["run"] as? [String: Any])
        XCTAssertEqual(run["commandLine"] as? [String], [CLI.executable] + args)
        let inputs = try XCTUnwrap(run["inputs"] as? [[String: Any]])
        XCTAssertEqual(inputs.compactMap { $0["path"] as? String },
                       ["Models/mobilenet_v3_small-fashion.safetensors", "Calibration/", "Evaluation/fashion-mnist/t10k-images-idx3-ubyte.gz"])
        if let sum = shell("sha256sum", ["Models/mobilenet_v3_small-fashion.safetensors"]) {
            XCTAssertEqual(inputs[0]["sha256"] as? String, String(sum.prefix(64)))
        }
        if let listing = shell("bash", ["-c", "cd Calibration && find . -type f -printf '%P\\n' | LC_ALL=C sort | xargs -d '\\n' sha256sum | sha256sum"]) {
            XCTAssertEqual(inputs[1]["sha256"] as? String, String(listing.prefix(64)))
        }
        // The page and the other reports.
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        for id in ["chart-sqnr", "chart-drop", "chart-classes", "chart-confusion", "hist-1"] {
            XCTAssertTrue(html.contains("id=\"\(id)\""), id)
        }
        let md = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        XCTAssertTrue(md.contains("## Accuracy per class"))
        XCTAssertTrue(md.contains("## Settings and reproducibility"))
        XCTAssertTrue(md.contains("- **calibration**: `percentile` (99.99th percentile), 16 images from `Calibration/`"))
        XCTAssertTrue(md.contains("- **activation equalization**: on, 2 convolution → depthwise pairs"))
        let memory = try String(contentsOfFile: out + "/memory.md", encoding: .utf8)
        XCTAssertTrue(memory.hasPrefix("# Memory plan: mobilenet_v3_small-fashion\n"))
        let header = try String(contentsOfFile: out + "/model_data.h", encoding: .utf8)
        // The arena macro is q8_arena_size(): the planned activations plus the kernels' scratch
        // (BlobRoundTripTests checks it against the C runtime); at least the activations.
        let arenaLine = header.split(separator: "\n").first { $0.hasPrefix("#define MOBILENET_V3_SMALL_FASHION_ARENA_SIZE ") }
        let arena = arenaLine.flatMap { Int($0.split(separator: " ").last?.dropLast() ?? "") }
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(arena, String(describing: arenaLine)), 25088)
        for line in ["#define MOBILENET_V3_SMALL_FASHION_INPUT_HEIGHT 28",
                     "#define MOBILENET_V3_SMALL_FASHION_INPUT_CHANNELS 1", "#define MOBILENET_V3_SMALL_FASHION_NUM_CLASSES 10"] {
            XCTAssertTrue(header.contains(line), line)
        }
    }

    /// Output of a program on the PATH run in the current folder, or nil when it fails.
    private func shell(_ program: String, _ args: [String]) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [program] + args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return p.terminationStatus == 0 ? String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }
}
