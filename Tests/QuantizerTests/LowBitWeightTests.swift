import XCTest
import TestSupport
@testable import Quantizer

/// 4-bit weights: the clipped step and the error-feedback rounding (`roundWithErrorFeedback`).
final class LowBitWeightTests: XCTestCase {
    /// Output error `Δwᵀ H Δw` of one row rounded to `q` on `step`.
    func outputError(_ w: [Double], _ q: [Double], step: Double, gram h: [Double]) -> Double {
        let n = w.count
        let d = (0..<n).map { w[$0] - q[$0] * step }
        var e = 0.0
        for a in 0..<n { for b in 0..<n { e += d[a] * h[a * n + b] * d[b] } }
        return e
    }

    func testErrorFeedbackBeatsNearestOnCorrelatedInputs() {
        var rng = TestRandom(seed: 41)
        let n = 24, rows = 16, samples = 400
        // Inputs with strong correlations: x = A z, z standard normal.
        let a = (0..<(n * 6)).map { _ in Double(rng.gaussian()) }
        var h = [Double](repeating: 0, count: n * n)
        for _ in 0..<samples {
            let z = (0..<6).map { _ in Double(rng.gaussian()) }
            let x = (0..<n).map { i in (0..<6).reduce(0.1 * Double(rng.gaussian())) { $0 + a[i * 6 + $1] * z[$1] } }
            for i in 0..<n { for j in 0..<n { h[i * n + j] += x[i] * x[j] / Double(samples) } }
        }
        let w = (0..<(rows * n)).map { _ in Double(rng.gaussian()) }
        let steps = (0..<rows).map { r in w[(r * n)..<((r + 1) * n)].map(abs).max()! / 7 }
        let fed = roundWithErrorFeedback(w, rows: rows, n: n, step: steps, levels: 7, gram: h)
        var better = 0, totalFed = 0.0, totalNearest = 0.0
        for r in 0..<rows {
            let row = Array(w[(r * n)..<((r + 1) * n)])
            let q = Array(fed[(r * n)..<((r + 1) * n)])
            XCTAssertTrue(q.allSatisfy { $0 == $0.rounded() && abs($0) <= 7 }, "row \(r): not integers in [-7, 7]")
            let nearest = row.map { max(-7, min(7, ($0 / steps[r]).rounded())) }
            let ef = outputError(row, q, step: steps[r], gram: h), en = outputError(row, nearest, step: steps[r], gram: h)
            totalFed += ef; totalNearest += en
            if ef < en { better += 1 }
        }
        XCTAssertLessThan(totalFed, 0.7 * totalNearest, "error feedback should cut the output error well below rounding to nearest")
        XCTAssertGreaterThanOrEqual(better, rows * 3 / 4)
    }

    func testUncorrelatedInputsRoundToNearest() {
        var rng = TestRandom(seed: 7)
        let n = 10, rows = 5
        var h = [Double](repeating: 0, count: n * n)
        for i in 0..<n { h[i * n + i] = 2 }
        let w = (0..<(rows * n)).map { _ in Double(rng.gaussian()) }
        let steps = [Double](repeating: 0.3, count: rows)
        let fed = roundWithErrorFeedback(w, rows: rows, n: n, step: steps, levels: 7, gram: h)
        XCTAssertEqual(fed, w.map { max(-7, min(7, ($0 / 0.3).rounded())) })
    }

    func testClippedStepNeverWorseThanMaxStep() {
        var rng = TestRandom(seed: 3)
        for _ in 0..<50 {
            let w = (0..<64).map { _ in rng.gaussian() * (rng.chance(8) ? 4 : 1) }
            let maxAbs = Double(w.map(abs).max()!)
            let step = clippedScale(w[...], maxAbs: maxAbs, levels: 7)
            func err(_ s: Double) -> Double { w.reduce(0) { let d = Double($1) - max(-7, min(7, (Double($1) / s).rounded())) * s; return $0 + d * d } }
            XCTAssertLessThanOrEqual(step, maxAbs / 7 * (1 + 1e-12))
            XCTAssertGreaterThanOrEqual(step, maxAbs / 7 * 0.5)
            XCTAssertLessThanOrEqual(err(step), err(maxAbs / 7) * (1 + 1e-12))
        }
    }
}
