import XCTest
import Calibration
import QuantCore

final class ObserverTests: XCTestCase {
    /// Range of `values` chosen by `method` through a fresh histogram.
    private func range(_ values: [Float], _ method: CalibrationMethod, percentile: Double = 99.99) -> (min: Float, max: Float) {
        var h = Histogram()
        h.observe(values)
        return CalibrationSession.range(of: h, method: method, percentile: percentile)
    }

    private func assertValid(_ r: (min: Float, max: Float), _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertLessThanOrEqual(r.min, 0, what, file: file, line: line)
        XCTAssertGreaterThanOrEqual(r.max, 0, what, file: file, line: line)
        XCTAssertLessThan(r.min, r.max, what, file: file, line: line)
        XCTAssertTrue(r.min.isFinite && r.max.isFinite, what, file: file, line: line)
    }

    func testMinMaxIsExactExtremes() {
        let values = Synthetic.uniform(50_000, -1, 3)
        var o = MinMaxObserver()
        o.observe(values)
        let r = o.range()
        XCTAssertEqual(r.min, values.min())
        XCTAssertEqual(r.max, values.max())
        XCTAssertEqual(range(values, .minmax).min, values.min())
        XCTAssertEqual(range(values, .minmax).max, values.max())
    }

    func testEveryMethodGivesValidRangesOnKnownDistributions() {
        let cases: [(String, [Float])] = [
            ("uniform", Synthetic.uniform(40_000, -1, 3)),
            ("gaussian+outliers", Synthetic.gaussianWithOutliers(40_000, every: 20_000, outlier: 50)),
            ("relu", Synthetic.reluGaussian(40_000)),
            ("laplace", Synthetic.laplace(40_000)),
            ("shifted positive", Synthetic.uniform(10_000, 2, 5)),
            ("all negative", Synthetic.uniform(10_000, -5, -1)),
        ]
        for (name, values) in cases {
            let lo = values.min()!, hi = values.max()!
            for method in CalibrationMethod.allCases {
                let r = range(values, method)
                assertValid(r, "\(name) \(method)")
                // Never wider than the data (apart from including zero).
                XCTAssertGreaterThanOrEqual(r.min, Swift.min(lo, 0), "\(name) \(method)")
                XCTAssertLessThanOrEqual(r.max, Swift.max(hi, 0), "\(name) \(method)")
            }
        }
    }

    func testUniformDataIsBarelyClipped() {
        let values = Synthetic.uniform(100_000, -1, 3)
        let minmax = quantizationMSE(values, range(values, .minmax))
        for method in [CalibrationMethod.percentile, .mse, .entropy] {
            let r = range(values, method)
            XCTAssertLessThan(r.min, -0.9, "\(method)")
            XCTAssertGreaterThan(r.max, 2.7, "\(method)")
        }
        // The MSE range is not worse than minmax when there is nothing to clip.
        XCTAssertLessThanOrEqual(quantizationMSE(values, range(values, .mse)), minmax * 1.01)
    }

    func testPercentileMatchesSortedExactPercentile() {
        for values in [Synthetic.gaussian(200_000), Synthetic.laplace(100_000), Synthetic.reluGaussian(100_000)] {
            var h = Histogram()
            h.observe(values)
            let sorted = values.sorted()
            let tolerance = Float(Swift.max(h.positive.binWidth, h.negative.binWidth)) * 1.01
            for p in [0.0, 0.01, 0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100] {
                let exact = exactPercentile(sorted, p)
                XCTAssertEqual(h.percentile(p), exact, accuracy: tolerance, "p = \(p)")
            }
        }
    }

    func testPercentileClipsRareOutliers() {
        // 4 outliers in 100 000 values (0.004 %): the 99.99 percentile ignores them.
        let values = Synthetic.gaussianWithOutliers(100_000, every: 25_000, outlier: 50)
        let r = range(values, .percentile, percentile: 99.99)
        XCTAssertLessThan(r.max, 6)
        XCTAssertGreaterThan(r.max, 3)
        XCTAssertGreaterThan(r.min, -6)
        XCTAssertLessThan(r.min, -3)
        // With p = 100 it is minmax.
        let all = range(values, .percentile, percentile: 100)
        XCTAssertEqual(all.min, values.min())
        XCTAssertEqual(all.max, values.max())
    }

    func testMSEClipsHeavyTailsAndBeatsMinMax() {
        for (name, values) in [("contaminated gaussian", Synthetic.contaminatedGaussian(100_000)),
                               ("laplace", Synthetic.laplace(100_000))] {
            let full = range(values, .minmax)
            let clipped = range(values, .mse)
            XCTAssertLessThan(clipped.max, full.max * 0.97, name)
            XCTAssertGreaterThan(clipped.min, full.min * 0.97, name)
            let mseMinMax = quantizationMSE(values, full)
            let mseChosen = quantizationMSE(values, clipped)
            XCTAssertLessThan(mseChosen, mseMinMax * 0.95, "\(name): mse \(mseChosen) vs minmax \(mseMinMax)")
            // The histogram's error estimate is close to the measured one.
            var h = Histogram()
            h.observe(values)
            let estimate = h.mseOptimalRange().error / Double(values.count)
            XCTAssertEqual(estimate, mseChosen, accuracy: mseChosen * 0.05, name)
        }
    }

