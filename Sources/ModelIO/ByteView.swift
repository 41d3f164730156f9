/// Bounds-checked little-endian reads from a byte buffer. Every read that would go past the end
/// throws a `ToolkitError` naming the file and what was being read, so truncated input never crashes.
import QuantCore

struct ByteView {
    /// The bytes being read; only valid inside the `withUnsafeBytes` call that produced them.
    let raw: UnsafeRawBufferPointer
    /// The file the bytes come from, for error messages.
    let file: String

    var count: Int { raw.count }

    /// Throws unless `count` bytes starting at `offset` lie inside the buffer.
    func check(_ offset: Int, _ count: Int, _ what: String) throws {
        guard offset >= 0, count >= 0, offset <= raw.count, count <= raw.count - offset else {
            throw ToolkitError(file, "truncated: \(what) needs \(count) bytes at offset \(offset), but the data is \(raw.count) bytes")
        }
    }

    func u8(_ offset: Int, _ what: String) throws -> UInt8 {
        try check(offset, 1, what)
        return raw[offset]
    }

    func u16(_ offset: Int, _ what: String) throws -> UInt16 {
        try check(offset, 2, what)
        return UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    func u32(_ offset: Int, _ what: String) throws -> UInt32 {
        try check(offset, 4, what)
        return UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    func u64(_ offset: Int, _ what: String) throws -> UInt64 {
        try check(offset, 8, what)
        return UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// The `count` bytes starting at `offset`.
    func slice(_ offset: Int, _ count: Int, _ what: String) throws -> UnsafeRawBufferPointer {
        try check(offset, count, what)
        return UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + count)])
    }
}

/// `UInt64` to `Int`, throwing if it does not fit (a 64-bit length field can claim absurd sizes).
func checkedInt(_ value: UInt64, _ file: String, _ what: String) throws -> Int {
    guard value <= UInt64(Int.max) else { throw ToolkitError(file, "\(what) \(value) is too large") }
    return Int(value)
}

/// The product of a shape's dimensions, throwing on negative dimensions or overflow.
func elementCount(_ shape: [Int], _ file: String, _ what: String) throws -> Int {
    var n = 1
    for d in shape {
        guard d >= 0 else { throw ToolkitError(file, "\(what) has a negative dimension in shape \(shape)") }
        let (p, overflow) = n.multipliedReportingOverflow(by: d)
        guard !overflow else { throw ToolkitError(file, "\(what) has shape \(shape) whose element count overflows") }
        n = p
    }
    return n
}
