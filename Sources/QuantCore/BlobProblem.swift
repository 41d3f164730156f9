/// The kinds of problem a blob, or a model (`validateModel`), can have. Each has its own message
/// prefix, so every kind of bad input gives a distinct error; the C loader reports the same kinds
/// as distinct `q8_status` codes (see Docs/BLOB_FORMAT.md, "Validation").
public enum BlobProblem: String, Sendable {
    case truncated = "truncated blob"
    case magic = "not a model blob (bad magic)"
    case version = "unsupported blob version"
    case header = "bad header"
    case crc = "CRC mismatch"
    case bounds = "out of bounds"
    case align = "not 16-byte aligned"
    case strings = "bad string section"
    case op = "bad op"
    case tensor = "bad tensor"
    case shape = "shape mismatch"
    case parameter = "parameter out of range"
    case plan = "bad memory plan"

    /// A `ToolkitError` naming `file` whose message starts with this problem's prefix.
    public func error(_ file: String, _ detail: String) -> ToolkitError {
        ToolkitError(file, "\(rawValue): \(detail)")
    }
}
