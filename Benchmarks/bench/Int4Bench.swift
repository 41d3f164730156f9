import Foundation
import QuantCore
import Models
import Calibration
import IntEngine
import Refine
import Pipeline
import Reports
import Export
import Fit

/// Mixed int4/int8 weights against a blob limit: the main command's layer choice (`Fit`:
/// `scoreInt4Layers`, `chooseInt4Layers`) with the accuracy of all-int8, the chosen mix and
/// all-int4 on the whole evaluation split. `flashBudget` is the blob's limit itself (the main
/// command's `--flash` minus its firmware reserve). 4-bit weights are values in [−7, 7]
/// (`QConv.weightBits` 4) that every engine runs as they are and the blob stores packed two per
/// byte (blob version 4); the flash column is `blobSize`, and where the bytes go is printed for
/// the all-int8 and all-int4 models (`blobBreakdown`).
///
/// With `outDir`, the mix's blob is written there as `model.q8` with the first 256 evaluation
/// images (`images.raw`, and the first 16 as `images16.raw`) and the Swift IntEngine's int8 logits
/// for them (`swift.logits`, `swift16.logits`), for the C runtime (`Targets/build/q8run`) and the
/// Cortex-M4 (`make -C Targets/cortex-m4 check`) to be compared against.
func benchInt4(models: [String], flashBudget: Int, method: CalibrationMethod, percentile: Double, outDir: String? = nil) throws {
    let names = models.isEmpty ? ["mobilenet_v3_small-fashion"] : models
    for m in benchModels where names.contains(m.name) {
        let start = Date()
        let graph = try benchGraph(m)
        let (calib, eval) = try benchData(m, graph, calibLimit: nil, evalLimit: nil)
        let (folded, base) = try convert(graph, calib: calib, method: method, percentile: percentile, threads: 2, progress: false)
        let weighted = weightedLayers(folded)
        func weightCount(_ i: Int) -> Int { if case .conv(let c) = base.nodes[i].op { return c.weights.count }; return 0 }
        func row(_ label: String, _ model: QModel, _ int4: Set<Int>) throws {
            let (f, q) = try compareLogits(graph, model, images: eval, threads: 2, progress: false)
            let r = try AccuracyReport.make(floatLogits: f, int8Logits: q, labels: eval.labels, model: m.name, dataset: m.eval,
                                            calibrationMethod: method.rawValue, calibrationImages: calib.count)
            let w4 = int4.reduce(0) { $0 + weightCount($1) }, all = weighted.reduce(0) { $0 + weightCount($1) }
            say(String(format: "| %@ | %@ | %d of %d (%.1f %% of weights) | %d | %@ | %.2f | %.2f | %.2f |", m.name, label, int4.count, weighted.count,
                       100 * Double(w4) / Double(max(1, all)), blobSize(model), blobSize(model) <= flashBudget ? "yes" : "no",
                       r.floatTop1, r.int8Top1, r.agreementTop1))
        }
        say("int4: \(m.name), blob limit \(flashBudget) B, \(weighted.count) weighted layers, \(calib.count) calibration / \(eval.count) evaluation images")
        say("| model | weights | int4 layers | flash (blob bytes) | fits | float top-1 | int8 top-1 | agreement |")
        say("|---|---|---|---:|:---:|---:|---:|---:|")
        try row("all int8", base, [])

        let (scored, _) = try scoreInt4Layers(folded, base: base, calib: calib, method: method, percentile: percentile, threads: 2, progress: true)
        let chosen = Set(chooseInt4Layers(scored, int8Bytes: blobSize(base), limit: flashBudget).map(\.node))
        let (_, mixed) = try convert(graph, calib: calib, method: method, percentile: percentile,
                                     weightBits: Dictionary(uniqueKeysWithValues: chosen.map { ($0, 4) }), threads: 2, progress: false)
        try row("mixed for the budget", mixed, chosen)
        let (_, all4) = try convert(graph, calib: calib, method: method, percentile: percentile,
                                    weightBits: Dictionary(uniqueKeysWithValues: weighted.map { ($0, 4) }), threads: 2, progress: false)
        try row("all int4", all4, Set(weighted))
        for (label, model) in [("all int8", base), ("all int4", all4)] {
            say("blob bytes, \(label): " + blobBreakdown(model).map { "\($0.part) \($0.bytes)" }.joined(separator: ", ") + " = \(blobSize(model))")
        }
        if let dir = outDir {
            let count = min(256, eval.count), size = eval.height * eval.width * eval.channels
            let images = Array(eval.pixels.prefix(count * size))
            let logits = try IntEngine(model: mixed).logits(images: images, count: count, threads: 2).flatMap { $0.map { UInt8(bitPattern: $0) } }
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let files: [(String, [UInt8])] = [("model.q8", try writeBlob(mixed)), ("images.raw", images), ("swift.logits", logits),
                                              ("images16.raw", Array(images.prefix(16 * size))),
                                              ("swift16.logits", Array(logits.prefix(16 * mixed.numClasses)))]
            for (name, bytes) in files { try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name)) }
            say("wrote \(dir)/model.q8 (the mix, \(blobSize(mixed)) bytes), images.raw (\(count) images), swift.logits, images16.raw, swift16.logits")
        }
        let kept = weighted.filter { !chosen.contains($0) }.map { folded.nodes[$0].name }
        say("layers kept int8 in the mix: \(kept.joined(separator: ", "))")
        say("most sensitive (error per byte saved, top 5): " + scored.suffix(5).reversed().map { "\($0.name) \(String(format: "%.3g", $0.logitError))" }.joined(separator: ", "))
        say("seconds: \(Int(Date().timeIntervalSince(start)))")
    }
}
