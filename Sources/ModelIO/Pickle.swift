/// A small, safe pickle virtual machine for PyTorch state dicts (protocols 2–5).
///
/// It interprets only the opcodes a state dict uses and resolves only an allowlist of globals
/// (`collections.OrderedDict`, the torch tensor-rebuild functions, storage types and dtypes). Any other
/// global — `os.system`, `builtins.eval`, ... — is refused with an error naming it. Nothing is ever
/// executed: "calling" an allowed global builds a plain value. Every step consumes at least one byte,
/// so a run is bounded by the input size; stack underflow, missing marks and memo misses are errors.
/// Tuple nesting is capped and lists/dicts are emptied when a run ends, so that freeing even a
/// hostile, deeply nested (or cyclic) structure never recurses deeply or leaks.
import QuantCore

/// A value built by the pickle machine: only the kinds a state dict contains. Not `indirect`
/// (arrays and the list/dict classes already box the recursion): with `indirect`, release builds
/// (Swift 6.3, -O) over-released values when an error was thrown mid-pickle and crashed
/// (found by the fuzz harness: torch-zip input 4417 and torch-legacy input 298 of seed 1).
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer wider than 64 bits, as little-endian two's-complement bytes (e.g. torch's magic number).
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    case global(PickleGlobal)
    case storage(StorageRef)
    case tensor(TensorRef)
}

/// A pickled list; a reference type because the memo and the stack share and mutate it.
final class PickleList {
    var items: [PickleValue] = []
}

/// A pickled dict (or `OrderedDict`) with string keys (integer keys as their decimal text), in
/// insertion order; a reference type like `PickleList`.
final class PickleDict {
    private(set) var keys: [String] = []
    private(set) var values: [String: PickleValue] = [:]

    subscript(key: String) -> PickleValue? { values[key] }

    func set(_ key: String, _ value: PickleValue) {
        if values.updateValue(value, forKey: key) == nil { keys.append(key) }
    }

    func removeAll() {
        keys = []
        values = [:]
    }
}

/// The only globals a checkpoint pickle may name.
enum PickleGlobal {
    case orderedDict
    case rebuildTensorV2
    case rebuildTensor
    case rebuildParameter
    /// `torch.FloatStorage` and friends: the element type of a storage.
    case storageType(DType)
    /// `torch.float32` and friends.
    case dtype(DType)

    /// The allowlist, keyed by "module.name".
    static let allowed: [String: PickleGlobal] = {
        var table: [String: PickleGlobal] = [
            "collections.OrderedDict": .orderedDict,
            "torch._utils._rebuild_tensor_v2": .rebuildTensorV2,
            "torch._utils._rebuild_tensor": .rebuildTensor,
            "torch._utils._rebuild_parameter": .rebuildParameter,
        ]
        let storages: [(String, DType)] = [
            ("FloatStorage", .f32), ("HalfStorage", .f16), ("BFloat16Storage", .bf16), ("DoubleStorage", .f64),
            ("LongStorage", .i64), ("IntStorage", .i32), ("ShortStorage", .i16), ("CharStorage", .i8),
            ("ByteStorage", .u8), ("BoolStorage", .bool),
        ]
        for (name, dtype) in storages { table["torch." + name] = .storageType(dtype) }
        let dtypes: [(String, DType)] = [
            ("float32", .f32), ("float", .f32), ("float16", .f16), ("half", .f16), ("bfloat16", .bf16),
            ("float64", .f64), ("double", .f64), ("int64", .i64), ("long", .i64), ("int32", .i32), ("int", .i32),
            ("int16", .i16), ("short", .i16), ("int8", .i8), ("uint8", .u8), ("bool", .bool),
        ]
        for (name, dtype) in dtypes { table["torch." + name] = .dtype(dtype) }
        return table
    }()
}

/// A reference to (part of) a tensor storage: the key of the root storage in the file, its element
/// type and size, and the window of it this storage covers (a legacy-format view, or all of it).
struct StorageRef {
    var key: String
    var dtype: DType
    /// Elements in the root storage as declared by the pickle.
    var rootCount: Int
    /// First element of this storage within the root storage.
    var base: Int
    /// Elements in this storage.
    var count: Int
}

/// A tensor as `_rebuild_tensor_v2` describes it: a strided view of a storage.
struct TensorRef {
    var storage: StorageRef
    var offset: Int
    var shape: [Int]
    var stride: [Int]
}

