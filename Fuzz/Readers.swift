/// The table of readers the harness runs. Adding a reader is one entry: a name, its seeds, and
/// the call that parses bytes (it must return normally or throw a `ToolkitError`).
import Export
import Foundation
import ImageIO
import ModelIO
import Models
import QuantCore
import TestSupport

/// One reader under test.
struct FuzzReader {
    /// Short name, used by `--reader` and in the report.
    var name: String
    /// Small seeds, chosen for most inputs.
    var seeds: [[UInt8]]
    /// Large real files (e.g. whole checkpoints), chosen for 1 input in 256 so a run stays fast.
    var bigSeeds: [[UInt8]] = []
    /// Optional format-aware fix-up applied to half of the mutated inputs (checksums recomputed,
    /// data re-compressed) so that mutations reach past the integrity checks.
    var repair: (([UInt8]) -> [UInt8])? = nil
    /// Parses one input.
    var read: ([UInt8]) throws -> Void
}

/// A path in a folder that does not exist: readers that look for files beside their input (labels,
/// class names) find none.
let fuzzDir = "/nonexistent-fuzz-dir"

/// Every reader, with seeds from ../shared, the repository's fixtures and generated files.
func allReaders() throws -> [FuzzReader] {
    let shared = SharedData.root
    let fixtures = repoRoot + "/Tests/ImageIOTests/Fixtures"
    let checkpoints = repoRoot + "/Tests/ModelIOTests/Fixtures"

    // Real pixels for the generated container seeds.
    let fashion = try? loadImageSet(shared + "/datasets/fashion-mnist/heldout-images-idx3-ubyte.gz", options: .init(limit: 3))
    let cifar = try? loadImageSet(shared + "/datasets/cifar10/calib_batch.bin", options: .init(limit: 2))
    let gray = fashion.map { Array($0.pixels.prefix(2 * 784)) } ?? [UInt8](repeating: 128, count: 2 * 784)
    let rgb = cifar.map { Array($0.pixels.prefix(2 * 3072)) } ?? [UInt8](repeating: 64, count: 2 * 3072)
    let grayImage = DecodedImage(width: 28, height: 28, channels: 1, pixels: Array(gray.prefix(784)))
    let rgbImage = DecodedImage(width: 32, height: 32, channels: 3, pixels: Array(rgb.prefix(3072)))

    let cifarBatch = seedFile(shared + "/datasets/cifar10/calib_batch.bin")
    let blob = try seedBlob()
    _ = try readBlob(blob, path: "seed.q8")   // the seed itself must be valid
    let realBlobs = [repoRoot + "/.build/ci-default-model/model.q8", repoRoot + "/out/mobilenet_v3_small-fashion/model.q8"]
        .compactMap(seedFile)

    let tfliteImport = tfliteImportSeed()   // must import (so mutations start from the importer's paths)
    _ = try importTFLite(try parseTFLite(tfliteImport, path: "seed.tflite"), path: "seed.tflite", name: "seed")
    // The every-op model as our exporter writes it (int8, and with INT4 filters): every op the
    // exporter writes, which must import back too.
    let tfliteExported = try [false, true].map { try writeTFLite(TestModels.everyOp(seed: 1, size: 10, int4: $0)) }
    for seed in tfliteExported { _ = try importTFLite(try parseTFLite(seed, path: "seed.tflite"), path: "seed.tflite", name: "seed") }
    let tfliteFloat = try tfliteFloatSeed()   // the float importer's seed, which must import too
    _ = try importFloatTFLite(try parseTFLite(tfliteFloat, path: "seed.tflite"), path: "seed.tflite", name: "seed")

    let onnx = onnxSeeds()
    for seed in onnx {  // every ONNX seed must import (so mutations start from the importer's paths)
        _ = try importONNX(try seed.withUnsafeBytes { try parseONNX($0, path: "seed.onnx") }, name: "seed")
    }

    return [
        FuzzReader(name: "safetensors", seeds: safetensorsSeeds(),
                   bigSeeds: [seedFile(shared + "/models/mobilenet_v1_025-cifar10.safetensors")].compactMap { $0 },
                   read: { _ = try readCheckpoint(Data($0), path: "fuzz.safetensors") }),
        FuzzReader(name: "torch-zip", seeds: ["strided-zip.pth", "strided-zip64.pth"].compactMap { seedFile(checkpoints + "/" + $0) },
                   read: { _ = try readCheckpoint(Data($0), path: "fuzz.pth") }),
        FuzzReader(name: "torch-legacy", seeds: [seedFile(checkpoints + "/strided-legacy.pth")].compactMap { $0 },
                   bigSeeds: [seedFile(shared + "/models/mobilenet_v1_025-cifar10.pth")].compactMap { $0 },
                   read: { _ = try readCheckpoint(Data($0), path: "fuzz.pth") }),
        FuzzReader(name: "png", seeds: seedFiles(fixtures + "/png", [".png"]) + [grayImage, rgbImage].compactMap { try? encodePNG($0) },
                   repair: repairPNG, read: { _ = try decodePNG($0, path: "fuzz.png") }),
        FuzzReader(name: "jpeg", seeds: seedFiles(fixtures + "/jpeg", [".jpg"])
                       + seedFiles(shared + "/datasets/cifar10/jpeg-sample/cat", [".jpg"], limit: 10),
                   bigSeeds: seedFiles(shared + "/datasets/imagenet-sample/val224", [".jpg"], limit: 5),
                   read: { _ = try decodeJPEG($0, path: "fuzz.jpg") }),
        FuzzReader(name: "pnm", seeds: pnmSeeds([grayImage, rgbImage]), read: { _ = try decodePNM($0, path: "fuzz.pgm") }),
        FuzzReader(name: "npy", seeds: npySeeds(gray: gray, rgb: rgb), repair: gzipSome,
                   read: { _ = try imageSet(fromFileBytes: $0, path: fuzzDir + "/fuzz.npy", limit: nil) }),
        FuzzReader(name: "idx", seeds: idxSeeds(images: gray, count: 2, labels: [3, 7, 9]),
                   bigSeeds: [seedFile(shared + "/datasets/fashion-mnist/heldout-images-idx3-ubyte.gz")].compactMap { $0 },
                   repair: gzipSome,
                   read: { _ = try imageSet(fromFileBytes: $0, path: fuzzDir + "/fuzz-images-idx3-ubyte.gz", limit: nil) }),
        FuzzReader(name: "cifar", seeds: cifarBatch.map { [Array($0.prefix(2 * cifar10RecordSize)), Array($0.prefix(cifar10RecordSize))] } ?? [],
                   bigSeeds: [cifarBatch].compactMap { $0 },
                   read: { _ = try imageSet(fromFileBytes: $0, path: fuzzDir + "/fuzz_batch.bin", limit: nil) }),
        FuzzReader(name: "labels-csv", seeds: labelsSeeds(),
                   bigSeeds: [seedFile(shared + "/datasets/imagenet-sample/labels.csv")].compactMap { $0 }, read: { _ = try readLabelsCSV($0, path: "labels.csv") }),
        FuzzReader(name: "q8", seeds: [blob], bigSeeds: realBlobs, repair: repairBlobCRC,
                   read: { _ = try readBlob($0, path: "fuzz.q8") }),
        // The protobuf / ONNX reader, then the importer on whatever still parses.
        FuzzReader(name: "onnx", seeds: onnx,
                   bigSeeds: [seedFile(shared + "/models/onnx/mobilenet_v1_025-cifar10.float.onnx")].compactMap { $0 },
                   read: { bytes in
                       let model = try bytes.withUnsafeBytes { try parseONNX($0, path: "fuzz.onnx") }
                       _ = try importONNX(model, name: "fuzz")
                   }),
        // The FlatBuffers / TFLite reader, then the importer on whatever still parses.
        FuzzReader(name: "tflite", seeds: tfliteSeeds() + [tfliteImport] + tfliteExported + [tfliteFloat],
                   bigSeeds: ["mobilenet_v3_small-fashion", "mobilenet_v2-cifar10"].compactMap { seedFile(shared + "/models/tflite/\($0).int8.tflite") },
                   read: { bytes in
                       let file = try parseTFLite(bytes, path: "fuzz.tflite")
                       if isFloatTFLite(file) {
                           _ = try importFloatTFLite(file, path: "fuzz.tflite", name: "fuzz")
                       } else {
                           _ = try importTFLite(file, path: "fuzz.tflite", name: "fuzz")
                       }
                   }),
    ]
}

