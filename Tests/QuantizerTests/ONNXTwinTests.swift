import XCTest
import QuantCore
import Models
import Pipeline
import Refine

/// A network quantizes to the same int8 model whether it comes from its checkpoint or from the
/// shared ONNX export of it, although the exporter folded its batch norms a few ulps differently
/// (`shortScale` keeps those last bits out of every scale). Checked on the conversion itself —
/// calibration, grids, weights, biases, multipliers — with the two data-driven refinements off:
/// the range search and bias correction decide from losses and means that such noise moves, so
/// with them the two models differ like two equally good runs (README, "ONNX in").
final class ONNXTwinTests: XCTestCase {
    func testONNXExportAndCheckpointQuantizeAlike() throws {
        let cifar = SharedData.path("datasets/cifar10/calib_batch.bin")
        for (name, calibPath) in [("mobilenet_v1_025-cifar10", cifar), ("shufflenet_v1_g3-cifar10", cifar),
                                  ("mobilenet_v3_small-fashion", "Calibration")] {
            let checkpoint = try loadGraph(weights: SharedData.path("models/\(name).safetensors"), options: ModelOptions())
            let onnx = try loadGraph(weights: SharedData.path("models/onnx/\(name).float.onnx"),
                                     options: ModelOptions(mean: checkpoint.preprocessing.mean, std: checkpoint.preprocessing.std))
            let calib = try loadImages(calibPath, for: checkpoint, limit: 64)
            let a = try convert(checkpoint, calib: calib, method: .percentile, biasCorrection: false, rangeSearch: false,
                                threads: 2, progress: false).model
            let b = try convert(onnx, calib: calib, method: .percentile, biasCorrection: false, rangeSearch: false,
                                threads: 2, progress: false).model
            XCTAssertEqual(a.nodes.count, b.nodes.count, name)
            guard a.nodes.count == b.nodes.count else { continue }
            var (weights, weightsDiffering, biases, biasesDiffering) = (0, 0, 0, 0)
            for (x, y) in zip(a.nodes, b.nodes) {
                XCTAssertEqual(x.output.scale, y.output.scale, "\(name) \(x.name): output scale")
                XCTAssertEqual(x.output.zeroPoint, y.output.zeroPoint, "\(name) \(x.name): output zero point")
                guard case .conv(let p) = x.op, case .conv(let q) = y.op else { continue }
                XCTAssertEqual(p.weightScales, q.weightScales, "\(name) \(x.name): weight scales")
                XCTAssertEqual(p.multiplier, q.multiplier, "\(name) \(x.name): multipliers")
                XCTAssertEqual(p.shift, q.shift, "\(name) \(x.name): shifts")
                weights += p.weights.count
                weightsDiffering += zip(p.weights, q.weights).filter { $0 != $1 }.count
                biases += p.bias.count
                biasesDiffering += zip(p.bias, q.bias).filter { $0 != $1 }.count
            }
            print("\(name): \(weightsDiffering) of \(weights) weights and \(biasesDiffering) of \(biases) biases differ")
            // Only values that sit on a rounding tie may go either way: a few per million weights.
            XCTAssertLessThanOrEqual(weightsDiffering * 100_000, weights, name)
            XCTAssertLessThanOrEqual(biasesDiffering * 1_000, biases, name)
        }
    }
}
