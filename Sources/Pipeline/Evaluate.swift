import Foundation
import QuantCore
import ImageIO
import Models
import FloatEngine
import Reports

/// Float accuracy on labelled images.
public struct FloatEvaluation {
    public var top1: Double, top5: Double
    public var imagesPerSecond: Double
    public var logits: [[Float]]
}

/// Runs the float graph on every image (both cores) and scores top-1 / top-5 against the labels.
public func evaluateFloat(_ graph: Graph, images: ImageSet, threads: Int, progress: Bool) -> FloatEvaluation {
    let engine = FloatEngine(graph: graph)
    let line = ProgressLine("float eval", total: images.count, enabled: progress)
    let logits = engine.logits(images: images.pixels, count: images.count, threads: threads) { _, _ in line.advance() }
    var top1 = 0, top5 = 0
    for (i, l) in logits.enumerated() where images.labels[i] >= 0 {
        let order = topK(l, 5)
        if order[0] == images.labels[i] { top1 += 1 }
        if order.prefix(5).contains(images.labels[i]) { top5 += 1 }
    }
    let n = Double(max(1, images.labels.filter { $0 >= 0 }.count))
    return FloatEvaluation(top1: 100 * Double(top1) / n, top5: 100 * Double(top5) / n,
                           imagesPerSecond: Double(images.count) / max(line.seconds, 1e-9), logits: logits)
}
