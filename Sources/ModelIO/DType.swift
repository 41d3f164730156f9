/// Element types found in checkpoints, and their bulk conversion to Float32.
import QuantCore

/// A stored element type, named as safetensors names it ("F32", "BF16", "I64", ...).
enum DType: String, Sendable, CaseIterable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

    /// Bytes per element.
    var size: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .i8, .u8, .bool: return 1
        }
    }

    /// Whether values can be NaN or infinite (and so must be checked).
    var isFloatingPoint: Bool {
        switch self {
        case .f64, .f32, .f16, .bf16: return true
        default: return false
        }
    }

    /// Converts `count` little-endian elements at the start of `bytes` (which must hold at least
    /// `count * size` bytes) to Float32, in one pass with no per-element array growth.
    /// Integers wider than 24 bits may round; that only matters for counters such as `num_batches_tracked`.
    func toFloat(_ bytes: UnsafeRawBufferPointer, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { out, initialized in
            switch self {
            case .f32:
                UnsafeMutableRawBufferPointer(out).copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<(count * 4)]))
                if UInt32(littleEndian: 1) != 1 {
                    for i in 0..<count { out[i] = Float(bitPattern: out[i].bitPattern.byteSwapped) }
                }
            case .f64:
                for i in 0..<count { out[i] = Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))) }
            case .f16:
                for i in 0..<count { out[i] = halfToFloat(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) }
            case .bf16:
                for i in 0..<count { out[i] = Float(bitPattern: UInt32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) << 16) }
            case .i64:
                for i in 0..<count { out[i] = Float(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 8, as: Int64.self))) }
            case .i32:
                for i in 0..<count { out[i] = Float(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))) }
            case .i16:
                for i in 0..<count { out[i] = Float(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 2, as: Int16.self))) }
            case .i8:
                for i in 0..<count { out[i] = Float(Int8(bitPattern: bytes[i])) }
            case .u8:
                for i in 0..<count { out[i] = Float(bytes[i]) }
            case .bool:
                for i in 0..<count { out[i] = bytes[i] == 0 ? 0 : 1 }
            }
            initialized = count
        }
    }
}

/// IEEE 754 half precision bits to Float32 (exact: every half value is representable).
func halfToFloat(_ h: UInt16) -> Float {
    let sign: Float = (h & 0x8000) != 0 ? -1 : 1
    let exponent = Int((h >> 10) & 0x1f)
    let mantissa = UInt32(h & 0x3ff)
    switch exponent {
    case 0:
        return sign * Float(mantissa) * 0x1p-24
    case 0x1f:
        return mantissa == 0 ? sign * Float.infinity : Float.nan
    default:
        let bits = (UInt32(h & 0x8000) << 16) | (UInt32(exponent + 112) << 23) | (mantissa << 13)
        return Float(bitPattern: bits)
    }
}

/// Throws if any value is NaN or infinite: a checkpoint with NaN weights must never silently become a model.
func checkFinite(_ values: [Float], _ file: String, _ tensor: String) throws {
    for (i, v) in values.enumerated() where !v.isFinite {
        throw ToolkitError(file, "tensor '\(tensor)' holds a non-finite value (\(v)) at element \(i)")
    }
}
