import Foundation
import XCTest

/// The output folder on the command line: checked before any work, written as one set, and
/// file-system problems reported as `error: PATH: plain words`.
final class OutputFolderCLITests: XCTestCase {
    /// A quick main-command run on the shipped model and data.
    func quick(_ out: String, calibLimit: Int = 16, extra: [String] = []) -> [String] {
        ["v3small", "--calib", "Calibration/", "--calib-limit", "\(calibLimit)", "--eval-limit", "100",
         "--no-range-search", "--quiet", "--out", out] + extra
    }

    func assertPlainError(_ r: CLI.Output, path: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 1, r.text, file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("error: \(path): "), r.stderr, file: file, line: line)
        XCTAssertFalse(r.text.contains("NSCocoaErrorDomain") || r.text.contains("Error Domain"), r.text, file: file, line: line)
        // Checked before any work: no calibration was run.
        XCTAssertFalse(r.stdout.contains("calibration:"), r.stdout, file: file, line: line)
    }

    func testOutFolderThatIsAFileIsRefusedBeforeAnyWork() throws {
        let dir = try CLI.tempDir()
        let file = dir + "/a-file"
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        assertPlainError(try CLI.run(quick(file)), path: file)
        // A folder to create below a file: the error names the file in the way.
        assertPlainError(try CLI.run(quick(file + "/sub/dir")), path: file)
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "x")
    }

    func testOutFolderThatCannotBeCreatedIsRefusedBeforeAnyWork() throws {
        // /proc takes no new entries, even for root.
        let r = try CLI.run(quick("/proc/q8-out"))
        assertPlainError(r, path: "/proc")
    }

    func testExportChecksItsOutFolderToo() throws {
        let dir = try CLI.tempDir()
        XCTAssertEqual(try CLI.run(quick(dir + "/m")).status, 0)
        let file = dir + "/a-file"
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data()))
        let r = try CLI.run(["export", dir + "/m/model.q8", "--out", file])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("error: \(file): "), r.stderr)
        let ok = try CLI.run(["export", dir + "/m/model.q8", "--out", dir + "/e"])
        XCTAssertEqual(ok.status, 0, ok.text)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/e").sorted(), ["memory.md", "model_data.c", "model_data.h"])
        // A blob this writer wrote is embedded as it is (no re-encoding note, the main command's C source).
        XCTAssertFalse(ok.text.contains("re-encoded"), ok.text)
        XCTAssertEqual(FileManager.default.contents(atPath: dir + "/e/model_data.c"), FileManager.default.contents(atPath: dir + "/m/model_data.c"))
        // --tflite: also model.tflite, the same bytes the main command wrote beside model.q8.
        let t = try CLI.run(["export", dir + "/m/model.q8", "--tflite", "--out", dir + "/t"])
        XCTAssertEqual(t.status, 0, t.text)
        XCTAssertEqual(FileManager.default.contents(atPath: dir + "/t/model.tflite"), FileManager.default.contents(atPath: dir + "/m/model.tflite"))
        XCTAssertNotNil(FileManager.default.contents(atPath: dir + "/m/model.tflite"))
        // A .tflite from the TFLite converter is imported: blob, C header (its own input quantization), memory.md.
        let converter = Fixtures.shared + "/models/tflite/mobilenet_v3_small-fashion.int8.tflite"
        let i = try CLI.run(["export", converter, "--out", dir + "/i"])
        XCTAssertEqual(i.status, 0, i.text)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/i").sorted(), ["memory.md", "model.q8", "model_data.c", "model_data.h"])
        let header = String(decoding: FileManager.default.contents(atPath: dir + "/i/model_data.h") ?? Data(), as: UTF8.self)
        XCTAssertTrue(header.contains("_INPUT_IS_PIXELS 0") && header.contains("_INPUT_ZERO_POINT (-55)"), header)
    }

    /// A file of the set that cannot be put in place (a folder in the way) leaves the folder as it was:
    /// no part of the new set, no temporary files.
    func testAFailedWriteLeavesNothingBehind() throws {
        let out = try CLI.tempDir()
        try FileManager.default.createDirectory(atPath: out + "/memory.md", withIntermediateDirectories: false)
        let r = try CLI.run(quick(out))
        XCTAssertEqual(r.status, 1, r.text)
        XCTAssertTrue(r.stderr.hasPrefix("error: \(out)/memory.md: "), r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), ["memory.md"])
    }

    /// Ctrl-C while the outputs are written leaves the previous complete set or the new complete
    /// set, never a mix, and no temporary files. The run is interrupted the moment the folder changes.
    func testInterruptedRewriteLeavesACompleteSet() throws {
        let base = try CLI.tempDir()
        // The new set, written without interruption, for reference.
        XCTAssertEqual(try CLI.run(quick(base + "/new", calibLimit: 32)).status, 0)
        let fm = FileManager.default
        func snapshot(_ dir: String) -> [String: Data] {
            var s: [String: Data] = [:]
            for name in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] { s[name] = fm.contents(atPath: dir + "/" + name) }
            return s
        }
        /// Names, sizes and modification times (cheap enough to poll).
        func listing(_ dir: String) -> [String: String] {
            var s: [String: String] = [:]
            // (The start-up check's probe file is not the output being written.)
            for name in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] where !name.hasPrefix(".write-check-") {
                var st = stat()
                if stat(dir + "/" + name, &st) == 0 { s[name] = "\(st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)" }
            }
            return s
        }
        let new = snapshot(base + "/new")
        XCTAssertEqual(new.count, 8)  // model.q8, model.tflite, model_data.h/.c, report.md/.json/.html, memory.md
        var outcomes: Set<String> = []
        for attempt in 0..<3 {
            let out = base + "/run\(attempt)"
            XCTAssertEqual(try CLI.run(quick(out, calibLimit: 16)).status, 0)
            let old = snapshot(out)
            XCTAssertNotEqual(old["model.q8"], new["model.q8"])
            let before = listing(out)
            let r = try CLI.run(quick(out, calibLimit: 32)) { process in
                // Watch the folder; interrupt as soon as anything in it appears or changes.
                while process.isRunning {
                    if listing(out) != before { process.interrupt(); return }
                    usleep(200)
                }
            }
            let after = snapshot(out)
            if after == old {
                outcomes.insert("old")
            } else {
                XCTAssertEqual(after.keys.sorted(), new.keys.sorted(), "attempt \(attempt): files after the interruption (status \(r.status))")
                for (name, data) in new where !name.hasPrefix("report.") {
                    XCTAssertEqual(after[name], data, "attempt \(attempt): \(name) is not from the new set (status \(r.status))")
                }
                outcomes.insert("new")
            }
        }
        print("interrupted rewrites left: \(outcomes.sorted())")
    }
}
