import Foundation
import QuantCore
import XCTest
@testable import ImageIO

/// CRC-32, inflate, gzip and zlib on real files, Python-made streams and corrupted input.
final class CompressionTests: XCTestCase {
    func testCRC32CheckValueAndPieces() {
        XCTAssertEqual(crc32(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(crc32([UInt8]()), 0)
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7919 >> 3) }
        XCTAssertEqual(crc32(data[500...], crc: crc32(data[..<500])), crc32(data))
        for cut in [1, 7, 8, 9, 63] {   // every alignment of the 8-byte loop agrees with the whole
            XCTAssertEqual(crc32(data[cut...], crc: crc32(data[..<cut])), crc32(data))
        }
        XCTAssertNotEqual(crc32(data), crc32(Array(data.dropLast())))
    }

    func testGunzipFashionMNIST() throws {
        for (name, count) in [("t10k", 10000), ("heldout", 2000)] {
            let path = SharedData.path("datasets/fashion-mnist/\(name)-images-idx3-ubyte.gz")
            let raw = try gunzip(readFileBytes(path), path: path)
            XCTAssertEqual(raw.count, 16 + count * 28 * 28)
            XCTAssertEqual(Array(raw[0..<4]), [0, 0, 8, 3])
            XCTAssertEqual(try raw.withByteView(file: path) { try $0.u32BE(4, "count") }, UInt32(count))
        }
    }

    func testZlibFixturesFromPython() throws {
        let payload = try Fixture.bytes("deflate/payload.bin")
        for name in ["stored", "fixed", "dynamic"] {
            let path = Fixture.path("deflate/payload-\(name).zlib")
            XCTAssertEqual(try zlibDecompress(readFileBytes(path), path: path), payload, name)
        }
        // The same streams without the zlib wrapper, through the raw inflate entry point.
        let dynamic = try Fixture.bytes("deflate/payload-dynamic.zlib")
        XCTAssertEqual(try inflate(Array(dynamic[2..<(dynamic.count - 4)])), payload)
    }

    func testGzipOptionalHeaderFieldsAndMembers() throws {
        let payload = try Fixture.bytes("deflate/payload.bin")
        for name in ["payload-flags.gz", "payload-multi.gz"] {
            let path = Fixture.path("deflate/" + name)
            XCTAssertEqual(try gunzip(readFileBytes(path), path: path), payload, name)
        }
        let path = Fixture.path("deflate/payload-multi.gz")
        XCTAssertEqual(try gunzip(readFileBytes(path) + [0, 0, 0, 0], path: path), payload, "zero padding is ignored")
        assertToolkitError(try gunzip(readFileBytes(path) + [0, 7], path: path), file: path, mentions: ["unexpected bytes after gzip member 2"])
    }

    func testDeflateRoundTrips() throws {
        var generator = SystemRandomNumberGenerator()
        let random = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let cifar = Array(try readFileBytes(SharedData.path("datasets/cifar10/calib_batch.bin")).prefix(40000))
        let cases: [[UInt8]] = [[], [42], Array(repeating: 7, count: 70000), random,
                                try Fixture.bytes("deflate/payload.bin"), cifar]
        for data in cases {
            let packed = zlibCompress(data)
            XCTAssertEqual(try zlibDecompress(packed), data)
            XCTAssertEqual(try inflate(deflate(data)), data)
        }
        // Redundant data shrinks; random data falls back to stored blocks (bounded growth).
        XCTAssertLessThan(deflate(Array(repeating: 7, count: 70000)).count, 1000)
        XCTAssertLessThan(deflate(try Fixture.bytes("deflate/payload.bin")).count, 20000)
        XCTAssertLessThanOrEqual(deflate(random).count, random.count + 10)
    }

    func testCorruptedGzipCRCIsAnError() throws {
        let path = SharedData.path("datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz")
        var gz = try readFileBytes(path)
        gz[gz.count - 6] ^= 0x40   // inside the stored CRC-32
        assertToolkitError(try gunzip(gz, path: path), file: path, mentions: ["CRC-32 mismatch"])
        var sized = try readFileBytes(path)
        sized[sized.count - 2] ^= 0x01   // inside ISIZE
        assertToolkitError(try gunzip(sized, path: path), file: path, mentions: ["length mismatch"])
    }

    func testCorruptedGzipHeaderAndTruncation() throws {
        let path = Fixture.path("deflate/payload-flags.gz")
        let good = try readFileBytes(path)
        var header = good
        header[15] ^= 0x01   // inside FEXTRA: the header CRC no longer matches
        assertToolkitError(try gunzip(header, path: path), file: path, mentions: ["header CRC"])
        assertToolkitError(try gunzip(Array(good.prefix(good.count / 2)), path: path), file: path, mentions: ["truncated"])
        assertToolkitError(try gunzip(Array(good.dropLast(3)), path: path), file: path, mentions: ["truncated"])
        assertToolkitError(try gunzip(Array("hello".utf8), path: path), file: path, mentions: ["not gzip"])
    }

    func testZlibErrors() throws {
        let path = Fixture.path("deflate/payload-dynamic.zlib")
        var bad = try readFileBytes(path)
        bad[bad.count - 1] ^= 0xFF
        assertToolkitError(try zlibDecompress(bad, path: path), file: path, mentions: ["Adler-32"])
        assertToolkitError(try zlibDecompress([0x78, 0x00], path: path), file: path, mentions: ["header"])
        // Block type 3 is reserved.
        assertToolkitError(try inflate([0x07], path: path), file: path, mentions: ["block type"])
    }

    /// Corrupted streams must fail cleanly or decode to something; never crash or hang.
    func testRandomCorruptionNeverCrashes() throws {
        let good = try Fixture.bytes("deflate/payload-dynamic.zlib")
        var generator = SystemRandomNumberGenerator()
        var failures = 0
        for _ in 0..<300 {
            var bad = good
            for _ in 0..<3 { bad[Int.random(in: 2..<bad.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
            if (try? zlibDecompress(bad)) == nil { failures += 1 }
        }
        XCTAssertGreaterThan(failures, 250, "Adler-32 should catch almost every corruption")
        // Without a checksum the inflater itself must stop on every kind of damage.
        let body = Array(good[2..<(good.count - 4)])
        for _ in 0..<300 {
            var bad = body
            bad[Int.random(in: 0..<bad.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            _ = try? inflate(bad)
            _ = try? inflate(Array(bad.prefix(Int.random(in: 0..<bad.count, using: &generator))))
        }
        for _ in 0..<100 {
            _ = try? inflate((0..<200).map { _ in UInt8.random(in: 0...255, using: &generator) })
        }
    }
}
