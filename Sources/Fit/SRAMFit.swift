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

/// Checks the model's RAM (`plan`) against `budget` bytes of contiguous SRAM. When it does not
/// fit, throws naming `file`: by how much, the layer-by-layer lower bound, and the SRAM the
/// model needs as planned (the nearest feasible plan).
public func checkSRAM(_ plan: MemoryPlan, budget: Int, file: String) throws -> SRAMFit {
    let others = plan.scratchBytes + plan.inputBytes + plan.outputBytes
    let fit = SRAMFit(budget: budget, ramBytes: plan.ramBytes, lowerBoundRAM: plan.lowerBoundBytes + others, schedule: "layer by layer")
    guard plan.ramBytes > budget else { return fit }
    var message = "does not fit the SRAM budget: it needs \(grouped(plan.ramBytes)) B of RAM in one block (arena \(grouped(plan.arenaBytes))"
        + " + kernel scratch \(grouped(plan.scratchBytes)) + input \(grouped(plan.inputBytes)) + output \(grouped(plan.outputBytes))), "
        + "the budget is \(grouped(budget)) B: \(grouped(plan.ramBytes - budget)) B short. "
    if fit.lowerBoundRAM > budget {
        message += "Run layer by layer, no arena can go below the lower bound of \(grouped(plan.lowerBoundBytes)) B "
            + "(RAM \(grouped(fit.lowerBoundRAM)) B, \(grouped(fit.lowerBoundRAM - budget)) B over); "
            + "schedules below that bound (in-place depthwise, patch-based) are not available in this version. "
    } else {
        message += "The layer-by-layer lower bound (RAM \(grouped(fit.lowerBoundRAM)) B) would fit, but the planner's placement does not reach it. "
    }
    message += "Nearest feasible plan: this model as planned, with --sram \(byteSize(roundUpK(plan.ramBytes))). Nothing was written"
    throw ToolkitError(file, message)
}
