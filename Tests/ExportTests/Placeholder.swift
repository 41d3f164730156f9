import XCTest
@testable import Export
final class ExportPlaceholderTests: XCTestCase { func testBuilds() { XCTAssertTrue(true) } }
