import QuantCore

/// The planner of execution schedules: the cheapest schedule of `model` whose RAM (arena +
/// kernel scratch + input and output buffers, `MemoryPlan.ramBytes`) fits `ramBudget` bytes.
/// Tried in order, the first that fits wins:
/// 1. layer by layer (the model as it is: nothing changes when it fits);
/// 2. in-place depthwise (`ExecutionSchedule.inPlaceDepthwise`; no extra MACs);
///    (then in-place is kept only for the nodes the budget needs, `onlyNeededInPlace`);
/// 3. in-place depthwise plus patch stages (`addStages`), placed for the budget and for tighter
///    targets (95 % … 30 % of the arena the budget leaves, and 80 % … 5 % of the in-place arena:
///    smaller stages in more bands can reach a lower peak than the greedy choice for the budget
///    itself; when none fits, the same fractions of budgets 3–10 % larger): of the schedules that
///    fit, the one with the fewest extra MACs, in-place kept only where needed.
/// Returns the model with the schedule, its memory plan and whether it fits; when nothing fits,
/// the plan with the least RAM found.
public func planSchedule(_ model: QModel, ramBudget: Int) -> (model: QModel, plan: MemoryPlan, fits: Bool) {
    var m = model
    m.schedule = ExecutionSchedule()
    if ramBytes(m) <= ramBudget { return (m, planMemory(m), true) }
    m.schedule.inPlaceDepthwise = true
    if ramBytes(m) <= ramBudget { return (onlyNeededInPlace(m, ramBudget: ramBudget), planMemory(onlyNeededInPlace(m, ramBudget: ramBudget)), true) }
    let fixed = ramBytes(m) - planArena(m).arenaBytes, inPlace = ramBytes(m)
    var best = (model: m, ram: inPlace, extra: 0, fits: false)
    let percents = Array(stride(from: 100, through: 30, by: -5))
    var targets = percents.map { fixed + (ramBudget - fixed) * $0 / 100 } + [80, 60, 40, 30, 20, 15, 10, 5].map { fixed + (inPlace - fixed) * $0 / 100 }
    // When none of those fits: the same fractions of slightly larger budgets (the greedy choice is
    // not monotonic in the target; one made for more room can still land under the budget).
    let retry = [103, 106, 110].flatMap { scale in percents.map { fixed + (ramBudget * scale / 100 - fixed) * $0 / 100 } }
    var k = 0
    while k < targets.count {
        let target = targets[k]
        k += 1
        if target > fixed {
            let c = addStages(m, target: target)
            let ram = ramBytes(c), extra = extraMACs(c).extra, fits = ram <= ramBudget
            if (fits && (!best.fits || extra < best.extra)) || (!fits && !best.fits && ram < best.ram) { best = (c, ram, extra, fits) }
        }
        if k == targets.count && !best.fits && targets.count < retry.count { targets += retry }
    }
    best.model = onlyNeededInPlace(best.model, ramBudget: ramBudget)
    return (best.model, planMemory(best.model), ramBytes(best.model) <= ramBudget)
}

/// `model` with in-place depthwise left out for every node that the budget does not need (one at
/// a time, largest input first; kept out when the RAM still fits, or does not grow — a node left
/// out no longer needs its channel plane in the kernel scratch): the in-place kernel has no
/// optimized variant, so each node left out runs faster on the microcontroller.
func onlyNeededInPlace(_ model: QModel, ramBudget: Int) -> QModel {
    var m = model
    let candidates = inPlaceCandidates(model).sorted { (model.info(model.nodes[$0].inputs[0]).shape.count, $0) > (model.info(model.nodes[$1].inputs[0]).shape.count, $1) }
    for i in candidates {
        var c = m
        c.schedule.notInPlace.insert(i)
        if ramBytes(c) <= max(ramBudget, ramBytes(m)) { m = c }
    }
    if m.schedule.notInPlace.count == candidates.count { m.schedule.inPlaceDepthwise = false; m.schedule.notInPlace = [] }
    return m
}

