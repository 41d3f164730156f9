import QuantCore
import XCTest

/// The one bounds-checked reader every file format uses: both byte orders, and every read past
/// the end an error naming the file and the field, never a zero or a trap.
final class ByteViewTests: XCTestCase {
    func testReadsBothByteOrdersAndRefusesReadsPastTheEnd() throws {
        let bytes: [UInt8] = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0xFF]
        try bytes.withByteView(file: "f.bin") { v in
            XCTAssertEqual(try v.u16(0, "a"), 0x0201)
            XCTAssertEqual(try v.u32(0, "a"), 0x0403_0201)
            XCTAssertEqual(try v.u64(0, "a"), 0x0807_0605_0403_0201)
            XCTAssertEqual(try v.u16BE(0, "a"), 0x0102)
            XCTAssertEqual(try v.u32BE(1, "a"), 0x0203_0405)
            XCTAssertEqual(try v.i32(5, "a"), Int32(bitPattern: 0xFF08_0706))
            XCTAssertEqual(Array(try v.slice(7, 2, "a")), [0x08, 0xFF])
            for (offset, width) in [(6, 4), (9, 1), (-1, 1), (2, 8), (Int.max, 1)] {
                XCTAssertThrowsError(try v.slice(offset, width, "the length field")) { error in
                    XCTAssertEqual((error as? ToolkitError)?.file, "f.bin")
                    XCTAssertTrue("\(error)".contains("the length field"), "\(error)")
                }
            }
            XCTAssertThrowsError(try v.u64(2, "x"))
            XCTAssertThrowsError(try v.u32BE(6, "x"))
            XCTAssertThrowsError(try v.check(0, -1, "x"))
        }
    }
}
