import Foundation
import QuantCore
import XCTest
@testable import ImageIO

/// Decompression stops at the size the container declares (issue 10, item 6): a gzip'd IDX file
/// whose header claims 3.6 GB, and a 1 MB PNG whose image data inflates to 1 GB, are refused with
/// a clear error instead of allocating gigabytes or silently ignoring the excess. The streams are
/// generated here (a few MB), never committed.
final class BoundedDecodingTests: XCTestCase {
    func testGzipIDXWhoseHeaderClaims3Point6GBIsRefusedBeforeInflating() throws {
        // 4,600,000 images of 28x28 = 3.6 GB declared, and the stream really holds them (zeros).
        let count = 4_600_000
        let header = idxHeader([count, 28, 28])
        let gz = gzipMember(prefix: header, zeros: count * 28 * 28)
        XCTAssertLessThan(gz.count, 4_000_000, "the crafted file is small")
        let path = try temporaryFolder(self) + "/train-images-idx3-ubyte.gz"
        try writeFileBytes(gz, to: path)
        let before = peakResidentBytes()
        assertToolkitError(try loadImageSet(path), file: path, mentions: ["IDX header declares", "\(count), 28, 28"])
        XCTAssertLessThan(peakResidentBytes() - before, 200 << 20, "refused without inflating the data")
    }

    func testGzipIDXHoldingMoreThanItsHeaderDeclaresIsRefused() throws {
        // The header says 10 images, the stream holds 100,000 images' worth: stop at 10 and refuse.
        let gz = gzipMember(prefix: idxHeader([10, 28, 28]), zeros: 100_000 * 28 * 28)
        let path = try temporaryFolder(self) + "/t-images-idx3-ubyte.gz"
        try writeFileBytes(gz, to: path)
        assertToolkitError(try loadImageSet(path), file: path,
                           mentions: ["inflates to more than the \(16 + 10 * 784) bytes its IDX header", "declares"])
    }

    func testGzipIDXClaimingMoreThanItsBytesCanHoldIsRefused() throws {
        let gz = gzipMember(prefix: idxHeader([100_000, 28, 28]), zeros: 10)
        let path = try temporaryFolder(self) + "/t-images-idx3-ubyte.gz"
        try writeFileBytes(gz, to: path)
        assertToolkitError(try loadImageSet(path), file: path, mentions: ["declares \(16 + 100_000 * 784) bytes", "cannot hold"])
    }

    func testOneMegabytePNGWhoseDataInflatesToOneGigabyteIsRefused() throws {
        // A 1x1 gray PNG (2 bytes of image data: filter byte + pixel) whose IDAT inflates to 1 GB
        // of zeros with a correct Adler-32: before, it decoded as a black pixel after inflating 1 GB.
        let inflated = 1 << 30
        let png = makePNG(width: 1, height: 1, bitDepth: 8, colorType: 0,
                          idat: zlibStream(zeros: inflated))
        XCTAssertLessThan(png.count, 1_100_000)
        let before = peakResidentBytes()
        assertToolkitError(try decodePNG(png, path: "bomb.png"), file: "bomb.png",
                           mentions: ["inflates to more than the 2 bytes", "PNG header (1x1"])
        XCTAssertLessThan(peakResidentBytes() - before, 100 << 20, "stopped at the declared size")
    }

    func testPNGWithOneByteTooManyIsRefusedAndExactSizeDecodes() throws {
        // 2x2 gray: 2 rows of (filter byte + 2 pixels) = 6 bytes.
        let exact = makePNG(width: 2, height: 2, bitDepth: 8, colorType: 0, idat: zlibCompress([0, 10, 20, 0, 30, 40]))
        XCTAssertEqual(try decodePNG(exact, path: "ok.png").pixels, [10, 20, 30, 40])
        let longer = makePNG(width: 2, height: 2, bitDepth: 8, colorType: 0, idat: zlibCompress([0, 10, 20, 0, 30, 40, 0]))
        assertToolkitError(try decodePNG(longer, path: "long.png"), file: "long.png", mentions: ["more than the 6 bytes"])
    }

    func testPNGClaimingMoreThanItsDataCanHoldIsRefusedBeforeInflating() throws {
        let png = makePNG(width: 16384, height: 16384, bitDepth: 8, colorType: 6, idat: zlibCompress([0, 1, 2, 3, 4]))
        assertToolkitError(try decodePNG(png, path: "huge.png"), file: "huge.png", mentions: ["16384x16384", "cannot hold"])
    }

    func testJPEGFrameClaimingMoreBlocksThanTheFileCanCodeIsRefused() throws {
        var jpeg = try Fixture.bytes("jpeg/synth-444.jpg")
        guard let sof = (0..<(jpeg.count - 1)).first(where: { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 }) else {
            return XCTFail("fixture has no SOF0")
        }
        jpeg[sof + 5] = 0x10; jpeg[sof + 6] = 0x00   // height 4096
        jpeg[sof + 7] = 0x20; jpeg[sof + 8] = 0x00   // width 8192
        assertToolkitError(try decodeJPEG(jpeg, path: "huge.jpg"), file: "huge.jpg", mentions: ["8192x4096", "can code at most"])
    }

    func testGunzipPrefixReadsOnlyTheStart() throws {
        let gz = gzipMember(prefix: [1, 2, 3], zeros: 50_000_000)
        XCTAssertEqual(try gunzipPrefix(gz, path: "p.gz", count: 5), [1, 2, 3, 0, 0])
        assertToolkitError(try gunzip(gz, path: "p.gz", maxOutput: 1000), file: "p.gz", mentions: ["more than 1000 bytes"])
    }
}

