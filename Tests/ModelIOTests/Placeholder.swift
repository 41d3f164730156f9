import XCTest
@testable import ModelIO
final class ModelIOPlaceholderTests: XCTestCase { func testBuilds() { XCTAssertTrue(true) } }
