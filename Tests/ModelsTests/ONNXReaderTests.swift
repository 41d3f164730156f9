import XCTest
import QuantCore
@testable import ModelIO
import TestSupport

/// The protobuf / ONNX reader on hand-written files and on the shared exports.
final class ONNXReaderTests: XCTestCase {
    /// A small model using packed and unpacked fields, raw_data and float_data, every attribute type.
    func handWrittenModel() -> [UInt8] {
        var unpackedDims = PB()  // dims written one varint per element, int64_data unpacked
        unpackedDims.varint(1, 2); unpackedDims.varint(1, 3)
        unpackedDims.varint(2, 7)
        unpackedDims.string(8, "ints")
        for v: Int64 in [1, -2, 3, 4, 5, -6] { unpackedDims.varint(7, v) }
        let attrs: [(String, OnnxBuild.Attr)] = [
            ("i", .int(-3)), ("is", .ints([1, 2, 300])), ("f", .float(0.25)), ("fs", .floats([1.5, -2])),
            ("s", .string("NOTSET")), ("t", .tensor(OnnxBuild.tensor("c", [1], [7]))),
        ]
        return OnnxBuild.model(
            nodes: [OnnxBuild.node("Relu", ["x"], ["y"], name: "relu0", attrs)],
            initializers: [OnnxBuild.tensor("raw", [2, 2], [1, 2, 3, 4]), OnnxBuild.tensor("typed", [3], [-1, 0.5, 9], raw: false), unpackedDims],
            inputDims: [-1, 3, 8, 8], output: "y", opset: 13, metadata: ["mean": "[0.5]"])
    }

    func testHandWrittenModelRoundTrips() throws {
        let bytes = handWrittenModel()
        let model = try bytes.withUnsafeBytes { try parseONNX($0, path: "hand.onnx") }
        XCTAssertEqual(model.irVersion, 8)
        XCTAssertEqual(model.opset, 13)
        XCTAssertEqual(model.producer, "hand-written")
        XCTAssertEqual(model.metadata, ["mean": "[0.5]"])
        XCTAssertEqual(model.graph.nodes.count, 1)
        let node = model.graph.nodes[0]
        XCTAssertEqual([node.name, node.opType], ["relu0", "Relu"])
        XCTAssertEqual(node.inputs, ["x"]); XCTAssertEqual(node.outputs, ["y"])
        guard case .int(-3) = node.attributes["i"] else { return XCTFail("i") }
        guard case .ints([1, 2, 300]) = node.attributes["is"] else { return XCTFail("is") }
        guard case .float(0.25) = node.attributes["f"] else { return XCTFail("f") }
        guard case .floats([1.5, -2]) = node.attributes["fs"] else { return XCTFail("fs") }
        guard case .string("NOTSET") = node.attributes["s"] else { return XCTFail("s") }
        guard case .tensor(let t) = node.attributes["t"], t.values == .float([7]) else { return XCTFail("t") }
        let inits = model.graph.initializers
        XCTAssertEqual(inits.map(\.name), ["raw", "typed", "ints"])
        XCTAssertEqual(inits[0].dims, [2, 2]); XCTAssertEqual(inits[0].values, .float([1, 2, 3, 4]))
        XCTAssertEqual(inits[1].values, .float([-1, 0.5, 9]))
        XCTAssertEqual(inits[2].dims, [2, 3]); XCTAssertEqual(inits[2].values, .int([1, -2, 3, 4, 5, -6]))
        XCTAssertEqual(model.graph.inputs[0].dims, [.symbol("n"), .value(3), .value(8), .value(8)])
    }

    /// Every truncation of a valid file is a clean error naming the file (or, rarely, still a
    /// valid prefix), never a crash.
    func testEveryTruncationIsACleanError() throws {
        let bytes = handWrittenModel()
        var errors = 0
        for n in 0..<bytes.count {
            let prefix = Array(bytes[0..<n])
            do {
                _ = try prefix.withUnsafeBytes { try parseONNX($0, path: "cut.onnx") }
            } catch let e as ToolkitError {
                XCTAssertEqual(e.file, "cut.onnx"); errors += 1
            }
        }
        XCTAssertGreaterThan(errors, bytes.count * 9 / 10)
    }