/// The process's peak resident set size so far, in bytes (Linux reports kilobytes).
func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return usage.ru_maxrss * 1024
}

/// An IDX header for unsigned-byte data of `shape`.
func idxHeader(_ shape: [Int]) -> [UInt8] {
    [0, 0, 8, UInt8(shape.count)] + shape.flatMap { d in (0..<4).map { UInt8(truncatingIfNeeded: d >> (24 - 8 * $0)) } }
}

/// LSB-first bit writer for hand-built DEFLATE streams (Huffman codes are written MSB first).
struct TestBitWriter {
    var bytes: [UInt8] = []
    var buffer = 0, count = 0
    mutating func bits(_ value: Int, _ n: Int) {
        for i in 0..<n { bit((value >> i) & 1) }
    }
    mutating func code(_ value: Int, _ n: Int) {
        for i in (0..<n).reversed() { bit((value >> i) & 1) }
    }
    mutating func bit(_ b: Int) {
        buffer |= b << count
        count += 1
        if count == 8 { bytes.append(UInt8(buffer)); buffer = 0; count = 0 }
    }
    mutating func finish() -> [UInt8] {
        if count > 0 { bytes.append(UInt8(buffer)) }
        return bytes
    }
}

/// A raw DEFLATE stream of `prefix` (one stored block) then `zeros` zero bytes, at the densest
/// ratio DEFLATE allows: a dynamic block whose length-258 symbol and distance-1 code are 1 bit each.
func deflateZeros(prefix: [UInt8], zeros: Int) -> [UInt8] {
    var w = TestBitWriter()
    if !prefix.isEmpty {
        w.bits(0, 1); w.bits(0, 2)   // not final, stored
        w.bytes.append(UInt8(w.buffer)); w.buffer = 0; w.count = 0   // align (3 bits used, padded)
        w.bytes += [UInt8(prefix.count & 0xFF), UInt8(prefix.count >> 8), UInt8(~prefix.count & 0xFF), UInt8((~prefix.count >> 8) & 0xFF)]
        w.bytes += prefix
    }
    w.bits(1, 1); w.bits(2, 2)   // final, dynamic Huffman
    w.bits(29, 5); w.bits(0, 5); w.bits(15, 4)   // 286 literal/length codes, 1 distance code, 19 code-length codes
    // Code-length code: symbol 18 (zero run) 1 bit, symbols 1 and 2 two bits, in the RFC's order.
    let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]   // all 19: the header is then an even number of bits
    let lengths: [Int: Int] = [18: 1, 1: 2, 2: 2]
    for s in order { w.bits(lengths[s] ?? 0, 3) }
    func zeroRun(_ n: Int) { w.code(0, 1); w.bits(n - 11, 7) }   // symbol 18 = code 0
    // Literal/length lengths: 0 -> 2, 256 -> 2, 285 -> 1; the one distance code -> 1.
    w.code(3, 2)                       // literal 0: length 2 (code-length symbol 2 = code 11)
    zeroRun(138); zeroRun(117)         // literals 1...255 unused
    w.code(3, 2)                       // 256 (end of block): length 2
    zeroRun(28)                        // 257...284 unused
    w.code(2, 2)                       // 285 (length 258): length 1 (code-length symbol 1 = code 10)
    w.code(2, 2)                       // distance 0: length 1
    // Canonical codes: 285 = 0, literal 0 = 10, end of block = 11; distance 1 = 0.
    var left = zeros
    if left > 0 { w.code(2, 2); left -= 1 }   // one literal zero, then copies of it
    while left >= 258 {
        if w.count == 0 && left >= 4 * 258 {   // four copies (2 zero bits each) per zero byte, in bulk
            let n = left / (4 * 258)
            w.bytes += repeatElement(0, count: n)
            left -= n * 4 * 258
            continue
        }
        w.code(0, 1); w.code(0, 1); left -= 258
    }
    while left > 0 { w.code(2, 2); left -= 1 }
    w.code(3, 2)
    return w.finish()
}

/// A gzip member holding `prefix` then `zeros` zero bytes, with a CRC-32 trailer that is only
/// right when `zeros` is 0 (the bounded readers refuse these files before reaching the trailer).
func gzipMember(prefix: [UInt8], zeros: Int) -> [UInt8] {
    let total = UInt32(truncatingIfNeeded: prefix.count + zeros)
    let crc = crc32(prefix)
    return [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255] + deflateZeros(prefix: prefix, zeros: zeros)
        + (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * UInt32($0))) }
        + (0..<4).map { UInt8(truncatingIfNeeded: total >> (8 * UInt32($0))) }
}

/// A zlib stream of `zeros` zero bytes with its correct Adler-32 (a = 1, b = zeros mod 65521).
func zlibStream(zeros: Int) -> [UInt8] {
    let adler = UInt32(zeros % 65521) << 16 | 1
    return [0x78, 0x01] + deflateZeros(prefix: [], zeros: zeros) + (0..<4).map { UInt8(truncatingIfNeeded: adler >> (24 - 8 * UInt32($0))) }
}

/// A PNG file: signature, IHDR, one IDAT holding `idat`, IEND, with correct CRCs.
func makePNG(width: Int, height: Int, bitDepth: UInt8, colorType: UInt8, idat: [UInt8]) -> [UInt8] {
    func be32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * $0)) } }
    func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + body
        return be32(body.count) + typed + be32(Int(crc32(typed)))
    }
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        + chunk("IHDR", be32(width) + be32(height) + [bitDepth, colorType, 0, 0, 0])
        + chunk("IDAT", idat) + chunk("IEND", [])
}
