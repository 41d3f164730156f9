import Foundation
import QuantCore
import XCTest
@testable import ImageIO

/// `loadImageSet` on the shared data sets and on folders and files made by the tests.
final class ImageSetTests: XCTestCase {
    func testCIFAR10Batches() throws {
        let path = SharedData.path("datasets/cifar10/test_batch.bin")
        let test = try loadImageSet(path)
        XCTAssertEqual([test.count, test.height, test.width, test.channels], [10000, 32, 32, 3])
        XCTAssertEqual(test.pixels.count, 10000 * 3072)
        XCTAssertEqual(test.classNames.first, "airplane")
        XCTAssertEqual(test.classNames.count, 10)
        XCTAssertEqual(test.labels.reduce(into: [Int: Int]()) { $0[$1, default: 0] += 1 }, Dictionary(uniqueKeysWithValues: (0..<10).map { ($0, 1000) }))
        // HWC conversion: compare image 7 with its record's planes.
        let raw = try readFileBytes(path)
        let record = 7 * cifar10RecordSize
        XCTAssertEqual(test.labels[7], Int(raw[record]))
        let image = test.image(7)
        for p in [0, 31, 500, 1023] {
            for c in 0..<3 { XCTAssertEqual(image[image.startIndex + 3 * p + c], raw[record + 1 + c * 1024 + p]) }
        }
        let calib = try loadImageSet(SharedData.path("datasets/cifar10/calib_batch.bin"))
        XCTAssertEqual(calib.count, 1000)
        XCTAssertTrue(calib.labels.allSatisfy { (0...9).contains($0) })
        XCTAssertTrue(calib.summary().contains("1000 images"))
    }

    func testFashionMNISTIDXWithLabels() throws {
        let dir = SharedData.path("datasets/fashion-mnist")
        for (name, count) in [("t10k", 10000), ("heldout", 2000)] {
            let set = try loadImageSet("\(dir)/\(name)-images-idx3-ubyte.gz")
            XCTAssertEqual([set.count, set.height, set.width, set.channels], [count, 28, 28, 1])
            let labels = try readIDX(gunzip(readFileBytes("\(dir)/\(name)-labels-idx1-ubyte.gz")), path: "labels")
            XCTAssertEqual(set.labels, labels.bytes.map { Int($0) })
            XCTAssertEqual(set.classNames.count, 10)
            XCTAssertEqual(set.classNames[9], "Ankle boot")
            XCTAssertEqual(Set(set.labels), Set(0..<10))
            XCTAssertTrue(set.notes.isEmpty, "\(set.notes)")
        }
        let limited = try loadImageSet("\(dir)/t10k-images-idx3-ubyte.gz", options: .init(limit: 50))
        XCTAssertEqual(limited.count, 50)
        XCTAssertEqual(limited.pixels.count, 50 * 784)
    }

    func testClassFolderOfJPEGs() throws {
        let folder = SharedData.path("datasets/cifar10/jpeg-sample")
        let set = try loadImageSet(folder)
        XCTAssertEqual([set.count, set.height, set.width, set.channels], [100, 32, 32, 3])
        XCTAssertEqual(set.classNames, try FileManager.default.contentsOfDirectory(atPath: folder).sorted())
        XCTAssertEqual(set.labels, (0..<10).flatMap { Array(repeating: $0, count: 10) })
        XCTAssertEqual(set.names[0], "airplane/0000.jpg")
        // The first image of each class equals Pillow's decode.
        let pillow = try Fixture.npy("jpeg/pillow-cifar10.npy")
        for c in 0..<10 {
            XCTAssertEqual(Array(set.image(c * 10)), Array(pillow.values[(c * 3072)..<((c + 1) * 3072)]))
        }
        let summary = set.summary()
        XCTAssertTrue(summary.contains("100 images") && summary.contains("airplane: 10"), summary)
    }

    func testImageNetFolderTakesLabelsCSVFromBesideIt() throws {
        let set = try loadImageSet(SharedData.path("datasets/imagenet-sample/val224"), options: .init(limit: 12))
        XCTAssertEqual([set.count, set.height, set.width, set.channels], [12, 224, 224, 3])
        XCTAssertEqual(set.labels, Array(0..<12))
        XCTAssertEqual(set.classNames.count, 1000)
        XCTAssertEqual(set.classNames[0], "tench")
        XCTAssertEqual(set.names[1], "0001_n01443537.jpg")
        XCTAssertTrue(set.notes.contains { $0.contains("labels.csv") }, "\(set.notes)")
        let pillow = try Fixture.npy("jpeg/pillow-imagenet3.npy")
        XCTAssertEqual(Array(set.image(2)), Array(pillow.values[(2 * 150528)...]))
    }

