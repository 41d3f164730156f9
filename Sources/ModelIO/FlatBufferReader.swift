/// A bounds-checked FlatBuffers reader (the binary format of `.tflite` files), written for this
/// project from the FlatBuffers wire format: a root `uoffset`, tables that point (by a signed
/// offset) to a vtable of 16-bit field offsets, and vectors / strings preceded by a 32-bit length.
///
/// Every access is checked before it is made: each offset must land inside the buffer and be
/// aligned to the size of what it points to, each vtable and table must lie inside the buffer,
/// each field must lie inside its table, each vector's length times its element size must fit in
/// the bytes after it, and each string must end with its NUL. A failure throws
/// `ToolkitError(file, "<what was being read>: <what is wrong>")`. The reader never copies a
/// vector without charging it to a budget proportional to the file size (`FlatBufferBudget`), so
/// a small file whose tables all point to the same large vector cannot make a caller allocate
/// without bound.
import QuantCore

/// Counts the elements callers materialize from one buffer; throws once they exceed a limit that
/// grows with the file size (shared sub-objects may be read many times, but not without bound).
public final class FlatBufferBudget {
    /// Elements (of any kind) still allowed.
    private var remaining: Int
    private let file: String

    /// A budget of `perByte` elements per byte of the file plus a small constant.
    public init(fileSize: Int, file: String, perByte: Int = 4) {
        let (product, overflow) = fileSize.multipliedReportingOverflow(by: perByte)
        remaining = overflow ? Int.max / 2 : product + 65_536
        self.file = file
    }

    /// Charges `count` elements read for `what`.
    public func charge(_ count: Int, _ what: @autoclosure () -> String) throws {
        guard count <= remaining else {
            throw ToolkitError(file, "\(what()): the file's objects refer to more data than the file holds (shared or overlapping vectors)")
        }
        remaining -= count
    }
}

/// One table of a FlatBuffer: its position, its vtable, and checked accessors for its fields by
/// field index (the order of the fields in the schema, a union counting as two: type, then value).
public struct FBTable {
    public let view: ByteView
    /// Position of the table (its signed offset to the vtable).
    public let pos: Int
    let vtable: Int
    let vtableSize: Int
    let tableSize: Int
    /// What the table is, for error messages (e.g. `subgraph 0 tensor 12`).
    public let what: String
    let budget: FlatBufferBudget

    /// The table at `pos`, after checking its vtable.
    public init(view: ByteView, pos: Int, what: String, budget: FlatBufferBudget) throws {
        let file = view.file
        guard pos >= 0, pos % 4 == 0, pos <= view.count - 4 else {
            throw ToolkitError(file, "\(what): table offset \(pos) is outside the file or not 4-byte aligned")
        }
        let soffset = Int(try view.i32(pos, what))
        let vt = pos - soffset
        guard vt >= 0, vt % 2 == 0, vt <= view.count - 4 else {
            throw ToolkitError(file, "\(what): vtable offset \(vt) is outside the file or not 2-byte aligned")
        }
        let vtSize = Int(try view.u16(vt, what + " vtable size"))
        let tSize = Int(try view.u16(vt + 2, what + " table size"))
        guard vtSize >= 4, vtSize % 2 == 0, vtSize <= view.count - vt else {
            throw ToolkitError(file, "\(what): vtable size \(vtSize) is invalid or runs past the end of the file")
        }
        guard tSize >= 4, tSize <= view.count - pos else {
            throw ToolkitError(file, "\(what): table size \(tSize) is invalid or runs past the end of the file")
        }
        self.view = view; self.pos = pos; vtable = vt; vtableSize = vtSize; tableSize = tSize
        self.what = what; self.budget = budget
    }

