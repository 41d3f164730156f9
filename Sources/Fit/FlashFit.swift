import Foundation
import QuantCore
import ImageIO
import Models
import Calibration
import Quantizer
import IntEngine
import Export
import Refine

/// One weighted layer's case for int4 weights: what it costs the logits, what it saves in flash.
public struct LayerScore: Sendable, Equatable {
    /// Node index (graph and model numbering).
    public var node: Int
    public var name: String
    /// Mean over the scoring images of the squared change of the dequantized logits (summed over
    /// classes) when this layer alone holds int4 weights, against the all-int8 model.
    public var logitError: Double
    /// Blob bytes saved by this layer's weights in int4.
    public var savedBytes: Int
    /// Number of weights of the layer.
    public var weights: Int

    public init(node: Int, name: String, logitError: Double, savedBytes: Int, weights: Int) {
        self.node = node; self.name = name; self.logitError = logitError; self.savedBytes = savedBytes; self.weights = weights
    }
}

/// What `fitFlash` did to meet a flash budget.
public struct FlashFit: Sendable {
    /// The largest blob allowed (flash minus the firmware reserve).
    public var limit: Int
    /// Blob bytes with every layer int8 (the model without a budget), and with every weighted
    /// layer's weights int4 on the same activation grids.
    public var int8Bytes: Int, int4Bytes: Int
    /// Blob bytes of the model chosen (`blobSize`: exactly what is written).
    public var bytes: Int
    /// Every weighted layer's score, best candidate (least error per byte saved) first.
    public var scores: [LayerScore]
    /// The layers given int4 weights, in the order they were chosen.
    public var chosen: [LayerScore]
    /// Calibration images the scores were measured on.
    public var scoringImages: Int

    /// Share of all weights that are int4, in percent.
    public var int4WeightPercent: Double {
        100 * Double(chosen.reduce(0) { $0 + $1.weights }) / Double(max(1, scores.reduce(0) { $0 + $1.weights }))
    }
}

/// The convolution and linear nodes of a folded graph: the layers whose weights can be int4.
public func weightedLayers(_ folded: Graph) -> [Int] {
    folded.nodes.indices.filter {
        switch folded.nodes[$0].op {
        case .conv, .linear: return true
        default: return false
        }
    }
}

/// Scores every weighted layer for int4 weights: the layer alone is converted again with 4-bit
/// weights (and the float channel means for its bias), and the int8 logits of up to 256
/// calibration images are compared with those of `base`.
public func scoreInt4Layers(_ folded: Graph, base: QModel, calib: ImageSet, method: CalibrationMethod, percentile: Double,
                            threads: Int, progress: Bool) throws -> (scores: [LayerScore], images: Int) {
    let layers = weightedLayers(folded)
    let (_, means, _) = try calibrate(folded, images: calib, method: method, percentile: percentile, threads: threads, progress: false)
    let probe = calib.subset(Array(0..<min(256, calib.count)))
    let engine = try IntEngine(model: base)
    let reference = engine.logits(images: probe.pixels, count: probe.count, threads: threads)
    let outScale = base.info(base.nodes.count).scale
    let baseBytes = blobSize(base)
    let line = ProgressLine("int4 layer scores", total: layers.count, unit: "layers", enabled: progress)
    var scores: [LayerScore] = []
    for i in layers {
        var trial = base
        try reconvertWeighted(&trial, graph: folded, node: i, options: QuantizerOptions(channelMeans: means, weightBits: [i: 4]))
        let out = try engine.updated(trial, changed: [i]).logits(images: probe.pixels, count: probe.count, threads: threads)
        var error = 0.0
        for (a, b) in zip(reference, out) {
            for (x, y) in zip(a, b) { let d = Double(Int(x) - Int(y)) * outScale; error += d * d }
        }
        let n: Int
        if case .conv(let c) = base.nodes[i].op { n = c.weights.count } else { n = 0 }
        scores.append(LayerScore(node: i, name: folded.nodes[i].name, logitError: error / Double(probe.count),
                                 savedBytes: baseBytes - blobSize(trial), weights: n))
        line.advance()
    }
    // Least error per byte saved first; ties by node order, so the choice is deterministic.
    scores.sort { a, b in
        let ka = a.logitError / Double(max(1, a.savedBytes)), kb = b.logitError / Double(max(1, b.savedBytes))
        return ka != kb ? ka < kb : a.node < b.node
    }
    return (scores, probe.count)
}

/// Greedy choice: layers go to int4 in score order until the blob (of `int8Bytes` with every
/// layer int8) fits `limit`. Returns the layers chosen, in order.
public func chooseInt4Layers(_ scores: [LayerScore], int8Bytes: Int, limit: Int) -> [LayerScore] {
    var bytes = int8Bytes
    var chosen: [LayerScore] = []
    for s in scores where bytes > limit {
        chosen.append(s)
        bytes -= s.savedBytes
    }
    return chosen
}

