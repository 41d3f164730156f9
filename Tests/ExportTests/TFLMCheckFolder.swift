import Foundation
import QuantCore
import Export

/// Writes one model's check for `Scripts/tflm_check.py` (TensorFlow Lite Micro as the oracle):
/// `.build/tflm-check/NAME/` with `model.tflite` (written by `writeTFLite`), `model.q8`,
/// `inputs.raw` (the int8 input tensors: pixel − 128), `logits.raw` (the Swift engine's logits,
/// which the calling test has already compared with the C runtime's) and `info.json` (our arena:
/// the memory plan's activation arena plus kernel scratch, what `q8_arena_size()` asks for).
func writeTFLMCheck(_ model: QModel, blob: [UInt8], pixels: [UInt8], logits: [[Int8]], name: String) throws {
    let dir = FileManager.default.currentDirectoryPath + "/.build/tflm-check/" + name
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let tflite = try writeTFLite(model)
    try Data(tflite).write(to: URL(fileURLWithPath: dir + "/model.tflite"))
    try Data(blob).write(to: URL(fileURLWithPath: dir + "/model.q8"))
    try Data(pixels.map { $0 ^ 0x80 }).write(to: URL(fileURLWithPath: dir + "/inputs.raw"))
    try Data(logits.flatMap { $0.map { UInt8(bitPattern: $0) } }).write(to: URL(fileURLWithPath: dir + "/logits.raw"))
    let plan = planMemory(model)
    let info: [String: Any] = ["name": name, "images": logits.count, "arena": plan.arenaBytes + plan.scratchBytes,
                               "tflite_bytes": tflite.count, "blob_bytes": blob.count]
    try JSONSerialization.data(withJSONObject: info, options: [.sortedKeys]).write(to: URL(fileURLWithPath: dir + "/info.json"))
}
