/// The one way file readers read binary fields: bounds-checked little- and big-endian reads from a
/// byte buffer. Every read that would go past the end throws a `ToolkitError` naming the file and
/// what was being read, so truncated or lying input never crashes and is never read as zeros.
/// Used by every reader (ModelIO, ImageIO's containers, Export's blob reader).
public struct ByteView {
    /// The bytes being read; only valid inside the `withUnsafeBytes` call that produced them.
    public let raw: UnsafeRawBufferPointer
    /// The file the bytes come from, for error messages.
    public let file: String

    public init(raw: UnsafeRawBufferPointer, file: String) {
        self.raw = raw
        self.file = file
    }

    public var count: Int { raw.count }

    /// Throws unless `count` bytes starting at `offset` lie inside the buffer.
    @inline(__always) public func check(_ offset: Int, _ count: Int, _ what: @autoclosure () -> String) throws {
        guard offset >= 0, count >= 0, offset <= raw.count, count <= raw.count - offset else {
            throw ToolkitError(file, "truncated: \(what()) needs \(count) bytes at offset \(offset), but the data is \(raw.count) bytes")
        }
    }

    public func u8(_ offset: Int, _ what: @autoclosure () -> String) throws -> UInt8 {
        try check(offset, 1, what())
        return raw[offset]
    }

    public func u16(_ offset: Int, _ what: @autoclosure () -> String) throws -> UInt16 {
        try check(offset, 2, what())
        return UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    public func u32(_ offset: Int, _ what: @autoclosure () -> String) throws -> UInt32 {
        try check(offset, 4, what())
        return UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    public func i32(_ offset: Int, _ what: @autoclosure () -> String) throws -> Int32 {
        Int32(bitPattern: try u32(offset, what()))
    }

    public func u64(_ offset: Int, _ what: @autoclosure () -> String) throws -> UInt64 {
        try check(offset, 8, what())
        return UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// Big-endian reads (PNG, IDX, JPEG and zlib fields).
    public func u16BE(_ offset: Int, _ what: @autoclosure () -> String) throws -> UInt16 {
        try check(offset, 2, what())
        return UInt16(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    public func u32BE(_ offset: Int, _ what: @autoclosure () -> String) throws -> UInt32 {
        try check(offset, 4, what())
        return UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// The `count` bytes starting at `offset`.
    public func slice(_ offset: Int, _ count: Int, _ what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        try check(offset, count, what())
        return UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + count)])
    }
}

extension Array where Element == UInt8 {
    /// Runs `body` with a `ByteView` of the array's bytes, naming `file` in errors.
    public func withByteView<R>(file: String, _ body: (ByteView) throws -> R) rethrows -> R {
        try withUnsafeBytes { try body(ByteView(raw: $0, file: file)) }
    }
}

/// `UInt64` to `Int`, throwing if it does not fit (a 64-bit length field can claim absurd sizes).
public func checkedInt(_ value: UInt64, _ file: String, _ what: String) throws -> Int {
    guard value <= UInt64(Int.max) else { throw ToolkitError(file, "\(what) \(value) is too large") }
    return Int(value)
}
