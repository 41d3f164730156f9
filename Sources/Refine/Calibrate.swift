import Foundation
import QuantCore
import Models
import FloatEngine
import Calibration
import ImageIO

/// Calibration: runs the folded float graph over `images` on `threads` cores and observes the
/// range of every value.
public func calibrate(_ folded: Graph, images: ImageSet, method: CalibrationMethod, percentile: Double = 99.99, threads: Int, progress: Bool) throws -> (ranges: ActivationRanges, means: [Int: [Float]], session: CalibrationSession) {
    let empty = try CalibrationSession(method: method, percentile: percentile)
    let engine = FloatEngine(graph: folded)  // thread-safe: one workspace per worker
    let line = ProgressLine("calibrating", total: images.count, enabled: progress)
    let sessions = parallelSlices(count: images.count, threads: threads) { _, range in
        var session = empty
        var means = ChannelMeans(folded)
        for i in range {
            images.image(i).withUnsafeBufferPointer { px in
                _ = engine.run(pixels: px) { v, buf in
                    if v > 0 { session.observe(value: v, buf) }
                    means.add(value: v, buf)
                }
            }
            means.images += 1
            line.advance()
        }
        return (session, means)
    }
    var merged = sessions[0].0, means = sessions[0].1
    for s in sessions.dropFirst() { merged.merge(s.0); means.merge(s.1) }
    // The logits are never clipped: a clipped top class ties with the next one at 127.
    var ranges = merged.ranges()
    let output = folded.nodes.count
    ranges.ranges[output] = merged.ranges(method: .minmax).ranges[output]
    return (ranges, means.means(), merged)
}

