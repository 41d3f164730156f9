import Foundation
import QuantCore
import XCTest
@testable import ImageIO

/// PNG decoding against Pillow-made files (Fixtures/make_png_fixture.py), encoder round trips
/// on real images, and corrupt files.
final class PNGTests: XCTestCase {
    func testPillowAndHandMadePNGsDecodeExactly() throws {
        let cases: [(String, Int)] = [("gray", 1), ("gray-alpha", 2), ("rgb", 3), ("rgba", 4), ("palette8", 3),
                                      ("palette4-trns", 4), ("palette2", 3), ("gray1", 1), ("gray16", 1),
                                      ("filters-rgba", 4), ("adam7-rgb", 3), ("adam7-gray2", 1)]
        for (name, channels) in cases {
            let image = try decodePNG(Fixture.bytes("png/\(name).png"), path: Fixture.path("png/\(name).png"))
            let expected = try Fixture.npy("png/\(name).npy")
            XCTAssertEqual([image.width, image.height, image.channels], [37, 29, channels], name)
            XCTAssertEqual(Array(expected.shape.prefix(2)), [29, 37], name)
            XCTAssertEqual(image.pixels, expected.values, name)
        }
    }

    func testHandMadeFixtureUsesEveryFilterType() throws {
        // Row y of filters-rgba.png uses filter y % 5: check the stream really holds all five.
        let bytes = try Fixture.bytes("png/filters-rgba.png")
        let idatStart = 8 + 25 + 8   // signature, IHDR chunk, IDAT length + type
        let raw = try zlibDecompress(Array(bytes[idatStart..<(bytes.count - 12 - 4)]))
        let filters = (0..<29).map { raw[$0 * (1 + 37 * 4)] }
        XCTAssertEqual(Set(filters), [0, 1, 2, 3, 4])
    }

    func testRoundTripOnRealImages() throws {
        let cifar = try loadImageSet(SharedData.path("datasets/cifar10/test_batch.bin"), options: .init(limit: 5))
        let fashion = try loadImageSet(SharedData.path("datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"), options: .init(limit: 3))
        var images = (0..<5).map { cifar.decodedImage($0) } + (0..<3).map { fashion.decodedImage($0) }
        let jpeg = try readImage(SharedData.path("datasets/imagenet-sample/val224/0007_n01514668.jpg"))
        images.append(jpeg)
        // Gray+alpha and RGBA versions of real pixels.
        let gray = fashion.decodedImage(0)
        images.append(DecodedImage(width: 28, height: 28, channels: 2,
                                   pixels: gray.pixels.flatMap { [$0, 255 - $0] }))
        let rgb = cifar.decodedImage(1)
        var rgba: [UInt8] = []
        for i in 0..<1024 {
            rgba += rgb.pixels[(3 * i)..<(3 * i + 3)]
            rgba.append(UInt8(i % 256))
        }
        images.append(DecodedImage(width: 32, height: 32, channels: 4, pixels: rgba))
        for image in images {
            let png = try encodePNG(image)
            XCTAssertEqual(try decodePNG(png, path: "roundtrip.png"), image)
        }
        XCTAssertLessThan(try encodePNG(jpeg).count, jpeg.pixels.count, "the encoder compresses a photo")
    }

    func testBadChunkCRCIsAnErrorNamingTheChunk() throws {
        let path = Fixture.path("png/rgb.png")
        var bytes = try readFileBytes(path)
        bytes[8 + 25 + 8 + 10] ^= 0x20   // a byte inside the first IDAT chunk's data
        assertToolkitError(try decodePNG(bytes, path: path), file: path, mentions: ["IDAT", "CRC mismatch"])
        var header = try readFileBytes(path)
        header[8 + 8 + 3] ^= 0x01   // the width, inside IHDR
        assertToolkitError(try decodePNG(header, path: path), file: path, mentions: ["IHDR", "CRC mismatch"])
    }

    func testTruncatedAndMalformedPNG() throws {
        let path = Fixture.path("png/palette8.png")
        let bytes = try readFileBytes(path)
        assertToolkitError(try decodePNG(Array(bytes.prefix(bytes.count - 20)), path: path), file: path, mentions: ["truncated"])
        assertToolkitError(try decodePNG(Array(bytes.prefix(40)), path: path), file: path, mentions: ["truncated"])
        assertToolkitError(try decodePNG(Array(bytes.dropFirst()), path: path), file: path, mentions: ["not a PNG"])
    }

    /// Random byte corruption with the chunk CRCs recomputed, so that the damage reaches the
    /// decoder proper: an error or an image, never a crash.
    func testRandomCorruptionNeverCrashes() throws {
        let good = try Fixture.bytes("png/adam7-gray2.png")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            var bad = good
            bad[Int.random(in: 8..<bad.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            var pos = 8   // refresh every CRC that still has a sane length
            while pos + 12 <= bad.count {
                let length = Int(try bad.withByteView(file: "bad") { try $0.u32BE(pos, "length") })
                guard pos + 12 + length <= bad.count else { break }
                let crc = crc32(bad[(pos + 4)..<(pos + 8 + length)])
                for k in 0..<4 { bad[pos + 8 + length + k] = UInt8((crc >> (24 - 8 * UInt32(k))) & 0xFF) }
                pos += 12 + length
            }
            if let image = try? decodePNG(bad, path: "fuzz.png") {
                XCTAssertEqual(image.pixels.count, image.width * image.height * image.channels)
            }
        }
    }
}

/// Binary PGM/PPM.
final class PNMTests: XCTestCase {
    func testRoundTripOnRealImages() throws {
        let cifar = try loadImageSet(SharedData.path("datasets/cifar10/calib_batch.bin"), options: .init(limit: 4))
        let fashion = try loadImageSet(SharedData.path("datasets/fashion-mnist/heldout-images-idx3-ubyte.gz"), options: .init(limit: 4))
        for image in (0..<4).map({ cifar.decodedImage($0) }) + (0..<4).map({ fashion.decodedImage($0) }) {
            let encoded = try encodePNM(image)
            XCTAssertEqual(Array(encoded.prefix(2)), Array((image.channels == 1 ? "P5" : "P6").utf8))
            XCTAssertEqual(try decodePNM(encoded, path: "x.pnm"), image)
            XCTAssertEqual(try decodeImage(encoded, path: "x.pnm"), image)
        }
    }

    func testHeaderCommentsAndErrors() throws {
        let pixels: [UInt8] = [1, 2, 3, 4, 5, 6]
        let commented = Array("P5\n# made by hand\n3 # width\n2\n255\n".utf8) + pixels
        XCTAssertEqual(try decodePNM(commented, path: "c.pgm"), DecodedImage(width: 3, height: 2, channels: 1, pixels: pixels))
        assertToolkitError(try decodePNM(Array("P5 3 2 65535\n".utf8) + pixels, path: "deep.pgm"), file: "deep.pgm", mentions: ["maxval"])
        assertToolkitError(try decodePNM(Array("P6 3 2 255\n".utf8) + pixels, path: "short.ppm"), file: "short.ppm", mentions: ["truncated"])
        assertToolkitError(try decodePNM(Array("P3 3 2 255\n".utf8), path: "ascii.ppm"), file: "ascii.ppm", mentions: ["P5 or P6"])
        assertToolkitError(try encodePNM(DecodedImage(width: 1, height: 1, channels: 4, pixels: [1, 2, 3, 4]), path: "a.ppm"),
                           file: "a.ppm", mentions: ["RGBA"])
    }
}
