import Foundation
import XCTest
import QuantCore
import ModelIO
import IntEngine
import Export

/// Writes one model's check for `Scripts/tflm_check.py` (TensorFlow Lite Micro as the oracle):
/// `.build/tflm-check/NAME/` with `model.tflite` (written by `writeTFLite`), `model.q8`,
/// `inputs.raw` (the int8 input tensors: pixel − 128), `logits.raw` (the Swift engine's logits,
/// which the calling test has already compared with the C runtime's) and `info.json` (our arena:
/// the memory plan's activation arena plus kernel scratch, what `q8_arena_size()` asks for).
///
/// It also imports the `.tflite` back (`importTFLite`): the imported model must be the same model —
/// its blob byte for byte `blob`, and the Swift engine running it gives `logits` on `pixels`.
func writeTFLMCheck(_ model: QModel, blob: [UInt8], pixels: [UInt8], logits: [[Int8]], name: String,
                    file: StaticString = #filePath, line: UInt = #line) throws {
    let dir = FileManager.default.currentDirectoryPath + "/.build/tflm-check/" + name
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let tflite = try writeTFLite(model)
    let imported = try importTFLite(try parseTFLite(tflite, path: name + ".tflite"), path: name + ".tflite", name: "imported")
    XCTAssertEqual(imported.name, model.name, file: file, line: line)
    XCTAssertNil(imported.metadata["input"], "\(name): the input of an exported model stays pixel − 128", file: file, line: line)
    let back = try writeBlob(imported)
    XCTAssertEqual(back.count, blob.count, "\(name): blob of the imported .tflite", file: file, line: line)
    XCTAssertTrue(back == blob, "\(name): the imported .tflite's blob differs from the model's", file: file, line: line)
    let importedLogits = try IntEngine(model: imported).logits(images: pixels, count: logits.count)
    XCTAssertEqual(importedLogits.count, logits.count, file: file, line: line)
    XCTAssertEqual(zip(importedLogits, logits).reduce(0) { $0 + zip($1.0, $1.1).filter { $0 != $1 }.count }, 0,
                   "\(name): differing logit bytes, imported .tflite vs the model", file: file, line: line)
    try Data(tflite).write(to: URL(fileURLWithPath: dir + "/model.tflite"))
    try Data(blob).write(to: URL(fileURLWithPath: dir + "/model.q8"))
    try Data(pixels.map { $0 ^ 0x80 }).write(to: URL(fileURLWithPath: dir + "/inputs.raw"))
    try Data(logits.flatMap { $0.map { UInt8(bitPattern: $0) } }).write(to: URL(fileURLWithPath: dir + "/logits.raw"))
    let plan = planMemory(model)
    let info: [String: Any] = ["name": name, "images": logits.count, "arena": plan.arenaBytes + plan.scratchBytes, "input_is_pixels": model.inputIsPixels,
                               "tflite_bytes": tflite.count, "blob_bytes": blob.count]
    try JSONSerialization.data(withJSONObject: info, options: [.sortedKeys]).write(to: URL(fileURLWithPath: dir + "/info.json"))
}
