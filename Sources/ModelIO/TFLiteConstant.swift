/// Constant tensors of a `.tflite`: the one place where both importers — the int8 importer
/// (`TFLiteImport.swift`) and the float importer in Models (`TFLiteFloatImport.swift`) — read a
/// tensor's data, with its checks, and decode its elements.
import QuantCore

/// The checked data of a constant tensor (see `TFLiteModel.constant`).
public struct TFLiteConstant: Sendable {
    /// The tensor's shape (every dimension ≥ 0).
    public var shape: [Int]
    /// The tensor's buffer: exactly its elements (INT4 packed two per byte), a slice of the file.
    public var bytes: ArraySlice<UInt8>

    /// The elements read as little-endian 32-bit words (an int32 or float32 tensor).
    private var words: [UInt32] {
        stride(from: bytes.startIndex, to: bytes.endIndex - 3, by: 4).map { k in
            UInt32(bytes[k]) | UInt32(bytes[k + 1]) << 8 | UInt32(bytes[k + 2]) << 16 | UInt32(bytes[k + 3]) << 24
        }
    }
    /// The elements of an int32 tensor.
    public var int32s: [Int32] { words.map { Int32(bitPattern: $0) } }
    /// The elements of a float32 tensor (not checked for NaN or infinity).
    public var floats: [Float] { words.map { Float(bitPattern: $0) } }
}

extension TFLiteModel {
    /// Whether tensor `t` has data in the file: a buffer index other than 0 (the sentinel), inside
    /// the file's buffers, whose buffer is not empty.
    public func hasData(_ t: TFLiteTensor) -> Bool {
        t.buffer != 0 && Int(t.buffer) < buffers.count && !buffers[Int(t.buffer)].isEmpty
    }

    /// The data of constant tensor `t`, checked: of `type` when one is given, dense (no sparsity
    /// parameters), with data, a shape of dimensions ≥ 0 and at most 2³¹ elements, and a buffer
    /// of exactly those elements (`TFLiteType.byteSize` bytes each; INT4 two per byte).
    /// `what` begins each message (`"operator 3 (CONV_2D): tensor"`, `"filter"`); a failed check is
    /// `ToolkitError(path, "<what> `<name>` <what is wrong>")`.
    public func constant(_ t: TFLiteTensor, _ what: String, path: String, type: TFLiteType? = nil) throws -> TFLiteConstant {
        func fail(_ problem: String) -> ToolkitError { ToolkitError(path, "\(what) `\(t.name)` \(problem)") }
        if let type, t.type != type { throw fail("is \(t.type); supported: \(type)") }
        guard !t.isSparse else { throw fail("is sparse; supported: dense") }
        guard hasData(t) else { throw fail("has no data; supported: a constant") }
        var count = 1
        for d in t.shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: Int(d))
            guard d >= 0, !overflow, p <= 1 << 31 else { throw fail("has shape \(t.shape)") }
            count = p
        }
        let bytes = buffers[Int(t.buffer)]
        let expected = t.type == .int4 ? packedInt4Bytes(count) : t.type.byteSize.map { $0 * count }
        guard expected == bytes.count else { throw fail("holds \(bytes.count) bytes, not its \(t.shape) \(t.type) elements") }
        return TFLiteConstant(shape: t.shape.map(Int.init), bytes: bytes)
    }
}
