import ModelIO
import QuantCore

/// A checkpoint's tensors as the builders consume them: every read names the shape the
/// architecture expects, and after building, any tensor nobody read is reported as unexpected.
/// Every failure is a `ToolkitError` on the checkpoint's path naming the key and both shapes.
final class StateDict {
    let path: String
    private let tensors: [String: Tensor]
    private let names: [String]
    private var used: Set<String> = []

    init(_ checkpoint: Checkpoint) {
        path = checkpoint.path
        tensors = checkpoint.tensors
        names = checkpoint.names.isEmpty ? checkpoint.tensors.keys.sorted() : checkpoint.names
    }

    /// Tensors read so far, and every key asked for (read or not), in order.
    var readCount: Int { used.count }
    func wasRead(_ key: String) -> Bool { used.contains(key) }
    private(set) var expectedKeys: [String] = []

    /// The shape of `key`, if present (does not mark it as read).
    func shape(_ key: String) -> [Int]? { tensors[key]?.shape }

    /// The values of `key`, which must have exactly `shape`.
    func take(_ key: String, _ shape: [Int]) throws -> [Float] {
        expectedKeys.append(key)
        guard let tensor = tensors[key] else {
            throw ToolkitError(path, "missing tensor `\(key)` (expected shape \(format(shape)))")
        }
        guard tensor.shape == shape else {
            throw ToolkitError(path, "tensor `\(key)`: expected shape \(format(shape)), found \(format(tensor.shape))")
        }
        used.insert(key)
        return tensor.values
    }

    /// Batch-norm statistics under `prefix` (`weight`, `bias`, `running_mean`, `running_var`).
    func batchNorm(_ prefix: String, channels: Int, eps: Float) throws -> BatchNorm {
        BatchNorm(gamma: try take(prefix + ".weight", [channels]), beta: try take(prefix + ".bias", [channels]),
                  mean: try take(prefix + ".running_mean", [channels]), variance: try take(prefix + ".running_var", [channels]),
                  eps: eps)
    }

    /// Throws if a tensor was never read (BatchNorm's `num_batches_tracked` counters excepted).
    func checkAllUsed(arch: String) throws {
        let unexpected = names.filter { !used.contains($0) && !$0.hasSuffix("num_batches_tracked") }
        guard let first = unexpected.first else { return }
        let more = unexpected.count > 1 ? " and \(unexpected.count - 1) more" : ""
        throw ToolkitError(path, "unexpected tensor `\(first)` (shape \(format(tensors[first]?.shape ?? []))) for \(arch)\(more)")
    }
}

/// `[a, b, c]` as PyTorch prints shapes.
func format(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
