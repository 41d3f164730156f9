import XCTest
import QuantCore

/// The one parallel map: results in index order whatever the timing, every index once, workers in
/// range, serialized progress; and the slices wrapper.
final class ParallelTests: XCTestCase {
    func testResultsInIndexOrderWhateverTheTiming() {
        for threads in [1, 2, 3, 8] {
            var progress: [Int] = []
            let workers = workerCount(37, threads: threads)
            let out = parallelMap(count: 37, threads: threads, progress: { done, total in
                XCTAssertEqual(total, 37)
                progress.append(done)
            }) { worker, i -> (Int, Int) in
                // Uneven work, so that late indices finish before early ones.
                if i % 5 == 0 { usleep(UInt32(2000 - 40 * i)) }
                return (i * i, worker)
            }
            XCTAssertEqual(out.map(\.0), (0..<37).map { $0 * $0 }, "threads \(threads)")
            XCTAssertTrue(out.allSatisfy { $0.1 >= 0 && $0.1 < workers }, "threads \(threads)")
            XCTAssertEqual(progress, Array(1...37), "threads \(threads)")
        }
        XCTAssertEqual(parallelMap(count: 0, threads: 4) { _, i in i }, [])
        XCTAssertEqual(workerCount(3, threads: 8), 3)
        XCTAssertEqual(workerCount(0, threads: 8), 1)
    }

    func testSlicesCoverTheRangeInOrder() {
        let slices = parallelSlices(count: 10, threads: 3) { w, r in (w, r) }
        XCTAssertEqual(slices.map(\.0), [0, 1, 2])
        XCTAssertEqual(slices.map(\.1), [0..<3, 3..<6, 6..<10])
        XCTAssertEqual(parallelSlices(count: 2, threads: 4) { _, r in r }, [0..<1, 1..<2])
    }
}
