import XCTest
import QuantCore
@testable import IntEngine
import TestSupport

/// In-place depthwise and patch (row band) stages give the bytes of layer by layer execution, on
/// the optimized and the reference kernels, image by image and in batches — each run on the
/// schedule's own arena plan, where a band computed from too few rows or a buffer placed over a
/// live one changes the logits.
final class ScheduleTests: XCTestCase {
    /// `TestModels.bandOps` with a `size` × `size + 3` input.
    static func bandOps(seed: UInt64, size: Int) -> QModel { TestModels.bandOps(seed: seed, input: Shape3(size, size + 3, 3)) }

    /// Every valid single stage from node 0 (each last node, a few band counts) and two stages,
    /// each with and without in-place depthwise, plus in-place alone.
    static func schedules(_ model: QModel) -> [ExecutionSchedule] {
        var result = [ExecutionSchedule(inPlaceDepthwise: true)]
        for last in 0..<model.nodes.count {
            for bands in [2, 3, 5] where bands <= model.info(last + 1).shape.h {
                for inPlace in [false, true] {
                    var m = model
                    m.schedule = ExecutionSchedule(inPlaceDepthwise: inPlace, stages: [PatchStage(firstNode: 0, lastNode: last, bands: bands)])
                    if scheduleProblem(m) == nil { result.append(m.schedule) }
                    m.schedule.stages.append(PatchStage(firstNode: last + 1, lastNode: last + 3, bands: 2))
                    if scheduleProblem(m) == nil { result.append(m.schedule) }
                }
            }
        }
        return result
    }

    private func assertSameLogits(_ model: QModel, images count: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let images = TestModels.images(for: model, count: count, seed: 7)
        let size = model.input.shape.count
        let plain = try IntEngine(model: model)
        let expected = plain.logits(images: images, count: count)
        XCTAssertGreaterThan(Set(expected).count, 1, "\(model.name): the logits do not depend on the image", file: file, line: line)
        let schedules = Self.schedules(model)
        XCTAssertGreaterThan(schedules.filter { !$0.stages.isEmpty }.count, 4, "\(model.name): too few stage schedules", file: file, line: line)
        var smaller = 0
        for schedule in schedules {
            var m = model
            m.schedule = schedule
            let fast = try IntEngine(model: m), reference = try IntEngine(model: m, useReference: true)
            if fast.plan.arenaBytes < plain.plan.arenaBytes { smaller += 1 }
            XCTAssertEqual(fast.logits(images: images, count: count), expected, "\(model.name) \(schedule): batched", file: file, line: line)
            for i in 0..<2 {
                let input = images[(i * size)..<((i + 1) * size)].map { Int8(truncatingIfNeeded: Int($0) - 128) }
                XCTAssertEqual(reference.run(input: input), expected[i], "\(model.name) \(schedule): reference image \(i)", file: file, line: line)
                XCTAssertEqual(fast.run(input: input), expected[i], "\(model.name) \(schedule): optimized image \(i)", file: file, line: line)
            }
        }
        // The schedules must matter: many plans are smaller than layer by layer.
        XCTAssertGreaterThan(smaller, schedules.count / 4, "\(model.name): schedules rarely shrink the arena", file: file, line: line)
    }

    func testBandOpsModels() throws {
        for seed in UInt64(1)...3 { try assertSameLogits(Self.bandOps(seed: seed, size: 13 + Int(seed) * 3), images: 4) }
    }

    func testMobileNetV2Like() throws {
        try assertSameLogits(TestModels.mobileNetV2Like(seed: 31, width: 0.35, size: 16), images: 3)
    }

    /// In-place depthwise moves each depthwise output onto its input and shrinks MobileNetV2's arena;
    /// a stage's internal values get buffers of one band (smaller than the value).
    func testPlansShrink() throws {
        let model = TestModels.mobileNetV2Like(seed: 32, width: 0.5, size: 32)
        var inPlace = model
        inPlace.schedule.inPlaceDepthwise = true
        let plan = planArena(inPlace)
        let pairs = inPlacePairs(inPlace, offsets: plan.offsets)
        XCTAssertEqual(pairs.count, inPlaceCandidates(inPlace).count)
        XCTAssertGreaterThan(pairs.count, 10)
        XCTAssertLessThan(plan.arenaBytes, planArena(model).arenaBytes)
        XCTAssertNil(arenaConflict(offsets: plan.offsets, sizes: plan.sizes, lifetimes: plan.lifetimes, sharing: pairs))
        XCTAssertNotNil(arenaConflict(offsets: plan.offsets, sizes: plan.sizes, lifetimes: plan.lifetimes), "the pairs do share bytes")
        var banded = model
        banded.schedule.stages = [PatchStage(firstNode: 0, lastNode: 4, bands: 4)]
        XCTAssertNil(scheduleProblem(banded))
        let sizes = scheduledSizes(banded)
        for v in 1...4 { XCTAssertLessThan(sizes[v], banded.info(v).shape.count, "value \(v)") }
        XCTAssertGreaterThan(extraMACs(banded).extra, 0, "bands recompute their overlaps")
    }

    /// Schedules the engine refuses: overlapping stages, a stage whose value is read after it, an op
    /// that cannot run on bands, more bands than rows.
    func testBadSchedules() throws {
        let model = TestModels.everyOp(seed: 3, size: 16)
        let bad: [[PatchStage]] = [
            [PatchStage(firstNode: 0, lastNode: 2, bands: 2), PatchStage(firstNode: 2, lastNode: 3, bands: 2)],
            [PatchStage(firstNode: 0, lastNode: 0, bands: 2), PatchStage(firstNode: 1, lastNode: 2, bands: 99)],
            [PatchStage(firstNode: 0, lastNode: 4, bands: 2)],  // global pool inside
        ]
        for stages in bad {
            var m = model
            m.schedule.stages = stages
            XCTAssertThrowsError(try IntEngine(model: m), "\(stages)")
        }
        // The max-pool output (value 3), inside the stage, is read by the residual add after it.
        var m = Self.bandOps(seed: 1, size: 16)
        m.schedule.stages = [PatchStage(firstNode: 0, lastNode: 3, bands: 2)]
        XCTAssertThrowsError(try IntEngine(model: m))
        m.schedule.stages = [PatchStage(firstNode: 0, lastNode: 5, bands: 2)]
        XCTAssertNoThrow(try IntEngine(model: m))
    }
}