/// Recomputes every PNG chunk CRC and, for a single IDAT that still inflates, the zlib Adler-32.
func repairPNG(_ input: [UInt8]) -> [UInt8] {
    var d = input
    var pos = 8
    while pos + 12 <= d.count {
        let length = Int(d[pos]) << 24 | Int(d[pos + 1]) << 16 | Int(d[pos + 2]) << 8 | Int(d[pos + 3])
        guard length <= d.count - pos - 12 else { break }
        let body = (pos + 8)..<(pos + 8 + length)
        if d[(pos + 4)..<(pos + 8)].elementsEqual("IDAT".utf8), length > 6,
           let raw = try? inflate(Array(d[(body.lowerBound + 2)..<body.upperBound]), maxOutput: 1 << 22) {
            let a = adler32(raw)
            for k in 0..<4 { d[body.upperBound - 4 + k] = UInt8(truncatingIfNeeded: a >> (24 - 8 * UInt32(k))) }
        }
        let crc = crc32(d[(pos + 4)..<body.upperBound])
        for k in 0..<4 { d[body.upperBound + k] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(k))) }
        pos += 12 + length
    }
    return d
}

/// Recomputes a `.q8` blob's header CRC (bytes 20..<total size) when the total size field fits.
func repairBlobCRC(_ input: [UInt8]) -> [UInt8] {
    guard input.count >= 128 else { return input }
    var d = input
    let total = Int(d[12]) | Int(d[13]) << 8 | Int(d[14]) << 16 | Int(d[15]) << 24
    guard total >= 20, total <= d.count else { return d }
    let crc = crc32(d[20..<total])
    for k in 0..<4 { d[16 + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
    return d
}

/// Gzips a mutated plain file (the content's header then drives the bounded decompression):
/// compressed for 1 input in 8, stored blocks otherwise (compressing every input would dominate).
func gzipSome(_ input: [UInt8]) -> [UInt8] {
    gzip(input, compress: input.count % 8 == 0)
}
