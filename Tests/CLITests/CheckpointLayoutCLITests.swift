import Foundation
import XCTest

/// Checkpoints as people save them: the shared MobileNetV1 0.25 weights re-saved with training
/// wrappers and prefixes (by `Fixtures/resave_checkpoint.py`, plain pickle + zipfile, no torch),
/// each read with a note, and evaluated to its real accuracy (so the right tensors were used).
final class CheckpointLayoutCLITests: XCTestCase {
    let pth = Fixtures.shared + "/models/mobilenet_v1_025-cifar10.pth"

    /// `resave_checkpoint.py IN OUT LAYOUT` into a fresh folder.
    func resaved(_ layout: String) throws -> String {
        let out = try CLI.tempDir() + "/\(layout).pth"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/resave_checkpoint.py").path
        p.arguments = ["python3", script, pth, out, layout]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "resave_checkpoint.py \(layout)")
        return out
    }

    /// Float top-1 on the CIFAR-10 JPEG sample (100 images; the model reaches ~84 % on the test set).
    func evaluate(_ weights: String, _ extra: [String] = []) throws -> CLI.Output {
        try CLI.run(["eval-float", weights, "--data", Fixtures.shared + "/datasets/cifar10/jpeg-sample", "--quiet"] + extra)
    }

    func assertReads(_ r: CLI.Output, note: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 0, r.text, file: file, line: line)
        XCTAssertTrue(r.stdout.contains(note), "no note '\(note)' in: \(r.stdout)", file: file, line: line)
        guard let range = r.stdout.range(of: #"top-1 [0-9.]+%"#, options: .regularExpression),
              let top1 = Double(r.stdout[range].dropFirst(6).dropLast()) else { return XCTFail(r.text, file: file, line: line) }
        XCTAssertGreaterThan(top1, 70, r.stdout, file: file, line: line)
    }

    /// `{'epoch', 'arch', 'state_dict', 'best_acc1', 'optimizer'}` (PyTorch's ImageNet example).
    func testStateDictWrapperWithOptimizerIsUnwrapped() throws {
        assertReads(try evaluate(try resaved("state_dict")),
                    note: "tensor names: `state_dict.` removed (the checkpoint's `state_dict` entry); 4 tensors outside it left out")
    }

    /// `{'model': DataParallel state dict, 'optimizer': …}`.
    func testModelWrapperAroundDataParallelIsUnwrapped() throws {
        assertReads(try evaluate(try resaved("model")),
                    note: "`model.module.` removed (the checkpoint's `model` entry + DataParallel's `module.`)")
    }

    func testModelStateDictWrapperIsUnwrapped() throws {
        assertReads(try evaluate(try resaved("model_state_dict")), note: "`model_state_dict.` removed")
    }

    /// A safetensors file saved from a DataParallel model.
    func testModulePrefixInSafetensorsIsRemoved() throws {
        let weights = try Fixtures.resavedSafetensors("mobilenet_v1_025-cifar10.safetensors", metadata: ["arch": "mobilenet_v1", "dataset": "cifar10"]) { "module." + $0 }
        assertReads(try evaluate(weights), note: "`module.` removed (DataParallel's `module.`)")
    }

    /// `--prefix` chooses the prefix; one that no tensor has is an error naming the file.
    func testPrefixFlagForcesOne() throws {
        let weights = try Fixtures.resavedSafetensors("mobilenet_v1_025-cifar10.safetensors", metadata: nil) { "backbone." + $0 }
        assertReads(try evaluate(weights, ["--prefix", "backbone."]), note: "`backbone.` removed (the sub-module `backbone.`), as --prefix asked")
        let wrong = try evaluate(weights, ["--prefix", "encoder."])
        XCTAssertEqual(wrong.status, 1)
        XCTAssertTrue(wrong.stderr.hasPrefix("error: \(weights): --prefix `encoder.`: no tensor name starts with it"), wrong.stderr)
        // '' keeps the names: the builder then cannot tell the layout.
        let none = try evaluate(weights, ["--prefix", ""])
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.stderr.contains("cannot tell the architecture"), none.stderr)
    }

    /// A layout none of the builders reads: the error names the closest one and where it stopped.
    func testUnknownLayoutNamesTheClosestOne() throws {
        // MobileNetV1 with its depthwise/pointwise blocks renamed (`dw` → `depthwise`).
        let weights = try Fixtures.resavedSafetensors("mobilenet_v1_025-cifar10.safetensors", metadata: nil) {
            $0.replacingOccurrences(of: ".dw.", with: ".depthwise.")
        }
        let r = try evaluate(weights)
        XCTAssertEqual(r.status, 1, r.text)
        XCTAssertTrue(r.stderr.hasPrefix("error: \(weights): cannot tell the architecture from the tensor names"), r.stderr)
        XCTAssertTrue(r.stderr.contains("the closest known layout is mobilenet_v1, which read 5 tensors and then stopped: missing tensor `features.1.dw.0.weight`"), r.stderr)
        XCTAssertTrue(r.stderr.contains("the nearest name the checkpoint has is `features.1.depthwise.0.weight`"), r.stderr)
    }
}
