/// CRC-32 as used by gzip, PNG and zip (ISO 3309 / ITU-T V.42: reflected polynomial 0xEDB88320,
/// initial value and final XOR 0xFFFFFFFF). The check value of the ASCII bytes "123456789" is 0xCBF43926.
///
/// Computed eight bytes at a time ("slicing by 8"): entry `k * 256 + b` is the CRC register
/// contribution of byte `b` followed by `k` zero bytes.
let crc32Tables: [UInt32] = {
    var t = [UInt32](repeating: 0, count: 8 * 256)
    for b in 0..<256 {
        var c = UInt32(b)
        for _ in 0..<8 { c = (c & 1) != 0 ? (0xEDB8_8320 ^ (c >> 1)) : (c >> 1) }
        t[b] = c
    }
    for k in 1..<8 {
        for b in 0..<256 {
            let prev = t[(k - 1) * 256 + b]
            t[k * 256 + b] = (prev >> 8) ^ t[Int(prev & 0xFF)]
        }
    }
    return t
}()

/// The CRC-32 of `bytes`. To checksum data in pieces, pass the previous result as `crc`:
/// `crc32(b, crc: crc32(a)) == crc32(a + b)`.
public func crc32(_ bytes: UnsafeRawBufferPointer, crc: UInt32 = 0) -> UInt32 {
    crc32Tables.withUnsafeBufferPointer { t -> UInt32 in
        var c = ~crc
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            let lo = c ^ (UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
            let hi = UInt32(bytes[i + 4]) | UInt32(bytes[i + 5]) << 8 | UInt32(bytes[i + 6]) << 16 | UInt32(bytes[i + 7]) << 24
            c = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
            i += 8
        }
        while i < n {
            c = t[Int((c ^ UInt32(bytes[i])) & 0xFF)] ^ (c >> 8)
            i += 1
        }
        return ~c
    }
}

/// The CRC-32 of a byte array (see `crc32(_:crc:)` on a raw buffer).
public func crc32(_ bytes: [UInt8], crc: UInt32 = 0) -> UInt32 {
    bytes.withUnsafeBytes { crc32($0, crc: crc) }
}

/// The CRC-32 of part of a byte array, without copying it.
public func crc32(_ bytes: ArraySlice<UInt8>, crc: UInt32 = 0) -> UInt32 {
    bytes.withUnsafeBytes { crc32($0, crc: crc) }
}
