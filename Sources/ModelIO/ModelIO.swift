/// Checkpoint loading: the public entry points of ModelIO (see README.md in this folder).
import Foundation
import QuantCore

/// A loaded checkpoint: every tensor of a state dict, converted to Float32 in PyTorch's shape and
/// row-major order, with the original element type and the file's metadata.
public struct Checkpoint: Sendable {
    /// The file the checkpoint was read from.
    public var path: String
    /// "safetensors", "torch-zip" or "torch-legacy".
    public var format: String
    /// Tensor names in file order.
    public var names: [String]
    /// Every tensor converted to Float32 (row-major, PyTorch shape).
    public var tensors: [String: Tensor]
    /// Original element type per tensor: "F32", "F16", "BF16", "F64", "I64", "I32", "I16", "U8", "I8", "BOOL".
    public var dtypes: [String: String]
    /// safetensors `__metadata__`; for `.pth` files, the non-tensor scalar entries of the pickled dict.
    public var metadata: [String: String]

    public init(path: String, format: String, names: [String], tensors: [String: Tensor],
                dtypes: [String: String], metadata: [String: String]) {
        self.path = path
        self.format = format
        self.names = names
        self.tensors = tensors
        self.dtypes = dtypes
        self.metadata = metadata
    }

    /// A human-readable listing for `quantize inspect FILE`: one line per tensor (name, dtype, shape),
    /// the metadata, then totals (tensor count, parameter count, bytes in the original dtypes).
    public func summary() -> String {
        var lines = ["\(path) (\(format))"]
        let width = names.map(\.count).max() ?? 0
        var elements = 0
        var bytes = 0
        for name in names {
            let dtype = dtypes[name] ?? "?"
            let shape = tensors[name]?.shape ?? []
            let count = tensors[name]?.count ?? 0
            elements += count
            bytes += count * (DType(rawValue: dtype)?.size ?? 0)
            let padded = name.padding(toLength: width, withPad: " ", startingAt: 0)
            lines.append("  \(padded)  \(dtype.padding(toLength: 4, withPad: " ", startingAt: 0))  [\(shape.map(String.init).joined(separator: ", "))]")
        }
        if !metadata.isEmpty {
            lines.append("metadata:")
            for key in metadata.keys.sorted() { lines.append("  \(key) = \(metadata[key] ?? "")") }
        }
        lines.append("\(names.count) tensors, \(elements) parameters, \(bytes) bytes")
        return lines.joined(separator: "\n")
    }
}

/// Loads a checkpoint, detecting the format from its first bytes (not the extension): a plausible
/// safetensors header (a length that fits the file, then `{`) is safetensors, a zip archive is a
/// `torch.save` zip file, a pickle protocol 2–5 opcode is a legacy (pre-1.6) `torch.save` file, and
/// anything else is reported as a malformed safetensors file. Every failure throws a `ToolkitError` naming the file.
public func loadCheckpoint(_ path: String) throws -> Checkpoint {
    try readCheckpoint(try mappedFile(path, "checkpoint"), path: path)
}

/// The bytes of the model file at `path`, memory-mapped (checkpoints, ONNX, `.tflite`); a file
/// that cannot be read is `error: PATH: cannot read <what>: <reason>`.
func mappedFile(_ path: String, _ what: String) throws -> Data {
    do {
        return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
    } catch {
        throw ToolkitError(path, "cannot read \(what): \(error.localizedDescription)")
    }
}

/// Reads a checkpoint from its bytes, detecting the format as `loadCheckpoint` does; `path` names
/// it in errors.
public func readCheckpoint(_ data: Data, path: String) throws -> Checkpoint {
    guard !data.isEmpty else { throw ToolkitError(path, "empty file: not a checkpoint") }
    return try data.withUnsafeBytes { raw in
        let bytes = ByteView(raw: raw, file: path)
        if raw.count >= 9, raw[8] == UInt8(ascii: "{"), let length = try? bytes.u64(0, "header length"),
           length <= UInt64(raw.count - 8) {
            return try readSafetensors(bytes)
        }
        if raw.count >= 4, raw[0] == 0x50, raw[1] == 0x4b, raw[2] == 0x03, raw[3] == 0x04 {
            return try readTorchZip(bytes)
        }
        if raw.count >= 2, raw[0] == 0x80, (2...5).contains(raw[1]) {
            return try readTorchLegacy(bytes)
        }
        return try readSafetensors(bytes)
    }
}
