import QuantCore

/// An IDX array (the MNIST / Fashion-MNIST container) of unsigned bytes.
public struct IDXArray: Sendable, Equatable {
    /// Dimensions, outermost first (e.g. [10000, 28, 28]).
    public var shape: [Int]
    /// The elements in row-major order.
    public var bytes: [UInt8]
}

/// Parses IDX data (already decompressed): magic `00 00 08 nd` (unsigned bytes, `nd` dimensions:
/// 0x0801 labels, 0x0803 images), then `nd` big-endian 32-bit sizes, then the elements.
public func readIDX(_ data: [UInt8], path: String) throws -> IDXArray {
    let header = try readIDXHeader(data, path: path)
    let (shape, headerSize, expected) = (header.shape, header.headerSize, header.totalSize - header.headerSize)
    guard data.count - headerSize == expected else {
        let problem = data.count - headerSize < expected ? "is truncated" : "has trailing bytes"
        throw ToolkitError(path, "IDX file \(problem): shape \(shape) needs \(expected) bytes of data, found \(data.count - headerSize)")
    }
    return IDXArray(shape: shape, bytes: Array(data[headerSize...]))
}

/// The header of IDX data (at least its first 4 + 4 × rank bytes): the shape, the header size and
/// the total size (header + elements) it declares, which is at most `maxDecodedBytes`.
public func readIDXHeader(_ data: [UInt8], path: String) throws -> (shape: [Int], headerSize: Int, totalSize: Int) {
    guard data.count >= 4 else { throw ToolkitError(path, "IDX file is truncated (\(data.count) bytes, no header)") }
    let magic = Int(try data.withByteView(file: path) { try $0.u32BE(0, "IDX magic") })
    guard data[0] == 0, data[1] == 0 else {
        throw ToolkitError(path, "not an IDX file: magic \(hex(magic, 8)) (expected 0x00000801 or 0x00000803)")
    }
    guard data[2] == 0x08 else {
        throw ToolkitError(path, "IDX element type \(hex(Int(data[2]), 2)) is not supported (only 0x08, unsigned byte); magic \(hex(magic, 8))")
    }
    let rank = Int(data[3])
    guard (1...4).contains(rank) else { throw ToolkitError(path, "IDX magic \(hex(magic, 8)): \(rank) dimensions not supported (1 to 4)") }
    let headerSize = 4 + 4 * rank
    guard data.count >= headerSize else { throw ToolkitError(path, "IDX file is truncated inside its header") }
    let shape = try data.withByteView(file: path) { v in try (0..<rank).map { Int(try v.u32BE(4 + 4 * $0, "IDX dimension \($0)")) } }
    guard let elements = checkedProduct(shape), elements <= maxDecodedBytes - headerSize else {
        throw ToolkitError(path, "IDX header declares shape \(shape), more than \(maxDecodedBytes) bytes: corrupt header, or a file too large to read at once")
    }
    return (shape, headerSize, headerSize + elements)
}
