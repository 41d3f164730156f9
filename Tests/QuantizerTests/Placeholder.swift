import XCTest
@testable import Quantizer
final class QuantizerPlaceholderTests: XCTestCase { func testBuilds() { XCTAssertTrue(true) } }
