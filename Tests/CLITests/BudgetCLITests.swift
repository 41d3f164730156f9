import Foundation
import XCTest

/// `--target / --flash / --sram / --flash-reserve` on the main command: the options and their
/// errors, "no budget, no change", a flash budget met with int4 layers, budgets that cannot be met.
final class BudgetCLITests: XCTestCase {
    /// The small shared model (MobileNetV1 ×0.25, CIFAR-10: 261 KB of int8 blob) on a few images.
    func smallModel(_ out: String, _ extra: [String]) -> [String] {
        [Fixtures.shared + "/models/mobilenet_v1_025-cifar10.safetensors",
         "--calib", Fixtures.shared + "/datasets/cifar10/calib_batch.bin", "--calib-limit", "64",
         "--eval", Fixtures.shared + "/datasets/cifar10/test_batch.bin", "--eval-limit", "300",
         "--no-range-search", "--quiet", "--out", out] + extra
    }

    /// The figure of `memory.md`'s budget table row starting with `label` (bytes, separators removed).
    func figure(_ memory: String, _ label: String) -> Int? {
        let row = memory.split(separator: "\n").first { $0.hasPrefix("| \(label) |") || $0.hasPrefix("| **\(label)") }
        return row.flatMap { Int($0.split(separator: "|").last!.filter(\.isNumber)) }
    }

