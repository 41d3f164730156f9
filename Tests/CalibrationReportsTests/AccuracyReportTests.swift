import XCTest
import QuantCore
import Models
import Reports

final class AccuracyReportTests: XCTestCase {
    /// Six hand-made images over six classes (see the comments for what each one tests).
    private let floatLogits: [[Float]] = [
        [0, 1, 5, 2, 3, 4],   // label 2: both right
        [9, 1, 0, 0, 0, 0],   // label 1: both say 0 (int8 by a tie), label in both top-5
        [0, 0, 0, 8, 0, 0],   // label 3: float right, int8 tie picks 2 → correct to wrong
        [1, 2, 3, 4, 5, 0],   // label 5: float wrong and not even top-5, int8 right
        [0, 5, 0, 0, 0, 0],   // label 0: float 1, int8 2 → wrong to wrong
        [0, 5, 0, 0, 0, 0],   // same again
    ]
    private let int8Logits: [[Int8]] = [
        [0, 1, 5, 2, 3, 4],
        [3, 3, 0, 0, 0, 0],
        [0, 0, 7, 7, 0, 0],
        [0, 0, 0, 0, 1, 2],
        [0, 0, 5, 0, 0, 0],
        [-128, -128, 127, -128, -128, -128],
    ]
    private let labels = [2, 1, 3, 5, 0, 0]
    private let names = ["plane", "car", "bird", "cat", "deer", "dog"]

    private func sampleLayers() -> [LayerError] {
        [
            LayerError(name: "features.0", op: "conv 3x3", shape: "32x32x16", valueId: 1, scale: 0.02, zeroPoint: -128,
                       sqnrDB: 38.2, cosine: 0.9999, maxAbsError: 0.03, meanAbsError: 0.004, floatRMS: 0.8,
                       rangeMin: 0, rangeMax: 5.1, clippedFraction: 0, channelRangeRatio: 2, sqnrDropDB: nil, count: 16384),
            LayerError(name: "features.1.dw", op: "depthwise 3x3", shape: "32x32x16", valueId: 2, scale: 0.2, zeroPoint: -20,
                       sqnrDB: 12.5, cosine: 0.97, maxAbsError: 2.1, meanAbsError: 0.2, floatRMS: 0.5,
                       rangeMin: -20, rangeMax: 31, clippedFraction: 0.004, channelRangeRatio: 40, sqnrDropDB: 25.7, count: 16384),
            LayerError(name: "features.1.pw", op: "pointwise", shape: "32x32x24", valueId: 3, scale: 0.05, zeroPoint: 3,
                       sqnrDB: 12.1, cosine: 0.975, maxAbsError: 0.4, meanAbsError: 0.05, floatRMS: 1.2,
                       rangeMin: -6, rangeMax: 6.5, clippedFraction: 0, channelRangeRatio: 3, sqnrDropDB: 0.4, count: 24576),
            LayerError(name: "pool", op: "max pool 3x3", shape: "16x16x24", valueId: 4, scale: 0.05, zeroPoint: 3,
                       sqnrDB: .infinity, cosine: 1, maxAbsError: 0, meanAbsError: 0, floatRMS: 1.2,
                       rangeMin: -6, rangeMax: 6.5, clippedFraction: 0, channelRangeRatio: 3, sqnrDropDB: nil, count: 6144),
        ]
    }

    private func makeReport(layers: [LayerError] = [], extras: [String: String] = [:]) throws -> AccuracyReport {
        try AccuracyReport.make(floatLogits: floatLogits, int8Logits: int8Logits, labels: labels, classNames: names,
                                model: "tiny", dataset: "hand-made", calibrationMethod: "mse", calibrationImages: 3,
                                layers: layers, extras: extras)
    }

    func testTopKBreaksTiesByLowestIndex() {
        XCTAssertEqual(topK([Float(1), 3, 3, 2, 3], 3), [1, 2, 4])
        XCTAssertEqual(topK([Int8(-5), -5, -5], 2), [0, 1])
        XCTAssertEqual(argmax([Int8(7), 9, 9]), 1)
        XCTAssertEqual(argmax([Float.nan, 1, 2]), 2)
        XCTAssertEqual(topK([Float(1), 2], 5), [1, 0])
    }

