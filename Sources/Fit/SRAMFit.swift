import QuantCore
import Export

/// How a model's RAM meets an SRAM budget.
public struct SRAMFit: Sendable, Equatable {
    /// The budget: contiguous SRAM for arena + scratch + input + output.
    public var budget: Int
    /// RAM the model needs with the schedule chosen (`MemoryPlan.ramBytes`).
    public var ramBytes: Int
    /// RAM run layer by layer, and with the arena at the layer-by-layer lower bound.
    public var layerByLayerRAM: Int, lowerBoundRAM: Int
    /// The execution schedule chosen, in words (`layer by layer` when that fits).
    public var schedule: String
    /// MACs of the model layer by layer, and the MACs the schedule adds (patch overlaps).
    public var macs: Int, extraMACs: Int
}

/// The SRAM stage: `model` as it is when its RAM fits `budget`; otherwise the cheapest schedule
/// the planner finds that fits (`planSchedule`, Export: in-place depthwise, then patch stages;
/// every schedule gives the same logits). Throws naming `file` when none fits (`sramProblem`).
public func fitSRAM(_ model: QModel, budget: Int, file: String) throws -> (model: QModel, fit: SRAMFit) {
    let plain = planMemory(model)
    let (scheduled, plan, fits) = planSchedule(model, ramBudget: budget)
    guard fits else { throw ToolkitError(file, sramMessage(plain, best: scheduled, bestPlan: plan, budget: budget) + ". Nothing was written") }
    let macs = extraMACs(scheduled)
    return (scheduled, SRAMFit(budget: budget, ramBytes: plan.ramBytes, layerByLayerRAM: plain.ramBytes,
                               lowerBoundRAM: plain.lowerBoundRAMBytes,
                               schedule: describeSchedule(scheduled), macs: macs.layerByLayer, extraMACs: macs.extra))
}

/// Why no schedule of `model` fits `budget` — by how much, and the schedule with the least RAM
/// the planner found (the nearest feasible plan) — or nil when one does.
public func sramProblem(_ model: QModel, budget: Int) -> String? {
    let plain = planMemory(model)
    guard plain.ramBytes > budget else { return nil }
    let (scheduled, plan, fits) = planSchedule(model, ramBudget: budget)
    return fits ? nil : sramMessage(plain, best: scheduled, bestPlan: plan, budget: budget)
}

/// The message of an SRAM budget no schedule meets.
func sramMessage(_ plain: MemoryPlan, best: QModel, bestPlan: MemoryPlan, budget: Int) -> String {
    "does not fit the SRAM budget: layer by layer it needs \(grouped(plain.ramBytes)) B of RAM in one block (arena "
        + "\(grouped(plain.arenaBytes)) + kernel scratch \(grouped(plain.scratchBytes)) + input \(grouped(plain.inputBytes)) + output "
        + "\(grouped(plain.outputBytes)); the arena's layer-by-layer lower bound is \(grouped(plain.lowerBoundBytes))), and the least the "
        + "planner reaches (\(describeSchedule(best))) is \(grouped(bestPlan.ramBytes)) B: \(grouped(bestPlan.ramBytes - budget)) B over the "
        + "\(grouped(budget)) B budget. Nearest feasible plan: that schedule, with --sram \(byteSize(roundUpK(bestPlan.ramBytes)))"
}

/// A schedule in words: `layer by layer`, `3 depthwise in place`, `… + 2 patch stages (first … last in 4 bands; …)`.
public func describeSchedule(_ model: QModel) -> String {
    let s = model.schedule
    if s.isLayerByLayer { return "layer by layer" }
    var parts: [String] = []
    let inPlace = s.inPlaceDepthwise ? inPlaceCandidates(model).filter { !s.notInPlace.contains($0) }.count : 0
    if inPlace > 0 { parts.append("\(inPlace) depthwise in place") }
    if !s.stages.isEmpty {
        let stages = s.stages.map { "\(model.nodes[$0.firstNode].name) … \(model.nodes[$0.lastNode].name) in \($0.bands) bands" }
        parts.append("\(s.stages.count) patch stage\(s.stages.count == 1 ? "" : "s") (\(stages.joined(separator: "; ")))")
    }
    return parts.isEmpty ? "layer by layer" : parts.joined(separator: " + ")
}