    func testBadBudgetOptionsAreRefusedBeforeAnyWork() throws {
        let dir = try CLI.tempDir()
        let cases: [([String], String)] = [
            (["--flash", "1X"], "error: --flash: expected a number of bytes with an optional K or M suffix"),
            (["--flash", "0"], "error: --flash: must be more than 0 bytes"),
            (["--flash", "-1M"], "error: --flash: expected a number of bytes"),
            (["--flash", "1.5M"], "error: --flash: expected a number of bytes"),
            (["--sram", "256KB"], "error: --sram: expected a number of bytes"),
            (["--sram", ""], "error: --sram: expected a number of bytes"),
            (["--flash", "99999999999999M"], "error: --flash: expected a number of bytes"),
            (["--target", "nrf5"], "error: --target: unknown part 'nrf5' (known: nRF52840, STM32F412, RP2040, STM32F746, ESP32-S3, STM32H743"),
            (["--flash-reserve", "64K"], "error: --flash-reserve: only means something with --flash or --target"),
            (["--flash", "100K"], "error: --flash: 100K of flash leaves no room for the blob after the 150K kept for the firmware"),
            (["--flash", "1M", "--flash-reserve", "1M"], "error: --flash: 1M of flash leaves no room for the blob after the 1M kept"),
            (["--flash"], "error: --flash: needs a value"),
        ]
        for (extra, expected) in cases {
            let out = dir + "/never-\(extra.joined())"
            let r = try CLI.run(["v3small", "--calib", "Calibration/", "--out", out] + extra)
            XCTAssertEqual(r.status, 1, "\(extra): \(r.text)")
            XCTAssertTrue(r.stderr.hasPrefix(expected), "\(extra): \(r.stderr)")
            XCTAssertFalse(r.text.contains("calibration:"), "\(extra): work started before the option was checked")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "\(extra)")
        }
    }

    /// Suffixes are powers of 1024, `--target` names are case-insensitive and the part's figures
    /// can be overridden; a budget the all-int8 model meets leaves every output byte as it was.
    func testNoBudgetNoChangeAndSuffixes() throws {
        let dir = try CLI.tempDir()
        let plain = try CLI.run(smallModel(dir + "/plain", []))
        XCTAssertEqual(plain.status, 0, plain.text)
        XCTAssertFalse(plain.stdout.contains("\nbudget "), plain.stdout)
        let plainMemory = try String(contentsOfFile: dir + "/plain/memory.md", encoding: .utf8)
        XCTAssertFalse(plainMemory.contains("## Budget"))

        let roomy = try CLI.run(smallModel(dir + "/roomy", ["--target", "stm32h743", "--flash", "1M", "--sram", "200K", "--flash-reserve", "64K"]))
        XCTAssertEqual(roomy.status, 0, roomy.text)
        XCTAssertTrue(roomy.stdout.contains("budget --target STM32H743 --flash 1M --sram 200K:"), roomy.stdout)
        XCTAssertTrue(roomy.stdout.contains("all int8, nothing changed"), roomy.stdout)
        let memory = try String(contentsOfFile: dir + "/roomy/memory.md", encoding: .utf8)
        XCTAssertEqual(figure(memory, "flash"), 1 << 20)
        XCTAssertEqual(figure(memory, "kept for the firmware (`--flash-reserve`)"), 64 << 10)
        XCTAssertEqual(figure(memory, "blob limit"), (1 << 20) - (64 << 10))
        XCTAssertEqual(figure(memory, "SRAM budget (one contiguous block)"), 200 << 10)
        XCTAssertTrue(memory.hasPrefix(plainMemory), "memory.md without a budget is the start of memory.md with one")
        for file in ["model.q8", "model_data.h", "model_data.c", "model.tflite"] {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/plain/" + file)),
                           try Data(contentsOf: URL(fileURLWithPath: dir + "/roomy/" + file)), file)
        }
    }

    /// A flash budget below the all-int8 blob: layers get int4 weights until the blob fits.
    func testFlashBudgetIsMetWithInt4Layers() throws {
        let dir = try CLI.tempDir()
        let r = try CLI.run(smallModel(dir, ["--flash", "350K", "--flash-reserve", "150K"]))
        XCTAssertEqual(r.status, 0, r.text)
        let memory = try String(contentsOfFile: dir + "/memory.md", encoding: .utf8)
        let limit = 200 << 10
        XCTAssertEqual(figure(memory, "blob limit"), limit)
        let int8 = try XCTUnwrap(figure(memory, "blob, every layer int8"))
        let written = try XCTUnwrap(memory.split(separator: "\n").first { $0.hasPrefix("| **blob written") }
            .flatMap { Int($0.split(separator: "|").last!.filter(\.isNumber)) })
        XCTAssertGreaterThan(int8, limit)
        XCTAssertLessThanOrEqual(written, limit)
        // Which layers, and what they cost (measured on the 300 evaluation images), are reported.
        let rows = memory.split(separator: "\n").filter { $0.range(of: #"^\| \d+ \| `"#, options: .regularExpression) != nil }
        XCTAssertGreaterThan(rows.count, 0)
        XCTAssertTrue(memory.contains("What it cost, measured on 300 evaluation images"), memory)
        XCTAssertTrue(r.stdout.contains("cost on 300 evaluation images: top-1 "), r.stdout)
        XCTAssertTrue(r.stdout.contains("int4 weights in \(rows.count) of 28 layers"), r.stdout)
        let report = try String(contentsOfFile: dir + "/report.md", encoding: .utf8)
        XCTAssertTrue(report.contains("## Budget: --flash 350K"), "report.md carries the fit section")
        // The figure is the blob's own size, and the blob holds the chosen layers as int4.
        let blob = try Data(contentsOf: URL(fileURLWithPath: dir + "/model.q8"))
        XCTAssertEqual(blob.count, written)
        let inspect = try CLI.run(["inspect", dir + "/model.q8"])
        XCTAssertEqual(inspect.status, 0, inspect.text)
        let int4Lines = inspect.stdout.split(separator: "\n").filter { $0.contains(" int4 in ") }  // op lines: "N name kind int4 in …"
        XCTAssertEqual(int4Lines.count, rows.count, inspect.stdout)
        for row in rows {
            let name = row.split(separator: "`")[1]
            XCTAssertTrue(int4Lines.contains { $0.contains(" \(name) ") }, "\(name) is not int4 in the blob")
        }
    }

    /// An SRAM budget below the layer-by-layer RAM is met with the planner's schedule, which the
    /// blob carries and which gives the layer-by-layer logits (checked by the command itself).
    func testSRAMBudgetIsMetWithASchedule() throws {
        let dir = try CLI.tempDir()
        let plain = try CLI.run(smallModel(dir + "/plain", ["--sram", "1M"]))
        XCTAssertEqual(plain.status, 0, plain.text)
        XCTAssertTrue(plain.stdout.contains("(layer by layer)"), plain.stdout)
        let plainMemory = try String(contentsOfFile: dir + "/plain/memory.md", encoding: .utf8)
        let layerByLayer = try XCTUnwrap(figure(plainMemory, "RAM layer by layer"))
        let budget = layerByLayer - 4096
        let r = try CLI.run(smallModel(dir + "/fit", ["--sram", "\(budget)"]))
        XCTAssertEqual(r.status, 0, r.text)
        XCTAssertTrue(r.stdout.contains("schedule checked: the same logits as layer by layer on all 300 evaluation images"), r.stdout)
        let memory = try String(contentsOfFile: dir + "/fit/memory.md", encoding: .utf8)
        let ram = try XCTUnwrap(memory.split(separator: "\n").first { $0.hasPrefix("| **RAM needed** (") }
            .flatMap { Int($0.split(separator: "|").last!.filter(\.isNumber)) })
        XCTAssertLessThanOrEqual(ram, budget)
        XCTAssertFalse(memory.contains("| **RAM needed** (layer by layer)"), memory)
        XCTAssertTrue(memory.contains("depthwise in place") || memory.contains("patch stage"), memory)
        // The blob's own memory plan (what the C runtime allocates) is the scheduled one.
        let inspect = try CLI.run(["inspect", dir + "/fit/model.q8"])
        XCTAssertTrue(inspect.stdout.contains("| **RAM needed** | **\(ram)** |"), inspect.stdout)
    }

    /// Both budgets at once, with a flash limit 8 bytes above the all-int8 blob: the SRAM
    /// schedule's stage table puts the blob over, so a layer goes int4 to make room.
    func testScheduleBytesCountAgainstTheFlashBudget() throws {
        let dir = try CLI.tempDir()
        let plain = try CLI.run(smallModel(dir + "/plain", []))
        XCTAssertEqual(plain.status, 0, plain.text)
        let int8 = try Data(contentsOf: URL(fileURLWithPath: dir + "/plain/model.q8")).count
        let flash = int8 + 153_600 + 8
        let r = try CLI.run(smallModel(dir + "/both", ["--flash", "\(flash)", "--sram", "20K"]))
        XCTAssertEqual(r.status, 0, r.text)
        XCTAssertTrue(r.stdout.contains("schedule checked: the same logits as layer by layer"), r.stdout)
        XCTAssertTrue(r.stdout.contains("int4 weights in "), r.stdout)
        let blob = try Data(contentsOf: URL(fileURLWithPath: dir + "/both/model.q8")).count
        XCTAssertLessThanOrEqual(blob, int8 + 8)
    }

    /// Budgets that cannot be met: an error naming the model file, by how much, the nearest
    /// feasible plan, and nothing written.
    func testImpossibleBudgetsSayByHowMuch() throws {
        let dir = try CLI.tempDir()
        let flash = try CLI.run(smallModel(dir + "/flash", ["--flash", "256K"]))
        XCTAssertEqual(flash.status, 1, flash.text)
        let model = Fixtures.shared + "/models/mobilenet_v1_025-cifar10.safetensors"
        XCTAssertTrue(flash.stderr.hasPrefix("error: \(model): does not fit the flash budget: the blob may take 108,544 B"), flash.stderr)
        for phrase in ["even with every layer's weights in int4 it is", "B over", "Nearest feasible plan: every layer int4, which needs --flash ",
                       "Nothing was written"] {
            XCTAssertTrue(flash.stderr.contains(phrase), "\(phrase): \(flash.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/flash/model.q8"))
        // The --flash it proposes does fit.
        let proposed = try XCTUnwrap(flash.stderr.components(separatedBy: "which needs --flash ").last?.split(separator: " ").first)
        let retry = try CLI.run(smallModel(dir + "/retry", ["--flash", String(proposed)]))
        XCTAssertEqual(retry.status, 0, retry.text)

        let sram = try CLI.run(smallModel(dir + "/sram", ["--sram", "8K"]))
        XCTAssertEqual(sram.status, 1, sram.text)
        XCTAssertTrue(sram.stderr.hasPrefix("error: \(model): does not fit the SRAM budget: layer by layer it needs "), sram.stderr)
        for phrase in ["lower bound", "the least the planner reaches (", "patch stage", "B over the 8,192 B budget",
                       "Nearest feasible plan: that schedule, with --sram ", "Nothing was written"] {
            XCTAssertTrue(sram.stderr.contains(phrase), "\(phrase): \(sram.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/sram/model.q8"))
        let proposedSRAM = try XCTUnwrap(sram.stderr.components(separatedBy: "with --sram ").last?.split(separator: ".").first)
        let retrySRAM = try CLI.run(smallModel(dir + "/retry-sram", ["--sram", String(proposedSRAM)]))
        XCTAssertEqual(retrySRAM.status, 0, retrySRAM.text)

        // Both at once: one error says both.
        let both = try CLI.run(smallModel(dir + "/both", ["--flash", "256K", "--sram", "8K"]))
        XCTAssertEqual(both.status, 1, both.text)
        XCTAssertTrue(both.stderr.contains("does not fit the SRAM budget") && both.stderr.contains("; and it does not fit the flash budget"), both.stderr)
        XCTAssertEqual(both.stderr.components(separatedBy: "\n").filter { $0.hasPrefix("error:") }.count, 1)
    }
}