    func testAccuracyAgreementAndTop5() throws {
        let r = try makeReport()
        XCTAssertEqual(r.evaluationImages, 6)
        XCTAssertEqual(r.numClasses, 6)
        XCTAssertEqual(r.floatTop1, 100 * 2 / 6, accuracy: 1e-9)
        XCTAssertEqual(r.floatTop5, 100 * 5 / 6, accuracy: 1e-9)
        XCTAssertEqual(r.int8Top1, 100 * 2 / 6, accuracy: 1e-9)
        XCTAssertEqual(r.int8Top5, 100, accuracy: 1e-9)
        XCTAssertEqual(r.agreementTop1, 100 * 2 / 6, accuracy: 1e-9)
        XCTAssertEqual(r.disagreements, 4)
        XCTAssertEqual(r.correctToWrong, 1)
        XCTAssertEqual(r.wrongToCorrect, 1)
        XCTAssertEqual(r.wrongToWrong, 2)
        XCTAssertEqual(r.confusion.map { [$0.floatClass, $0.int8Class, $0.count] }, [[1, 2, 2], [3, 2, 1], [4, 5, 1]])
        XCTAssertEqual(r.confusion.first?.floatName, "car")
        XCTAssertEqual(r.confusion.first?.int8Name, "bird")
    }

    func testMismatchedInputThrows() {
        XCTAssertThrowsError(try AccuracyReport.make(floatLogits: floatLogits, int8Logits: Array(int8Logits.dropLast()), labels: labels,
                                                     model: "m", dataset: "d", calibrationMethod: "mse", calibrationImages: 1))
        var short = int8Logits
        short[3] = [1, 2]
        XCTAssertThrowsError(try AccuracyReport.make(floatLogits: floatLogits, int8Logits: short, labels: labels,
                                                     model: "m", dataset: "d", calibrationMethod: "mse", calibrationImages: 1))
        XCTAssertThrowsError(try AccuracyReport.make(floatLogits: [], int8Logits: [], labels: [],
                                                     model: "m", dataset: "d", calibrationMethod: "mse", calibrationImages: 1))
    }

    func testWorstLayersAreTheLowestSQNR() throws {
        let r = try makeReport(layers: sampleLayers())
        XCTAssertEqual(r.worstLayers, ["features.1.pw", "features.1.dw", "features.0", "pool"])
    }

    func testJSONRoundTripsWithSortedKeys() throws {
        let r = try makeReport(layers: sampleLayers(), extras: ["blob bytes": "123456", "fit": "| mcu | fits |\n|---|---|\n| M4 | yes |"])
        let data = try r.json()
        let back = try AccuracyReport.decode(data)
        XCTAssertEqual(back, r)
        XCTAssertEqual(back.layers[3].sqnrDB, .infinity)
        XCTAssertNil(back.layers[0].sqnrDropDB)
        let text = try XCTUnwrap(String(data: data, encoding: .utf8))
        let keys = ["\"agreementTop1\"", "\"calibrationImages\"", "\"calibrationMethod\"", "\"confusion\"", "\"worstLayers\""]
        let positions = keys.map { text.range(of: $0)?.lowerBound }
        XCTAssertFalse(positions.contains(nil))
        XCTAssertEqual(positions.compactMap { $0 }, positions.compactMap { $0 }.sorted())
        // Same report, same bytes.
        XCTAssertEqual(try r.json(), data)
        XCTAssertThrowsError(try AccuracyReport.decode(Data("{}".utf8), file: "x.json")) { error in
            XCTAssertEqual((error as? ToolkitError)?.file, "x.json")
        }
    }

    func testMarkdownNamesTheWorstLayerAndSaysWhatToTry() throws {
        let r = try makeReport(layers: sampleLayers(), extras: ["blob bytes": "123456", "fit": "| mcu | fits |\n|---|---|\n| M4 | yes |"])
        let md = r.markdown()
        XCTAssertTrue(md.contains("Float top-1 33.33%, int8 top-1 33.33%"))
        XCTAssertTrue(md.contains("agrees with float on 33.33% of the 6 evaluation images"))
        XCTAssertTrue(md.contains("The lowest SQNR is at `features.1.pw`"))
        XCTAssertTrue(md.contains("1 correct → wrong, 1 wrong → correct, 2 wrong → another wrong class"))
        XCTAssertTrue(md.contains("| 1 car | 2 bird | 2 |"))
        // The depthwise layer: clipping, wide range and uneven channels are all called out.
        XCTAssertTrue(md.contains("**features.1.dw**"))
        XCTAssertTrue(md.contains("too narrow"))
        XCTAssertTrue(md.contains("cross-layer equalization"))
        XCTAssertTrue(md.contains("percentile or mse calibration"))
        // The pointwise layer mostly inherits its error.
        XCTAssertTrue(md.contains("inherited from the layers before it"))
        // The per-layer table has a row per layer, the extras are rendered.
        XCTAssertEqual(md.components(separatedBy: "\n").filter { $0.hasPrefix("| 4 | pool |") }.count, 1)
        XCTAssertTrue(md.contains("exact"))
        XCTAssertTrue(md.contains("- **blob bytes**: 123456"))
        XCTAssertTrue(md.contains("### fit\n\n| mcu | fits |"))
    }

