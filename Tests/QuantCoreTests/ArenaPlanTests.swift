import XCTest
import QuantCore
import TestSupport

/// The one arena planner on hand-made lifetimes: values alive together never share bytes, the
/// alignment holds, unplaced values stay at 0, and a chain reuses memory down to its lower bound.
final class ArenaPlanTests: XCTestCase {
    func testRandomLifetimesNeverShareLiveBytes() {
        var rng = TestRandom(seed: 17)
        for _ in 0..<50 {
            let n = Int.random(in: 2...30, using: &rng)
            let sizes = (0..<n).map { _ in Int.random(in: 1...500, using: &rng) }
            let lifetimes = (0..<n).map { _ -> ClosedRange<Int> in
                let a = Int.random(in: 0...20, using: &rng)
                return a...(a + Int.random(in: 0...6, using: &rng))
            }
            let placing = (0..<n).filter { $0 % 7 != 3 }
            let alignment = [1, 16, 64].randomElement(using: &rng)!
            let plan = planArena(sizes: sizes, lifetimes: lifetimes, placing: placing, alignment: alignment)
            for a in placing {
                XCTAssertEqual(plan.offsets[a] % alignment, 0)
                XCTAssertLessThanOrEqual(plan.offsets[a] + sizes[a], plan.arenaBytes)
                for b in placing where b > a && lifetimes[a].overlaps(lifetimes[b]) {
                    XCTAssertTrue(plan.offsets[a] + sizes[a] <= plan.offsets[b] || plan.offsets[b] + sizes[b] <= plan.offsets[a],
                                  "values \(a) and \(b) are alive together and share bytes")
                }
            }
            for v in 0..<n where !placing.contains(v) { XCTAssertEqual(plan.offsets[v], 0) }
            XCTAssertLessThanOrEqual(plan.lowerBoundBytes, plan.arenaBytes)
            XCTAssertEqual(plan.arenaBytes % alignment, 0)
        }
    }

    /// A chain 0 → 1 → 2 → 3: each step needs its input and output, so two buffers suffice.
    func testChainReusesMemory() {
        let lifetimes = valueLifetimes(nodeInputs: [[0], [1], [2]])
        XCTAssertEqual(lifetimes, [0...0, 0...1, 1...2, 2...2])
        let plan = planArena(sizes: [100, 64, 32, 64], lifetimes: lifetimes, placing: [0, 1, 2, 3], alignment: 16)
        XCTAssertEqual(plan.lowerBoundBytes, 164)
        XCTAssertEqual(plan.arenaBytes, 176)  // 100 → 112 aligned, + 64
        XCTAssertLessThan(plan.arenaBytes, 112 + 64 + 32 + 64)  // less than one buffer per value
        XCTAssertNil(arenaConflict(offsets: plan.offsets, sizes: plan.sizes, lifetimes: plan.lifetimes))
        XCTAssertNotNil(arenaConflict(offsets: [0, 0, 0, 0], sizes: plan.sizes, lifetimes: plan.lifetimes))
    }
}
