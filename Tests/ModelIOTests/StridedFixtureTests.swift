import Foundation
import XCTest
import QuantCore
@testable import ModelIO

/// The hand-built PyTorch fixtures (see Fixtures/make_fixtures.py): strided, offset, broadcast and
/// scalar tensors, several dtypes, a legacy storage view, zip64 and a protocol-5 pickle, compared
/// with values numpy computed.
final class StridedFixtureTests: XCTestCase {
    struct Expected: Decodable {
        struct Entry: Decodable { var shape: [Int]; var dtype: String; var values: [Float] }
        var names: [String]
        var tensors: [String: Entry]
    }

    func expected() throws -> Expected {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestFiles.fixture("strided-expected.json")))
        return try JSONDecoder().decode(Expected.self, from: data)
    }

    func check(_ fixture: String, format: String) throws {
        let expected = try expected()
        let checkpoint = try loadCheckpoint(TestFiles.fixture(fixture))
        XCTAssertEqual(checkpoint.format, format)
        XCTAssertEqual(checkpoint.names, expected.names)
        for name in expected.names {
            let want = try XCTUnwrap(expected.tensors[name])
            let got = try XCTUnwrap(checkpoint.tensors[name], "\(fixture) \(name)")
            XCTAssertEqual(got.shape, want.shape, "\(fixture) \(name)")
            XCTAssertEqual(got.values, want.values, "\(fixture) \(name)")
            XCTAssertEqual(checkpoint.dtypes[name], want.dtype, "\(fixture) \(name)")
        }
    }

    func testZip() throws { try check("strided-zip.pth", format: "torch-zip") }
    func testZip64Protocol5() throws { try check("strided-zip64.pth", format: "torch-zip") }
    func testLegacyWithStorageView() throws { try check("strided-legacy.pth", format: "torch-legacy") }
}
