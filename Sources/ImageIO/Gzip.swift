import QuantCore

/// Decompresses gzip data (RFC 1952). Handles the optional header fields (FEXTRA, FNAME,
/// FCOMMENT, FHCRC, whose header CRC-16 is checked) and checks every member's CRC-32 and ISIZE
/// trailer; concatenated members are decompressed one after another, and zero bytes padding the
/// end (as some tape and block tools leave) are ignored, as gzip(1) does. `path` names the file in errors.
/// Decompression stops at `maxOutput` bytes in all: more is an error (saying that `declaredBy`
/// declared that size, when given), so a crafted file cannot make it allocate without bound.
public func gunzip(_ data: [UInt8], path: String = "<gzip>", maxOutput: Int = maxDecodedBytes,
                   declaredBy: String? = nil) throws -> [UInt8] {
    try data.withUnsafeBufferPointer { src -> [UInt8] in
        var output: [UInt8] = []
        var pos = 0
        var member = 0
        repeat {
            let limit = InflateLimit(bytes: maxOutput - output.count, declaredBy: declaredBy)
            let (bytes, end) = try gunzipMember(src, at: pos, path: path, member: member, limit: limit)
            output += bytes
            pos = end
            member += 1
        } while pos < src.count && !src[pos...].allSatisfy({ $0 == 0 })
        return output
    }
}

/// The first `count` bytes of the gzip data's first member (fewer if it is shorter), without
/// decompressing the rest; the trailer is not checked. For reading a container's header before
/// deciding how much to decompress.
public func gunzipPrefix(_ data: [UInt8], path: String, count: Int) throws -> [UInt8] {
    try data.withUnsafeBufferPointer { src in
        try gunzipMember(src, at: 0, path: path, member: 0,
                         limit: InflateLimit(bytes: count, declaredBy: nil, prefixOnly: true)).bytes
    }
}

/// Decodes the gzip member starting at `start`; returns its bytes and the offset after its trailer
/// (with `limit.prefixOnly`, possibly only the first `limit.bytes` bytes, and `end` meaningless).
func gunzipMember(_ src: UnsafeBufferPointer<UInt8>, at start: Int, path: String,
                  member: Int, limit: InflateLimit) throws -> (bytes: [UInt8], end: Int) {
    let what = member == 0 ? "gzip" : "gzip member \(member + 1)"
    let view = ByteView(raw: UnsafeRawBufferPointer(src), file: path)
    func byte(_ i: Int) throws -> Int { Int(try view.u8(i, "\(what) header")) }
    guard try byte(start) == 0x1F, try byte(start + 1) == 0x8B else {
        if member == 0 { throw ToolkitError(path, "not gzip data (magic bytes 1f 8b missing)") }
        throw ToolkitError(path, "unexpected bytes after gzip member \(member) (not another gzip member)")
    }
    guard try byte(start + 2) == 8 else {
        throw ToolkitError(path, "\(what): unknown compression method \(try byte(start + 2)) (only 8 = deflate)")
    }
    let flags = try byte(start + 3)
    guard flags & 0xE0 == 0 else { throw ToolkitError(path, "\(what): reserved header flag bits are set") }
    var pos = start + 10   // magic, method, flags, mtime (4), extra flags, OS
    guard pos <= src.count else { throw ToolkitError(path, "\(what) header is truncated") }
    if flags & 0x04 != 0 {   // FEXTRA: 2-byte length, then that many bytes
        let xlen = try byte(pos) | (try byte(pos + 1)) << 8
        pos += 2 + xlen
    }
    if flags & 0x08 != 0 {   // FNAME: zero-terminated
        while try byte(pos) != 0 { pos += 1 }
        pos += 1
    }
    if flags & 0x10 != 0 {   // FCOMMENT: zero-terminated
        while try byte(pos) != 0 { pos += 1 }
        pos += 1
    }
    if flags & 0x02 != 0 {   // FHCRC: low 16 bits of the CRC-32 of the header so far
        let stored = try byte(pos) | (try byte(pos + 1)) << 8
        let computed = Int(crc32(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: src[start..<pos]))) & 0xFFFF)
        guard stored == computed else {
            throw ToolkitError(path, "\(what): header CRC mismatch (stored \(hex(stored, 4)), computed \(hex(computed, 4)))")
        }
        pos += 2
    }
    guard pos <= src.count else { throw ToolkitError(path, "\(what) header is truncated") }
    let (bytes, streamEnd) = try inflateStream(src, from: pos, path: path, sizeHint: (src.count - pos) * 3,
                                               limit: limit, what: what + " data")
    guard let end = streamEnd else { return (bytes, src.count) }   // a prefix: stopped early
    if limit.prefixOnly { return (Array(bytes.prefix(limit.bytes)), end) }
    guard end + 8 <= src.count else { throw ToolkitError(path, "\(what) is truncated: CRC-32/ISIZE trailer missing") }
    let trailer = ByteView(raw: UnsafeRawBufferPointer(src), file: path)
    let storedCRC = try trailer.u32(end, "\(what) CRC-32"), storedSize = try trailer.u32(end + 4, "\(what) ISIZE")
    let computedCRC = crc32(bytes)
    guard storedCRC == computedCRC else {
        throw ToolkitError(path, "\(what): CRC-32 mismatch (stored \(hex(Int(storedCRC), 8)), computed \(hex(Int(computedCRC), 8))): the data is corrupt")
    }
    guard storedSize == UInt32(truncatingIfNeeded: bytes.count) else {
        throw ToolkitError(path, "\(what): length mismatch (ISIZE says \(storedSize) bytes, decompressed \(bytes.count))")
    }
    return (bytes, end + 8)
}

/// `value` as `0x`-prefixed hexadecimal with at least `digits` digits.
func hex(_ value: Int, _ digits: Int) -> String {
    let s = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, digits - s.count)) + s
}

/// Decompresses a gzip'd data file, bounded by the size its own header declares: the header of an
/// IDX or NPY file inside is read first (from a small decompressed prefix), its declared size is
/// checked against what the compressed bytes could possibly hold (`maxInflatedSize`) and against
/// `maxDecodedBytes`, and decompression then stops there — a stream holding more is refused, not
/// truncated. Other contents are bounded by `maxDecodedBytes` alone.
public func gunzipDataFile(_ data: [UInt8], path: String) throws -> [UInt8] {
    let head = try gunzipPrefix(data, path: path, count: 1 << 16)
    let declared: (size: Int, by: String)?
    if head.count >= 4 && head[0] == 0 && head[1] == 0 && head[2] == 8 && (1...4).contains(head[3]) {   // IDX magic
        let header = try readIDXHeader(head, path: path)
        declared = (header.totalSize, "its IDX header (shape \(header.shape))")
    } else if head.starts(with: [0x93] + Array("NUMPY".utf8)) {
        let header = try readNPYHeader(head, path: path)
        declared = (header.totalSize, "its .npy header (shape \(header.shape), '\(header.dtype)')")
    } else {
        declared = nil
    }
    guard let (size, by) = declared else { return try gunzip(data, path: path) }
    guard size <= maxInflatedSize(data.count) else {
        throw ToolkitError(path, "\(by) declares \(size) bytes, but \(data.count) bytes of gzip data cannot hold more than \(maxInflatedSize(data.count)): the header is corrupt")
    }
    return try gunzip(data, path: path, maxOutput: size, declaredBy: by)
}
