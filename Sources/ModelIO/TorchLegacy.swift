/// The legacy `torch.save` format (before PyTorch 1.6): consecutive pickles — the magic number, the
/// protocol version (1001), system info, the state dict (storages as persistent ids), the list of
/// storage keys — then, for each key in that order, an 8-byte little-endian element count and the
/// storage's raw little-endian elements.
import QuantCore

/// `torch.serialization.MAGIC_NUMBER`, 0x1950a86a20f9469cfc6c, as little-endian bytes.
private let legacyMagic: [UInt8] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]

/// Reads a legacy `torch.save` file.
func readTorchLegacy(_ bytes: ByteView) throws -> Checkpoint {
    let file = bytes.file
    let noStorages: (PickleValue) throws -> PickleValue = { _ in
        throw ToolkitError(file, "unexpected persistent id in a legacy header pickle")
    }
    let magic = try unpickle(bytes, at: 0, persistentLoad: noStorages) { value -> Bool in
        if case .bigInt(legacyMagic) = value { return true }
        return false
    }
    guard magic.value else { throw ToolkitError(file, "pickle without the PyTorch magic number: not a torch.save checkpoint") }
    let version = try unpickle(bytes, at: magic.end, persistentLoad: noStorages) { value -> Bool in
        if case .int(1001) = value { return true }
        return false
    }
    guard version.value else { throw ToolkitError(file, "unsupported legacy torch protocol version") }
    let info = try unpickle(bytes, at: version.end, persistentLoad: noStorages) { value -> Bool in
        if case .dict(let sysInfo) = value, case .bool(true)? = sysInfo["little_endian"] { return true }
        return false
    }
    guard info.value else { throw ToolkitError(file, "legacy checkpoint was not written on a little-endian machine") }

    var storages: [String: StorageRef] = [:]
    let stateDict = try unpickle(bytes, at: info.end, persistentLoad: { pid in
        let value = try storageRef(from: pid, file)
        if case .storage(let ref) = value { storages[ref.key] = ref }
        return value
    }, read: { try StateDictEntries($0, file) })
    let keyList = try unpickle(bytes, at: stateDict.end, persistentLoad: noStorages) { value -> [String] in
        guard case .list(let list) = value else { throw ToolkitError(file, "legacy storage key list is missing") }
        return try list.items.map { item in
            guard case .string(let key) = item else { throw ToolkitError(file, "legacy storage key is not a string") }
            return key
        }
    }

    // The storages follow the key list back to back.
    var position = keyList.end
    var located: [String: UnsafeRawBufferPointer] = [:]
    for key in keyList.value {
        guard let storage = storages[key] else { throw ToolkitError(file, "storage '\(key)' is listed but no tensor uses it") }
        let count = try checkedInt(try bytes.u64(position, "element count of storage '\(key)'"), file, "storage size")
        guard count == storage.rootCount else {
            throw ToolkitError(file, "storage '\(key)' holds \(count) elements, but the pickle declares \(storage.rootCount)")
        }
        let size = try byteCount(storage, file)
        located[key] = try bytes.slice(position + 8, size, "storage '\(key)'")
        position += 8 + size
    }
    return try materializeCheckpoint(stateDict.value, format: "torch-legacy", file) { storage in
        guard let raw = located[storage.key] else { throw ToolkitError(file, "storage '\(storage.key)' is not in the storage key list") }
        return raw
    }
}
