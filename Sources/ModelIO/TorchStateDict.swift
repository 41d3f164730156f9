/// What both `torch.save` formats share: storage persistent ids, turning the unpickled state dict
/// into named tensor references, and materializing strided tensors from raw storages.
import QuantCore

/// Parses a storage persistent id: `('storage', storage_type, key, location, numel)`, with a sixth
/// `view_metadata` element in the legacy format (`None`, or `(view_key, offset, view_size)` for a
/// view into the root storage `key`).
func storageRef(from pid: PickleValue, _ file: String) throws -> PickleValue {
    guard case .tuple(let items) = pid, items.count == 5 || items.count == 6,
          case .string("storage") = items[0] else {
        throw ToolkitError(file, "unsupported persistent id in pickle (expected a 'storage' tuple)")
    }
    guard case .global(.storageType(let dtype)) = items[1] else {
        throw ToolkitError(file, "storage persistent id without a storage type")
    }
    guard case .string(let key) = items[2], case .int(let count) = items[4], count >= 0 else {
        throw ToolkitError(file, "storage persistent id with a malformed key or size")
    }
    var storage = StorageRef(key: key, dtype: dtype, rootCount: count, base: 0, count: count)
    if items.count == 6, case .tuple(let view) = items[5] {
        guard view.count == 3, case .int(let base) = view[1], case .int(let viewCount) = view[2],
              base >= 0, viewCount >= 0, viewCount <= count - base else {
            throw ToolkitError(file, "storage '\(key)' has malformed view metadata")
        }
        storage.base = base
        storage.count = viewCount
    }
    return .storage(storage)
}

/// Bytes in a whole root storage, throwing if the declared element count overflows.
func byteCount(_ storage: StorageRef, _ file: String) throws -> Int {
    let (bytes, overflow) = storage.rootCount.multipliedReportingOverflow(by: storage.dtype.size)
    guard !overflow else { throw ToolkitError(file, "storage '\(storage.key)' declares an impossible size \(storage.rootCount)") }
    return bytes
}

/// The tensors of an unpickled state dict, in insertion order, plus its scalar entries as metadata.
/// Nested dicts (e.g. `{"state_dict": {...}}`) are flattened with dotted names.
/// Non-tensor scalars (an epoch number, say) become metadata; lists and tuples (an optimizer's
/// `param_groups`) are skipped.
struct StateDictEntries {
    var tensors: [(name: String, tensor: TensorRef)] = []
    var metadata: [String: String] = [:]

    init(_ root: PickleValue, _ file: String) throws {
        guard case .dict(let dict) = root else { throw ToolkitError(file, "the pickle does not hold a dict of tensors") }
        try collect(dict, prefix: "", depth: 1, file)
    }

    /// Dicts nested deeper than this (or a dict that contains itself) are refused.
    static let maxDepth = 16

    private mutating func collect(_ dict: PickleDict, prefix: String, depth: Int, _ file: String) throws {
        guard depth <= Self.maxDepth else {
            throw ToolkitError(file, "dicts nested more than \(Self.maxDepth) deep at '\(prefix)'")
        }
        for key in dict.keys {
            let name = prefix + key
            guard let value = dict[key] else { continue }
            switch value {
            case .tensor(let tensor): tensors.append((name, tensor))
            case .dict(let nested): try collect(nested, prefix: name + ".", depth: depth + 1, file)
            case .int(let v): metadata[name] = String(v)
            case .float(let v): metadata[name] = String(v)
            case .bool(let v): metadata[name] = v ? "True" : "False"
            case .string(let v): metadata[name] = v
            case .none: metadata[name] = "None"
            // Lists and the like hold no state-dict tensors (an optimizer's `param_groups`, say): skipped.
            case .list, .tuple, .bytes, .bigInt: continue
            default: throw ToolkitError(file, "entry '\(name)' is neither a tensor, a dict, a list nor a scalar")
            }
        }
    }
}

