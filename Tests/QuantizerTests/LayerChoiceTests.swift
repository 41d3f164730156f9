import XCTest
import Export
import Fit

/// The budget stage's pieces that need no model: the greedy layer choice, byte counts, part names.
final class LayerChoiceTests: XCTestCase {
    func score(_ node: Int, _ error: Double, _ saved: Int) -> LayerScore {
        LayerScore(node: node, name: "n\(node)", logitError: error, savedBytes: saved, weights: 2 * saved)
    }

    /// Layers go to int4 in the given (score) order and the choice stops as soon as the blob fits.
    func testGreedyStopsWhenTheBlobFits() {
        let scores = [score(3, 1, 200), score(1, 1, 100), score(2, 5, 300)]
        XCTAssertEqual(chooseInt4Layers(scores, int8Bytes: 1000, limit: 700).map(\.node), [3, 1])
        XCTAssertEqual(chooseInt4Layers(scores, int8Bytes: 1000, limit: 699).map(\.node), [3, 1, 2])
        XCTAssertEqual(chooseInt4Layers(scores, int8Bytes: 1000, limit: 1000).map(\.node), [])
        XCTAssertEqual(chooseInt4Layers(scores, int8Bytes: 1000, limit: 801).map(\.node), [3])
    }

    func testByteCounts() throws {
        XCTAssertEqual(try parseByteCount("1M", option: "--flash"), 1 << 20)
        XCTAssertEqual(try parseByteCount("256k", option: "--sram"), 256 << 10)
        XCTAssertEqual(try parseByteCount("900000", option: "--flash"), 900_000)
        XCTAssertEqual(try parseByteCount("0", option: "--flash-reserve", allowZero: true), 0)
        for bad in ["", "K", "1.5M", "-1", "1G", "1 M", "0x100", "12KB", "0"] {
            XCTAssertThrowsError(try parseByteCount(bad, option: "--flash"), bad)
        }
        XCTAssertEqual(byteSize(1 << 20), "1M")
        XCTAssertEqual(byteSize(150 << 10), "150K")
        XCTAssertEqual(byteSize(900_000), "900000")
        XCTAssertEqual(grouped(1_048_576), "1,048,576")
        XCTAssertEqual(grouped(-1_000), "−1,000")
        XCTAssertEqual(grouped(999), "999")
    }

    func testTargetsAndBudgets() throws {
        XCTAssertEqual(MCUTarget.named("nrf52840")?.flashBytes, 1 << 20)
        XCTAssertEqual(MCUTarget.named("ESP32S3")?.contiguousSRAMBytes, 416 << 10)
        XCTAssertEqual(MCUTarget.named("stm32_h743")?.contiguousSRAMBytes, 512 << 10)
        XCTAssertNil(MCUTarget.named("stm32"))
        // The criterion: a 1 MB part with the default reserve leaves at most 900,000 B for the blob.
        let nrf = try Budget.parse(target: "nRF52840", flash: nil, sram: nil, flashReserve: nil)
        XCTAssertEqual(nrf.blobLimit, 894_976)
        XCTAssertLessThanOrEqual(try XCTUnwrap(try Budget.parse(target: nil, flash: "1M", sram: nil, flashReserve: nil).blobLimit), 900_000)
        XCTAssertEqual(nrf.sramBytes, 256 << 10)
        XCTAssertTrue(try Budget.parse(target: nil, flash: nil, sram: nil, flashReserve: nil).isEmpty)
        let custom = try Budget.parse(target: "rp2040", flash: "4M", sram: "100K", flashReserve: "0")
        XCTAssertEqual(custom.blobLimit, 4 << 20)
        XCTAssertEqual(custom.sramBytes, 100 << 10)
        XCTAssertEqual(custom.label, "--target RP2040 --flash 4M --sram 100K")
    }
}