    /// Offset of field `id` inside the table, or nil when the field is absent. Checks that `size`
    /// bytes fit inside the table and that the field is aligned to `size`.
    func fieldOffset(_ id: Int, size: Int, _ name: String) throws -> Int? {
        let slot = 4 + 2 * id
        guard slot + 2 <= vtableSize else { return nil }
        let off = Int(try view.u16(vtable + slot, "\(what) \(name)"))
        if off == 0 { return nil }
        guard off >= 4, off + size <= tableSize else {
            throw ToolkitError(view.file, "\(what): field \(name) at offset \(off) lies outside its \(tableSize)-byte table")
        }
        guard (pos + off) % size == 0 else {
            throw ToolkitError(view.file, "\(what): field \(name) is not \(size)-byte aligned")
        }
        return pos + off
    }

    public func u8(_ id: Int, _ name: String, default d: UInt8 = 0) throws -> UInt8 {
        guard let at = try fieldOffset(id, size: 1, name) else { return d }
        return try view.u8(at, "\(what) \(name)")
    }

    public func i8(_ id: Int, _ name: String, default d: Int8 = 0) throws -> Int8 {
        Int8(bitPattern: try u8(id, name, default: UInt8(bitPattern: d)))
    }

    public func bool(_ id: Int, _ name: String, default d: Bool = false) throws -> Bool {
        try u8(id, name, default: d ? 1 : 0) != 0
    }

    public func i32(_ id: Int, _ name: String, default d: Int32 = 0) throws -> Int32 {
        guard let at = try fieldOffset(id, size: 4, name) else { return d }
        return try view.i32(at, "\(what) \(name)")
    }

    public func u32(_ id: Int, _ name: String, default d: UInt32 = 0) throws -> UInt32 {
        guard let at = try fieldOffset(id, size: 4, name) else { return d }
        return try view.u32(at, "\(what) \(name)")
    }

    public func u64(_ id: Int, _ name: String, default d: UInt64 = 0) throws -> UInt64 {
        guard let at = try fieldOffset(id, size: 8, name) else { return d }
        return try view.u64(at, "\(what) \(name)")
    }

    /// Follows the `uoffset` stored in field `id`; nil when the field is absent.
    func target(_ id: Int, _ name: String) throws -> Int? {
        guard let at = try fieldOffset(id, size: 4, name) else { return nil }
        return try followOffset(at, "\(what) \(name)")
    }

    /// The position a `uoffset` stored at `at` points to (forward, inside the file).
    func followOffset(_ at: Int, _ desc: String) throws -> Int {
        let rel = Int(try view.u32(at, desc))
        guard rel > 0, rel <= view.count - at else {
            throw ToolkitError(view.file, "\(desc): offset \(rel) at \(at) points outside the file")
        }
        return at + rel
    }

    /// The sub-table in field `id`, or nil when absent.
    public func table(_ id: Int, _ name: String) throws -> FBTable? {
        guard let t = try target(id, name) else { return nil }
        return try FBTable(view: view, pos: t, what: "\(what) \(name)", budget: budget)
    }

    /// Start and element count of the vector in field `id` (elements of `elementSize` bytes);
    /// nil when absent. The elements are checked to lie inside the file and be aligned.
    public func vector(_ id: Int, _ name: String, elementSize: Int) throws -> (start: Int, count: Int)? {
        guard let t = try target(id, name) else { return nil }
        return try vectorAt(t, "\(what) \(name)", elementSize: elementSize)
    }

    func vectorAt(_ t: Int, _ desc: String, elementSize: Int) throws -> (start: Int, count: Int) {
        guard t % 4 == 0 else { throw ToolkitError(view.file, "\(desc): vector is not 4-byte aligned") }
        let n = Int(try view.u32(t, desc + " length"))
        let start = t + 4
        let room = view.count - start
        guard n <= room / elementSize else {
            throw ToolkitError(view.file, "\(desc): vector of \(n) elements of \(elementSize) bytes runs past the end of the file")
        }
        guard start % min(elementSize, 8) == 0 else {
            throw ToolkitError(view.file, "\(desc): vector elements are not \(elementSize)-byte aligned")
        }
        return (start, n)
    }

