/// Appends little-endian integers to a byte array (the blob writer's only output primitive).
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func u32(_ v: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: v)); bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v >> 16)); bytes.append(UInt8(truncatingIfNeeded: v >> 24))
    }
    mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }
    mutating func u64(_ v: UInt64) { u32(UInt32(truncatingIfNeeded: v)); u32(UInt32(truncatingIfNeeded: v >> 32)) }
    mutating func append(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    /// Zero bytes up to absolute position `offset` (which must not be behind the end).
    mutating func pad(to offset: Int) { bytes.append(contentsOf: repeatElement(0, count: offset - bytes.count)) }
    /// Overwrites a u32 at `offset` (used for the CRC, computed last).
    mutating func patchU32(_ v: UInt32, at offset: Int) {
        for k in 0..<4 { bytes[offset + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(k))) }
    }
}

extension Array where Element == Int32 {
    /// The values as little-endian bytes.
    var littleEndianBytes: [UInt8] {
        var w = ByteWriter(capacity: count * 4)
        for v in self { w.i32(v) }
        return w.bytes
    }
}

extension Array where Element == Int8 {
    /// The values' bit patterns as bytes.
    var bytePatterns: [UInt8] { map { UInt8(bitPattern: $0) } }
}
