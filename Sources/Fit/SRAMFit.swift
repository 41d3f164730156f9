import QuantCore
import Export

/// How a model's RAM meets an SRAM budget.
public struct SRAMFit: Sendable, Equatable {
    /// The budget: contiguous SRAM for arena + scratch + input + output.
    public var budget: Int
    /// RAM the model needs with the schedule it runs (`MemoryPlan.ramBytes`).
    public var ramBytes: Int
    /// RAM with the arena at its layer-by-layer lower bound (largest set of values alive at one op).
    public var lowerBoundRAM: Int
    /// The execution schedule: today always layer by layer.
    public var schedule: String
}

/// Checks the model's RAM (`plan`) against `budget` bytes of contiguous SRAM; when it does not
/// fit, throws naming `file` (`sramProblem`).
public func checkSRAM(_ plan: MemoryPlan, budget: Int, file: String) throws -> SRAMFit {
    if let problem = sramProblem(plan, budget: budget) { throw ToolkitError(file, problem + ". Nothing was written") }
    let others = plan.scratchBytes + plan.inputBytes + plan.outputBytes
    return SRAMFit(budget: budget, ramBytes: plan.ramBytes, lowerBoundRAM: plan.lowerBoundBytes + others, schedule: "layer by layer")
}

/// Why the model's RAM (`plan`) does not fit `budget`: by how much, the layer-by-layer lower
/// bound, and the SRAM the model needs as planned (the nearest feasible plan); nil when it fits.
public func sramProblem(_ plan: MemoryPlan, budget: Int) -> String? {
    guard plan.ramBytes > budget else { return nil }
    let lowerBoundRAM = plan.lowerBoundBytes + plan.scratchBytes + plan.inputBytes + plan.outputBytes
    var message = "does not fit the SRAM budget: it needs \(grouped(plan.ramBytes)) B of RAM in one block (arena \(grouped(plan.arenaBytes))"
        + " + kernel scratch \(grouped(plan.scratchBytes)) + input \(grouped(plan.inputBytes)) + output \(grouped(plan.outputBytes))), "
        + "the budget is \(grouped(budget)) B: \(grouped(plan.ramBytes - budget)) B short. "
    if lowerBoundRAM > budget {
        message += "Run layer by layer, no arena can go below the lower bound of \(grouped(plan.lowerBoundBytes)) B "
            + "(RAM \(grouped(lowerBoundRAM)) B, \(grouped(lowerBoundRAM - budget)) B over); "
            + "schedules below that bound (in-place depthwise, patch-based) are not available in this version. "
    } else {
        message += "The layer-by-layer lower bound (RAM \(grouped(lowerBoundRAM)) B) would fit, but the planner's placement does not reach it. "
    }
    return message + "Nearest feasible plan: this model as planned, with --sram \(byteSize(roundUpK(plan.ramBytes)))"
}
