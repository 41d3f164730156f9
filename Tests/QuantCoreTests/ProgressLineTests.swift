import XCTest
@testable import QuantCore

/// The progress line names what it counts, its rate and the time left.
final class ProgressLineTests: XCTestCase {
    func testImagesByDefault() {
        let line = ProgressLine("calibrating", total: 256, enabled: false)
        XCTAssertEqual(line.text(done: 64, seconds: 2), "calibrating: 64/256 images, 32 images/s, ETA 6s")
    }

    func testOtherUnits() {
        let line = ProgressLine("range search", total: 106, unit: "activations", enabled: false)
        XCTAssertEqual(line.text(done: 10, seconds: 5), "range search: 10/106 activations, 2 activations/s, ETA 48s")
        XCTAssertEqual(line.text(done: 0, seconds: 0), "range search: 0/106 activations, 0 activations/s, ETA 0s")
    }

    /// Items slower than one a second are shown as seconds per item.
    func testSlowItems() {
        let line = ProgressLine("bias correction", total: 53, unit: "layers", enabled: false)
        XCTAssertEqual(line.text(done: 4, seconds: 34), "bias correction: 4/53 layers, 8.5 s/layer, ETA 416s")
    }
}
