import QuantCore

/// Decompresses a zlib stream (RFC 1950): checks the header (method 8, window ≤ 32 KiB, FCHECK,
/// no preset dictionary) and the Adler-32 of the output. `path` names the file in errors. More than
/// `maxOutput` bytes of output is an error (saying that `declaredBy` declared that size, when given).
public func zlibDecompress(_ data: [UInt8], path: String = "<zlib>", sizeHint: Int = 0,
                           maxOutput: Int = maxDecodedBytes, declaredBy: String? = nil) throws -> [UInt8] {
    guard data.count >= 2 else { throw ToolkitError(path, "zlib stream is truncated (no header)") }
    let cmf = Int(data[0]), flg = Int(data[1])
    guard cmf & 0x0F == 8, cmf >> 4 <= 7 else {
        throw ToolkitError(path, "zlib header: unsupported method/window byte \(hex(cmf, 2))")
    }
    guard (cmf << 8 | flg) % 31 == 0 else { throw ToolkitError(path, "zlib header check bits are wrong (not zlib data)") }
    guard flg & 0x20 == 0 else { throw ToolkitError(path, "zlib stream needs a preset dictionary (not supported)") }
    return try data.withUnsafeBufferPointer { src -> [UInt8] in
        let hint = sizeHint > 0 ? sizeHint : data.count * 3
        let (bytes, streamEnd) = try inflateStream(src, from: 2, path: path, sizeHint: hint,
                                                   limit: InflateLimit(bytes: maxOutput, declaredBy: declaredBy), what: "zlib data")
        guard let end = streamEnd, end + 4 <= src.count else { throw ToolkitError(path, "zlib stream is truncated: Adler-32 missing") }
        let stored = try ByteView(raw: UnsafeRawBufferPointer(src), file: path).u32BE(end, "zlib Adler-32")
        let computed = adler32(bytes)
        guard stored == computed else {
            throw ToolkitError(path, "zlib stream: Adler-32 mismatch (stored \(hex(Int(stored), 8)), computed \(hex(Int(computed), 8))): the data is corrupt")
        }
        return bytes
    }
}

/// Compresses `data` as a zlib stream (RFC 1950) around `deflate(_:)`.
public func zlibCompress(_ data: [UInt8]) -> [UInt8] {
    let a = adler32(data)
    return [0x78, 0x01] + deflate(data) + [UInt8(a >> 24), UInt8((a >> 16) & 0xFF), UInt8((a >> 8) & 0xFF), UInt8(a & 0xFF)]
}

/// The Adler-32 checksum of RFC 1950 (two sums modulo 65521, `b << 16 | a`).
public func adler32(_ bytes: [UInt8]) -> UInt32 {
    var a: UInt32 = 1, b: UInt32 = 0
    var i = 0
    while i < bytes.count {
        // 5552 is the largest run for which b cannot overflow 32 bits before the modulo.
        let end = min(i + 5552, bytes.count)
        while i < end {
            a &+= UInt32(bytes[i])
            b &+= a
            i += 1
        }
        a %= 65521
        b %= 65521
    }
    return b << 16 | a
}