    func testConversionToTargetSizeAndChannels() throws {
        let set = try loadImageSet(SharedData.path("datasets/cifar10/jpeg-sample"),
                                   options: .init(height: 28, width: 28, channels: 1, limit: 15))
        XCTAssertEqual([set.count, set.height, set.width, set.channels], [15, 28, 28, 1])
        XCTAssertEqual(set.pixels.count, 15 * 784)
        XCTAssertTrue(set.notes.contains { $0.contains("15 images resized from 32x32 to 28x28") }, "\(set.notes)")
        XCTAssertTrue(set.notes.contains { $0.contains("15 images converted from RGB to gray") }, "\(set.notes)")
        // A container is converted too: Fashion-MNIST gray 28×28 → RGB 32×32 for a CIFAR model.
        let fashion = try loadImageSet(SharedData.path("datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"),
                                       options: .init(height: 32, width: 32, channels: 3, limit: 4))
        XCTAssertEqual([fashion.count, fashion.height, fashion.width, fashion.channels], [4, 32, 32, 3])
        XCTAssertEqual(fashion.labels.count, 4)
        let first = fashion.image(0)
        XCTAssertEqual(first[first.startIndex + 100 * 3], first[first.startIndex + 100 * 3 + 1], "gray → RGB replicates")
    }

    func testFlatFolderCSVAndSingleImage() throws {
        let dir = try temporaryFolder(self)
        let cifar = try loadImageSet(SharedData.path("datasets/cifar10/test_batch.bin"), options: .init(limit: 3))
        for i in 0..<3 { try writeFileBytes(encodePNG(cifar.decodedImage(i)), to: "\(dir)/img\(2 - i).png") }
        try writeFileBytes(encodePNM(cifar.decodedImage(0)), to: "\(dir)/zz.ppm")
        try writeFileBytes(Array("notes".utf8), to: "\(dir)/README.md")
        try writeFileBytes(Array("file,label,name\nimg0.png,4,\"deer, maybe\"\nimg1.png,1,automobile\nzz.ppm,2,bird\n".utf8), to: "\(dir)/labels.csv")
        let set = try loadImageSet(dir)
        XCTAssertEqual(set.names, ["img0.png", "img1.png", "img2.png", "zz.ppm"])
        XCTAssertEqual(set.labels, [4, 1, -1, 2])
        XCTAssertEqual(set.classNames, ["", "automobile", "bird", "", "deer, maybe"])
        XCTAssertEqual(Array(set.image(0)), Array(cifar.image(2)), "img0.png holds CIFAR image 2")
        XCTAssertEqual(Array(set.image(3)), Array(cifar.image(0)))
        XCTAssertTrue(set.notes.contains { $0.contains("not listed") }, "\(set.notes)")
        XCTAssertTrue(set.notes.contains { $0.contains("non-image") }, "\(set.notes)")
        let sub = set.subset([3, 1])
        XCTAssertEqual(sub.labels, [2, 1])
        XCTAssertEqual(Array(sub.image(0)), Array(set.image(3)))
        let single = try loadImageSet("\(dir)/img1.png")
        XCTAssertEqual([single.count, single.height, single.width, single.channels], [1, 32, 32, 3])
        XCTAssertEqual(single.labels, [-1])
    }

