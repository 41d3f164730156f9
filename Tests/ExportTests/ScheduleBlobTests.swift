import XCTest
import CRuntime
import QuantCore
import IntEngine
@testable import Export
import TestSupport

/// Blobs with a schedule: the stage table and in-place depthwise offsets round-trip, the C runtime runs
/// them with the bytes of the Swift engine's layer-by-layer run, both readers refuse a broken
/// schedule, and the planner meets budgets.
final class ScheduleBlobTests: XCTestCase {
    /// Models with several schedules each: MobileNetV2-like (residual stages) and one with pools,
    /// hard-swish, pad values and TensorFlow-SAME stride-2 windows.
    func scheduled() -> [QModel] {
        var result: [QModel] = []
        var v2 = TestModels.mobileNetV2Like(seed: 41, width: 0.35, size: 20)
        let (l1, l2) = Self.stageEnds(v2)
        for schedule in [ExecutionSchedule(inPlaceDepthwise: true),
                         ExecutionSchedule(stages: [PatchStage(firstNode: 0, lastNode: l1, bands: 3)]),
                         ExecutionSchedule(inPlaceDepthwise: true, stages: [PatchStage(firstNode: 0, lastNode: l1, bands: 4),
                                                                              PatchStage(firstNode: l1 + 1, lastNode: l2, bands: 2)])] {
            v2.schedule = schedule
            XCTAssertNil(scheduleProblem(v2))
            result.append(v2)
        }
        var ops = TestModels.bandOps(seed: 5, input: Shape3(21, 17, 3))
        for schedule in [ExecutionSchedule(inPlaceDepthwise: true, stages: [PatchStage(firstNode: 0, lastNode: 5, bands: 3)]),
                         ExecutionSchedule(stages: [PatchStage(firstNode: 0, lastNode: 2, bands: 4), PatchStage(firstNode: 3, lastNode: 8, bands: 2)])] {
            ops.schedule = schedule
            XCTAssertNil(scheduleProblem(ops))
            result.append(ops)
        }
        return result
    }

    /// The hard-sigmoid gate (a UNIFORM_1X1 record) planned in place over its input: the C loader
    /// accepts the shared buffer (the op is element-wise) and runs the Swift engine's bytes.
    func testUniformGateInPlace() throws {
        var m = TestModels.everyOp(seed: 6, int4: true)
        m.schedule = ExecutionSchedule(inPlaceDepthwise: true)
        let blob = try writeBlob(m)
        let gate = try XCTUnwrap(m.nodes.firstIndex { $0.name.hasSuffix("hsigmoid") })
        let r = TestFields(bytes: blob)
        let values = Int(r.u32(80))
        func offset(_ v: Int) -> UInt32 { r.u32(values + 32 * v + 24) }
        XCTAssertEqual(offset(m.nodes[gate].inputs[0]), offset(gate + 1), "the gate is planned in place")
        let ops = Int(r.u32(84))
        var at = ops
        for _ in 0..<gate { at += Int(r.u32(at + 4)) }
        XCTAssertEqual(r.u32(at), 14, "the gate is a UNIFORM_1X1 record")
        let images = TestModels.images(for: m, count: 4, seed: 2)
        let engine = try IntEngine(model: m, useReference: true)
        let size = m.input.shape.count
        let swift = (0..<4).map { i in engine.run(input: images[(i * size)..<((i + 1) * size)].map { Int8(truncatingIfNeeded: Int($0) - 128) }) }
        XCTAssertEqual(try runC(blob: blob, images: images, count: 4), swift)
    }

    /// The first node ≥ 4 that can end a stage from node 0, and the first ≥ 2 nodes after it that can
    /// end the next stage.
    static func stageEnds(_ model: QModel) -> (Int, Int) {
        func valid(_ stages: [PatchStage]) -> Bool { var m = model; m.schedule.stages = stages; return scheduleProblem(m) == nil }
        let l1 = (4..<model.nodes.count).first { valid([PatchStage(firstNode: 0, lastNode: $0, bands: 1)]) }!
        let l2 = ((l1 + 2)..<model.nodes.count).first {
            valid([PatchStage(firstNode: 0, lastNode: l1, bands: 1), PatchStage(firstNode: l1 + 1, lastNode: $0, bands: 1)])
        }!
        return (l1, l2)
    }

