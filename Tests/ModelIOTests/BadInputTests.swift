import Foundation
import XCTest
import QuantCore
@testable import ModelIO

/// Malformed and malicious files: each must be refused with an error naming the file and the problem.
final class BadInputTests: XCTestCase {
    var folder = URL(fileURLWithPath: "/")

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("modelio-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: folder)
    }

    /// Writes `bytes` to `name` in this test's temporary folder and returns the path.
    func write(_ bytes: [UInt8], name: String) throws -> String {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    let good = #"{"__metadata__":{"arch":"x"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
    let twelveBytes = TestFiles.littleEndian(Float(1.5).bitPattern) + TestFiles.littleEndian(Float(-2).bitPattern)
        + TestFiles.littleEndian(Float(0.25).bitPattern)

    func testHandBuiltSafetensorsLoads() throws {
        let path = try write(TestFiles.safetensors(header: good, data: twelveBytes), name: "good.safetensors")
        let checkpoint = try loadCheckpoint(path)
        XCTAssertEqual(checkpoint.names, ["a", "b"])
        XCTAssertEqual(checkpoint.tensors["a"]?.values, [1.5, -2])
        XCTAssertEqual(checkpoint.tensors["b"]?.values, [0.25])
        XCTAssertEqual(checkpoint.metadata, ["arch": "x"])
    }

    func testTruncatedSafetensors() throws {
        let short = try write([0x10, 0, 0, 0], name: "short.safetensors")
        assertToolkitError(short, ["truncated"]) { _ = try loadCheckpoint(short) }
        // A complete header whose data was cut off.
        let full = TestFiles.safetensors(header: good, data: twelveBytes)
        let cut = try write(Array(full.dropLast(2)), name: "cut.safetensors")
        assertToolkitError(cut, ["'b'", "past the data buffer"]) { _ = try loadCheckpoint(cut) }
    }

    func testHeaderLengthPastEndOfFile() throws {
        let bytes = TestFiles.littleEndian(UInt64(1 << 20)) + Array(#"{"a":1}"#.utf8)
        let path = try write(bytes, name: "long-header.safetensors")
        assertToolkitError(path, ["header length 1048576", "past the end"]) { _ = try loadCheckpoint(path) }
    }

    func testMalformedHeaderJSON() throws {
        let path = try write(TestFiles.safetensors(header: #"{"a": {"dtype": "F32", "#, data: []), name: "bad-json.safetensors")
        assertToolkitError(path, ["malformed", "JSON"]) { _ = try loadCheckpoint(path) }
    }

    func testUnknownDtype() throws {
        let header = #"{"weights":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}}"#
        let path = try write(TestFiles.safetensors(header: header, data: [1, 2, 3, 4]), name: "dtype.safetensors")
        assertToolkitError(path, ["'weights'", "unknown dtype 'F8_E4M3'"]) { _ = try loadCheckpoint(path) }
    }

    func testOverlappingOffsets() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let path = try write(TestFiles.safetensors(header: header, data: twelveBytes), name: "overlap.safetensors")
        assertToolkitError(path, ["'a'", "'b'", "overlap"]) { _ = try loadCheckpoint(path) }
    }

    func testOffsetsPastBufferOrInconsistent() throws {
        let past = #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#
        let p1 = try write(TestFiles.safetensors(header: past, data: twelveBytes), name: "past.safetensors")
        assertToolkitError(p1, ["'a'", "[0, 16]", "past the data buffer (12 bytes)"]) { _ = try loadCheckpoint(p1) }

        let reversed = #"{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}"#
        let p2 = try write(TestFiles.safetensors(header: reversed, data: twelveBytes), name: "reversed.safetensors")
        assertToolkitError(p2, ["'a'", "begin after they end"]) { _ = try loadCheckpoint(p2) }

        let wrongSize = #"{"a":{"dtype":"F16","shape":[2,2],"data_offsets":[0,12]}}"#
        let p3 = try write(TestFiles.safetensors(header: wrongSize, data: twelveBytes), name: "size.safetensors")
        assertToolkitError(p3, ["'a'", "do not match shape [2, 2] of F16"]) { _ = try loadCheckpoint(p3) }
    }

    func testNaNAndInfinityAreRejected() throws {
        let nan = TestFiles.littleEndian(Float(1).bitPattern) + TestFiles.littleEndian(Float.nan.bitPattern)
        let header = #"{"conv.weight":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        let p1 = try write(TestFiles.safetensors(header: header, data: nan), name: "nan.safetensors")
        assertToolkitError(p1, ["'conv.weight'", "non-finite", "element 1"]) { _ = try loadCheckpoint(p1) }

        let halfInfinity: [UInt8] = [0x00, 0x7c] // +inf in float16
        let h2 = #"{"bn.bias":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}"#
        let p2 = try write(TestFiles.safetensors(header: h2, data: halfInfinity), name: "inf.safetensors")
        assertToolkitError(p2, ["'bn.bias'", "non-finite"]) { _ = try loadCheckpoint(p2) }

        // The same through a torch.save zip archive.
        let pickle = PickleBytes.stateDict("fc.weight") { $0.tensor(numel: 2, offset: 0, size: [2], stride: [1]) }
        let zip = TestFiles.zip([("m/data.pkl", pickle), ("m/data/0", nan)])
        let p3 = try write(zip, name: "nan.pth")
        assertToolkitError(p3, ["'fc.weight'", "non-finite"]) { _ = try loadCheckpoint(p3) }
    }

    func testHandBuiltZipLoads() throws {
        let pickle = PickleBytes.stateDict("fc.weight") { $0.tensor(numel: 3, offset: 1, size: [2], stride: [1]) }
        let path = try write(TestFiles.zip([("m/data.pkl", pickle), ("m/data/0", twelveBytes)]), name: "ok.pth")
        let checkpoint = try loadCheckpoint(path)
        XCTAssertEqual(checkpoint.tensors["fc.weight"], Tensor(shape: [2], values: [-2, 0.25]))
    }

    func testPickleGlobalsAreRefusedAndNothingRuns() throws {
        let marker = folder.path + "/ran"

        // Protocol 2: GLOBAL os.system, called with a shell command, inside a torch.save zip.
        var system = PickleBytes()
        system.global("os", "system"); system.string("touch \(marker)"); system.op(0x85); system.reduce(); system.stop()
        let zipPath = try write(TestFiles.zip([("m/data.pkl", system.bytes)]), name: "evil.pth")
        assertToolkitError(zipPath, ["refused pickle global os.system"]) { _ = try loadCheckpoint(zipPath) }

        // Protocol 4: STACK_GLOBAL builtins.eval, as the state dict of a legacy file.
        var eval = PickleBytes(protocol: 4)
        eval.shortString("builtins"); eval.shortString("eval"); eval.op(0x93)
        eval.shortString("__import__('os').system('touch \(marker)')"); eval.op(0x85); eval.reduce(); eval.stop()
        let legacyPath = try write(PickleBytes.legacyHeader + eval.bytes, name: "evil-legacy.pth")
        assertToolkitError(legacyPath, ["refused pickle global builtins.eval"]) { _ = try loadCheckpoint(legacyPath) }

        // A bare pickle (no torch framing at all) naming posix.system.
        var posix = PickleBytes()
        posix.global("posix", "system"); posix.string("touch \(marker)"); posix.op(0x85); posix.reduce(); posix.stop()
        let barePath = try write(posix.bytes, name: "evil.pkl")
        assertToolkitError(barePath, ["refused pickle global posix.system"]) { _ = try loadCheckpoint(barePath) }

        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "a pickle payload ran")
    }

    func testZipWithoutDataPkl() throws {
        let path = try write(TestFiles.zip([("m/data/0", twelveBytes), ("m/version", Array("3\n".utf8))]), name: "nopkl.pth")
        assertToolkitError(path, ["no data.pkl"]) { _ = try loadCheckpoint(path) }
    }

    func testCompressedZipEntryIsRefused() throws {
        let pickle = PickleBytes.stateDict("w") { $0.tensor(numel: 3, offset: 0, size: [3], stride: [1]) }
        let path = try write(TestFiles.zip([("m/data.pkl", pickle)], method: 8), name: "deflated.pth")
        assertToolkitError(path, ["m/data.pkl", "compressed (method 8)"]) { _ = try loadCheckpoint(path) }
    }

    func testTruncatedZipAndMissingStorage() throws {
        let pickle = PickleBytes.stateDict("w") { $0.tensor(numel: 3, offset: 0, size: [3], stride: [1]) }
        let zip = TestFiles.zip([("m/data.pkl", pickle), ("m/data/0", twelveBytes)])
        let cut = try write(Array(zip.prefix(zip.count - 30)), name: "cut.pth")
        assertToolkitError(cut, ["end-of-central-directory"]) { _ = try loadCheckpoint(cut) }

        let missing = try write(TestFiles.zip([("m/data.pkl", pickle)]), name: "missing.pth")
        assertToolkitError(missing, ["storage '0' is missing", "m/data/0"]) { _ = try loadCheckpoint(missing) }

        let short = try write(TestFiles.zip([("m/data.pkl", pickle), ("m/data/0", Array(twelveBytes.prefix(8)))]), name: "short.pth")
        assertToolkitError(short, ["m/data/0", "fewer than 3 F32 elements"]) { _ = try loadCheckpoint(short) }
    }

    func testStridedViewPastItsStorage() throws {
        let pickle = PickleBytes.stateDict("w") { $0.tensor(numel: 3, offset: 1, size: [2, 2], stride: [1, 1]) }
        let path = try write(TestFiles.zip([("m/data.pkl", pickle), ("m/data/0", twelveBytes)]), name: "reach.pth")
        assertToolkitError(path, ["'w'", "reaches element 3", "has 3"]) { _ = try loadCheckpoint(path) }

        // Zero strides could expand three floats to 4 billion; refused before allocating.
        let huge = PickleBytes.stateDict("w") { $0.tensor(numel: 3, offset: 0, size: [255, 255, 255, 255], stride: [0, 0, 0, 0]) }
        let hugePath = try write(TestFiles.zip([("m/data.pkl", huge), ("m/data/0", twelveBytes)]), name: "huge.pth")
        assertToolkitError(hugePath, ["'w'", "4228250625 elements", "storage '0'"]) { _ = try loadCheckpoint(hugePath) }
    }

    func testManyTensorsSharingOneBroadcastStorageAreBounded() throws {
        // One zero-stride tensor of 255x255x128 elements (33 MB of floats from 12 bytes), memoized
        // and named 20 times: before, 20 copies (670 MB) were made; the total is now bounded.
        var p = PickleBytes()
        p.emptyOrderedDict()
        p.mark()
        p.string("w0")
        p.tensor(numel: 3, offset: 0, size: [255, 255, 128], stride: [0, 0, 0])
        p.bytes += [0x71, 0]   // BINPUT 0
        for i in 1..<20 { p.string("w\(i)"); p.bytes += [0x68, 0] }   // BINGET 0
        p.op(0x75)   // SETITEMS
        p.stop()
        let path = try write(TestFiles.zip([("m/data.pkl", p.bytes), ("m/data/0", twelveBytes)]), name: "shared.pth")
        assertToolkitError(path, ["'w2'", "more elements than their storages"]) { _ = try loadCheckpoint(path) }
    }

    func testMalformedPickles() throws {
        func check(_ pickle: [UInt8], _ fragments: [String], _ name: String) throws {
            let path = try write(TestFiles.zip([("m/data.pkl", pickle)]), name: name)
            assertToolkitError(path, fragments) { _ = try loadCheckpoint(path) }
        }
        try check([0x80, 0x02, 0x30, 0x2e], ["stack underflow"], "underflow.pth")        // POP on an empty stack
        try check([0x80, 0x02, 0x68, 0x07, 0x2e], ["memo entry 7"], "memo.pth")          // BINGET of nothing
        try check([0x80, 0x02, 0x7d], ["without STOP"], "nostop.pth")                     // EMPTY_DICT, then EOF
        try check([0x80, 0x02, 0x75, 0x2e], ["no MARK"], "nomark.pth")                    // SETITEMS without MARK
        try check([0x80, 0x02, 0x58, 0xff, 0xff, 0, 0], ["truncated"], "string.pth")      // string past the end
        try check([0x80, 0x02, 0x49, 0x31, 0x0a, 0x2e], ["unsupported pickle opcode 0x49"], "opcode.pth") // protocol-0 INT
        try check([0x80, 0x02, 0x4b, 0x01, 0x2e], ["not hold a dict"], "notdict.pth")
    }

    func testHostileNestingNeitherCrashesNorHangs() throws {
        // 200 nested tuples: refused.
        let tuples: [UInt8] = [0x80, 0x02, 0x4e] + [UInt8](repeating: 0x85, count: 200) + [0x2e]
        let p1 = try write(TestFiles.zip([("m/data.pkl", tuples)]), name: "tuples.pth")
        assertToolkitError(p1, ["nested more than 100"]) { _ = try loadCheckpoint(p1) }

        // 200,000 lists each inside the next (BINPUT, POP, EMPTY_LIST, BINGET, APPEND per level):
        // freeing them must not recurse 200,000 deep.
        var lists: [UInt8] = [0x80, 0x02, 0x5d]
        for _ in 0..<200_000 { lists += [0x71, 0x01, 0x30, 0x5d, 0x68, 0x01, 0x61] }
        lists.append(0x2e)
        let p2 = try write(TestFiles.zip([("m/data.pkl", lists)]), name: "lists.pth")
        assertToolkitError(p2, ["not hold a dict"]) { _ = try loadCheckpoint(p2) }

        // A state dict that contains itself.
        var cycle = PickleBytes()
        cycle.emptyOrderedDict(); cycle.op(0x71); cycle.bytes.append(0)         // BINPUT 0
        cycle.string("self"); cycle.op(0x68); cycle.bytes.append(0); cycle.op(0x73); cycle.stop()
        let p3 = try write(TestFiles.zip([("m/data.pkl", cycle.bytes)]), name: "cycle.pth")
        assertToolkitError(p3, ["nested more than 16"]) { _ = try loadCheckpoint(p3) }
    }

    func testTruncatedLegacyStorage() throws {
        let state = PickleBytes.stateDict("w") { $0.tensor(numel: 3, offset: 0, size: [3], stride: [1], legacy: true) }
        var keys = PickleBytes()
        keys.op(0x5d); keys.mark(); keys.string("0"); keys.op(0x65); keys.stop()
        let file = PickleBytes.legacyHeader + state + keys.bytes + TestFiles.littleEndian(UInt64(3)) + Array(twelveBytes.prefix(10))
        let path = try write(file, name: "legacy-cut.pth")
        assertToolkitError(path, ["truncated", "storage '0'"]) { _ = try loadCheckpoint(path) }
        let whole = try write(Array(file.dropLast(10)) + twelveBytes, name: "legacy.pth")
        XCTAssertEqual(try loadCheckpoint(whole).tensors["w"]?.values, [1.5, -2, 0.25])
    }

    func testMissingFile() {
        assertToolkitError("/nonexistent/model.safetensors", ["cannot read"]) { _ = try loadCheckpoint("/nonexistent/model.safetensors") }
    }
}
