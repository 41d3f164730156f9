import QuantCore

/// Bytes per CIFAR-10 binary record: 1 label byte, then 32×32 R, G and B planes.
public let cifar10RecordSize = 1 + 3 * 32 * 32

/// Parses a CIFAR-10 binary batch (`data_batch_N.bin`, `test_batch.bin`): records of a label
/// byte (0–9) and three 32×32 planes (R, G, B), converted to 32×32×3 HWC images. Reads at most
/// `limit` records. `classNames` is left empty (the loader fills it from `batches.meta.txt`).
public func readCIFAR10Batch(_ data: [UInt8], path: String, limit: Int? = nil) throws -> ImageSet {
    guard !data.isEmpty else { throw ToolkitError(path, "CIFAR-10 batch is empty") }
    guard data.count % cifar10RecordSize == 0 else {
        throw ToolkitError(path, "CIFAR-10 batch is truncated or not CIFAR-10: \(data.count) bytes is not a whole number of "
                           + "\(cifar10RecordSize)-byte records (last record has \(data.count % cifar10RecordSize) bytes)")
    }
    let count = min(data.count / cifar10RecordSize, limit ?? Int.max)
    let plane = 32 * 32
    var pixels = [UInt8](repeating: 0, count: count * 3 * plane)
    var labels = [Int](repeating: 0, count: count)
    try data.withUnsafeBufferPointer { src in
        try pixels.withUnsafeMutableBufferPointer { dst in
            for r in 0..<count {
                let record = r * cifar10RecordSize
                let label = Int(src[record])
                guard label <= 9 else {
                    throw ToolkitError(path, "record \(r) has label \(label); CIFAR-10 labels are 0–9 (is this CIFAR-100?)")
                }
                labels[r] = label
                let out = r * 3 * plane
                for i in 0..<plane {
                    dst[out + 3 * i] = src[record + 1 + i]
                    dst[out + 3 * i + 1] = src[record + 1 + plane + i]
                    dst[out + 3 * i + 2] = src[record + 1 + 2 * plane + i]
                }
            }
        }
    }
    return ImageSet(height: 32, width: 32, channels: 3, pixels: pixels, labels: labels,
                    names: (0..<count).map { "record \($0)" }, source: path)
}