/// The flash stage: when `base` (the all-int8 conversion of `graph`) makes a blob larger than
/// `limit`, layers get int4 weights in the order of `scoreInt4Layers` until the blob fits, and the
/// model is converted again with them (`convert`, Refine: range search and bias correction see
/// the int4 weights; 1×1 and linear int4 layers are rounded against their inputs). Returns nil
/// when `base` fits already (nothing changes). Throws, naming `file`, when even every layer in
/// int4 does not fit: by how much, and the flash that plan would need.
public func fitFlash(graph: Graph, folded: Graph, base: QModel, calib: ImageSet, limit: Int, reserve: Int, file: String,
                     method: CalibrationMethod, percentile: Double = 99.99, rangeSearch: Bool, equalize: Bool = true, threads: Int, progress: Bool,
                     log: (String) -> Void) throws -> (model: QModel, fit: FlashFit)? {
    let (int8Bytes, int4Bytes) = try blobBounds(folded, base: base)
    guard int8Bytes > limit else { return nil }
    if let problem = flashProblem(int8Bytes: int8Bytes, int4Bytes: int4Bytes, limit: limit, reserve: reserve) {
        throw ToolkitError(file, problem + ". Nothing was written")
    }
    log("flash: the all-int8 blob is \(grouped(int8Bytes)) B, over the \(grouped(limit)) B budget: choosing layers for int4 weights "
        + "(all int4: \(grouped(int4Bytes)) B)")
    let (scores, images) = try scoreInt4Layers(folded, base: base, calib: calib, method: method, percentile: percentile,
                                               threads: threads, progress: progress)
    var chosen = chooseInt4Layers(scores, int8Bytes: int8Bytes, limit: limit)
    while true {
        let bits = Dictionary(uniqueKeysWithValues: chosen.map { ($0.node, 4) })
        var (_, model) = try convert(graph, calib: calib, method: method, percentile: percentile, rangeSearch: rangeSearch, equalize: equalize,
                                     weightBits: bits, threads: threads, progress: progress)
        model.metadata.merge(base.metadata) { _, kept in kept }  // the blob's size counts its metadata too
        let bytes = blobSize(model)
        // Each layer's saving was measured on its own blob; after the second conversion a layer's
        // parameter tensors can differ by a few bytes, so the blob written is checked, and one more
        // layer taken while it is over.
        if bytes <= limit {
            return (model, FlashFit(limit: limit, int8Bytes: int8Bytes, int4Bytes: int4Bytes, bytes: bytes,
                                    scores: scores, chosen: chosen, scoringImages: images))
        }
        guard chosen.count < scores.count else {
            throw ToolkitError(file, "does not fit the flash budget: with every layer's weights in int4 the converted model's blob is "
                + "\(grouped(bytes)) B, \(grouped(bytes - limit)) B over the \(grouped(limit)) B the budget leaves. Nearest feasible plan: "
                + "every layer int4, with --flash \(byteSize(roundUpK(bytes + reserve))). Nothing was written")
        }
        chosen.append(scores[chosen.count])
    }
}

/// Blob bytes of `base` (every layer int8) and of `base` with every weighted layer's weights in
/// int4 on the same activation grids: the smallest blob the layer choice can reach.
public func blobBounds(_ folded: Graph, base: QModel) throws -> (int8: Int, int4: Int) {
    var all4 = base
    for i in weightedLayers(folded) {
        try reconvertWeighted(&all4, graph: folded, node: i, options: QuantizerOptions(weightBits: [i: 4]))
    }
    return (blobSize(base), blobSize(all4))
}

/// Why a blob limit cannot be met even with every layer int4 — by how much, and the flash (or
/// reserve) that plan needs — or nil when it can.
public func flashProblem(int8Bytes: Int, int4Bytes: Int, limit: Int, reserve: Int) -> String? {
    guard int4Bytes > limit else { return nil }
    let over = int4Bytes - limit
    return "does not fit the flash budget: the blob may take \(grouped(limit)) B (flash minus the "
        + "\(byteSize(reserve)) firmware reserve), but even with every layer's weights in int4 it is \(grouped(int4Bytes)) B, "
        + "\(grouped(over)) B over (all int8: \(grouped(int8Bytes)) B). Nearest feasible plan: every layer int4, "
        + "which needs --flash \(byteSize(roundUpK(int4Bytes + reserve))) with this reserve"
        + (over < reserve ? ", or --flash-reserve \(byteSize((reserve - over) & ~1023)) with this flash" : "")
}

/// Checks, before any long work, that `budget` can be met by `base` (the all-int8 conversion of
/// `folded`): its RAM against the SRAM budget, and the all-int4 blob against the flash budget.
/// Throws one error naming `file` with every budget that cannot be met.
public func checkBudget(_ budget: Budget, base: QModel, folded: Graph, file: String) throws {
    var problems: [String] = []
    if let s = budget.sramBytes, let p = sramProblem(base, budget: s) { problems.append(p) }
    if let limit = budget.blobLimit {
        let (int8, int4) = try blobBounds(folded, base: base)
        if int8 > limit, let p = flashProblem(int8Bytes: int8, int4Bytes: int4, limit: limit, reserve: budget.flashReserve) { problems.append(p) }
    }
    guard problems.isEmpty else { throw ToolkitError(file, problems.joined(separator: "; and it ") + ". Nothing was written") }
}

/// `n` rounded up to a whole KiB.
func roundUpK(_ n: Int) -> Int { (n + 1023) & ~1023 }