    /// Per-class top-1 (labels 2, 1, 3, 5, 0, 0) and the list of images whose class changed.
    func testPerClassAccuracyAndChangedImages() throws {
        let r = try AccuracyReport.make(floatLogits: floatLogits, int8Logits: int8Logits, labels: labels, classNames: names,
                                        imageFiles: ["a.png", "b.png", "c.png", "d.png", "e.png", "f.png"],
                                        model: "tiny", dataset: "hand-made", calibrationMethod: "mse", calibrationImages: 3)
        XCTAssertEqual(r.perClass.map(\.classIndex), [0, 1, 2, 3, 5])  // class 4 has no image
        XCTAssertEqual(r.perClass.map(\.images), [2, 1, 1, 1, 1])
        XCTAssertEqual(r.perClass.map(\.floatTop1), [0, 0, 100, 100, 0])
        XCTAssertEqual(r.perClass.map(\.int8Top1), [0, 0, 100, 0, 100])
        XCTAssertEqual(r.perClass[3].name, "cat")
        XCTAssertEqual(r.changed.map(\.index), [2, 3, 4, 5])
        XCTAssertEqual(r.changed.map(\.file), ["c.png", "d.png", "e.png", "f.png"])
        XCTAssertEqual(r.changed.map { [$0.label, $0.floatClass, $0.int8Class] }, [[3, 3, 2], [5, 4, 5], [0, 1, 2], [0, 1, 2]])
        XCTAssertEqual(r.changed.count, r.disagreements)
        XCTAssertNil(try makeReport().changed.first?.file)
        let md = r.markdown()
        XCTAssertTrue(md.contains("| 3 cat | 1 | 100.00% | 0.00% | -100.00 |"))
        XCTAssertTrue(md.contains("| 2 | c.png | 3 cat | 3 cat | 2 bird |"))
        XCTAssertTrue(md.contains("| 4 | e.png | 0 plane | 1 car | 2 bird |"))
    }

    /// report.json has no number written as a string: an exact layer's SQNR is null, sizes are numbers.
    func testJSONKeepsNumbersAsNumbers() throws {
        var r = try makeReport(layers: sampleLayers())
        r.blobBytes = 123456
        r.arenaBytes = 2048
        r.run = RunInfo(commandLine: ["quantize", "v3small"], toolVersion: "0.1.0", gitCommit: "unknown",
                        inputs: [InputDigest(path: "m.safetensors", sha256: String(repeating: "ab", count: 32), bytes: 10, files: 1, how: "sha256sum FILE")])
        let data = try r.json()
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(object["blobBytes"] as? Int, 123456)
        XCTAssertEqual(object["arenaBytes"] as? Int, 2048)
        let layers = try XCTUnwrap(object["layers"] as? [[String: Any]])
        XCTAssertTrue(layers[3]["sqnrDB"] is NSNull)
        XCTAssertEqual(layers[1]["sqnrDB"] as? Double, 12.5)
        /// Every leaf that is a string must be text, never a number in disguise.
        func strings(_ x: Any, _ path: String) -> [String] {
            if let d = x as? [String: Any] { return d.flatMap { strings($0.value, path + "." + $0.key) } }
            if let a = x as? [Any] { return a.flatMap { strings($0, path + "[]") } }
            if let s = x as? String, Double(s) != nil || ["inf", "-inf", "nan"].contains(s) { return [path + " = " + s] }
            return []
        }
        XCTAssertEqual(strings(object, ""), [])
        XCTAssertEqual(try AccuracyReport.decode(data), r)
    }