    func testRoundTripAndCParity() throws {
        for model in scheduled() {
            let blob = try writeBlob(model)
            XCTAssertEqual(TestFields(bytes: blob).u32(4), 4, "version")
            let read = try readBlob(blob, path: "s.q8")
            XCTAssertEqual(read.schedule, model.schedule, "\(model.schedule)")
            XCTAssertEqual(cLoadStatus(blob), Q8_OK, "\(model.schedule)")
            XCTAssertEqual(cScratchRule(blob), planMemory(model).scratchBytes, "C and Swift scratch rules")
            var plain = model
            plain.schedule = ExecutionSchedule()
            XCTAssertEqual(Array(try writeBlob(plain)[112..<120]), Array(repeating: 0, count: 8), "layer by layer: no stage table")
            XCTAssertLessThan(planMemory(model).arenaBytes, planMemory(plain).arenaBytes, "\(model.schedule)")
            let engine = try IntEngine(model: plain)
            let images = TestModels.images(for: model, count: 3, seed: 9)
            let size = model.input.shape.count
            var distinct = Set<[Int8]>()
            for i in 0..<3 {
                let input = images[(i * size)..<((i + 1) * size)].map { Int8(truncatingIfNeeded: Int($0) - 128) }
                let expected = engine.run(input: input)
                let (status, c) = runCInt8(blob: blob, input: input)
                XCTAssertEqual(statusName(status), "Q8_OK")
                XCTAssertEqual(c, expected, "\(model.name) \(model.schedule) image \(i): C vs Swift layer by layer")
                distinct.insert(expected)
            }
            XCTAssertGreaterThan(distinct.count, 1, "the logits depend on the image")
        }
    }

    /// A broken stage table or in-place offsets are refused by both readers as a bad memory plan.
    func testBrokenSchedulesAreRefused() throws {
        let model = scheduled()[2]
        let good = try writeBlob(model)
        let stages = Int(TestFields(bytes: good).u32(112))
        func refused(_ what: String, _ patch: (inout BlobValidationTests.Patch) -> Void) {
            var p = BlobValidationTests.Patch(bytes: good)
            patch(&p)
            p.fixCRC()
            XCTAssertThrowsError(try readBlob(p.bytes, path: "s.q8"), what) { error in
                XCTAssertTrue((error as? ToolkitError)?.message.hasPrefix("bad memory plan") ?? false, "\(what): \(error)")
            }
            XCTAssertEqual(statusName(cLoadStatus(p.bytes)), "Q8_ERR_PLAN", what)
        }
        refused("no bands") { $0.set(stages + 8, UInt32(0)) }
        refused("more bands than rows") { $0.set(stages + 8, UInt32(1000)) }
        let (l1, _) = Self.stageEnds(model)
        let readAfter = (1..<l1).first { l in
            var m = model; m.schedule.stages = [PatchStage(firstNode: 0, lastNode: l, bands: 1)]; return scheduleProblem(m)?.contains("after it") ?? false
        }!
        refused("overlapping stages") { $0.set(stages + 16, UInt32(l1)) }
        refused("reserved word") { $0.set(stages + 12, UInt32(1)) }
        refused("a stage through the global pool") { $0.set(stages + 16 + 4, UInt32(UInt32(model.nodes.count - 2))) }
        refused("a value inside a stage read after it") { $0.set(stages + 4, UInt32(readAfter)) }
        refused("no scratch for an in-place op") { $0.set(36, UInt32(0)) }
        // An output over its input where the rule does not allow it: a pointwise conv's, after the stages.
        let i = ((model.schedule.stages.last!.lastNode + 1)..<model.nodes.count).first { i in
            if case .conv(let c) = model.nodes[i].op { return c.kernelH == 1 && c.groups == 1 } else { return false }
        }!
        let u = model.nodes[i].inputs[0]
        var p = BlobValidationTests.Patch(bytes: good)
        let values = p.values
        XCTAssertNotEqual(p.u32(values + (i + 1) * 32 + 24), p.u32(values + u * 32 + 24))
        p.set(values + (i + 1) * 32 + 24, UInt32(p.u32(values + u * 32 + 24)))
        p.fixCRC()
        XCTAssertEqual(statusName(cLoadStatus(p.bytes)), "Q8_ERR_PLAN")
        XCTAssertThrowsError(try readBlob(p.bytes, path: "s.q8"))
    }