/// Builds the checkpoint: converts each root storage once (`storageBytes` gives its raw bytes, already
/// checked to hold `rootCount` elements), then copies each tensor's strided view out of it.
func materializeCheckpoint(_ entries: StateDictEntries, format: String, _ file: String,
                           storageBytes: (StorageRef) throws -> UnsafeRawBufferPointer) throws -> Checkpoint {
    var converted: [String: (storage: StorageRef, values: [Float])] = [:]
    var tensors: [String: Tensor] = [:]
    var dtypes: [String: String] = [:]
    var names: [String] = []
    // Tensors may share a storage or broadcast it (zero strides), so their total size is bounded
    // here, not by the file: at most the storages' elements plus `maxBroadcastElements`.
    var rootElements: [String: Int] = [:]
    for (_, ref) in entries.tensors { rootElements[ref.storage.key] = ref.storage.rootCount }
    var budget = rootElements.values.reduce(maxBroadcastElements) { let (sum, overflow) = $0.addingReportingOverflow($1); return overflow ? Int.max : sum }
    for (name, ref) in entries.tensors {
        let storage = ref.storage
        let count = try elementCount(ref.shape, file, "tensor '\(name)'")
        budget -= count
        // (A single tensor far past its storage gets `stridedCopy`'s more specific error.)
        guard budget >= 0 || count > max(ref.storage.count, maxBroadcastElements) else {
            throw ToolkitError(file, "tensor '\(name)': the tensors hold more elements than their storages plus \(maxBroadcastElements) (shared or broadcast storages); refused to avoid unbounded memory")
        }
        if converted[storage.key] == nil {
            let raw = try storageBytes(storage)
            converted[storage.key] = (storage, storage.dtype.toFloat(raw, count: storage.rootCount))
        }
        guard let root = converted[storage.key], root.storage.dtype == storage.dtype,
              root.storage.rootCount == storage.rootCount else {
            throw ToolkitError(file, "storage '\(storage.key)' is declared with different types or sizes")
        }
        let values = try stridedCopy(ref, from: root.values, file, name)
        if storage.dtype.isFloatingPoint { try checkFinite(values, file, name) }
        guard tensors[name] == nil else { throw ToolkitError(file, "two tensors are named '\(name)'") }
        tensors[name] = Tensor(shape: ref.shape, values: values)
        dtypes[name] = storage.dtype.rawValue
        names.append(name)
    }
    return Checkpoint(path: file, format: format, names: names, tensors: tensors, dtypes: dtypes,
                      metadata: entries.metadata)
}

/// The most elements a broadcast (zero- or overlapping-stride) tensor may expand to: 64 MB of Float32.
let maxBroadcastElements = 1 << 24

/// The row-major values of a strided view (`offset`, `shape`, `stride`, in elements of the storage
/// window), after checking that every element it reaches lies inside the window.
func stridedCopy(_ ref: TensorRef, from root: [Float], _ file: String, _ name: String) throws -> [Float] {
    let shape = ref.shape, stride = ref.stride
    guard shape.count == stride.count, ref.offset >= 0, stride.allSatisfy({ $0 >= 0 }) else {
        throw ToolkitError(file, "tensor '\(name)' has a malformed size \(shape) / stride \(stride) / offset \(ref.offset)")
    }
    let count = try elementCount(shape, file, "tensor '\(name)'")
    if count == 0 { return [] }
    // Only zero or overlapping strides reach fewer elements than they produce; bound what they may produce.
    guard count <= max(ref.storage.count, maxBroadcastElements) else {
        throw ToolkitError(file, "tensor '\(name)' has \(count) elements, far more than its storage '\(ref.storage.key)' holds (\(ref.storage.count))")
    }
    var last = ref.offset
    for (size, step) in zip(shape, stride) {
        let (reach, overflow1) = (size - 1).multipliedReportingOverflow(by: step)
        let (sum, overflow2) = last.addingReportingOverflow(reach)
        guard !overflow1, !overflow2 else { throw ToolkitError(file, "tensor '\(name)' has strides that overflow") }
        last = sum
    }
    guard last < ref.storage.count else {
        throw ToolkitError(file, "tensor '\(name)' reaches element \(last) of storage '\(ref.storage.key)', which has \(ref.storage.count)")
    }
    let start = ref.storage.base + ref.offset
    // Row-major strides (ignoring size-1 dimensions) mean one contiguous run.
    var expected = 1
    var contiguous = true
    for (size, step) in zip(shape, stride).reversed() where size != 1 {
        if step != expected { contiguous = false; break }
        expected *= size
    }
    if contiguous { return Array(root[start..<(start + count)]) }

    let rank = shape.count
    let inner = shape[rank - 1], innerStep = stride[rank - 1]
    return [Float](unsafeUninitializedCapacity: count) { out, initialized in
        root.withUnsafeBufferPointer { src in
            var index = [Int](repeating: 0, count: rank)
            var base = start
            var written = 0
            while written < count {
                for j in 0..<inner { out[written + j] = src[base + j * innerStep] }
                written += inner
                // Advance the outer index like an odometer.
                var d = rank - 2
                while d >= 0 {
                    index[d] += 1
                    base += stride[d]
                    if index[d] < shape[d] { break }
                    base -= stride[d] * shape[d]
                    index[d] = 0
                    d -= 1
                }
            }
            initialized = count
        }
    }
}
