import XCTest
import QuantCore
import IntEngine
@testable import Export
import TestSupport

/// The memory planner: valid plans (no two live values share bytes), close to the lower bound,
/// blob overhead, and the fit report.
final class MemoryPlanTests: XCTestCase {
    /// Checks a plan's invariants and returns it.
    @discardableResult
    private func checkedPlan(_ model: QModel, file: StaticString = #filePath, line: UInt = #line) -> MemoryPlan {
        let plan = planMemory(model)
        XCTAssertNil(arenaConflict(offsets: plan.offsets, sizes: plan.arena.sizes, lifetimes: plan.arena.lifetimes), file: file, line: line)
        for v in 1..<plan.offsets.count {
            XCTAssertEqual(plan.offsets[v] % 16, 0, file: file, line: line)
            XCTAssertLessThanOrEqual(plan.offsets[v] + plan.arena.sizes[v], plan.arenaBytes, file: file, line: line)
        }
        XCTAssertLessThanOrEqual(plan.lowerBoundBytes, plan.arenaBytes, file: file, line: line)
        return plan
    }

    func testPlansAreValidAndNearTheLowerBound() throws {
        let models = [TestModels.mobileNetV2Like(seed: 1), TestModels.shuffleNetV2Like(seed: 2),
                      TestModels.mobileNetV2Like(seed: 3, width: 0.5, size: 64), TestModels.shuffleNetV2Like(seed: 4, width: 0.5, size: 64),
                      TestModels.everyOp(seed: 5, size: 32)]
        for model in models {
            let plan = checkedPlan(model)
            XCTAssertLessThanOrEqual(plan.arenaOverhead, 1.1, "\(model.name): arena \(plan.arenaBytes) vs lower bound \(plan.lowerBoundBytes)")
            XCTAssertEqual(plan.flashBytes, try writeBlob(model).count)
            print("\(model.name): \(model.nodes.count) ops, arena \(plan.arenaBytes) B, lower bound \(plan.lowerBoundBytes) B "
                  + "(x\(plan.arenaOverhead)), blob \(plan.flashBytes) B, payload \(plan.weightBytes + plan.parameterBytes) B (x\(plan.flashOverhead))")
        }
    }

    func testBlobOverheadOnRealSizedModels() {
        for model in [TestModels.mobileNetV2Like(seed: 1), TestModels.shuffleNetV2Like(seed: 2)] {
            let plan = planMemory(model)
            XCTAssertLessThanOrEqual(plan.flashOverhead, 1.05, "\(model.name): blob \(plan.flashBytes) for \(plan.weightBytes + plan.parameterBytes) payload bytes")
        }
    }

    /// A chain of ops needs exactly its two largest neighbouring values at once.
    func testChainReachesTheLowerBound() {
        var b = ModelBuilder(seed: 9, input: Shape3(16, 16, 3))
        var x = b.conv(0, outC: 16, kernel: 3)
        for c in [32, 8, 24, 16] { x = b.conv(x, outC: c) }
        x = b.globalAvgPool(x)
        _ = b.conv(x, outC: 10, relu: false)
        let model = b.model("chain")
        let plan = checkedPlan(model)
        XCTAssertEqual(plan.lowerBoundBytes, 16 * 16 * (16 + 32))
        XCTAssertEqual(plan.arenaBytes, plan.lowerBoundBytes)
    }

    /// An op's output never shares bytes with its inputs, even when the input dies there.
    func testOutputNeverOverlapsInput() {
        var b = ModelBuilder(seed: 10, input: Shape3(8, 8, 3))
        let a = b.conv(0, outC: 8)
        let r = b.requantize(a)
        _ = b.globalAvgPool(r)
        let plan = checkedPlan(b.model("tiny"))
        XCTAssertNotEqual(plan.offsets[1], plan.offsets[2])
    }

    /// The host engine runs on the very arena offsets the blob stores for the C runtime.
    func testHostEngineUsesTheBlobsArenaOffsets() throws {
        for model in [TestModels.everyOp(seed: 6, size: 32), TestModels.shuffleNetV2Like(seed: 7, width: 0.5, size: 64)] {
            let blob = try writeBlob(model)
            let r = TestFields(bytes: blob)
            let values = Int(r.u32(80))
            let stored = (0...model.nodes.count).map { Int(r.u32(values + 32 * $0 + 24)) }
            let engine = try IntEngine(model: model)
            XCTAssertEqual(stored.dropFirst(), engine.plan.offsets.dropFirst(), model.name)
            XCTAssertEqual(Int(r.u32(32)), engine.plan.arenaBytes, model.name)
            XCTAssertGreaterThan(Set(stored.dropFirst()).count, 1, model.name)
        }
    }

    func testReport() {
        let model = TestModels.mobileNetV2Like(seed: 1, width: 0.35)
        let plan = planMemory(model)
        let report = plan.report()
        for t in MCUTarget.standard {
            // RAM against the largest contiguous SRAM, the blob against the flash left after the firmware reserve.
            let fits = plan.ramBytes <= t.contiguousSRAMBytes && plan.flashBytes <= t.flashBytes - MCUTarget.defaultFlashReserve
            XCTAssertTrue(report.contains("| \(t.name) | \(t.core) |"), t.name)
            let row = report.split(separator: "\n").first { $0.hasPrefix("| \(t.name) |") } ?? ""
            XCTAssertTrue(row.contains(fits ? "| yes |" : "| no |"), "\(t.name): \(row)")
        }
        XCTAssertTrue(report.contains("\(plan.arenaBytes)"))
        // The kernel scratch (BLOB_FORMAT.md, "Kernel scratch") is planned and counted in the RAM.
        XCTAssertGreaterThan(plan.scratchBytes, 0)
        XCTAssertTrue(report.contains("| kernel scratch | \(plan.scratchBytes) |"))
        XCTAssertEqual(plan.ramBytes, plan.arenaBytes + plan.scratchBytes + plan.inputBytes + plan.outputBytes)
        XCTAssertTrue(report.contains("\(plan.flashBytes)"))
        XCTAssertTrue(report.contains("Docs/TARGETS.md"))
        // Something that cannot fit anywhere says so.
        var huge = plan
        huge.flashBytes = 9 << 20
        XCTAssertFalse(huge.report().contains("| yes |"))
        // memory.md names its model.
        XCTAssertFalse(report.contains("# Memory plan"))
        XCTAssertTrue(plan.report(model: "mbv2-0.35").hasPrefix("# Memory plan: mbv2-0.35\n\n| figure | bytes |"))
        print(report)
    }
}
