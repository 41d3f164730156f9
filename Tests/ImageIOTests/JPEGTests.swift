import Foundation
import QuantCore
import XCTest
@testable import ImageIO

/// Baseline JPEG decoding against Pillow's decodes (Fixtures/make_jpeg_fixture.py), on the real
/// data sets and on synthetic files covering each sampling layout and restart intervals.
final class JPEGTests: XCTestCase {
    /// Compares decoded pixels with Pillow's: the brief's bound (≥ 99.9 % within 2 levels) and,
    /// as achieved, bit-exact equality.
    func assertMatchesPillow(_ mine: [UInt8], _ pillow: ArraySlice<UInt8>, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(mine.count, pillow.count, "\(what): sample count", file: file, line: line)
        guard mine.count == pillow.count, !mine.isEmpty else { return }
        var within2 = 0, maxDiff = 0
        for (a, b) in zip(mine, pillow) {
            let d = abs(Int(a) - Int(b))
            if d <= 2 { within2 += 1 }
            maxDiff = max(maxDiff, d)
        }
        XCTAssertGreaterThanOrEqual(Double(within2) / Double(mine.count), 0.999, "\(what): too many pixels off by > 2", file: file, line: line)
        XCTAssertEqual(maxDiff, 0, "\(what): not bit-exact with Pillow", file: file, line: line)
    }

    func testSyntheticSamplingLayoutsAndRestartsMatchPillow() throws {
        let expected: [(String, Int)] = [("444", 3), ("422", 3), ("420", 3), ("440", 3), ("gray", 1),
                                         ("420-restart", 3), ("422-restart-rows", 3)]
        for (variant, channels) in expected {
            let name = "jpeg/synth-\(variant)"
            let image = try decodeJPEG(Fixture.bytes(name + ".jpg"), path: Fixture.path(name + ".jpg"))
            let reference = try Fixture.npy(name + ".npy")
            XCTAssertEqual([image.height, image.width], Array(reference.shape.prefix(2)), variant)
            XCTAssertEqual([image.width, image.height, image.channels], [61, 45, channels], variant)
            assertMatchesPillow(image.pixels, reference.values[...], variant)
        }
    }

    func testRestartFixturesReallyHaveRestartMarkers() throws {
        for name in ["jpeg/synth-420-restart.jpg", "jpeg/synth-422-restart-rows.jpg"] {
            let bytes = try Fixture.bytes(name)
            let markers = zip(bytes, bytes.dropFirst()).filter { $0.0 == 0xFF && (0xD0...0xD7).contains($0.1) }.count
            XCTAssertGreaterThanOrEqual(markers, 3, name)
        }
    }

