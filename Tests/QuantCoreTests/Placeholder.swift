import XCTest
@testable import QuantCore
final class QuantCorePlaceholderTests: XCTestCase { func testBuilds() { XCTAssertTrue(true) } }
