/// The `torch.save` zip format (PyTorch ≥ 1.6): a stored zip archive holding `<name>/data.pkl`
/// (the state dict pickle, storages as persistent ids) and each storage's raw little-endian
/// bytes as `<name>/data/<key>`.
import QuantCore

/// Reads a `torch.save` zip archive.
func readTorchZip(_ bytes: ByteView) throws -> Checkpoint {
    let file = bytes.file
    let entries = try readZipDirectory(bytes)
    guard let pickle = entries.keys.sorted().first(where: { $0 == "data.pkl" || $0.hasSuffix("/data.pkl") }),
          let pickleEntry = entries[pickle] else {
        throw ToolkitError(file, "zip archive has no data.pkl: not a torch.save checkpoint")
    }
    let prefix = String(pickle.dropLast("data.pkl".count))
    if let order = entries[prefix + "byteorder"] {
        let text = String(decoding: try bytes.slice(order.offset, order.size, "byteorder"), as: UTF8.self)
        guard text == "little" else { throw ToolkitError(file, "storages are stored \(text)-endian; only little-endian is supported") }
    }

    let pickleBytes = ByteView(raw: try bytes.slice(pickleEntry.offset, pickleEntry.size, pickle), file: file)
    let (state, _) = try unpickle(pickleBytes, at: 0, persistentLoad: { try storageRef(from: $0, file) },
                                  read: { try StateDictEntries($0, file) })
    return try materializeCheckpoint(state, format: "torch-zip", file) { storage in
        let name = prefix + "data/" + storage.key
        guard let entry = entries[name] else { throw ToolkitError(file, "storage '\(storage.key)' is missing: no entry \(name)") }
        let needed = try byteCount(storage, file)
        guard entry.size >= needed else {
            throw ToolkitError(file, "storage \(name) has \(entry.size) bytes, fewer than \(storage.rootCount) \(storage.dtype.rawValue) elements")
        }
        return try bytes.slice(entry.offset, needed, name)
    }
}
