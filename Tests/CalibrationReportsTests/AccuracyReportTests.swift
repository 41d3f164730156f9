import XCTest
import QuantCore
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

    func testConsoleTableIsCompact() throws {
        let r = try makeReport(layers: sampleLayers())
        let t = r.consoleTable()
        XCTAssertTrue(t.contains("33.33%"))
        XCTAssertTrue(t.contains("100.00%"))
        XCTAssertTrue(t.contains("features.1.pw 12.1 dB"))
        XCTAssertLessThanOrEqual(t.split(separator: "\n").count, 8)
    }
}
