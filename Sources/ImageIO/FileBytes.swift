import Foundation
import QuantCore

/// The bytes of the file at `path`, or an error naming it.
public func readFileBytes(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            throw ToolkitError(path, isDirectory.boolValue ? "is a folder, not a file" : "cannot be read (permissions?)")
        }
        throw ToolkitError(path, "no such file")
    }
    return [UInt8](data)
}

/// Writes `bytes` to `path`, replacing any existing file.
public func writeFileBytes(_ bytes: [UInt8], to path: String) throws {
    do {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    } catch {
        throw ToolkitError(path, "cannot be written: \(error.localizedDescription)")
    }
}

/// The product of `dims`, or nil if it overflows.
func checkedProduct(_ dims: [Int]) -> Int? {
    var product = 1
    for d in dims {
        let (p, overflow) = product.multipliedReportingOverflow(by: d)
        if overflow { return nil }
        product = p
    }
    return product
}
