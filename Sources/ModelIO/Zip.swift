/// A minimal zip reader for `torch.save` archives: the end-of-central-directory record (and its
/// zip64 form), the central directory, and each entry's local header. Entries must be stored
/// (uncompressed), as `torch.save` writes them; compressed or encrypted entries are refused.
import QuantCore

/// One stored member of a zip archive: its name and where its bytes are in the file.
struct ZipEntry {
    var name: String
    var offset: Int
    var size: Int
}

/// Reads the central directory of the zip archive in `bytes`, keyed by entry name.
func readZipDirectory(_ bytes: ByteView) throws -> [String: ZipEntry] {
    let file = bytes.file
    // The end-of-central-directory record is 22 bytes plus a comment of up to 65535 bytes.
    let lastStart = bytes.count - 22
    guard lastStart >= 0 else { throw ToolkitError(file, "truncated zip archive: no end-of-central-directory record") }
    var eocd = -1
    for start in stride(from: lastStart, through: max(0, lastStart - 65535), by: -1)
    where try bytes.u32(start, "zip end record") == 0x0605_4b50 {
        eocd = start
        break
    }
    guard eocd >= 0 else { throw ToolkitError(file, "zip archive without an end-of-central-directory record") }

    var entryCount = UInt64(try bytes.u16(eocd + 10, "zip entry count"))
    var directorySize = UInt64(try bytes.u32(eocd + 12, "zip central directory size"))
    var directoryOffset = UInt64(try bytes.u32(eocd + 16, "zip central directory offset"))
    if entryCount == 0xffff || directorySize == 0xffff_ffff || directoryOffset == 0xffff_ffff {
        // zip64: a locator just before the end record points at the zip64 end record.
        let locator = eocd - 20
        guard locator >= 0, try bytes.u32(locator, "zip64 locator") == 0x0706_4b50 else {
            throw ToolkitError(file, "zip archive needs zip64 fields but has no zip64 locator")
        }
        let record = try checkedInt(try bytes.u64(locator + 8, "zip64 end record offset"), file, "zip64 end record offset")
        guard try bytes.u32(record, "zip64 end record") == 0x0606_4b50 else {
            throw ToolkitError(file, "zip64 locator does not point at a zip64 end record")
        }
        entryCount = try bytes.u64(record + 32, "zip64 entry count")
        directorySize = try bytes.u64(record + 40, "zip64 central directory size")
        directoryOffset = try bytes.u64(record + 48, "zip64 central directory offset")
    }
    let start = try checkedInt(directoryOffset, file, "zip central directory offset")
    let size = try checkedInt(directorySize, file, "zip central directory size")
    try bytes.check(start, size, "zip central directory")

    var entries: [String: ZipEntry] = [:]
    var position = start
    var remaining = entryCount
    while remaining > 0 {
        remaining -= 1
        guard position + 46 <= start + size, try bytes.u32(position, "zip directory entry") == 0x0201_4b50 else {
            throw ToolkitError(file, "corrupt zip central directory at offset \(position)")
        }
        let flags = try bytes.u16(position + 8, "zip entry flags")
        let method = try bytes.u16(position + 10, "zip entry method")
        var compressed = UInt64(try bytes.u32(position + 20, "zip entry size"))
        var uncompressed = UInt64(try bytes.u32(position + 24, "zip entry size"))
        let nameLength = Int(try bytes.u16(position + 28, "zip entry name length"))
        let extraLength = Int(try bytes.u16(position + 30, "zip entry extra length"))
        let commentLength = Int(try bytes.u16(position + 32, "zip entry comment length"))
        var localOffset = UInt64(try bytes.u32(position + 42, "zip local header offset"))
        let nameBytes = try bytes.slice(position + 46, nameLength, "zip entry name")
        guard let name = String(validating: nameBytes, as: UTF8.self) else {
            throw ToolkitError(file, "zip entry name at offset \(position) is not valid UTF-8")
        }
        // The zip64 extra field holds, in order, whichever of the three fields above are 0xffffffff.
        var extra = position + 46 + nameLength
        let extraEnd = extra + extraLength
        while extra + 4 <= extraEnd {
            let id = try bytes.u16(extra, "zip extra field")
            let length = Int(try bytes.u16(extra + 2, "zip extra field"))
            if id == 0x0001 {
                var field = extra + 4
                let fieldEnd = field + length
                func widen(_ value: inout UInt64) throws {
                    guard value == 0xffff_ffff else { return }
                    guard field + 8 <= fieldEnd else { throw ToolkitError(file, "zip entry \(name): short zip64 extra field") }
                    value = try bytes.u64(field, "zip64 extra field")
                    field += 8
                }
                try widen(&uncompressed)
                try widen(&compressed)
                try widen(&localOffset)
            }
            extra += 4 + length
        }
        guard flags & 1 == 0 else { throw ToolkitError(file, "zip entry \(name) is encrypted") }
        guard method == 0 else {
            throw ToolkitError(file, "zip entry \(name) is compressed (method \(method)); only stored (uncompressed) entries are supported, as torch.save writes them")
        }
        guard compressed == uncompressed else {
            throw ToolkitError(file, "zip entry \(name) is stored but its sizes differ (\(compressed) vs \(uncompressed))")
        }
        let local = try checkedInt(localOffset, file, "zip local header offset")
        guard try bytes.u32(local, "zip local header of \(name)") == 0x0403_4b50 else {
            throw ToolkitError(file, "zip entry \(name): no local header at offset \(local)")
        }
        let localName = Int(try bytes.u16(local + 26, "zip local header of \(name)"))
        let localExtra = Int(try bytes.u16(local + 28, "zip local header of \(name)"))
        let dataStart = local + 30 + localName + localExtra
        let dataSize = try checkedInt(compressed, file, "zip entry \(name) size")
        try bytes.check(dataStart, dataSize, "zip entry \(name)")
        guard entries[name] == nil else { throw ToolkitError(file, "zip archive has two entries named \(name)") }
        entries[name] = ZipEntry(name: name, offset: dataStart, size: dataSize)
        position = extraEnd + commentLength
    }
    return entries
}
