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
    guard data.count >= 4 else { throw ToolkitError(path, "IDX file is truncated (\(data.count) bytes, no header)") }
    let magic = bigEndianUInt32(data, 0)
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
    let shape = (0..<rank).map { bigEndianUInt32(data, 4 + 4 * $0) }
    guard let expected = checkedProduct(shape), expected <= 1 << 40 else {
        throw ToolkitError(path, "IDX shape \(shape) is impossibly large (corrupt header)")
    }
    guard data.count - headerSize == expected else {
        let problem = data.count - headerSize < expected ? "is truncated" : "has trailing bytes"
        throw ToolkitError(path, "IDX file \(problem): shape \(shape) needs \(expected) bytes of data, found \(data.count - headerSize)")
    }
    return IDXArray(shape: shape, bytes: Array(data[headerSize...]))
}