    /// The string in field `id` (UTF-8, NUL-terminated in the file), or nil when absent.
    public func string(_ id: Int, _ name: String) throws -> String? {
        guard let t = try target(id, name) else { return nil }
        let (start, n) = try vectorAt(t, "\(what) \(name)", elementSize: 1)
        guard n < view.count - start, view.raw[start + n] == 0 else {
            throw ToolkitError(view.file, "\(what) \(name): string is not NUL-terminated")
        }
        try budget.charge(n, "\(what) \(name)")
        return String(decoding: UnsafeRawBufferPointer(rebasing: view.raw[start..<(start + n)]), as: UTF8.self)
    }

    public func int32s(_ id: Int, _ name: String) throws -> [Int32] {
        guard let (start, n) = try vector(id, name, elementSize: 4) else { return [] }
        try budget.charge(n, "\(what) \(name)")
        return (0..<n).map { Int32(bitPattern: UInt32(littleEndian: view.raw.loadUnaligned(fromByteOffset: start + 4 * $0, as: UInt32.self))) }
    }

    public func int64s(_ id: Int, _ name: String) throws -> [Int64] {
        guard let (start, n) = try vector(id, name, elementSize: 8) else { return [] }
        try budget.charge(n, "\(what) \(name)")
        return (0..<n).map { Int64(bitPattern: UInt64(littleEndian: view.raw.loadUnaligned(fromByteOffset: start + 8 * $0, as: UInt64.self))) }
    }

    public func floats(_ id: Int, _ name: String) throws -> [Float] {
        guard let (start, n) = try vector(id, name, elementSize: 4) else { return [] }
        try budget.charge(n, "\(what) \(name)")
        return (0..<n).map { Float(bitPattern: UInt32(littleEndian: view.raw.loadUnaligned(fromByteOffset: start + 4 * $0, as: UInt32.self))) }
    }

    /// The byte range of a `[ubyte]` vector in field `id` (not copied; nothing charged).
    public func byteRange(_ id: Int, _ name: String) throws -> Range<Int>? {
        guard let (start, n) = try vector(id, name, elementSize: 1) else { return nil }
        return start..<(start + n)
    }

    /// The tables of a vector of tables in field `id` (empty when absent); `label(i)` names each.
    public func tables(_ id: Int, _ name: String, label: (Int) -> String) throws -> [FBTable] {
        guard let (start, n) = try vector(id, name, elementSize: 4) else { return [] }
        try budget.charge(16 * n, "\(what) \(name)")
        var out: [FBTable] = []
        out.reserveCapacity(n)
        for i in 0..<n {
            let desc = label(i)
            let t = try followOffset(start + 4 * i, desc)
            out.append(try FBTable(view: view, pos: t, what: desc, budget: budget))
        }
        return out
    }
}

/// The root table of a FlatBuffer, after checking the 4-character file identifier when one is given.
/// `format` names the file type in the identifier error (e.g. `TFLite`).
public func flatBufferRoot(_ view: ByteView, identifier: String?, format: String, what: String, budget: FlatBufferBudget) throws -> FBTable {
    guard view.count >= 8 else { throw ToolkitError(view.file, "\(view.count) bytes: too short for a FlatBuffer") }
    if let identifier {
        let id = Array(UnsafeRawBufferPointer(rebasing: view.raw[4..<8]))
        guard id == Array(identifier.utf8) else {
            let shown = String(decoding: id.map { (32...126).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
            throw ToolkitError(view.file, "file identifier is \"\(shown)\", not \"\(identifier)\": not a \(format) file")
        }
    }
    let rel = Int(try view.u32(0, "root offset"))
    guard rel >= (identifier == nil ? 4 : 8), rel <= view.count - 4 else {
        throw ToolkitError(view.file, "root table offset \(rel) is outside the \(view.count)-byte file")
    }
    return try FBTable(view: view, pos: rel, what: what, budget: budget)
}