    func testEntropyClipsRareOutliersButKeepsTheBulk() {
        // 20 values of ±40 among 100 000 N(0, 1) values.
        let values = Synthetic.gaussianWithOutliers(100_000, every: 5_000, outlier: 40)
        let r = range(values, .entropy)
        XCTAssertLessThan(r.max, 10)
        XCTAssertGreaterThan(r.max, 3.5)
        XCTAssertEqual(r.min, -r.max, "one threshold on the magnitudes")
        // Without outliers it keeps (nearly) everything of a uniform distribution.
        let uniform = Synthetic.uniform(100_000, 0, 2)
        XCTAssertGreaterThan(range(uniform, .entropy).max, 1.95)
    }

    func testMSEKeepsFewLargeOutliersWhenClippingThemCostsMore() {
        // Clipping 20 values of ±40 to T costs 20·(40 − T)², far more than the rounding noise they
        // add to 100 000 values: the MSE range keeps them (unlike percentile and entropy).
        let values = Synthetic.gaussianWithOutliers(100_000, every: 5_000, outlier: 40)
        let r = range(values, .mse)
        XCTAssertGreaterThan(r.max, 35)
        XCTAssertLessThanOrEqual(quantizationMSE(values, r), quantizationMSE(values, range(values, .minmax)))
        XCTAssertLessThan(quantizationMSE(values, r), quantizationMSE(values, range(values, .percentile)))
    }

    func testReLUOutputsKeepZeroAsMinimum() {
        let values = Synthetic.reluGaussian(50_000)
        for method in CalibrationMethod.allCases {
            let r = range(values, method)
            XCTAssertEqual(r.min, 0, "\(method)")
            XCTAssertGreaterThan(r.max, 2, "\(method)")
            XCTAssertLessThanOrEqual(r.max, values.max()!, "\(method)")
        }
        XCTAssertEqual(activationQuantParams(min: 0, max: range(values, .mse).max).zeroPoint, -128)
    }

    func testConstantTensorGetsAUsableGrid() {
        for c: Float in [2.5, -0.75, 1e-3] {
            let values = [Float](repeating: c, count: 10_000)
            for method in CalibrationMethod.allCases {
                let r = range(values, method)
                assertValid(r, "\(c) \(method)")
                let p = activationQuantParams(min: r.min, max: r.max)
                XCTAssertGreaterThan(p.scale, 0)
                XCTAssertEqual(dequantize(quantize(c, p), p), Double(c), accuracy: Double(abs(c)) * 0.01, "\(c) \(method)")
            }
        }
    }

    func testAllZeroTensorGetsASmallValidRange() {
        let values = [Float](repeating: 0, count: 5_000)
        for method in CalibrationMethod.allCases {
            let r = range(values, method)
            XCTAssertEqual(r.min, 0, "\(method)")
            XCTAssertEqual(r.max, minimumActivationRangeSpan, "\(method)")
            let p = activationQuantParams(min: r.min, max: r.max)
            XCTAssertGreaterThan(p.scale, 0)
            XCTAssertEqual(p.zeroPoint, -128)
            XCTAssertEqual(quantize(0, p), -128)
        }
        var o = MinMaxObserver()
        o.observe(values)
        XCTAssertEqual(o.range().max, minimumActivationRangeSpan)
    }

    func testEmptyObserversGiveAValidRange() {
        assertValid(MinMaxObserver().range(), "minmax")
        assertValid(PercentileObserver().range(), "percentile")
        assertValid(MSEObserver().range(), "mse")
        assertValid(EntropyObserver().range(), "entropy")
    }

    func testNonFiniteValuesAreIgnored() {
        var values = Synthetic.uniform(1_000, -2, 2)
        values += [.nan, .infinity, -.infinity, Float.greatestFiniteMagnitude]
        var h = Histogram()
        h.observe(values)
        XCTAssertEqual(h.nonFinite, 3)
        XCTAssertEqual(h.count, 1_001)
        XCTAssertEqual(h.max, .greatestFiniteMagnitude)
        for method in CalibrationMethod.allCases {
            assertValid(CalibrationSession.range(of: h, method: method), "\(method)")
        }
        var o = MinMaxObserver()
        o.observe(values)
        XCTAssertEqual(o.range().max, .greatestFiniteMagnitude)
    }

    func testTinyAndHugeMagnitudesShareOneHistogram() {
        var h = Histogram()
        h.observe([1e-30, 3e-30])
        h.observe([1e30])
        XCTAssertEqual(h.count, 3)
        XCTAssertEqual(h.positive.total, 3)
        XCTAssertGreaterThan(h.positive.limit, 1e30)
        XCTAssertLessThanOrEqual(h.positive.limit, 2e30)
    }

    func testObserverTypesAgreeWithSession() throws {
        let values = Synthetic.laplace(20_000)
        var p = PercentileObserver(percentile: 99.9), m = MSEObserver(), e = EntropyObserver()
        p.observe(values); m.observe(values); e.observe(values)
        XCTAssertEqual(p.range().max, range(values, .percentile, percentile: 99.9).max)
        XCTAssertEqual(m.range().max, range(values, .mse).max)
        XCTAssertEqual(e.range().max, range(values, .entropy).max)
    }
}
