/// A FlatBuffers writer, written for this project: the caller describes the buffer as a tree of
/// tables (`FBObject`), and `serializeFlatBuffer` lays it out front to back — each table's vtable
/// right before it, each child after its parent (so every `uoffset` points forward, as the format
/// requires), every scalar aligned to its size, every vector's elements aligned to their size (or
/// to a requested alignment: 16 for TFLite's buffer data). No vtable sharing, no deduplication:
/// the files are a few hundred bytes larger than a stock builder's and read the same.

/// A table to write: its fields by field index (schema order; a union takes two indices, the type
/// byte then the value).
public struct FBObject: Sendable {
    public var fields: [(id: Int, value: FBValue)]
    public init(_ fields: [(id: Int, value: FBValue)] = []) { self.fields = fields }

    /// Adds field `id` (a value equal to the schema default may simply be left out).
    public mutating func set(_ id: Int, _ value: FBValue) { fields.append((id, value)) }
}

/// A field value.
public indirect enum FBValue: Sendable {
    case u8(UInt8)
    case i32(Int32)
    case u32(UInt32)
    case i64(Int64)
    case u64(UInt64)
    case f32(Float)
    case table(FBObject)
    case string(String)
    case int32s([Int32])
    case int64s([Int64])
    case floats([Float])
    /// A `[ubyte]` vector whose first byte is aligned to `align` (a power of two, at least 4).
    case bytes(ArraySlice<UInt8>, align: Int)
    case tables([FBObject])

    /// Bytes the value takes inside its table (an offset for everything that is not a scalar).
    var inlineSize: Int {
        switch self {
        case .u8: return 1
        case .i64, .u64: return 8
        default: return 4
        }
    }
}

/// Writes `root` as a complete FlatBuffer with the 4-character `identifier` (e.g. "TFL3").
public func serializeFlatBuffer(_ root: FBObject, identifier: String) -> [UInt8] {
    var w = FlatBufferWriter()
    w.out = [0, 0, 0, 0] + Array(identifier.utf8.prefix(4))
    while w.out.count < 8 { w.out.append(0) }
    let rootPos = w.writeTable(root)
    w.patch(at: 0, to: rootPos)
    return w.out
}

struct FlatBufferWriter {
    var out: [UInt8] = []

    mutating func pad(toAlign align: Int, after extra: Int = 0) {
        while (out.count + extra) % align != 0 { out.append(0) }
    }

    mutating func put32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
    mutating func put64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
    mutating func set32(_ v: UInt32, at p: Int) {
        withUnsafeBytes(of: v.littleEndian) { for k in 0..<4 { out[p + k] = $0[k] } }
    }

    /// Stores at `at` the forward offset to `to`.
    mutating func patch(at: Int, to: Int) { set32(UInt32(to - at), at: at) }

    /// Writes a table (vtable first, then the table aligned to 8, then its children); returns the
    /// table's position.
    mutating func writeTable(_ object: FBObject) -> Int {
        let maxID = object.fields.map(\.id).max() ?? -1
        let vtSize = 4 + 2 * (maxID + 1)
        // Field layout relative to the table start (which is 8-aligned): largest fields first.
        let order = object.fields.indices.sorted { object.fields[$0].value.inlineSize > object.fields[$1].value.inlineSize }
        var rel = [Int](repeating: 0, count: object.fields.count)
        var size = 4
        for i in order {
            let s = object.fields[i].value.inlineSize
            size = (size + s - 1) / s * s
            rel[i] = size
            size += s
        }
        pad(toAlign: 8, after: vtSize)
        // vtable
        var vt = [UInt16](repeating: 0, count: vtSize / 2)
        vt[0] = UInt16(vtSize); vt[1] = UInt16(size)
        for (i, f) in object.fields.enumerated() { vt[2 + f.id] = UInt16(rel[i]) }
        for v in vt { out.append(UInt8(v & 0xFF)); out.append(UInt8(v >> 8)) }
        let tablePos = out.count
        out.append(contentsOf: [UInt8](repeating: 0, count: size))
        set32(UInt32(bitPattern: Int32(vtSize)), at: tablePos)   // soffset: vtable = table - vtSize
        var children: [(at: Int, value: FBValue)] = []
        for (i, f) in object.fields.enumerated() {
            let p = tablePos + rel[i]
            switch f.value {
            case .u8(let v): out[p] = v
            case .i32(let v): set32(UInt32(bitPattern: v), at: p)
            case .u32(let v): set32(v, at: p)
            case .f32(let v): set32(v.bitPattern, at: p)
            case .i64(let v): setU64(UInt64(bitPattern: v), at: p)
            case .u64(let v): setU64(v, at: p)
            default: children.append((p, f.value))
            }
        }
        for c in children { patch(at: c.at, to: writeChild(c.value)) }
        return tablePos
    }

    mutating func setU64(_ v: UInt64, at p: Int) {
        set32(UInt32(truncatingIfNeeded: v), at: p); set32(UInt32(truncatingIfNeeded: v >> 32), at: p + 4)
    }

    /// Writes a non-scalar value; returns the position its offset must point to.
    mutating func writeChild(_ value: FBValue) -> Int {
        switch value {
        case .table(let t): return writeTable(t)
        case .string(let s):
            let b = Array(s.utf8)
            pad(toAlign: 4)
            let p = out.count
            put32(UInt32(b.count)); out.append(contentsOf: b); out.append(0)
            return p
        case .int32s(let v):
            pad(toAlign: 4)
            let p = out.count
            put32(UInt32(v.count)); for x in v { put32(UInt32(bitPattern: x)) }
            return p
        case .floats(let v):
            pad(toAlign: 4)
            let p = out.count
            put32(UInt32(v.count)); for x in v { put32(x.bitPattern) }
            return p
        case .int64s(let v):
            pad(toAlign: 8, after: 4)
            let p = out.count
            put32(UInt32(v.count)); for x in v { put64(UInt64(bitPattern: x)) }
            return p
        case .bytes(let v, let align):
            pad(toAlign: max(4, align), after: 4)
            let p = out.count
            put32(UInt32(v.count)); out.append(contentsOf: v)
            return p
        case .tables(let ts):
            pad(toAlign: 4)
            let p = out.count
            put32(UInt32(ts.count))
            let slots = out.count
            out.append(contentsOf: [UInt8](repeating: 0, count: 4 * ts.count))
            for (i, t) in ts.enumerated() { patch(at: slots + 4 * i, to: writeTable(t)) }
            return p
        case .u8, .i32, .u32, .i64, .u64, .f32:
            preconditionFailure("scalars are stored inline")
        }
    }
}
