import Foundation
import XCTest

/// Labels one can trust: class folders matched to the model's classes, unlabelled evaluation data
/// refused, and warnings (console and report) when the data does not fit the model.
final class LabelsCLITests: XCTestCase {
    let cifarModel = Fixtures.shared + "/models/mobilenet_v1_025-cifar10.safetensors"

    /// `top-1 X%` from an `eval-float` line.
    func top1(_ r: CLI.Output, file: StaticString = #filePath, line: UInt = #line) -> Double? {
        guard r.status == 0, let range = r.stdout.range(of: #"top-1 [0-9.]+%"#, options: .regularExpression) else {
            XCTFail("no top-1 in: \(r.text)", file: file, line: line); return nil
        }
        return Double(r.stdout[range].dropFirst(6).dropLast())
    }

    /// Three of CIFAR-10's ten class folders: sorted, they would be labels 0, 1, 2 (the old
    /// behaviour: near 0 %); matched by name they are 3, 5, 8.
    func testClassFoldersWithClassesAbsentAreMatchedByName() throws {
        let data = try Fixtures.cifarClassFolders(["cat", "dog", "ship"])
        let r = try CLI.run(["eval-float", cifarModel, "--data", data, "--quiet"])
        XCTAssertGreaterThan(top1(r) ?? 0, 60, r.text)
        XCTAssertTrue(r.stdout.contains("matched to the model's 10 classes by name"), r.stdout)
        XCTAssertFalse(r.stdout.contains("warning:"), r.stdout)
    }

    /// Folders named by class index are labelled by that index.
    func testClassFoldersNamedByIndex() throws {
        let data = try Fixtures.cifarClassFolders(["cat", "dog", "ship"], rename: ["cat": "3", "dog": "5", "ship": "8"])
        let r = try CLI.run(["eval-float", cifarModel, "--data", data, "--quiet"])
        XCTAssertGreaterThan(top1(r) ?? 0, 60, r.text)
    }

    /// The issue's case: ImageNet images in one folder per WordNet id, most classes absent, for
    /// EfficientNet-Lite0 (a checkpoint without metadata: 1000 classes are ImageNet's synsets).
    func testImageNetWnidFoldersAreMatchedByName() throws {
        let data = try Fixtures.imagenetWnidFolders(count: 30)
        let r = try CLI.run(["eval-float", "effnet-lite0", "--weights", Fixtures.shared + "/models/efficientnet-lite0-57934424.pth",
                             "--data", data, "--quiet"])
        XCTAssertGreaterThan(top1(r) ?? 0, 70, r.text)
        XCTAssertTrue(r.stdout.contains("30 class folders matched to the model's 1000 classes by name"), r.stdout)
    }

    /// Folders that are neither class names nor indices, and not one per class: an error saying how to label.
    func testUnmatchableClassFoldersAreAnError() throws {
        let data = try Fixtures.cifarClassFolders(["cat", "dog", "ship"], rename: ["cat": "a", "dog": "b", "ship": "c"])
        let r = try CLI.run(["eval-float", cifarModel, "--data", data])
        XCTAssertEqual(r.status, 1, r.text)
        XCTAssertTrue(r.stderr.hasPrefix("error: \(data): 3 class folders for a model of 10 classes"), r.stderr)
        XCTAssertTrue(r.stderr.contains("labels.csv") && r.stderr.contains("file,label"), r.stderr)
        XCTAssertFalse(r.stdout.contains("top-1"), r.stdout)
    }