/// Adds patch stages to `model` one at a time until its RAM is at most `target` (at most
/// `maxStages`): at the first node where the bytes alive (`aliveBytes`) pass what the target
/// leaves for the arena, a stage is placed that covers it — starting at or after the previous
/// stage, in any of `bandCounts` bands — and of those whose alive bytes fit up to the stage's
/// end, the one that reaches furthest (then: fewest extra MACs, fewest bands) is taken; when none
/// does, the one with the fewest bytes alive up to its end.
func addStages(_ model: QModel, target: Int, maxStages: Int = 6) -> QModel {
    var m = model
    for _ in 0..<maxStages {
        if ramBytes(m) <= target { break }
        // What the target leaves for the arena (the scratch of `m`: stages change it little, and
        // the result is checked with the real figure).
        let limit = target - (ramBytes(m) - planArena(m).arenaBytes)
        let start = (m.schedule.stages.last?.lastNode ?? -1) + 1
        let alive = aliveBytes(m)
        guard let over = alive.indices.first(where: { $0 >= start && alive[$0] > limit }) else { break }
        var chosen: (model: QModel, reach: Int, extra: Int, bands: Int)?
        var fallback: (model: QModel, peak: Int, extra: Int)?
        for first in start...over {
            for last in over..<min(model.nodes.count, first + ModelLimits.maxStageNodes) {
                if !(first...last).allSatisfy({ runsOnBands(model.nodes[$0].op) }) { break }
                var whole = m
                whole.schedule.stages.append(PatchStage(firstNode: first, lastNode: last, bands: 1))
                guard scheduleProblem(whole) == nil else { continue }
                for bands in bandCounts(model.info(last + 1).shape.h) {
                    var c = m
                    c.schedule.stages.append(PatchStage(firstNode: first, lastNode: last, bands: bands))
                    let peak = aliveBytes(c)[...last].max()!
                    if peak <= limit {
                        if let chosen, last < chosen.reach { continue }
                        let extra = extraMACs(c).extra
                        if chosen == nil || (-last, extra, bands) < (-chosen!.reach, chosen!.extra, chosen!.bands) {
                            chosen = (c, last, extra, bands)
                        }
                    } else if fallback == nil || peak <= fallback!.peak {
                        let extra = extraMACs(c).extra
                        if fallback == nil || (peak, extra) < (fallback!.peak, fallback!.extra) { fallback = (c, peak, extra) }
                    }
                }
            }
        }
        guard let next = chosen?.model ?? fallback?.model else { break }
        m = next
    }
    return m
}

/// The band counts tried for a stage output of `height` rows: 2…8 and every divisor of `height`
/// (bands of equal height), at most `height`.
private func bandCounts(_ height: Int) -> [Int] {
    Array(Set(Array(2...max(2, min(height, 8))) + (2...max(2, height)).filter { height % $0 == 0 })).filter { $0 <= height }.sorted()
}

/// RAM of `model` under its schedule: arena + kernel scratch + input and output buffers (what
/// `planMemory` reports as `ramBytes`, without laying out the blob).
private func ramBytes(_ model: QModel) -> Int {
    let arena = planArena(model)
    return arena.arenaBytes + kernelScratchBytes(model, offsets: arena.offsets) + model.input.shape.count + model.numClasses
}

/// The schedule of `model` in words: "layer by layer", "in-place depthwise", or e.g. "in-place
/// depthwise + 2 patch stages: nodes 0…5 (_conv_stem … _blocks.1._project_conv) in 28 bands; …".
public func scheduleSummary(_ model: QModel) -> String {
    let s = model.schedule
    let inPlace = s.notInPlace.isEmpty ? "in-place depthwise" : "in-place depthwise (\(inPlaceCandidates(model).count - s.notInPlace.count) of \(inPlaceCandidates(model).count) candidates)"
    if s.stages.isEmpty { return s.inPlaceDepthwise ? inPlace : "layer by layer" }
    let stages = s.stages.map { "nodes \($0.firstNode)…\($0.lastNode) (\(model.nodes[$0.firstNode].name) … \(model.nodes[$0.lastNode].name)) in \($0.bands) bands" }
    return (s.inPlaceDepthwise ? inPlace + " + " : "") + "\(s.stages.count) patch stage\(s.stages.count == 1 ? "" : "s"): "
        + stages.joined(separator: "; ")
}
