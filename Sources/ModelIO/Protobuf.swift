/// A protocol-buffers wire-format reader (the encoding ONNX files use), written for this project.
/// It walks one message's bytes field by field; every length is checked against the bytes that
/// are really there before anything is read or allocated, so a claimed length can never make it
/// read past the end or allocate more than the file holds.
import QuantCore

/// The wire type in the low 3 bits of a field key.
enum WireType: UInt8 {
    case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
}

/// Reads the fields of one message: `bytes[start..<end]` of a buffer that outlives the reader.
struct ProtoReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var position: Int
    let end: Int
    /// The file, for error messages.
    let file: String
    /// What is being read (`tensor conv1.weight`, `node /Conv_3 (Conv)`), for error messages.
    var context: String

    init(_ bytes: UnsafeRawBufferPointer, range: Range<Int>, file: String, context: String) {
        self.bytes = bytes; position = range.lowerBound; end = range.upperBound; self.file = file; self.context = context
    }

    var atEnd: Bool { position >= end }

    func fail(_ message: String) -> ToolkitError {
        ToolkitError(file, context.isEmpty ? message : "\(context): \(message)")
    }

    /// The next field's number and wire type, or nil at the end of the message.
    mutating func nextField() throws -> (number: Int, wire: WireType)? {
        guard position < end else { return nil }
        let key = try varint()
        guard let wire = WireType(rawValue: UInt8(key & 7)) else {
            throw fail("malformed protobuf: unknown wire type \(key & 7) at offset \(position)")
        }
        let number = key >> 3
        guard number >= 1, number <= 536_870_911 else { throw fail("malformed protobuf: field number \(number) at offset \(position)") }
        return (Int(number), wire)
    }

    /// A base-128 varint (at most 10 bytes).
    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw fail("truncated: a varint runs past the end of its message at offset \(position)") }
            let byte = bytes[position]
            position += 1
            if shift == 63 && byte > 1 { throw fail("malformed protobuf: varint longer than 64 bits at offset \(position - 1)") }
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    mutating func fixed32() throws -> UInt32 {
        guard end - position >= 4 else { throw fail("truncated: a 4-byte field runs past the end of its message at offset \(position)") }
        defer { position += 4 }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self))
    }

    mutating func fixed64() throws -> UInt64 {
        guard end - position >= 8 else { throw fail("truncated: an 8-byte field runs past the end of its message at offset \(position)") }
        defer { position += 8 }
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self))
    }

    /// The byte range of a length-delimited field (checked to lie inside this message).
    mutating func lengthDelimited() throws -> Range<Int> {
        let length = try varint()
        guard length <= UInt64(end - position) else {
            throw fail("truncated: a field claims \(length) bytes at offset \(position) but its message has \(end - position) left")
        }
        let start = position
        position += Int(length)
        return start..<position
    }

    /// A reader for the embedded message in a length-delimited field.
    mutating func message(_ context: String? = nil) throws -> ProtoReader {
        let range = try lengthDelimited()
        return ProtoReader(bytes, range: range, file: file, context: context ?? self.context)
    }

    /// A UTF-8 string field.
    mutating func string() throws -> String {
        let range = try lengthDelimited()
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// An int64/int32 varint field, as a signed value (two's complement).
    mutating func int64() throws -> Int64 { Int64(bitPattern: try varint()) }

    /// A float field (wire type 5).
    mutating func float() throws -> Float { Float(bitPattern: try fixed32()) }

    /// Skips a field of the given wire type. Groups (deprecated, unused by ONNX) are refused.
    mutating func skip(_ wire: WireType) throws {
        switch wire {
        case .varint: _ = try varint()
        case .fixed64: _ = try fixed64()
        case .fixed32: _ = try fixed32()
        case .lengthDelimited: _ = try lengthDelimited()
        case .startGroup, .endGroup: throw fail("malformed protobuf: group fields are not supported (offset \(position))")
        }
    }

    /// Appends a repeated varint field, packed (one length-delimited run) or not (one value).
    mutating func repeatedVarint(_ wire: WireType, into values: inout [Int64]) throws {
        switch wire {
        case .varint: values.append(try int64())
        case .lengthDelimited:
            var inner = try message()
            while !inner.atEnd { values.append(try inner.int64()) }
        default: throw fail("malformed protobuf: an integer list has wire type \(wire.rawValue)")
        }
    }

    /// Appends a repeated float field, packed or not.
    mutating func repeatedFloat(_ wire: WireType, into values: inout [Float]) throws {
        switch wire {
        case .fixed32: values.append(try float())
        case .lengthDelimited:
            let range = try lengthDelimited()
            guard range.count % 4 == 0 else { throw fail("malformed protobuf: a packed float list of \(range.count) bytes") }
            values.reserveCapacity(values.count + range.count / 4)
            for o in stride(from: range.lowerBound, to: range.upperBound, by: 4) {
                values.append(Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt32.self))))
            }
        default: throw fail("malformed protobuf: a float list has wire type \(wire.rawValue)")
        }
    }

    /// Appends a repeated double field, packed or not.
    mutating func repeatedDouble(_ wire: WireType, into values: inout [Double]) throws {
        switch wire {
        case .fixed64: values.append(Double(bitPattern: try fixed64()))
        case .lengthDelimited:
            let range = try lengthDelimited()
            guard range.count % 8 == 0 else { throw fail("malformed protobuf: a packed double list of \(range.count) bytes") }
            for o in stride(from: range.lowerBound, to: range.upperBound, by: 8) {
                values.append(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt64.self))))
            }
        default: throw fail("malformed protobuf: a double list has wire type \(wire.rawValue)")
        }
    }

    /// Throws unless the field has the wire type the schema gives it.
    func expect(_ wire: WireType, _ expected: WireType, _ field: String) throws {
        guard wire == expected else { throw fail("malformed protobuf: field `\(field)` has wire type \(wire.rawValue), expected \(expected.rawValue)") }
    }
}
