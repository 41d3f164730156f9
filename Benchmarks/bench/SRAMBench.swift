import CRuntime
import Export
import Foundation
import ImageIO
import IntEngine
import QuantCore

/// `bench sram MODEL.q8 --sram BYTES|--arena BYTES [--data IMAGES] [--count N] [--out FILE.q8]`: the schedule
/// planner on a quantized model. Prints RAM, arena, lower bound and extra MACs of layer by layer,
/// in-place depthwise and the plan chosen for the budget; then runs `count` images of `data`
/// (converted to the model's input size) through the Swift engine layer by layer and under the
/// chosen schedule (optimized kernels; the reference kernels on the first 4 images) and through
/// the C runtime on the scheduled blob, and counts the images whose logits are identical.
/// `--without-in-place` writes the chosen stages without in-place depthwise (what in-place costs).
/// `--out` writes the scheduled blob (for q8run and the Cortex-M4 port).
/// With `arenaBudget` the budget is for q8_arena_size (arena + scratch): the RAM budget is that
/// plus the input and output buffers.
func benchSRAM(path: String, budget: Int, arenaBudget: Int?, data: String?, count: Int, out: String?, withoutInPlace: Bool = false) throws {
    let model = try readBlob(Array(try Data(contentsOf: URL(fileURLWithPath: path))), path: path)
    let budget = arenaBudget.map { $0 + model.input.shape.count + model.numClasses } ?? budget
    func line(_ name: String, _ m: QModel) {
        let plan = planMemory(m), macs = extraMACs(m)
        print("\(name): RAM \(plan.ramBytes) B = q8_arena_size \(plan.arenaBytes + plan.scratchBytes) + input \(plan.inputBytes) + output \(plan.outputBytes) (arena \(plan.arenaBytes), lower bound \(plan.lowerBoundBytes), scratch \(plan.scratchBytes)); "
              + "MACs \(macs.layerByLayer) + \(macs.extra) extra (\(String(format: "%.1f", 100 * Double(macs.extra) / Double(max(macs.layerByLayer, 1)))) %); \(scheduleSummary(m))")
    }
    var plain = model
    plain.schedule = ExecutionSchedule()
    var inPlace = plain
    inPlace.schedule.inPlaceDepthwise = true
    print("\(model.name) (\(path)), budget \(budget) B of RAM")
    line("layer by layer", plain)
    line("in-place depthwise", inPlace)
    let start = Date()
    var chosen = planSchedule(plain, ramBudget: budget)
    print(String(format: "planner: %.1f s, ", Date().timeIntervalSince(start)) + (chosen.fits ? "fits" : "does NOT fit"))
    line("chosen", chosen.model)
    if withoutInPlace {
        chosen.model.schedule.inPlaceDepthwise = false
        chosen.model.schedule.notInPlace = []
        line("chosen stages without in-place depthwise (written)", chosen.model)
    }
    let blob = try writeBlob(chosen.model)
    let reread = try readBlob(blob, path: "scheduled blob")
    precondition(reread.schedule == chosen.model.schedule, "the blob does not carry the schedule")
    if let out { try Data(blob).write(to: URL(fileURLWithPath: out)); print("wrote \(out) (\(blob.count) bytes)") }
    guard let data else { return }
    let s = model.input.shape
    let images = try loadImageSet(data, options: ImageSetOptions(height: s.h, width: s.w, channels: s.c, limit: count))
    let n = min(count, images.count)
    let flat = Array(images.pixels.prefix(n * s.count))
    let reference = try IntEngine(model: plain).logits(images: flat, count: n)
    let scheduled = try IntEngine(model: chosen.model).logits(images: flat, count: n)
    let scheduledRef = try IntEngine(model: chosen.model, useReference: true).logits(images: Array(flat.prefix(min(n, 4) * s.count)), count: min(n, 4))
    let cCount = min(n, 2)
    let c = try runCBlob(blob, images: flat, count: cCount)
    let same = (0..<n).filter { reference[$0] == scheduled[$0] }.count
    let sameC = (0..<cCount).filter { reference[$0] == c[$0] }.count
    let sameRef = (0..<min(n, 4)).filter { reference[$0] == scheduledRef[$0] }.count
    let distinct = Set(reference).count
    print("\(n) images of \(data): scheduled Swift engine identical on \(same)/\(n), reference kernels \(sameRef)/\(min(n, 4)), "
          + "C runtime (this build) on the scheduled blob \(sameC)/\(cCount) (\(distinct) distinct logit vectors)")
    if let out {
        try Data(flat).write(to: URL(fileURLWithPath: out + ".input.raw"))
        try Data(reference.flatMap { $0.map { UInt8(bitPattern: $0) } }).write(to: URL(fileURLWithPath: out + ".expected.raw"))
        print("wrote \(out).input.raw (\(n) images) and \(out).expected.raw (layer-by-layer logits): q8run \(out) \(out).input.raw OUT.raw && cmp OUT.raw \(out).expected.raw")
    }
}

/// The C runtime's logits for `count` images (q8_model_init, q8_run with exactly q8_arena_size bytes).
private func runCBlob(_ blob: [UInt8], images: [UInt8], count: Int) throws -> [[Int8]] {
    try blob.withUnsafeBufferPointer { b in
        var model = q8_model()
        let status = q8_model_init(&model, b.baseAddress, b.count)
        guard status == Q8_OK else { throw ToolkitError("blob", "C runtime refused it: \(String(cString: q8_status_name(status)))") }
        let size = q8_input_size(&model)
        var arena = [UInt8](repeating: 0x5A, count: q8_arena_size(&model))
        var input = [Int8](repeating: 0, count: size)
        return try (0..<count).map { i in
            for k in 0..<size { input[k] = Int8(truncatingIfNeeded: Int(images[i * size + k]) - 128) }
            var logits = [Int8](repeating: 0, count: q8_num_classes(&model))
            let s = q8_run(&model, input, &logits, &arena, arena.count)
            guard s == Q8_OK else { throw ToolkitError("blob", "q8_run: \(String(cString: q8_status_name(s)))") }
            return logits
        }
    }
}
