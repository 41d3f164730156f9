/// Packing of int4 weights two per byte, TensorFlow Lite's dense int4 layout (what its converter
/// writes for an `INT4` tensor and TFLM's `UnpackDenseInt4IntoInt8` reads): the tensor's elements in
/// order, element `2i` in the low nibble of byte `i` and element `2i + 1` in its high nibble, each a
/// two's-complement 4-bit value; no padding between rows; for an odd count the last byte's high
/// nibble is zero. So a packed CONV weight tensor of a blob is byte for byte the buffer of a
/// `.tflite` INT4 weight tensor with the same (OHWI) layout.

/// Bytes of `count` int4 values packed two per byte.
public func packedInt4Bytes(_ count: Int) -> Int { (count + 1) / 2 }

/// `values` (each in −8…7) packed two per byte. A value outside keeps only its low 4 bits
/// (`validateModel` refuses such a model before a blob is written).
public func packInt4(_ values: [Int8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: packedInt4Bytes(values.count))
    for (i, v) in values.enumerated() {
        let nibble = UInt8(bitPattern: v) & 0x0F
        out[i / 2] |= i % 2 == 0 ? nibble : nibble << 4
    }
    return out
}

/// The first `count` int4 values of `bytes` (packed by `packInt4`), sign-extended to int8.
/// `bytes` must hold `packedInt4Bytes(count)` bytes.
public func unpackInt4(_ bytes: some Collection<UInt8>, count: Int) -> [Int8] {
    var out = [Int8](repeating: 0, count: count)
    var i = 0
    for b in bytes {
        if i < count { out[i] = Int8(bitPattern: b << 4) >> 4 }
        if i + 1 < count { out[i + 1] = Int8(bitPattern: b) >> 4 }
        i += 2
        if i >= count { break }
    }
    return out
}