    /// The page: every chart present once, one histogram chart per histogram, thumbnails as data
    /// URIs, names escaped, nothing fetched and no script.
    func testHTMLHasEveryChartAndNothingExternal() throws {
        var r = try makeReport(layers: sampleLayers())
        r.model = "tiny<b>&"
        r.calibration = CalibrationSettings(method: "percentile", percentile: 99.99, images: 3, source: "calib/", rangeSearchImages: 3,
                                            biasCorrection: true, layerErrorImages: 3)
        r.settings = [ModelSetting("input size", "32x32", "metadata input_size"), ModelSetting("mean", "0.5, 0.5, 0.5", "convention: ImageNet")]
        r.warnings = ["float top-1 is near chance <10%>"]
        let hists = [1, 2].map { v in
            ActivationHistogram(valueId: v, lo: -2, hi: 6, counts: [1, 0, 5, 100, 7], floatMin: -2, floatMax: 6, gridMin: -1, gridMax: 5)
        }
        let png: [UInt8] = [0x89, 0x50, 0x4e, 0x47, 1, 2, 3]
        let html = r.html(histograms: hists, thumbnails: [Thumbnail(index: 2, png: png), Thumbnail(index: 4, png: png)])
        for id in reportChartIds + ["hist-1", "hist-2"] {
            XCTAssertEqual(html.components(separatedBy: "id=\"\(id)\"").count, 2, id)
        }
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, reportChartIds.count + hists.count)
        XCTAssertEqual(html.components(separatedBy: "src=\"data:image/png;base64,\(Data(png).base64EncodedString())\"").count - 1, 2)
        XCTAssertTrue(html.contains("2 of 4 shown"))
        XCTAssertTrue(html.contains("tiny&lt;b&gt;&amp;"))
        XCTAssertFalse(html.contains("tiny<b>"))
        XCTAssertFalse(html.lowercased().contains("<script"))
        XCTAssertFalse(html.contains("src=\"http"))
        XCTAssertFalse(html.contains("href=\"http"))
        XCTAssertTrue(html.contains("99.99th percentile"))
        XCTAssertTrue(html.contains("<tr><td>input size</td><td>32x32</td><td>metadata input_size</td></tr>"))
        XCTAssertTrue(html.contains("<tr><td>mean</td><td>0.5, 0.5, 0.5</td><td><b>convention: ImageNet</b></td></tr>"))
        XCTAssertEqual(html.components(separatedBy: "float top-1 is near chance &lt;10%&gt;").count, 2)  // once, escaped
        // The red clipped areas appear on the sides where the float values leave the int8 range.
        XCTAssertTrue(html.contains("fill=\"#d62728\" fill-opacity"))
        // No disagreement: the confusion chart says so instead of drawing an empty matrix.
        let same = try AccuracyReport.make(floatLogits: floatLogits, int8Logits: floatLogits.map { $0.map { Int8($0) } }, labels: labels,
                                           model: "m", dataset: "d", calibrationMethod: "mse", calibrationImages: 1)
        let quiet = same.html()
        XCTAssertTrue(quiet.contains("no disagreements"))
        XCTAssertEqual(quiet.components(separatedBy: "<svg").count - 1, reportChartIds.count)
    }

    /// With more classes than the charts can hold, the per-class chart draws the classes whose
    /// accuracy changed; names come from the class list even for classes without images.
    func testManyClassesDrawOnlyTheChangedOnes() throws {
        let classes = 60, n = 50
        let names = (0..<classes).map { "c\($0)" }
        var fl: [[Float]] = [], q: [[Int8]] = []
        for i in 0..<n {
            var f = [Float](repeating: 0, count: classes); f[i] = 5; fl.append(f)
            var r = [Int8](repeating: 0, count: classes); r[i == 3 ? 55 : i == 7 ? 8 : i] = 5; q.append(r)
        }
        let r = try AccuracyReport.make(floatLogits: fl, int8Logits: q, labels: Array(0..<n), classNames: names,
                                        model: "m", dataset: "d", calibrationMethod: "mse", calibrationImages: 1)
        XCTAssertEqual(r.perClass.count, 50)
        XCTAssertEqual(r.className(55), "c55")
        XCTAssertNil(r.className(60))
        let html = r.html()
        XCTAssertTrue(html.contains("50 classes have evaluation images, 2 of them with a different int8 accuracy; those are drawn"))
        XCTAssertTrue(html.contains("<title>3 c3: float 100.00%, int8 0.00% (1 images)</title>"))
        XCTAssertFalse(html.contains("<title>4 c4: float"))
        XCTAssertTrue(html.contains(">55 c55</text>"))
        XCTAssertTrue(r.markdown().contains("| 3 | 3 c3 | 3 c3 | 55 c55 |"))
    }

    func testConsoleTableIsCompact() throws {
        let r = try makeReport(layers: sampleLayers())
        let t = r.consoleTable()
        XCTAssertTrue(t.contains("33.33%"))
        XCTAssertTrue(t.contains("100.00%"))
        XCTAssertTrue(t.contains("features.1.pw 12.1 dB"))
        XCTAssertLessThanOrEqual(t.split(separator: "\n").count, 8)
    }
}