    /// As many folders as classes, but not named after them: taken in sorted order, with a warning.
    func testSortedOrderFallbackWarns() throws {
        let names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
        let data = try Fixtures.cifarClassFolders(names, rename: Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, "c\($0)") }))
        let r = try CLI.run(["eval-float", cifarModel, "--data", data, "--quiet"])
        XCTAssertGreaterThan(top1(r) ?? 0, 60, r.text)
        XCTAssertTrue(r.stdout.contains("warning: the class folders of \(data) (c0, c1, c2, …) are not the model's class names"), r.stdout)
    }

    /// Some folders are class names, some are not: the unknown ones are named.
    func testPartlyMatchingClassFoldersNameTheOthers() throws {
        let data = try Fixtures.cifarClassFolders(["cat", "dog"], rename: ["dog": "doggo"])
        let r = try CLI.run(["eval-float", cifarModel, "--data", data])
        XCTAssertEqual(r.status, 1, r.text)
        XCTAssertTrue(r.stderr.contains("1 of 2 class folders are not the model's class names (doggo)"), r.stderr)
    }

    /// Unlabelled evaluation images are an error before any work, never a `0.00%` row.
    func testUnlabelledEvaluationImagesAreAnError() throws {
        let dir = try CLI.tempDir() + "/images"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: Fixtures.shared + "/datasets/cifar10/jpeg-sample/cat") {
            try FileManager.default.createSymbolicLink(atPath: dir + "/" + file, withDestinationPath: Fixtures.shared + "/datasets/cifar10/jpeg-sample/cat/" + file)
        }
        let out = try CLI.tempDir() + "/out"
        let r = try CLI.run([cifarModel, "--calib", Fixtures.shared + "/datasets/cifar10/calib_batch.bin", "--eval", dir, "--out", out, "--quiet"])
        XCTAssertEqual(r.status, 1, r.text)
        XCTAssertTrue(r.stderr.hasPrefix("error: \(dir): the evaluation images have no labels"), r.stderr)
        XCTAssertFalse(r.stdout.contains("0.00%") || r.stdout.contains("converted:"), r.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        let f = try CLI.run(["eval-float", cifarModel, "--data", dir])
        XCTAssertEqual(f.status, 1, f.text)
        XCTAssertFalse(f.stdout.contains("top-1"), f.stdout)
    }

    /// Labels the model cannot have (12 for a 10-class model) are pointed out.
    func testLabelsBeyondTheModelsClassesWarn() throws {
        let data = try Fixtures.cifarClassFolders(["cat"])
        var csv = "file,label\n"
        for file in try FileManager.default.contentsOfDirectory(atPath: data + "/cat") {
            try FileManager.default.moveItem(atPath: data + "/cat/" + file, toPath: data + "/" + file)
            csv += "\(file),12\n"
        }
        try FileManager.default.removeItem(atPath: data + "/cat")
        try csv.write(toFile: data + "/labels.csv", atomically: true, encoding: .utf8)
        let r = try CLI.run(["eval-float", cifarModel, "--data", data, "--quiet"])
        XCTAssertEqual(r.status, 0, r.text)
        XCTAssertTrue(r.stdout.contains("warning:") && r.stdout.contains("labels of 10 or more (up to 12) but the model has 10 classes"), r.stdout)
    }

    /// The issue's case: a CIFAR-10 model evaluated on Fashion-MNIST, calibrated on 8 images. It
    /// runs (the numbers are real), but says loudly, in the console and in the report, that the data
    /// does not fit: gray images for an RGB model, Fashion-MNIST's classes, near-chance float
    /// accuracy, and a calibration set of very few images.
    func testMismatchedDataWarnsInConsoleAndReport() throws {
        let out = try CLI.tempDir() + "/out"
        let r = try CLI.run([cifarModel, "--calib", Fixtures.shared + "/datasets/cifar10/calib_batch.bin", "--calib-limit", "8",
                             "--eval", Fixtures.shared + "/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", "--eval-limit", "300",
                             "--no-range-search", "--out", out, "--quiet"])
        XCTAssertEqual(r.status, 0, r.text)
        let expected = ["are gray but the model takes RGB input", "their classes are Fashion-MNIST's", "near chance",
                        "calibration on only 8 images"]
        let report = (try? String(contentsOfFile: out + "/report.md", encoding: .utf8)) ?? ""
        let json = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json")))) as? [String: Any]
        let jsonWarnings = (json?["warnings"] as? [String]) ?? []
        XCTAssertTrue(report.contains("## Warnings"), report)
        for e in expected {
            XCTAssertTrue(r.stdout.contains("warning:") && r.stdout.contains(e), "console lacks '\(e)': \(r.stdout)")
            XCTAssertTrue(report.contains(e), "report.md lacks '\(e)'")
            XCTAssertTrue(jsonWarnings.contains { $0.contains(e) }, "report.json lacks '\(e)': \(jsonWarnings)")
        }
    }

    /// The shipped default run on its own data has nothing to warn about.
    func testMatchingDataHasNoWarnings() throws {
        let out = try CLI.tempDir() + "/out"
        let r = try CLI.run(["v3small", "--calib", "Calibration/", "--calib-limit", "64", "--eval-limit", "300", "--no-range-search", "--out", out, "--quiet"])
        XCTAssertEqual(r.status, 0, r.text)
        XCTAssertFalse(r.stdout.contains("warning:"), r.stdout)
        XCTAssertFalse(try String(contentsOfFile: out + "/report.md", encoding: .utf8).contains("## Warnings"))
    }
}
