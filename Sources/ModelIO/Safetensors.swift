/// The safetensors format: an 8-byte little-endian header length, a JSON header mapping each tensor
/// name to its dtype, shape and byte range (plus an optional `__metadata__` of strings), then the
/// raw little-endian tensor bytes. Offsets are relative to the end of the header.
import Foundation
import QuantCore

/// Reads a safetensors file, validating every offset pair against the data buffer.
func readSafetensors(_ bytes: ByteView) throws -> Checkpoint {
    let file = bytes.file
    guard bytes.count >= 8 else {
        throw ToolkitError(file, "truncated: \(bytes.count) bytes, shorter than the 8-byte safetensors header length")
    }
    let headerLength = try bytes.u64(0, "header length")
    guard headerLength <= UInt64(bytes.count - 8) else {
        throw ToolkitError(file, "header length \(headerLength) runs past the end of the file (\(bytes.count) bytes)")
    }
    let header = try bytes.slice(8, Int(headerLength), "header")
    let dataStart = 8 + Int(headerLength)
    let buffer = try bytes.slice(dataStart, bytes.count - dataStart, "tensor data")

    let json: Any
    do {
        json = try JSONSerialization.jsonObject(with: Data(header))
    } catch {
        throw ToolkitError(file, "malformed safetensors header JSON: \(error.localizedDescription)")
    }
    guard let entries = json as? [String: Any] else {
        throw ToolkitError(file, "malformed safetensors header JSON: the top level is not an object")
    }

    var metadata: [String: String] = [:]
    if let meta = entries["__metadata__"] {
        guard let fields = meta as? [String: Any] else {
            throw ToolkitError(file, "safetensors __metadata__ is not an object")
        }
        for (key, value) in fields {
            guard let text = value as? String else {
                throw ToolkitError(file, "safetensors __metadata__ field '\(key)' is not a string")
            }
            metadata[key] = text
        }
    }

    struct Entry { var name: String; var dtype: DType; var shape: [Int]; var begin: Int; var end: Int }
    var list: [Entry] = []
    for name in entries.keys.sorted() where name != "__metadata__" {
        guard let info = entries[name] as? [String: Any] else {
            throw ToolkitError(file, "tensor '\(name)': header entry is not an object")
        }
        guard let dtypeName = info["dtype"] as? String else {
            throw ToolkitError(file, "tensor '\(name)': missing dtype")
        }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw ToolkitError(file, "tensor '\(name)' has unknown dtype '\(dtypeName)'")
        }
        guard let shape = jsonInts(info["shape"]) else {
            throw ToolkitError(file, "tensor '\(name)': shape is not a list of non-negative integers")
        }
        guard let offsets = jsonInts(info["data_offsets"]), offsets.count == 2 else {
            throw ToolkitError(file, "tensor '\(name)': data_offsets is not a pair of non-negative integers")
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end else {
            throw ToolkitError(file, "tensor '\(name)': data_offsets [\(begin), \(end)] begin after they end")
        }
        guard end <= buffer.count else {
            throw ToolkitError(file, "tensor '\(name)': data_offsets [\(begin), \(end)] run past the data buffer (\(buffer.count) bytes)")
        }
        let count = try elementCount(shape, file, "tensor '\(name)'")
        let (expected, overflow) = count.multipliedReportingOverflow(by: dtype.size)
        guard !overflow, expected == end - begin else {
            throw ToolkitError(file, "tensor '\(name)': \(end - begin) bytes at data_offsets [\(begin), \(end)] do not match shape \(shape) of \(dtypeName) (\(count) elements × \(dtype.size) bytes)")
        }
        list.append(Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end))
    }

    // File order is byte order; sorting also makes the overlap check a neighbour comparison.
    list.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
    for (previous, next) in zip(list, list.dropFirst()) where next.begin < previous.end {
        throw ToolkitError(file, "tensors '\(previous.name)' [\(previous.begin), \(previous.end)] and '\(next.name)' [\(next.begin), \(next.end)] overlap")
    }

    var tensors: [String: Tensor] = [:]
    var dtypes: [String: String] = [:]
    for entry in list {
        let raw = UnsafeRawBufferPointer(rebasing: buffer[entry.begin..<entry.end])
        let values = entry.dtype.toFloat(raw, count: (entry.end - entry.begin) / entry.dtype.size)
        if entry.dtype.isFloatingPoint { try checkFinite(values, file, entry.name) }
        tensors[entry.name] = Tensor(shape: entry.shape, values: values)
        dtypes[entry.name] = entry.dtype.rawValue
    }
    return Checkpoint(path: file, format: "safetensors", names: list.map(\.name), tensors: tensors,
                      dtypes: dtypes, metadata: metadata)
}

/// A JSON array of non-negative integers, or nil (a fraction does not bridge to `Int`).
private func jsonInts(_ value: Any?) -> [Int]? {
    guard let array = value as? [Any] else { return nil }
    var result: [Int] = []
    result.reserveCapacity(array.count)
    for item in array {
        guard let int = item as? Int, int >= 0 else { return nil }
        result.append(int)
    }
    return result
}