    func testNPYArrays() throws {
        let dir = try temporaryFolder(self)
        let cifar = try loadImageSet(SharedData.path("datasets/cifar10/test_batch.bin"), options: .init(limit: 2))
        try writeFileBytes(makeNPY(descr: "|u1", shape: [2, 32, 32, 3], body: cifar.pixels), to: "\(dir)/u8.npy")
        let u8 = try loadImageSet("\(dir)/u8.npy")
        XCTAssertEqual(u8.pixels, cifar.pixels)
        XCTAssertEqual([u8.count, u8.channels], [2, 3])
        // float32 in [0, 1], channels first (N×C×H×W) as PyTorch tensors come.
        var planar = [Float](repeating: 0, count: 2 * 3072)
        for n in 0..<2 {
            for p in 0..<1024 {
                for c in 0..<3 { planar[n * 3072 + c * 1024 + p] = Float(cifar.pixels[n * 3072 + p * 3 + c]) / 255 }
            }
        }
        let body = planar.withUnsafeBytes { Array($0) }
        try writeFileBytes(makeNPY(descr: "<f4", shape: [2, 3, 32, 32], body: body), to: "\(dir)/f32.npy")
        let f32 = try loadImageSet("\(dir)/f32.npy")
        XCTAssertEqual(f32.pixels, cifar.pixels)
        XCTAssertTrue(f32.notes.contains { $0.contains("[0, 1]") } && f32.notes.contains { $0.contains("N×C×H×W") }, "\(f32.notes)")
        try writeFileBytes(makeNPY(descr: "<f4", shape: [2, 3, 32, 32], body: body, fortran: true), to: "\(dir)/fortran.npy")
        assertToolkitError(try loadImageSet("\(dir)/fortran.npy"), file: "\(dir)/fortran.npy", mentions: ["Fortran"])
        try writeFileBytes(makeNPY(descr: "<i8", shape: [1], body: Array(repeating: 0, count: 8)), to: "\(dir)/i8.npy")
        assertToolkitError(try loadImageSet("\(dir)/i8.npy"), file: "\(dir)/i8.npy", mentions: ["dtype", "<i8"])
        try writeFileBytes(makeNPY(descr: "|u1", shape: [2, 32, 32, 3], body: Array(cifar.pixels.dropLast())), to: "\(dir)/short.npy")
        assertToolkitError(try loadImageSet("\(dir)/short.npy"), file: "\(dir)/short.npy", mentions: ["truncated"])
    }

    func testEmptyFolderIsAnError() throws {
        let dir = try temporaryFolder(self)
        assertToolkitError(try loadImageSet(dir), file: dir, mentions: ["no images"])
        try writeFileBytes(Array("x".utf8), to: "\(dir)/notes.txt")
        assertToolkitError(try loadImageSet(dir), file: dir, mentions: ["no images"])
    }

    func testWrongIDXMagicIsAnError() throws {
        let dir = try temporaryFolder(self)
        let path = "\(dir)/bad-images-idx3-ubyte"
        try writeFileBytes([0x12, 0x34, 0x08, 0x03] + Array(repeating: 0, count: 16), to: path)
        assertToolkitError(try loadImageSet(path), file: path, mentions: ["magic 0x12340803"])
        let shortPath = "\(dir)/short-images-idx3-ubyte"
        try writeFileBytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28] + Array(repeating: 0, count: 784), to: shortPath)
        assertToolkitError(try loadImageSet(shortPath), file: shortPath, mentions: ["truncated"])
    }

    func testIDXLabelsCountMismatchIsAnError() throws {
        let dir = try temporaryFolder(self)
        try writeFileBytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2] + Array(repeating: 9, count: 8), to: "\(dir)/x-images-idx3-ubyte")
        try writeFileBytes([0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3], to: "\(dir)/x-labels-idx1-ubyte")
        assertToolkitError(try loadImageSet("\(dir)/x-images-idx3-ubyte"), file: "\(dir)/x-labels-idx1-ubyte", mentions: ["3"])
    }

    func testTruncatedCIFARBatchIsAnError() throws {
        let dir = try temporaryFolder(self)
        let path = "\(dir)/cut_batch.bin"
        let whole = try readFileBytes(SharedData.path("datasets/cifar10/test_batch.bin"))
        try writeFileBytes(Array(whole.prefix(2 * cifar10RecordSize + 100)), to: path)
        assertToolkitError(try loadImageSet(path), file: path, mentions: ["truncated", "3073"])
    }

    func testMixedSizesNeedATargetSize() throws {
        let dir = try temporaryFolder(self)
        let cifar = try loadImageSet(SharedData.path("datasets/cifar10/test_batch.bin"), options: .init(limit: 1))
        try writeFileBytes(encodePNG(cifar.decodedImage(0)), to: "\(dir)/a.png")
        try writeFileBytes(encodePNG(resizeBilinear(cifar.decodedImage(0), width: 40, height: 30)), to: "\(dir)/b.png")
        try writeFileBytes(Array("not an image".utf8), to: "\(dir)/c.png")
        assertToolkitError(try loadImageSet(dir, options: .init(limit: 2)), file: "\(dir)/b.png", mentions: ["40x30", "target size"])
        let fixed = try loadImageSet(dir, options: .init(height: 16, width: 16, limit: 2))
        XCTAssertEqual([fixed.count, fixed.height, fixed.width, fixed.channels], [2, 16, 16, 3])
        XCTAssertTrue(fixed.notes.contains { $0.contains("32x32 (1), 40x30 (1)") }, "\(fixed.notes)")
        assertToolkitError(try loadImageSet(dir), file: "\(dir)/c.png", mentions: ["not a JPEG, PNG"])
    }
}
