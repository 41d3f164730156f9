import Foundation
import QuantCore
import Models
import Calibration
import Quantizer
import IntEngine
import Refine
import Pipeline
import Reports
import Export

/// Mixed int4/int8 weights against a flash budget (issue 14's layer choice, measured before the
/// packed format exists): 4-bit weights are held as int8 values in [−7, 7], so every engine runs
/// them unchanged and the accuracy figures are those of the real int4 model. The flash column is
/// the blob with those layers' weights packed two per byte — *computed* from the blob's size, since
/// the packed blob is not written yet.
///
/// Layer choice: each weighted layer alone in int4 (with the empirical bias correction) is scored
/// by the mean squared change of the dequantized logits over 256 calibration images, against the
/// all-int8 model; layers go to int4 in order of that error per byte saved until the blob fits.
func benchInt4(models: [String], flashBudget: Int, method: CalibrationMethod, percentile: Double) throws {
    let names = models.isEmpty ? ["mobilenet_v3_small-fashion"] : models
    for m in benchModels where names.contains(m.name) {
        let start = Date()
        let graph = try benchGraph(m)
        let (calib, eval) = try benchData(m, graph, calibLimit: nil, evalLimit: nil)
        let (folded, base) = try convert(graph, calib: calib, method: method, percentile: percentile, threads: 2, progress: false)
        let weighted = folded.nodes.indices.filter { if case .conv = folded.nodes[$0].op { return true }; if case .linear = folded.nodes[$0].op { return true }; return false }
        func weightCount(_ i: Int) -> Int { if case .conv(let c) = base.nodes[i].op { return c.weights.count }; return 0 }
        func packedFlash(_ model: QModel, _ int4: Set<Int>) -> Int {
            planMemory(model).flashBytes - int4.reduce(0) { $0 + weightCount($1) / 2 }
        }
        func row(_ label: String, _ model: QModel, _ int4: Set<Int>) throws {
            let (f, q) = try compareLogits(graph, model, images: eval, threads: 2, progress: false)
            let r = try AccuracyReport.make(floatLogits: f, int8Logits: q, labels: eval.labels, model: m.name, dataset: m.eval,
                                            calibrationMethod: method.rawValue, calibrationImages: calib.count)
            let w4 = int4.reduce(0) { $0 + weightCount($1) }, all = weighted.reduce(0) { $0 + weightCount($1) }
            say(String(format: "| %@ | %@ | %d of %d (%.1f %% of weights) | %d | %@ | %.2f | %.2f | %.2f |", m.name, label, int4.count, weighted.count,
                       100 * Double(w4) / Double(max(1, all)), packedFlash(model, int4), packedFlash(model, int4) <= flashBudget ? "yes" : "no",
                       r.floatTop1, r.int8Top1, r.agreementTop1))
        }
        say("int4: \(m.name), flash budget \(flashBudget) B, \(weighted.count) weighted layers, \(calib.count) calibration / \(eval.count) evaluation images")
        say("| model | weights | int4 layers | flash (int4 packed, computed) | fits | float top-1 | int8 top-1 | agreement |")
        say("|---|---|---|---:|:---:|---:|---:|---:|")
        try row("all int8", base, [])

        // Sensitivity of each layer alone in int4.
        let (_, means, _) = try calibrate(folded, images: calib, method: method, percentile: percentile, threads: 2, progress: false)
        let probe = calib.subset(Array(0..<min(256, calib.count)))
        let baseEngine = try IntEngine(model: base)
        let ref = baseEngine.logits(images: probe.pixels, count: probe.count, threads: 2)
        let sOut = base.info(base.nodes.count).scale
        var scored: [(node: Int, error: Double, saved: Int)] = []
        for i in weighted {
            var trial = base
            try reconvertWeighted(&trial, graph: folded, node: i, options: QuantizerOptions(channelMeans: means, weightBits: [i: 4]))
            let out = try baseEngine.updated(trial, changed: [i]).logits(images: probe.pixels, count: probe.count, threads: 2)
            var err = 0.0
            for (a, b) in zip(ref, out) { for (x, y) in zip(a, b) { let d = Double(Int(x) - Int(y)) * sOut; err += d * d } }
            scored.append((i, err / Double(probe.count), weightCount(i) / 2))
        }
        scored.sort { $0.error / Double(max(1, $0.saved)) < $1.error / Double(max(1, $1.saved)) }
        var chosen = Set<Int>(), flash = packedFlash(base, [])
        for s in scored where flash > flashBudget { chosen.insert(s.node); flash -= s.saved }
        let (_, mixed) = try convert(graph, calib: calib, method: method, percentile: percentile,
                                     weightBits: Dictionary(uniqueKeysWithValues: chosen.map { ($0, 4) }), threads: 2, progress: false)
        try row("mixed for the budget", mixed, chosen)
        let (_, all4) = try convert(graph, calib: calib, method: method, percentile: percentile,
                                    weightBits: Dictionary(uniqueKeysWithValues: weighted.map { ($0, 4) }), threads: 2, progress: false)
        try row("all int4", all4, Set(weighted))
        let kept = weighted.filter { !chosen.contains($0) }.map { folded.nodes[$0].name }
        say("layers kept int8 in the mix: \(kept.joined(separator: ", "))")
        say("most sensitive (error per byte saved, top 5): " + scored.suffix(5).reversed().map { "\(folded.nodes[$0.node].name) \(String(format: "%.3g", $0.error))" }.joined(separator: ", "))
        say("seconds: \(Int(Date().timeIntervalSince(start)))")
    }
}