    func testFullPixelsOfDataSetSamplesMatchPillow() throws {
        let imagenet = try Fixture.npy("jpeg/pillow-imagenet3.npy")
        XCTAssertEqual(imagenet.shape, [3, 224, 224, 3])
        let folder = SharedData.path("datasets/imagenet-sample/val224")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".jpg") }.sorted()
        for i in 0..<3 {
            let image = try readImage(folder + "/" + files[i])
            assertMatchesPillow(image.pixels, imagenet.values[(i * 150528)..<((i + 1) * 150528)], files[i])
        }
        let cifar = try Fixture.npy("jpeg/pillow-cifar10.npy")
        let classes = try FileManager.default.contentsOfDirectory(atPath: SharedData.path("datasets/cifar10/jpeg-sample")).sorted()
        XCTAssertEqual(classes.count, 10)
        for (i, c) in classes.enumerated() {
            let image = try readImage(SharedData.path("datasets/cifar10/jpeg-sample/\(c)/0000.jpg"))
            assertMatchesPillow(image.pixels, cifar.values[(i * 3072)..<((i + 1) * 3072)], c)
        }
    }

    /// Every JPEG of both data sets decodes, with Pillow's size and per-channel pixel sums.
    func testEveryDataSetJPEGDecodesWithPillowSums() throws {
        let csv = String(decoding: try Fixture.bytes("jpeg/pillow-sums.csv"), as: UTF8.self)
        let rows = csv.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(rows.count, 1100)
        // Decode on all cores.
        let results = parallelMap(count: rows.count, threads: ProcessInfo.processInfo.activeProcessorCount) { _, r -> (size: [Int], sums: [Int])? in
            guard let image = try? readImage(SharedData.path("datasets/" + rows[r][0])) else { return nil }
            var sums = [0, 0, 0]
            image.pixels.withUnsafeBufferPointer { p in
                var i = 0
                while i < p.count {
                    sums[0] += Int(p[i]); sums[1] += Int(p[i + 1]); sums[2] += Int(p[i + 2])
                    i += 3
                }
            }
            return ([image.width, image.height, image.channels], sums)
        }
        var exact = 0
        var worstMeanDiff = 0.0
        for (row, result) in zip(rows, results) {
            guard let (size, sums) = result else {
                XCTFail("\(row[0]) does not decode: \(String(describing: Result { try readImage(SharedData.path("datasets/" + row[0])) }))")
                continue
            }
            XCTAssertEqual(size, [Int(row[1]), Int(row[2]), 3], row[0])
            let reference = row[3...5].compactMap { Int($0) }
            if sums == reference { exact += 1 }
            for c in 0..<3 {
                worstMeanDiff = max(worstMeanDiff, Double(abs(sums[c] - reference[c])) / Double(size[0] * size[1]))
            }
        }
        print("JPEG: \(exact) of \(rows.count) data-set images have exactly Pillow's channel sums; worst mean difference \(worstMeanDiff) levels")
        XCTAssertLessThanOrEqual(worstMeanDiff, 0.02, "some image's channel mean differs from Pillow's")
        XCTAssertEqual(exact, rows.count, "bit-exact decoding gives identical sums")
    }

    func testProgressiveJPEGIsRefused() throws {
        let path = Fixture.path("jpeg/synth-progressive.jpg")
        assertToolkitError(try decodeJPEG(readFileBytes(path), path: path), file: path, mentions: ["progressive", "baseline"])
    }

    func testTruncatedJPEGIsAnError() throws {
        let path = SharedData.path("datasets/imagenet-sample/val224/0000_n01440764.jpg")
        let bytes = try readFileBytes(path)
        assertToolkitError(try decodeJPEG(Array(bytes.prefix(bytes.count / 2)), path: path), file: path, mentions: ["truncated"])
        assertToolkitError(try decodeJPEG(Array(bytes.prefix(300)), path: path), file: path, mentions: ["truncated"])
        assertToolkitError(try decodeJPEG(Array(bytes.prefix(3)), path: path), file: path, mentions: ["truncated"])
        // Every cut point fails cleanly (never crashes); only losing just the EOI marker is harmless.
        for cut in stride(from: 2, to: bytes.count - 2, by: 397) {
            XCTAssertThrowsError(try decodeJPEG(Array(bytes.prefix(cut)), path: path), "cut at \(cut)")
        }
        XCTAssertEqual(try decodeJPEG(Array(bytes.dropLast(2)), path: path), try decodeJPEG(bytes, path: path))
    }

    func testWrongRestartMarkerIsAnError() throws {
        let path = Fixture.path("jpeg/synth-420-restart.jpg")
        var bytes = try readFileBytes(path)
        guard let i = zip(bytes.indices, bytes.dropFirst()).first(where: { bytes[$0.0] == 0xFF && $0.1 == 0xD1 })?.0 else {
            return XCTFail("fixture has no RST1 marker")
        }
        bytes[i + 1] = 0xD5
        assertToolkitError(try decodeJPEG(bytes, path: path), file: path, mentions: ["RST1"])
    }

    func testNotAJPEG() throws {
        assertToolkitError(try decodeJPEG(Array("GIF89a".utf8), path: "x.gif"), file: "x.gif", mentions: ["not a JPEG"])
    }

    /// Random byte corruption: an error or some image, never a crash or a hang.
    func testRandomCorruptionNeverCrashes() throws {
        let bytes = try readFileBytes(SharedData.path("datasets/cifar10/jpeg-sample/cat/0003.jpg"))
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<400 {
            var bad = bytes
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                bad[Int.random(in: 2..<bad.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if let image = try? decodeJPEG(bad, path: "fuzz.jpg") {
                XCTAssertEqual(image.pixels.count, image.width * image.height * image.channels)
            }
        }
    }
}
