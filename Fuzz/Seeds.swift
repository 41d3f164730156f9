/// Seed inputs: real files from ../shared and the repository's fixtures, and small files made here
/// at start-up (the mutations need small seeds to reach 10^6 inputs per reader in minutes).
import Foundation
import ImageIO
import QuantCore

/// The bytes of `path`, or nil when it does not exist (a missing ../shared only removes seeds).
func seedFile(_ path: String) -> [UInt8]? {
    FileManager.default.contents(atPath: path).map { [UInt8]($0) }
}

/// The files in `dir` whose names end with one of `suffixes`, sorted, at most `limit`.
func seedFiles(_ dir: String, _ suffixes: [String], limit: Int = 1000) -> [[UInt8]] {
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    return names.filter { n in suffixes.contains { n.hasSuffix($0) } }.prefix(limit).compactMap { seedFile(dir + "/" + $0) }
}

/// The repository root (the package directory: the current directory when run with `swift run`).
let repoRoot = FileManager.default.currentDirectoryPath

/// Little-endian bytes of an integer.
func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
/// Big-endian bytes of a 32-bit value.
func be32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * $0)) } }

/// A gzip member around `data`, with a correct CRC-32 and ISIZE: compressed by ImageIO's `deflate`
/// when `compress`, else in stored blocks (fast, for most fuzz inputs).
func gzip(_ data: [UInt8], compress: Bool = true) -> [UInt8] {
    var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255]
    if compress {
        out += deflate(data)
    } else {
        var start = 0
        repeat {
            let n = min(65535, data.count - start)
            out += [start + n == data.count ? 1 : 0] + le(UInt16(n)) + le(~UInt16(n))
            out += data[start..<(start + n)]
            start += n
        } while start < data.count
    }
    return out + le(crc32(data)) + le(UInt32(truncatingIfNeeded: data.count))
}

/// A safetensors file of `tensors` (name, dtype, shape, raw bytes) and string metadata.
func safetensors(_ tensors: [(String, String, [Int], [UInt8])], metadata: [String: String] = [:]) -> [UInt8] {
    var entries: [String] = []
    if !metadata.isEmpty {
        entries.append("\"__metadata__\":{" + metadata.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",") + "}")
    }
    var data: [UInt8] = []
    for (name, dtype, shape, bytes) in tensors {
        entries.append("\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(data.count),\(data.count + bytes.count)]}")
        data += bytes
    }
    let header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
    return le(UInt64(header.count)) + header + data
}

/// Small safetensors files covering every dtype, metadata, empty and scalar tensors.
func safetensorsSeeds() -> [[UInt8]] {
    let floats = (0..<12).flatMap { le(Float(Double($0) * 0.25 - 1).bitPattern) }
    return [
        safetensors([("features.0.0.weight", "F32", [3, 1, 2, 2], floats), ("features.0.1.bias", "F16", [3], [0, 60, 0, 188, 0, 0]),
                     ("classifier.weight", "BF16", [2, 2], [0, 63, 0, 191, 128, 63, 0, 64]),
                     ("features.0.1.num_batches_tracked", "I64", [], le(Int64(100)))],
                    metadata: ["arch": "mobilenet_v2", "num_classes": "10", "input_size": "32"]),
        safetensors([("a", "F64", [2], le(Double(1.5).bitPattern) + le(Double(-2).bitPattern)), ("b", "I32", [1], le(Int32(7))),
                     ("c", "I16", [2], le(Int16(-3)) + le(Int16(4))), ("d", "I8", [2], [0xFF, 1]), ("e", "U8", [1], [200]),
                     ("f", "BOOL", [2], [0, 1]), ("g", "F32", [0, 3], [])]),
        safetensors([]),
    ]
}

/// PGM/PPM files: real pixels with and without header comments.
func pnmSeeds(_ images: [DecodedImage]) -> [[UInt8]] {
    var seeds = images.compactMap { try? encodePNM($0) }
    if let gray = images.first(where: { $0.channels == 1 }) {
        seeds.append(Array("P5\n# a comment\n\(gray.width) \(gray.height)\n# another\n255\n".utf8) + gray.pixels)
    }
    return seeds
}

/// A .npy (format 1.0) file around raw element bytes.
func npy(descr: String, shape: [Int], body: [UInt8], version: UInt8 = 1) -> [UInt8] {
    let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dims)), }"
    let prefix = version == 1 ? 10 : 12
    while (prefix + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    let n = header.utf8.count
    let length: [UInt8] = version == 1 ? [UInt8(n & 0xFF), UInt8(n >> 8)] : le(UInt32(n))
    var out: [UInt8] = [0x93]
    out += Array("NUMPY".utf8)
    out += [version, 0]
    out += length
    out += Array(header.utf8)
    return out + body
}

/// NPY image sets in every accepted layout and dtype, from real pixels.
func npySeeds(gray: [UInt8], rgb: [UInt8]) -> [[UInt8]] {
    // gray: 2 images of 28x28; rgb: 2 images of 32x32x3 (HWC).
    var planar: [UInt8] = [], unit: [UInt8] = [], wide: [UInt8] = []
    for i in 0..<2 {
        for c in 0..<3 {
            for p in 0..<1024 { planar.append(rgb[i * 3072 + p * 3 + c]) }
        }
    }
    for v in gray.prefix(784) { unit += le((Float(v) / 255).bitPattern) }
    for v in rgb.prefix(3072) { wide += le(Float(v).bitPattern) }
    return [npy(descr: "|u1", shape: [2, 28, 28], body: gray), npy(descr: "|u1", shape: [2, 32, 32, 3], body: rgb),
            npy(descr: "|u1", shape: [2, 3, 32, 32], body: planar), npy(descr: "<f4", shape: [1, 28, 28], body: unit),
            npy(descr: "<f4", shape: [1, 32, 32, 3], body: wide, version: 2), npy(descr: "|u1", shape: [2, 28, 28, 1], body: gray)]
}

/// IDX files of real images and labels (plain; the reader's repair gzips half of its inputs).
func idxSeeds(images: [UInt8], count: Int, labels: [UInt8]) -> [[UInt8]] {
    [[0, 0, 8, 3] + be32(count) + be32(28) + be32(28) + images,
     [0, 0, 8, 1] + be32(labels.count) + labels,
     [0, 0, 8, 4] + be32(1) + be32(28) + be32(28) + be32(1) + Array(images.prefix(784))]
}

/// labels.csv files: the ImageNet sample's (file,label,wnid,name) cut short, and small ones with quoting.
func labelsSeeds() -> [[UInt8]] {
    var seeds: [[UInt8]] = [Array("file,label\na.png,0\nb.png,1\n".utf8),
                            Array("file,label,name\r\n\"x, y.jpg\",3,\"cat \"\"tabby\"\"\"\r\nz.jpg,0,dog\r\n".utf8),
                            Array("label,file,extra\n2,q.ppm,\n".utf8)]
    if let real = seedFile(SharedData.path("datasets/imagenet-sample/labels.csv")) {
        let lines = real.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        seeds.append(Array(lines.prefix(40).joined(separator: [UInt8(ascii: "\n")])))
    }
    return seeds
}
