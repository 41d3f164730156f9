import XCTest
import Calibration
import QuantCore

final class SessionTests: XCTestCase {
    /// Three activations of different shapes of distribution.
    private let tensors: [Int: [Float]] = [
        1: Synthetic.gaussianWithOutliers(30_000, every: 7_000, outlier: 30),
        2: Synthetic.reluGaussian(30_000),
        5: Synthetic.laplace(30_000).map { $0 * 0.01 },
    ]

    func testMergedWorkersEqualOneSinglePass() throws {
        var single = try CalibrationSession(method: .entropy)
        for (v, values) in tensors { single.observe(value: v, values) }

        // Three workers see uneven chunks in different orders, small values before the large ones,
        // so their histograms grow differently before merging.
        var workers = try (0..<3).map { _ in try CalibrationSession(method: .entropy) }
        for (v, values) in tensors {
            let order = values.indices.sorted { abs(values[$0]) < abs(values[$1]) }
            var start = 0, k = 0
            while start < order.count {
                let end = Swift.min(order.count, start + 997 * (k % 4 + 1))
                workers[(k + v) % 3].observe(value: v, order[start..<end].map { values[$0] })
                start = end; k += 1
            }
        }
        var merged = workers[2]
        merged.merge(workers[0])
        merged.merge(workers[1])

        XCTAssertEqual(merged.histograms, single.histograms)
        for method in CalibrationMethod.allCases {
            let a = merged.ranges(method: method), b = single.ranges(method: method)
            XCTAssertEqual(a.ranges.count, 3)
            for v in tensors.keys {
                XCTAssertEqual(a[v]?.min, b[v]?.min, "\(method) value \(v)")
                XCTAssertEqual(a[v]?.max, b[v]?.max, "\(method) value \(v)")
            }
        }
    }

    func testMinMaxObserverMergeEqualsSinglePass() {
        let values = Synthetic.gaussian(10_000)
        var single = MinMaxObserver()
        single.observe(values)
        var a = MinMaxObserver(), b = MinMaxObserver()
        a.observe(Array(values[..<3_000]))
        b.observe(Array(values[3_000...]))
        b.merge(a)
        XCTAssertEqual(b, single)
    }

    func testHistogramObserversMergeEqualsSinglePass() {
        let values = Synthetic.laplace(10_000)
        var single = MSEObserver()
        single.observe(values)
        var a = MSEObserver(), b = MSEObserver()
        a.observe(Array(values[5_000...]))
        b.observe(Array(values[..<5_000]))
        a.merge(b)
        XCTAssertEqual(a, single)
        XCTAssertEqual(a.range().max, single.range().max)
    }

    func testRangesUseTheSessionMethod() throws {
        var s = try CalibrationSession(method: .percentile, percentile: 99)
        for (v, values) in tensors { s.observe(value: v, values) }
        let r = s.ranges()
        XCTAssertEqual(r.method, .percentile)
        XCTAssertEqual(r[1]?.max, s.ranges(method: .percentile).ranges[1]?.max)
        XCTAssertNotEqual(r[1]?.max, s.ranges(method: .minmax)[1]?.max)
        XCTAssertNil(r[3])
        XCTAssertEqual(s.ranges(method: .minmax)[1]?.max, tensors[1]?.max())
    }

    func testPercentileOutsideRangeIsRejected() {
        XCTAssertThrowsError(try CalibrationSession(method: .percentile, percentile: 0.9999)) { error in
            XCTAssertTrue((error as? ToolkitError)?.message.contains("percentile") ?? false)
        }
        XCTAssertThrowsError(try CalibrationSession(method: .percentile, percentile: 100.5))
        XCTAssertThrowsError(try CalibrationSession(method: .percentile, percentile: .nan))
        XCTAssertNoThrow(try CalibrationSession(method: .percentile, percentile: 100))
    }
}