    func parseError(_ bytes: [UInt8]) -> String {
        do {
            _ = try bytes.withUnsafeBytes { try parseONNX($0, path: "bad.onnx") }
            return "no error"
        } catch { return "\(error)" }
    }

    func testBadFilesAreNamedErrors() {
        // A length past the end.
        var huge = PB(); huge.key(7, 2); huge.bytes += PB.varintBytes(1 << 40)
        XCTAssertTrue(parseError(huge.bytes).contains("bad.onnx: truncated: a field claims 1099511627776 bytes"), parseError(huge.bytes))
        // Absurd dims with no data: refused without allocating.
        var t = PB(); t.packedInts(1, [1 << 30, 1 << 30]); t.varint(2, 1); t.string(8, "w")
        let absurd = OnnxBuild.model(nodes: [], initializers: [t], inputDims: [1, 3, 8, 8], output: "y")
        XCTAssertTrue(parseError(absurd).contains("tensor `w` (initializer #0): holds 0 values but its shape [1073741824, 1073741824] needs"), parseError(absurd))
        // External data.
        var ext = PB(); ext.packedInts(1, [4]); ext.varint(2, 1); ext.string(8, "big"); ext.varint(14, 1)
        XCTAssertTrue(parseError(OnnxBuild.model(nodes: [], initializers: [ext], inputDims: [1], output: "y")).contains("tensor `big` (initializer #0): its data is stored in an external file"))
        // An unsupported element type.
        var str = PB(); str.packedInts(1, [1]); str.varint(2, 8); str.string(8, "s")
        XCTAssertTrue(parseError(OnnxBuild.model(nodes: [], initializers: [str], inputDims: [1], output: "y")).contains("tensor `s` (initializer #0): element type string is not supported"))
        // Raw data of the wrong size.
        var short = PB(); short.packedInts(1, [3]); short.varint(2, 1); short.string(8, "b"); short.data(9, [0, 0, 0, 0])
        XCTAssertTrue(parseError(OnnxBuild.model(nodes: [], initializers: [short], inputDims: [1], output: "y")).contains("tensor `b` (initializer #0): raw data holds 4 bytes but shape [3] of float32 needs 12"))
        // A wrong wire type, an over-long varint, groups, and a file that is no model.
        var wire = PB(); wire.varint(7, 3)
        XCTAssertTrue(parseError(wire.bytes).contains("field `graph` has wire type 0"))
        XCTAssertTrue(parseError([0x08] + [UInt8](repeating: 0xff, count: 12)).contains("varint longer than 64 bits"))
        XCTAssertTrue(parseError([0x1b, 0x0c]).contains("group fields are not supported"))
        XCTAssertTrue(parseError([0x08, 0x01]).contains("no graph"))
        XCTAssertTrue(parseError([]).contains("empty file"))
        // Errors inside a node name it.
        var attr = PB(); attr.string(1, "k"); attr.varint(20, 2)  // INT with no value
        var node = PB(); node.string(2, "out"); node.string(3, "conv7"); node.string(4, "Conv"); node.message(5, attr)
        XCTAssertTrue(parseError(OnnxBuild.model(nodes: [node], initializers: [], inputDims: [1], output: "out")).contains("node conv7 (Conv): attribute `k` of type 2 has no value"))
    }

    /// The shared exports: node and initializer counts as onnx itself reports them.
    func testSharedExportsRead() throws {
        let expected: [(String, Int, Int)] = [
            ("mobilenet_v3_small-cifar10", 122, 108), ("shufflenet_v2_x1_0-cifar10", 902, 114),
            ("efficientnet_lite0-imagenet", 3002, 100),
        ]
        for (name, nodes, inits) in expected {
            let path = SharedData.path("models/onnx/\(name).float.onnx")
            let start = Date()
            let model = try loadONNX(path)
            let seconds = Date().timeIntervalSince(start)
            print("read \(name): \(model.graph.nodes.count) nodes in \(String(format: "%.3f", seconds)) s")
            XCTAssertEqual(model.graph.nodes.count, nodes, name)
            XCTAssertEqual(model.graph.initializers.count, inits, name)
            XCTAssertEqual(model.opset, 17)
            XCTAssertEqual(model.graph.inputs.first?.name, "x")
            XCTAssertEqual(model.graph.outputs.first?.name, "y")
        }
    }
}
