import Foundation
import QuantCore
import Models
import Calibration
import Quantizer
import ImageIO

/// Folds, calibrates on `calib` and converts: the float graph the int8 model is compared with
/// layer by layer, and the int8 model. With `rangeSearch`, each activation's range is then
/// refined against the float logits (`searchRanges`); with `biasCorrection`, every convolution's
/// bias absorbs the mean error its int8 input and rounded weights cause. `onCalibrated` gets the
/// calibration histograms (for the report's charts). `weightBits` gives layers 4-bit weights
/// (`QuantizerOptions.weightBits`); the range search and bias correction then see those weights.
/// With `equalize`, activations between a convolution and the depthwise convolution reading it
/// first get their channels' ranges evened out by exact power-of-two scales (`equalizeRanges`);
/// the returned float graph carries those scales (same outputs), and `onEqualized` gets how many
/// convolution → depthwise pairs there were (for the report).
public func convert(_ graph: Graph, calib: ImageSet, method: CalibrationMethod, percentile: Double = 99.99,
                    biasCorrection: Bool = true, rangeSearch: Bool = true, equalize: Bool = true, weightBits: [Int: Int] = [:], threads: Int, progress: Bool,
                    onEqualized: ((Int) -> Void)? = nil, onCalibrated: ((CalibrationSession) -> Void)? = nil) throws -> (folded: Graph, model: QModel) {
    var folded = try foldGraph(graph)
    if equalize {
        let equalized = equalizeRanges(folded, images: calib.subset(Array(0..<min(calib.count, 256))), threads: threads)
        folded = equalized.graph
        onEqualized?(equalized.pairs)
    }
    var (ranges, means, session) = try calibrate(folded, images: calib, method: method, percentile: percentile, threads: threads, progress: progress)
    onCalibrated?(session)
    var meta = ["calibration": method.rawValue, "calibration_images": "\(calib.count)", "calibration_data": calib.source,
                "bias_correction": "\(biasCorrection)"]
    // 4-bit 1×1 / linear layers round against their inputs' E[x xᵀ] (512 calibration images: a
    // classifier's input is one vector per image, and its Gram needs more samples than channels).
    let lowBit = weightBits.filter { $0.value < 8 }.map(\.key).filter { i in
        switch folded.nodes[i].op {
        case .conv(let c): return c.kernel == 1 && c.groups == 1
        case .linear: return true
        default: return false
        }
    }
    let grams = lowBit.isEmpty ? [:] : inputGrams(folded, images: calib.subset(Array(0..<min(calib.count, 512))), nodes: lowBit)
    var options = QuantizerOptions(metadata: meta, channelMeans: biasCorrection ? means : [:], weightBits: weightBits, inputGrams: grams)
    if rangeSearch {
        // Every int8 value of every search image is kept: at most ~1 GB of them.
        let perImage = (0...folded.nodes.count).reduce(0) { $0 + folded.shape($1).count }
        let images = calib.subset(Array(0..<min(calib.count, 256, max(16, (1 << 30) / perImage))))
        ranges.ranges = try searchRanges(folded, ranges: ranges.ranges, session: session, levels: rangeSearchLevels,
                                         images: images, options: options, threads: threads, progress: progress)
        meta["range_search_images"] = "\(images.count)"
        options.metadata = meta
    }
    var model = try quantize(folded, ranges: ranges.ranges, options: options)
    if biasCorrection { try correctBiases(&model, folded, images: calib, options: options, threads: threads, progress: progress) }
    return (folded, model)
}