/// Runs one pickle starting at byte `start`, hands the value it stops with to `read` (which must
/// copy out what it needs: lists and dicts are emptied afterwards), and returns what `read` made and
/// the offset just past the STOP opcode. `persistentLoad` turns a BINPERSID id into a value (a storage).
func unpickle<T>(_ bytes: ByteView, at start: Int,
                 persistentLoad: @escaping (PickleValue) throws -> PickleValue,
                 read: (PickleValue) throws -> T) throws -> (value: T, end: Int) {
    let machine = PickleMachine(bytes: bytes, position: start, persistentLoad: persistentLoad)
    defer { machine.release() }
    let value = try read(try machine.run())
    return (value, machine.position)
}

/// A stack or memo entry: a value and how deeply tuples nest inside it (lists and dicts count as 1).
private struct Slot {
    var value: PickleValue
    var depth: Int
}

/// The machine state: the input, the stack, saved mark positions, the memo, and every list and dict
/// created (so `release` can empty them). A class: as a struct, release builds (Swift 6.3, -O)
/// over-released its contents when destroying it after a thrown error, and crashed (found by the
/// fuzz harness, torch-zip reader, seed 1, inputs 0…4417 in sequence).
private final class PickleMachine {
    /// Deepest tuple nesting accepted; state dicts nest three deep at most.
    static let maxDepth = 100

    let bytes: ByteView
    var position: Int
    let persistentLoad: (PickleValue) throws -> PickleValue
    var stack: [Slot] = []
    var marks: [Int] = []
    var memo: [Int: Slot] = [:]
    var lists: [PickleList] = []
    var dicts: [PickleDict] = []
    /// Offset of the opcode being executed, for error messages.
    var opcodeOffset = 0

    var file: String { bytes.file }

    init(bytes: ByteView, position: Int, persistentLoad: @escaping (PickleValue) throws -> PickleValue) {
        self.bytes = bytes
        self.position = position
        self.persistentLoad = persistentLoad
    }

    func fail(_ message: String) -> ToolkitError {
        ToolkitError(file, "pickle at offset \(opcodeOffset): \(message)")
    }

    // MARK: reading operands

