import QuantCore

/// Decompresses gzip data (RFC 1952). Handles the optional header fields (FEXTRA, FNAME,
/// FCOMMENT, FHCRC, whose header CRC-16 is checked) and checks every member's CRC-32 and ISIZE
/// trailer; concatenated members are decompressed one after another, and zero bytes padding the
/// end (as some tape and block tools leave) are ignored, as gzip(1) does. `path` names the file in errors.
public func gunzip(_ data: [UInt8], path: String = "<gzip>") throws -> [UInt8] {
    try data.withUnsafeBufferPointer { src -> [UInt8] in
        var output: [UInt8] = []
        var pos = 0
        var member = 0
        repeat {
            let (bytes, end) = try gunzipMember(src, at: pos, path: path, member: member)
            output += bytes
            pos = end
            member += 1
        } while pos < src.count && !src[pos...].allSatisfy({ $0 == 0 })
        return output
    }
}

/// Decodes the gzip member starting at `start`; returns its bytes and the offset after its trailer.
func gunzipMember(_ src: UnsafeBufferPointer<UInt8>, at start: Int, path: String,
                  member: Int) throws -> (bytes: [UInt8], end: Int) {
    let what = member == 0 ? "gzip" : "gzip member \(member + 1)"
    func byte(_ i: Int) throws -> Int {
        guard i < src.count else { throw ToolkitError(path, "\(what) header is truncated") }
        return Int(src[i])
    }
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
    let (bytes, end) = try inflateStream(src, from: pos, path: path, sizeHint: (src.count - pos) * 3)
    guard end + 8 <= src.count else { throw ToolkitError(path, "\(what) is truncated: CRC-32/ISIZE trailer missing") }
    let storedCRC = UInt32(src[end]) | UInt32(src[end + 1]) << 8 | UInt32(src[end + 2]) << 16 | UInt32(src[end + 3]) << 24
    let storedSize = UInt32(src[end + 4]) | UInt32(src[end + 5]) << 8 | UInt32(src[end + 6]) << 16 | UInt32(src[end + 7]) << 24
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
