import XCTest
@testable import IntEngine
final class IntEnginePlaceholderTests: XCTestCase { func testBuilds() { XCTAssertTrue(true) } }
