import XCTest
import QuantCore
import ImageIO
import Models
import IntEngine
import Export
import Pipeline
import Refine
import Reports

/// The generic lookup-table activation on a real model: the shipped Fashion-MNIST MobileNetV3-Small
/// with its hard-swish replaced by SiLU and its squeeze-excitation hard-sigmoid by a sigmoid gate
/// (EfficientNet-B0's activations), calibrated on the shipped images, converted, reported, written
/// as a version-2 blob and run by the C runtime with the Swift engine's exact logits. The blob is
/// left in `.build/lookup-model/` for the Cortex-M4 check of `Scripts/test.sh`.
final class LookupModelTests: XCTestCase {
    /// The shipped model with SiLU for hard-swish and sigmoid for hard-sigmoid.
    static func siluSigmoidModel() throws -> Graph {
        var graph = try loadGraph(weights: "Models/mobilenet_v3_small-fashion.safetensors", options: ModelOptions())
        for i in graph.nodes.indices {
            switch graph.nodes[i].op {
            case .hardSwish: graph.nodes[i].op = .function(.silu)
            case .hardSigmoid: graph.nodes[i].op = .function(.sigmoid)
            default: break
            }
        }
        graph.name = "mobilenet_v3_small-fashion-silu-sigmoid"
        return graph
    }

    func testSiLUSigmoidModelQuantizesReportsAndRunsInC() throws {
        let graph = try Self.siluSigmoidModel()
        let functions = graph.nodes.filter { if case .function = $0.op { return true } else { return false } }.count
        XCTAssertEqual(functions, 28)  // 19 hard-swish → SiLU, 9 squeeze-excitation gates → sigmoid
        let calib = try loadImages("Calibration", for: graph, limit: nil)
        let eval = try loadImages("Evaluation/fashion-mnist/t10k-images-idx3-ubyte.gz", for: graph, limit: 1000)
        let (folded, model) = try convert(graph, calib: calib, method: .percentile, rangeSearch: false, threads: 2, progress: false)
        let lookups = model.nodes.filter { if case .lookup = $0.op { return true } else { return false } }
        XCTAssertEqual(lookups.count, functions)

        // Float vs int8 on 1,000 test images, with the per-layer table of the report.
        let layers = try layerErrors(folded, model, images: calib.subset(Array(0..<32)), threads: 2)
        let (f, q) = try compareLogits(graph, model, images: eval, threads: 2, progress: false)
        let report = try AccuracyReport.make(floatLogits: f, int8Logits: q, labels: eval.labels, model: graph.name,
                                             dataset: "t10k[0..<1000]", calibrationMethod: "percentile",
                                             calibrationImages: calib.count, layers: layers)
        print(report.consoleTable())
        XCTAssertGreaterThan(report.floatTop1, 80, "the activation swap should leave a working classifier")
        XCTAssertGreaterThanOrEqual(report.agreementTop1, 95)
        XCTAssertTrue(report.markdown().contains("lookup table"))

        // A blob (version 4) that reads back to the same model, and the C runtime's exact logits.
        let blob = try writeBlob(model)
        XCTAssertEqual(blob[4], 4)
        let back = try readBlob(blob, path: "lookup.q8")
        for (a, b) in zip(back.nodes, model.nodes) {
            if case .lookup(let x) = a.op, case .lookup(let y) = b.op { XCTAssertEqual(x, y) }
        }
        let images = eval.subset(Array(0..<64))
        let swift = try IntEngine(model: model).logits(images: images.pixels, count: images.count)
        let c = try runC(blob: blob, images: images.pixels, count: images.count)
        XCTAssertEqual(c, swift)

        // For the Cortex-M4 run in Scripts/test.sh: the blob and 16 raw test images.
        let dir = FileManager.default.currentDirectoryPath + "/.build/lookup-model"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data(blob).write(to: URL(fileURLWithPath: dir + "/model.q8"))
        try Data(eval.pixels.prefix(16 * 28 * 28)).write(to: URL(fileURLWithPath: dir + "/images16.raw"))
    }

    func testBlobsAreVersion4AndEarlierVersionsAreRefused() throws {
        let shape = Shape3(2, 2, 3)
        let info = QTensorInfo(shape: shape, zeroPoint: -128, scale: 0.1)
        let table = QLookup(table: (0..<256).map { Int8(truncatingIfNeeded: 255 - $0) })
        let lookup = QModel(name: "lookup", input: info, nodes: [QNode(name: "f", op: .lookup(table), inputs: [0], output: info)], numClasses: 12)
        var blob = try writeBlob(lookup)
        XCTAssertEqual(blob[4], 4)
        // The same bytes labelled version 1, 2 or 3 (CRC fixed) are refused by Swift and C alike.
        for old: UInt8 in [1, 2, 3] {
            blob[4] = old
            let crc = crc32(blob[20..<blob.count])
            for k in 0..<4 { blob[16 + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
            XCTAssertThrowsError(try readBlob(blob, path: "v\(old).q8")) {
                let why = old == 3 ? "version 3 (int32 shifts, int8 weights only) was written by an earlier toolkit"
                                   : "version \(old) uses the toolkit's earlier arithmetic"
                XCTAssertTrue("\($0)".contains(why), "\($0)")
            }
            XCTAssertEqual(statusName(cLoadStatus(blob)), "Q8_ERR_VERSION")
        }
        // The C runtime runs the table: output = table[input + 128].
        let input = (0..<12).map { Int8(truncatingIfNeeded: $0 * 21 - 128) }
        let (status, out) = runCInt8(blob: try writeBlob(lookup), input: input)
        XCTAssertEqual(statusName(status), "Q8_OK")
        XCTAssertEqual(out, input.map { table.table[Int($0) + 128] })
    }
}
