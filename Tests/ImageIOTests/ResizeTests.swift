import QuantCore
import XCTest
@testable import ImageIO

/// Resizing and cropping against Pillow (Fixtures/make_png_fixture.py) and simple invariants.
final class ResizeTests: XCTestCase {
    func testBilinearMatchesPillowWithinOneLevel() throws {
        let source = try Fixture.npy("png/rgb.npy")
        let image = DecodedImage(width: 37, height: 29, channels: 3, pixels: source.values)
        for (w, h) in [(20, 15), (60, 47)] {
            let mine = resizeBilinear(image, width: w, height: h)
            let pillow = try Fixture.npy("png/resize-\(w)x\(h).npy")
            XCTAssertEqual(pillow.shape, [h, w, 3])
            let worst = zip(mine.pixels, pillow.values).map { abs(Int($0) - Int($1)) }.max() ?? 99
            XCTAssertLessThanOrEqual(worst, 1, "\(w)x\(h)")
        }
    }

    func testFlatImagesStayFlatAndCropIsCentred() throws {
        let flat = DecodedImage(width: 50, height: 30, channels: 1, pixels: Array(repeating: 77, count: 1500))
        XCTAssertTrue(resizeBilinear(flat, width: 7, height: 9).pixels.allSatisfy { $0 == 77 })
        XCTAssertTrue(resizeBilinear(flat, width: 113, height: 64).pixels.allSatisfy { $0 == 77 })
        let ramp = DecodedImage(width: 6, height: 4, channels: 1, pixels: (0..<24).map { UInt8($0) })
        let crop = try centerCrop(ramp, width: 2, height: 2)
        XCTAssertEqual(crop.pixels, [8, 9, 14, 15])
        assertToolkitError(try centerCrop(ramp, width: 7, height: 2, path: "r"), file: "r", mentions: ["cannot crop"])
        // Cover-and-crop keeps the aspect: a 60×30 image becomes 30×30 from its middle.
        let wide = DecodedImage(width: 60, height: 30, channels: 1, pixels: (0..<1800).map { UInt8(($0 % 60) * 4) })
        let square = try resizeAndCenterCrop(wide, width: 30, height: 30)
        XCTAssertEqual([square.width, square.height], [30, 30])
        XCTAssertEqual(Int(square.pixels[15]), 120, accuracy: 3, "the centre column stays the centre")
    }

    func testChannelConversions() throws {
        let rgba = DecodedImage(width: 2, height: 1, channels: 4, pixels: [255, 0, 0, 9, 10, 200, 30, 9])
        XCTAssertEqual(try convertChannels(rgba, to: 3).pixels, [255, 0, 0, 10, 200, 30])
        // Pillow's L: (19595 R + 38470 G + 7471 B + 32768) >> 16.
        XCTAssertEqual(try convertChannels(rgba, to: 1).pixels, [76, 124])   // as Pillow's convert("L")
        let gray = DecodedImage(width: 2, height: 1, channels: 2, pixels: [5, 0, 250, 1])
        XCTAssertEqual(try convertChannels(gray, to: 3).pixels, [5, 5, 5, 250, 250, 250])
        assertToolkitError(try convertChannels(gray, to: 4, path: "g"), file: "g", mentions: ["1 (gray) or 3 (RGB)"])
    }
}