    /// The planner keeps layer by layer when it fits, uses in-place depthwise when that is enough,
    /// adds patch stages for smaller budgets, and says when nothing fits; each plan's RAM is what
    /// its blob needs.
    func testPlannerMeetsBudgets() throws {
        let model = TestModels.mobileNetV2Like(seed: 42, width: 0.5, size: 32)
        let plain = planMemory(model).ramBytes
        let roomy = planSchedule(model, ramBudget: plain)
        XCTAssertTrue(roomy.fits)
        XCTAssertTrue(roomy.model.schedule.isLayerByLayer)
        var inPlace = model
        inPlace.schedule.inPlaceDepthwise = true
        let inPlaceRAM = planMemory(inPlace).ramBytes
        XCTAssertLessThan(inPlaceRAM, plain)
        let tight = planSchedule(model, ramBudget: inPlaceRAM)
        XCTAssertTrue(tight.fits)
        XCTAssertTrue(tight.model.schedule.inPlaceDepthwise)
        XCTAssertTrue(tight.model.schedule.stages.isEmpty)
        XCTAssertLessThanOrEqual(tight.plan.ramBytes, inPlaceRAM)
        // Only the in-place nodes the budget needs: at the in-place RAM plus a little, fewer than all.
        let loose = planSchedule(model, ramBudget: (inPlaceRAM + plain) / 2)
        XCTAssertTrue(loose.fits)
        XCTAssertFalse(loose.model.schedule.notInPlace.isEmpty)
        XCTAssertEqual(try readBlob(try writeBlob(loose.model), path: "p.q8").schedule, loose.model.schedule)
        for budget in [inPlaceRAM * 3 / 4, inPlaceRAM / 2] {
            let r = planSchedule(model, ramBudget: budget)
            XCTAssertTrue(r.fits, "budget \(budget)")
            XCTAssertLessThanOrEqual(r.plan.ramBytes, budget)
            XCTAssertFalse(r.model.schedule.stages.isEmpty)
            XCTAssertEqual(r.plan.ramBytes, planMemory(try readBlob(try writeBlob(r.model), path: "p.q8")).ramBytes)
        }
        let impossible = planSchedule(model, ramBudget: model.input.shape.count)
        XCTAssertFalse(impossible.fits)
        XCTAssertLessThan(impossible.plan.ramBytes, inPlaceRAM)
    }

    /// memory.md names the schedule and compares it with layer by layer and in-place depthwise
    /// (peak SRAM, arena, lower bound, extra MACs); a layer-by-layer model's report has no such table.
    func testMemoryReportStatesTheSchedule() throws {
        let model = scheduled()[2]
        let plan = planMemory(model)
        XCTAssertEqual(plan.schedules.map(\.name), ["layer by layer", "in-place depthwise", "this model's schedule (above)"])
        XCTAssertEqual(plan.schedule, scheduleSummary(model))
        XCTAssertEqual(plan.schedules[2].ramBytes, plan.ramBytes)
        XCTAssertEqual(plan.schedules[2].extraMACs, extraMACs(model).extra)
        XCTAssertGreaterThan(plan.schedules[2].extraMACs, 0)
        XCTAssertEqual(plan.schedules[0].extraMACs, 0)
        XCTAssertLessThan(plan.schedules[2].ramBytes, plan.schedules[0].ramBytes)
        let report = plan.report(model: model.name)
        XCTAssertTrue(report.contains("Execution schedule: in-place depthwise + 2 patch stages: nodes 0…"), report)
        XCTAssertTrue(report.contains("| layer by layer | \(plan.schedules[0].ramBytes) | \(plan.schedules[0].arenaBytes) |"), report)
        var plain = model
        plain.schedule = ExecutionSchedule()
        let plainReport = planMemory(plain).report(model: model.name)
        XCTAssertTrue(plainReport.contains("Execution schedule: layer by layer."))
        XCTAssertFalse(plainReport.contains("| schedule |"))
    }
}
