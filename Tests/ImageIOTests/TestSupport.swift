import Foundation
import QuantCore
import XCTest
@testable import ImageIO

/// Paths of the committed fixtures (beside this file) and helpers shared by the ImageIO tests.
enum Fixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static func path(_ name: String) -> String { root + "/" + name }
    static func bytes(_ name: String) throws -> [UInt8] { try readFileBytes(path(name)) }

    /// A uint8 .npy fixture: its shape and values.
    static func npy(_ name: String) throws -> (shape: [Int], values: [UInt8]) {
        let array = try readNPY(bytes(name), path: path(name))
        guard case .uint8(let values) = array.values else { throw ToolkitError(path(name), "fixture is not uint8") }
        return (array.shape, values)
    }
}

/// A fresh empty temporary folder, removed when the test ends.
func temporaryFolder(_ test: XCTestCase) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("imageio-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    return dir
}

/// Asserts that `body` throws a ToolkitError about `file` whose message contains every one of `words`.
func assertToolkitError<T>(_ body: @autoclosure () throws -> T, file expectedFile: String, mentions words: [String],
                           file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected an error about \(expectedFile)", file: file, line: line)
    } catch let error as ToolkitError {
        XCTAssertEqual(error.file, expectedFile, "error names the wrong file: \(error)", file: file, line: line)
        for w in words {
            XCTAssertTrue(error.message.lowercased().contains(w.lowercased()), "'\(error)' does not mention '\(w)'", file: file, line: line)
        }
    } catch {
        XCTFail("unexpected error type: \(error)", file: file, line: line)
    }
}

/// Builds a .npy file (format 1.0) around raw little-endian element bytes.
func makeNPY(descr: String, shape: [Int], body: [UInt8], fortran: Bool = false) -> [UInt8] {
    let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
    var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': (\(dims)), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    let n = header.utf8.count
    return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(n & 0xFF), UInt8(n >> 8)] + Array(header.utf8) + body
}
