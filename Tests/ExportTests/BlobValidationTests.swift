import XCTest
import CRuntime
import QuantCore
import IntEngine
@testable import Export
import TestSupport

/// Every kind of bad blob gets its own error, from the Swift reader (a `ToolkitError` naming the
/// file, with a distinct message prefix) and from the C loader (a distinct `q8_status`).
final class BlobValidationTests: XCTestCase {
    /// A blob being corrupted: little-endian field access, header offsets, CRC repair.
    struct Patch {
        var bytes: [UInt8]
        func u32(_ at: Int) -> Int { Int(TestFields(bytes: bytes).u32(at)) }
        mutating func set(_ at: Int, _ v: UInt32) { for k in 0..<4 { bytes[at + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(k))) } }
        mutating func set(_ at: Int, _ v: Int32) { set(at, UInt32(bitPattern: v)) }
        /// Recomputes the CRC so that a corruption reaches the later checks.
        mutating func fixCRC() {
            let total = min(u32(12), bytes.count)
            if total > 20 { set(16, crc32(bytes[20..<total])) }
        }
        var values: Int { u32(80) }
        var ops: Int { u32(84) }
        var tensors: Int { u32(92) }
        var strings: Int { u32(96) }
        /// Byte offset of parameter word k of op 0 (the stem conv: one input).
        func stemParam(_ k: Int) -> Int { ops + 16 + 4 + 4 * k }
    }

    let path = "bad.q8"
    var model: QModel { TestModels.everyOp(seed: 11) }

    /// Asserts that both readers refuse `bytes` with the expected kind of problem.
    private func assertRefused(_ bytes: [UInt8], _ swiftPrefix: String, _ c: q8_status, _ what: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try readBlob(bytes, path: path), what, file: file, line: line) { error in
            guard let e = error as? ToolkitError else { return XCTFail("\(what): not a ToolkitError: \(error)", file: file, line: line) }
            XCTAssertEqual(e.file, path, file: file, line: line)
            XCTAssertTrue(e.message.hasPrefix(swiftPrefix), "\(what): Swift says '\(e.message)', expected '\(swiftPrefix)…'", file: file, line: line)
        }
        XCTAssertEqual(statusName(cLoadStatus(bytes)), statusName(c), what, file: file, line: line)
    }

    func testEveryBadInputHasItsOwnError() throws {
        let good = try writeBlob(model)
        XCTAssertEqual(cLoadStatus(good), Q8_OK)
        var seen: [String: String] = [:]
        func check(_ what: String, _ prefix: String, _ status: q8_status, fixCRC: Bool = true, _ patch: (inout Patch) -> Void) {
            var p = Patch(bytes: good)
            patch(&p)
            if fixCRC { p.fixCRC() }
            assertRefused(p.bytes, prefix, status, what)
            if let other = seen[statusName(status)], other != prefix { XCTFail("\(statusName(status)) used for '\(other)' and '\(prefix)'") }
            seen[statusName(status)] = prefix
        }
        check("7 bytes", "truncated blob", Q8_ERR_TRUNCATED, fixCRC: false) { $0.bytes = Array($0.bytes.prefix(7)) }
        check("half a header", "truncated blob", Q8_ERR_TRUNCATED, fixCRC: false) { $0.bytes = Array($0.bytes.prefix(100)) }
        check("last 16 bytes missing", "truncated blob", Q8_ERR_TRUNCATED, fixCRC: false) { $0.bytes = Array($0.bytes.dropLast(16)) }
        check("wrong magic", "not a model blob", Q8_ERR_MAGIC) { $0.bytes[0] = UInt8(ascii: "X") }
        check("future version", "unsupported blob version", Q8_ERR_VERSION) { $0.set(4, UInt32(5)) }
        check("version 3 (int32 shifts)", "unsupported blob version", Q8_ERR_VERSION) { $0.set(4, UInt32(3)) }
        check("version 2 (earlier arithmetic)", "unsupported blob version", Q8_ERR_VERSION) { $0.set(4, UInt32(2)) }
        check("version 0", "unsupported blob version", Q8_ERR_VERSION) { $0.set(4, UInt32(0)) }
        check("header size", "bad header", Q8_ERR_HEADER) { $0.set(8, UInt32(64)) }
        check("reserved header byte", "bad header", Q8_ERR_HEADER) { $0.bytes[120] = 1 }
        check("value count", "bad header", Q8_ERR_HEADER) { $0.set(24, UInt32($0.u32(20) + 2)) }
        check("op count 2^32 − 1", "bad header", Q8_ERR_HEADER) { $0.set(20, UInt32.max); $0.set(24, UInt32(0)); $0.set(44, UInt32.max) }
        check("output zero point copy", "bad header", Q8_ERR_HEADER) { $0.set(56, UInt32($0.u32(56)) &+ 1) }
        check("CRC mismatch", "CRC mismatch", Q8_ERR_CRC, fixCRC: false) { $0.bytes[$0.bytes.count - 40] ^= 0x10 }
        check("tensor offset past the end", "out of bounds", Q8_ERR_BOUNDS) { $0.set($0.tensors, UInt32($0.bytes.count)) }
        check("value table past the end", "out of bounds", Q8_ERR_BOUNDS) { $0.set(80, UInt32($0.bytes.count - 16)) }
        check("overlapping regions", "out of bounds", Q8_ERR_BOUNDS) { $0.set(84, UInt32($0.values)) }
        check("value outside the arena", "out of bounds", Q8_ERR_BOUNDS) { $0.set($0.values + 32 + 24, UInt32($0.u32(32))) }
        check("misaligned region", "not 16-byte aligned", Q8_ERR_ALIGN) { $0.set(96, UInt32($0.strings + 4)) }
        check("misaligned tensor", "not 16-byte aligned", Q8_ERR_ALIGN) { $0.set($0.tensors, UInt32($0.u32($0.tensors) + 1)) }
        check("string length", "bad string section", Q8_ERR_STRINGS) { $0.set($0.strings, UInt32(1 << 20)) }
        check("invalid UTF-8", "bad string section", Q8_ERR_STRINGS) { $0.bytes[$0.strings + 4] = 0xC0 }
        check("unknown op type", "bad op", Q8_ERR_BAD_OP) { $0.set($0.ops, UInt32(99)) }
        check("record size", "bad op", Q8_ERR_BAD_OP) { $0.set($0.ops + 4, UInt32($0.u32($0.ops + 4) + 4)) }
        check("input computed later", "bad op", Q8_ERR_BAD_OP) { $0.set($0.ops + 16, UInt32(3)) }
        check("tensor out of order", "bad tensor", Q8_ERR_TENSOR) { $0.set($0.stemParam(13), UInt32(1)) }
        check("tensor kind", "bad tensor", Q8_ERR_TENSOR) { $0.set($0.tensors + 8, UInt32(2)) }
        check("conv in_channels", "shape mismatch", Q8_ERR_SHAPE) { $0.set($0.stemParam(0), Int32(4)) }
        check("value with zero channels", "shape mismatch", Q8_ERR_SHAPE) { $0.set($0.values + 8, UInt32(0)) }
        check("clamp", "parameter out of range", Q8_ERR_PARAM) { $0.set($0.stemParam(11), Int32(10)); $0.set($0.stemParam(12), Int32(9)) }
        check("shift", "parameter out of range", Q8_ERR_PARAM) { p in
            p.bytes[p.u32(p.tensors + 3 * 16)] = 40  // int8 shifts

        }
        check("plan overlap", "bad memory plan", Q8_ERR_PLAN) { p in
            p.set(p.values + 32 + 24, UInt32(0)); p.set(p.values + 64 + 24, UInt32(0))
        }
        XCTAssertEqual(seen.count, 13, "13 distinct kinds of problem: \(seen)")
    }

    /// Int4 weights: an odd count leaves the last byte's high nibble unused, and both readers
    /// refuse a blob where it is not zero; int4 weights relabelled as int8 (half the bytes) are a
    /// bad tensor; weight scales left out are recovered exactly.
    func testInt4WeightTensors() throws {
        var b = ModelBuilder(seed: 12, input: Shape3(3, 3, 3))
        _ = b.conv(0, outC: 3, relu: false, weightBits: 4, name: "odd")  // 9 int4 weights: 5 bytes
        let odd = b.model("odd-int4")
        let good = try writeBlob(odd)
        XCTAssertEqual(cLoadStatus(good), Q8_OK)
        guard case .conv(let c) = try readBlob(good, path: path).nodes[0].op, case .conv(let original) = odd.nodes[0].op else {
            return XCTFail("a conv")
        }
        XCTAssertEqual(c.weightBits, 4)
        XCTAssertEqual(c.weights, original.weights)
        XCTAssertEqual(c.weightScales.map(\.bitPattern), original.weightScales.map(\.bitPattern))
        var p = Patch(bytes: good)
        XCTAssertEqual(p.u32(p.tensors + 4), 5, "9 int4 weights take 5 bytes")
        XCTAssertEqual(p.u32(p.tensors + 8), 8, "tensor kind 8: int4 weights")
        p.bytes[p.u32(p.tensors) + 4] |= 0x30
        p.fixCRC()
        assertRefused(p.bytes, "bad tensor", Q8_ERR_TENSOR, "nonzero unused nibble")
        p = Patch(bytes: good)
        p.set(p.tensors + 8, UInt32(1))
        p.fixCRC()
        assertRefused(p.bytes, "bad tensor", Q8_ERR_TENSOR, "int4 weights read as int8")
        // Shape fields whose product overflows: a clean refusal, never a trap (a fuzz finding).
        p = Patch(bytes: good)
        let params = p.u32(84) + 16 + 4
        for k in 0..<4 { p.set(params + 4 * k, Int32(1 << 30)) }
        p.fixCRC()
        XCTAssertThrowsError(try readBlob(p.bytes, path: path))
        XCTAssertNotEqual(cLoadStatus(p.bytes), Q8_OK)
    }

    func testAccumulatorBound() throws {
        var p = Patch(bytes: try writeBlob(model))
        let bias = p.u32(p.tensors + 16)
        p.set(bias, Int32.max - 100)
        p.fixCRC()
        assertRefused(p.bytes, "parameter out of range", Q8_ERR_PARAM, "bias near INT32_MAX")
    }

    func testArenaTooSmallAndNullArguments() throws {
        let blob = try writeBlob(model)
        let plan = planMemory(model)
        let input = [Int8](repeating: 3, count: model.input.shape.count)
        let needed = plan.arenaBytes + plan.scratchBytes  // activations + kernel scratch
        XCTAssertEqual(statusName(runCInt8(blob: blob, input: input, arenaBytes: needed - 1).0), "Q8_ERR_ARENA_TOO_SMALL")
        XCTAssertEqual(statusName(runCInt8(blob: blob, input: input, arenaBytes: needed).0), "Q8_OK")
        var m = q8_model()
        XCTAssertEqual(q8_model_init(&m, nil, 100), Q8_ERR_NULL)
        XCTAssertEqual(q8_run(&m, nil, nil, nil, 0), Q8_ERR_NULL)
    }

    /// Random corruptions (CRC repaired so they reach the validators): the Swift reader and the
    /// C loader accept the same blobs — except that only Swift checks the float32 scales and that
    /// every multiplier is the one derived from them (the C runtime never reads a float) — and on
    /// every accepted one C and Swift still agree.
    func testRandomCorruptionsSwiftAndCAgree() throws {
        let good = try writeBlob(model)
        var rng = TestRandom(seed: 2024)
        let input = TestModels.images(for: model, count: 1, seed: 3).map { Int8(truncatingIfNeeded: Int($0) - 128) }
        var accepted = 0, swiftOnlyRefusals = 0
        for trial in 0..<400 {
            var p = Patch(bytes: good)
            switch trial % 4 {
            case 0: p.bytes[rng.int(20...(good.count - 1))] ^= UInt8(1 << rng.int(0...7))
            case 1: p.set(4 * rng.int(5...(good.count / 4 - 1)), UInt32(truncatingIfNeeded: rng.next()))
            case 2: // a field of the tables, set to an edge value
                let at = 4 * rng.int(5...(p.u32(104) / 4 - 1))
                p.set(at, [0, 1, 0xFFFF_FFFF, 0x7FFF_FFFF, UInt32(good.count), 16, 128][rng.int(0...6)])
            default: p.bytes[rng.int(p.u32(104)...(good.count - 1))] = UInt8(truncatingIfNeeded: rng.next())
            }
            p.fixCRC()
            let c = cLoadStatus(p.bytes)
            let swift = Result { try readBlob(p.bytes, path: path) }
            switch swift {
            case .success(let read):
                XCTAssertEqual(c, Q8_OK, "trial \(trial): Swift accepts, C says \(statusName(c))")
                accepted += 1
                guard read.input.shape == model.input.shape, let engine = try? IntEngine(model: read, useReference: true) else { continue }
                let (status, out) = runCInt8(blob: p.bytes, input: input)
                XCTAssertEqual(status, Q8_OK)
                XCTAssertEqual(out, engine.run(input: input), "trial \(trial): accepted corruption runs differently")
            case .failure(let e):
                let swiftOnly = "\(e)".contains("derived from its scales") || "\(e)".contains("not a float32 value")
                    || "\(e)".contains("not derived from any float32 weight scale")
                    || "\(e)".contains("scales must be positive")
                if swiftOnly { swiftOnlyRefusals += 1 } else { XCTAssertNotEqual(c, Q8_OK, "trial \(trial): C accepts, Swift says \(e)") }
            }
        }
        XCTAssertGreaterThan(accepted, 0, "some corruptions (weight bytes) must be accepted")
        XCTAssertLessThan(accepted, 400, "most corruptions must be refused")
        XCTAssertGreaterThan(swiftOnlyRefusals, 0, "corrupted multipliers and scales must be caught by the Swift reader")
    }
}

/// Little-endian fields of a blob under test, 0 past the end (the readers use QuantCore's ByteView, which throws).
struct TestFields {
    let bytes: [UInt8]
    func u32(_ at: Int) -> UInt32 { (try? bytes.withByteView(file: "test") { try $0.u32(at, "field") }) ?? 0 }
}
