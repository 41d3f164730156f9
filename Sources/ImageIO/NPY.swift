import Foundation
import QuantCore

/// A NumPy array read from a `.npy` file: uint8 or float32 elements in C order.
public struct NPYArray: Sendable, Equatable {
    /// The element values, by dtype.
    public enum Values: Sendable, Equatable {
        case uint8([UInt8])
        case float32([Float])
    }
    public var shape: [Int]
    public var values: Values
}

/// Parses `.npy` data (format versions 1.0, 2.0 and 3.0): magic `\x93NUMPY`, version, header
/// length (2 bytes in v1, 4 in v2/v3), a Python-literal header dict, then the raw elements.
/// Supported dtypes: `|u1` (uint8) and `<f4` (little-endian float32), C order only.
public func readNPY(_ data: [UInt8], path: String) throws -> NPYArray {
    let header = try readNPYHeader(data, path: path)
    let (shape, count, dataStart) = (header.shape, header.count, header.dataStart)
    let body = data.count - dataStart
    switch header.dtype {
    case "|u1", "u1", "<u1":
        guard body == count else { throw npySizeError(path, shape, count, body) }
        return NPYArray(shape: shape, values: .uint8(Array(data[dataStart...])))
    case "<f4":
        guard body == 4 * count else { throw npySizeError(path, shape, 4 * count, body) }
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBytes { dst in
            data.withUnsafeBytes { src in
                dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[dataStart...]))
            }
        }
        return NPYArray(shape: shape, values: .float32(values))
    default:
        throw ToolkitError(path, ".npy dtype '\(header.dtype)' is not supported (only '|u1' uint8 and '<f4' float32)")
    }
}

/// The header of `.npy` data (the data itself may be absent): dtype, shape, element count, where
/// the elements start, and the total size (header + elements) it declares, at most `maxDecodedBytes`.
public func readNPYHeader(_ data: [UInt8], path: String) throws
    -> (dtype: String, shape: [Int], count: Int, dataStart: Int, totalSize: Int) {
    let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
    guard data.count >= 10, data.starts(with: magic) else { throw ToolkitError(path, "not a .npy file (magic \\x93NUMPY missing)") }
    let major = Int(data[6])
    let lengthBytes: Int
    switch major {
    case 1: lengthBytes = 2
    case 2, 3: lengthBytes = 4
    default: throw ToolkitError(path, ".npy format version \(major).\(data[7]) is not supported (1, 2 or 3)")
    }
    guard data.count >= 8 + lengthBytes else { throw ToolkitError(path, ".npy header is truncated") }
    let headerLength = try data.withByteView(file: path) { v in
        lengthBytes == 2 ? Int(try v.u16(8, ".npy header length")) : Int(try v.u32(8, ".npy header length"))
    }
    let dataStart = 8 + lengthBytes + headerLength
    guard data.count >= dataStart else { throw ToolkitError(path, ".npy header is truncated") }
    guard let header = String(bytes: data[(8 + lengthBytes)..<dataStart], encoding: .utf8) else {
        throw ToolkitError(path, ".npy header is not text")
    }
    guard let descr = npyHeaderValue(header, key: "descr"), descr.count >= 2,
          let fortran = npyHeaderValue(header, key: "fortran_order"),
          let shapeText = npyHeaderValue(header, key: "shape") else {
        throw ToolkitError(path, ".npy header lacks descr, fortran_order or shape: \(header)")
    }
    let dtype = String(descr.dropFirst().dropLast())   // strip the quotes
    guard fortran == "False" else {
        throw ToolkitError(path, ".npy array is in Fortran order; only C order is supported (save with np.ascontiguousarray)")
    }
    guard shapeText.hasPrefix("("), shapeText.hasSuffix(")") else { throw ToolkitError(path, ".npy shape is not a tuple: \(shapeText)") }
    var shape: [Int] = []
    for part in shapeText.dropFirst().dropLast().split(separator: ",") {
        let trimmed = part.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { continue }
        guard let dim = Int(trimmed), dim >= 0 else { throw ToolkitError(path, ".npy shape has a bad dimension: \(shapeText)") }
        shape.append(dim)
    }
    let itemSize = dtype == "<f4" ? 4 : 1
    guard let count = checkedProduct(shape), count <= (maxDecodedBytes - dataStart) / itemSize else {
        throw ToolkitError(path, ".npy header declares shape \(shapeText) of '\(dtype)', more than \(maxDecodedBytes) bytes: corrupt header, or a file too large to read at once")
    }
    return (dtype, shape, count, dataStart, dataStart + count * itemSize)
}

/// The error for a data section whose size does not match the header.
func npySizeError(_ path: String, _ shape: [Int], _ expected: Int, _ found: Int) -> ToolkitError {
    ToolkitError(path, ".npy data is \(found < expected ? "truncated" : "longer than its header says"): shape \(shape) needs \(expected) bytes, found \(found)")
}

/// The text of `key`'s value in a .npy header dict (`{'descr': '<f4', 'fortran_order': False,
/// 'shape': (2, 3), }`): a quoted string, a parenthesised tuple, or a bare word.
func npyHeaderValue(_ header: String, key: String) -> String? {
    guard let keyRange = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\"") else { return nil }
    var rest = header[keyRange.upperBound...].drop { $0 == " " }
    guard rest.first == ":" else { return nil }
    rest = rest.dropFirst().drop { $0 == " " }
    guard let first = rest.first else { return nil }
    let end: String.Index?
    switch first {
    case "'", "\"": end = rest.dropFirst().firstIndex(of: first).map { rest.index(after: $0) }
    case "(": end = rest.firstIndex(of: ")").map { rest.index(after: $0) }
    default: end = rest.firstIndex { $0 == "," || $0 == "}" }
    }
    guard let stop = end else { return nil }
    return String(rest[..<stop]).trimmingCharacters(in: .whitespaces)
}