    func readU8() throws -> UInt8 {
        let v = try bytes.u8(position, "pickle operand"); position += 1; return v
    }
    func readU16() throws -> UInt16 {
        let v = try bytes.u16(position, "pickle operand"); position += 2; return v
    }
    func readU32() throws -> UInt32 {
        let v = try bytes.u32(position, "pickle operand"); position += 4; return v
    }
    func readU64() throws -> UInt64 {
        let v = try bytes.u64(position, "pickle operand"); position += 8; return v
    }
    func readBytes(_ count: Int) throws -> UnsafeRawBufferPointer {
        let v = try bytes.slice(position, count, "pickle operand"); position += count; return v
    }
    func readString(_ count: Int) throws -> String {
        let raw = try readBytes(count)
        guard let text = String(validating: raw, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
        return text
    }
    /// A newline-terminated ASCII line (GLOBAL's operands).
    func readLine() throws -> String {
        var end = position
        while try bytes.u8(end, "pickle text operand") != 0x0a { end += 1 }
        let text = try readString(end - position)
        position += 1
        return text
    }
    /// An n-byte little-endian two's-complement integer (LONG1/LONG4).
    func readLong(_ count: Int) throws -> PickleValue {
        let raw = try readBytes(count)
        if count == 0 { return .int(0) }
        if count > 8 { return .bigInt(Array(raw)) }
        var value: UInt64 = 0
        for i in 0..<count { value |= UInt64(raw[i]) << (8 * UInt64(i)) }
        if raw[count - 1] & 0x80 != 0, count < 8 { value |= ~0 << (8 * UInt64(count)) }
        return .int(Int(Int64(bitPattern: value)))
    }

    /// Empties every list and dict, so no container keeps another alive, then drops the stack and memo.
    func release() {
        for list in lists { list.items = [] }
        for dict in dicts { dict.removeAll() }
        stack = []
        memo = [:]
    }

    // MARK: stack

    func push(_ value: PickleValue, depth: Int = 1) { stack.append(Slot(value: value, depth: depth)) }

    func popSlot() throws -> Slot {
        guard stack.count > (marks.last ?? 0), let slot = stack.popLast() else { throw fail("stack underflow") }
        return slot
    }

    func pop() throws -> PickleValue { try popSlot().value }

    func topSlot() throws -> Slot {
        guard let slot = stack.last else { throw fail("stack underflow") }
        return slot
    }

    func top() throws -> PickleValue { try topSlot().value }

    /// Pops everything above the most recent MARK, and the mark.
    func popToMark() throws -> [Slot] {
        guard let mark = marks.popLast() else { throw fail("no MARK on the stack") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    /// Pushes a tuple of `items`, refusing nesting deeper than `maxDepth`.
    func pushTuple(_ items: [Slot]) throws {
        let depth = 1 + (items.map(\.depth).max() ?? 0)
        guard depth <= Self.maxDepth else { throw fail("tuples nested more than \(Self.maxDepth) deep") }
        push(.tuple(items.map(\.value)), depth: depth)
    }

    func newList(_ items: [PickleValue]) -> PickleValue {
        let list = PickleList()
        list.items = items
        lists.append(list)
        return .list(list)
    }

    func newDict() -> PickleValue {
        let dict = PickleDict()
        dicts.append(dict)
        return .dict(dict)
    }

    func memoGet(_ index: Int) throws -> Slot {
        guard let slot = memo[index] else { throw fail("memo entry \(index) was never stored") }
        return slot
    }

    // MARK: execution

    func run() throws -> PickleValue {
        while true {
            opcodeOffset = position
            let op = try bytes.u8(position, "pickle opcode (the pickle ends without STOP)")
            position += 1
            switch op {
            case 0x80: // PROTO
                let version = try readU8()
                guard version <= 5 else { throw fail("unsupported pickle protocol \(version)") }
            case 0x95: // FRAME: a length prefix for the opcodes that follow; they are read in place
                _ = try readU64()
            case 0x2e: // STOP
                let value = try pop()
                guard stack.isEmpty, marks.isEmpty else { throw fail("STOP with \(stack.count) values left on the stack") }
                return value
            case 0x28: // MARK
                marks.append(stack.count)
            case 0x30: // POP
                _ = try pop()
            case 0x31: // POP_MARK
                _ = try popToMark()
            case 0x32: // DUP
                stack.append(try topSlot())
            case 0x4e: push(.none)          // NONE
            case 0x88: push(.bool(true))    // NEWTRUE
            case 0x89: push(.bool(false))   // NEWFALSE
            case 0x4a: push(.int(Int(Int32(bitPattern: try readU32()))))  // BININT
            case 0x4b: push(.int(Int(try readU8())))                       // BININT1
            case 0x4d: push(.int(Int(try readU16())))                      // BININT2
            case 0x8a: push(try readLong(Int(try readU8())))               // LONG1
            case 0x8b: // LONG4
                let count = Int(Int32(bitPattern: try readU32()))
                guard count >= 0 else { throw fail("negative LONG4 length") }
                push(try readLong(count))
            case 0x47: // BINFLOAT (big-endian)
                push(.float(Double(bitPattern: (try readU64()).byteSwapped)))
            case 0x58: // BINUNICODE
                push(.string(try readString(Int(try readU32()))))
            case 0x8d: // BINUNICODE8
                push(.string(try readString(try checkedInt(try readU64(), file, "BINUNICODE8 length"))))
            case 0x8c: // SHORT_BINUNICODE
                push(.string(try readString(Int(try readU8()))))
            case 0x54: // BINSTRING (Python 2 str)
                let count = Int(Int32(bitPattern: try readU32()))
                guard count >= 0 else { throw fail("negative BINSTRING length") }
                push(.string(try readString(count)))
            case 0x55: // SHORT_BINSTRING
                push(.string(try readString(Int(try readU8()))))
            case 0x43: // SHORT_BINBYTES
                push(.bytes(Array(try readBytes(Int(try readU8())))))
            case 0x42: // BINBYTES
                push(.bytes(Array(try readBytes(Int(try readU32())))))
            case 0x8e: // BINBYTES8
                push(.bytes(Array(try readBytes(try checkedInt(try readU64(), file, "BINBYTES8 length")))))
            case 0x29: push(.tuple([]))                 // EMPTY_TUPLE
            case 0x5d: push(newList([]))                // EMPTY_LIST
            case 0x7d: push(newDict())                  // EMPTY_DICT
            case 0x74: try pushTuple(try popToMark())   // TUPLE
            case 0x85: // TUPLE1
                try pushTuple([try popSlot()])
            case 0x86: // TUPLE2
                let b = try popSlot(), a = try popSlot()
                try pushTuple([a, b])
            case 0x87: // TUPLE3
                let c = try popSlot(), b = try popSlot(), a = try popSlot()
                try pushTuple([a, b, c])
            case 0x6c: // LIST
                push(newList(try popToMark().map(\.value)))
            case 0x61: // APPEND
                let item = try pop()
                try appendItems([item], to: try top())
            case 0x65: // APPENDS
                let items = try popToMark()
                try appendItems(items.map(\.value), to: try top())
            case 0x73: // SETITEM
                let value = try pop(), key = try pop()
                try setItems([key, value], in: try top())
            case 0x75: // SETITEMS
                let items = try popToMark()
                try setItems(items.map(\.value), in: try top())
            case 0x71: memo[Int(try readU8())] = try topSlot()    // BINPUT
            case 0x72: memo[Int(try readU32())] = try topSlot()   // LONG_BINPUT
            case 0x94: memo[memo.count] = try topSlot()           // MEMOIZE
            case 0x68: stack.append(try memoGet(Int(try readU8())))   // BINGET
            case 0x6a: stack.append(try memoGet(Int(try readU32())))  // LONG_BINGET
            case 0x63: // GLOBAL
                let module = try readLine()
                let name = try readLine()
                push(.global(try resolveGlobal(module, name)))
            case 0x93: // STACK_GLOBAL
                let name = try pop(), module = try pop()
                guard case .string(let n) = name, case .string(let m) = module else {
                    throw fail("STACK_GLOBAL operands are not strings")
                }
                push(.global(try resolveGlobal(m, n)))
            case 0x52: // REDUCE
                let args = try pop(), callable = try pop()
                push(try call(callable, args))
            case 0x81: // NEWOBJ
                let args = try pop(), cls = try pop()
                guard case .global(.orderedDict) = cls else { throw fail("NEWOBJ of an object other than OrderedDict") }
                push(try call(cls, args))
            case 0x62: // BUILD
                let state = try pop()
                try build(try top(), state)
            case 0x51: // BINPERSID
                push(try persistentLoad(try pop()))
            default:
                throw fail("unsupported pickle opcode 0x\(String(op, radix: 16))")
            }
        }
    }

    /// Looks a global up in the allowlist; anything else is refused, by name.
    func resolveGlobal(_ module: String, _ name: String) throws -> PickleGlobal {
        guard let global = PickleGlobal.allowed[module + "." + name] else {
            throw ToolkitError(file, "refused pickle global \(module).\(name) at offset \(opcodeOffset): only state-dict globals (OrderedDict, torch tensor rebuilders, storage types) are allowed; nothing was executed")
        }
        return global
    }

    func appendItems(_ items: [PickleValue], to target: PickleValue) throws {
        guard case .list(let list) = target else { throw fail("APPEND to something that is not a list") }
        list.items.append(contentsOf: items)
    }

    func setItems(_ items: [PickleValue], in target: PickleValue) throws {
        guard case .dict(let dict) = target else { throw fail("SETITEM on something that is not a dict") }
        guard items.count % 2 == 0 else { throw fail("SETITEMS with an odd number of values") }
        for i in stride(from: 0, to: items.count, by: 2) {
            // Integer keys (an optimizer's per-parameter state) are kept as their decimal text.
            switch items[i] {
            case .string(let key): dict.set(key, items[i + 1])
            case .int(let key): dict.set(String(key), items[i + 1])
            default: throw fail("dict key is neither a string nor an integer")
            }
        }
    }

    /// BUILD sets an object's attributes; on a state dict that is only `_metadata`, which is not needed.
    func build(_ target: PickleValue, _ state: PickleValue) throws {
        guard case .dict = target else { throw fail("BUILD on something that is not an OrderedDict") }
    }

    /// "Calls" an allowed global by building the value it stands for.
    func call(_ callable: PickleValue, _ args: PickleValue) throws -> PickleValue {
        guard case .global(let global) = callable else { throw fail("REDUCE of something that is not a global") }
        guard case .tuple(let a) = args else { throw fail("REDUCE arguments are not a tuple") }
        switch global {
        case .orderedDict:
            guard a.isEmpty else { throw fail("OrderedDict called with arguments") }
            return newDict()
        case .rebuildTensorV2, .rebuildTensor:
            let expected = global == .rebuildTensor ? 4...4 : 6...7
            guard expected.contains(a.count) else { throw fail("tensor rebuild with \(a.count) arguments") }
            guard case .storage(let storage) = a[0] else { throw fail("tensor rebuild without a storage") }
            guard case .int(let offset) = a[1], let shape = ints(a[2]), let stride = ints(a[3]) else {
                throw fail("tensor rebuild with a malformed offset, size or stride")
            }
            return .tensor(TensorRef(storage: storage, offset: offset, shape: shape, stride: stride))
        case .rebuildParameter:
            guard a.count == 3, case .tensor = a[0] else { throw fail("_rebuild_parameter without a tensor") }
            return a[0]
        case .storageType(let dtype), .dtype(let dtype):
            throw fail("\(dtype.rawValue) type cannot be called")
        }
    }

    /// A tuple of integers (a size or stride).
    func ints(_ value: PickleValue) -> [Int]? {
        guard case .tuple(let items) = value else { return nil }
        var result: [Int] = []
        for item in items {
            guard case .int(let i) = item else { return nil }
            result.append(i)
        }
        return result
    }
}

extension PickleGlobal: Equatable {}
