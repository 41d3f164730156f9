import QuantCore

/// What a model needs in RAM and flash on the microcontroller: QuantCore's arena plan (`planArena`,
/// the offsets the blob stores and both engines run on) plus the kernel scratch after it, the
/// caller's input and output buffers and the blob's size. Value 0 (the model input) is not in the
/// arena: the runtime reads it from the caller's input buffer.
public struct MemoryPlan: Sendable, Equatable {
    /// Where every activation lives (offsets, sizes, lifetimes, arena bytes, lower bound).
    public var arena: ArenaPlan
    /// Kernel scratch bytes after the activations (`kernelScratchBytes`: what the Cortex-M4
    /// kernels use instead of the stack; the portable kernels need none).
    public var scratchBytes: Int
    /// Bytes of the caller's input buffer (the int8 image) and output buffer (the logits).
    public var inputBytes: Int, outputBytes: Int
    /// Bytes of the blob (what goes to flash, besides the runtime code).
    public var flashBytes: Int
    /// Bytes of weights as the blob stores them (int8, int4 packed two per byte), and of the other
    /// parameter arrays (int32 bias and multipliers, int8 shifts and pad values, the float32 weight
    /// scales a blob cannot leave out, lookup tables) — the payload the blob must carry.
    public var weightBytes: Int, parameterBytes: Int
    /// The model's execution schedule in words (`scheduleSummary`).
    public var schedule: String
    /// With a schedule other than layer by layer: the figures of layer by layer, in-place
    /// depthwise alone and the model's schedule, for comparison (empty otherwise).
    public var schedules: [ScheduleFigures]

    /// Arena byte offset of each value (`arena.offsets`).
    public var offsets: [Int] { arena.offsets }
    /// Arena bytes of the activations (`arena.arenaBytes`).
    public var arenaBytes: Int { arena.arenaBytes }
    /// The arena's lower bound (`arena.lowerBoundBytes`).
    public var lowerBoundBytes: Int { arena.lowerBoundBytes }
    /// RAM the model needs: arena + scratch + input and output buffers (not counting the stack).
    public var ramBytes: Int { arenaBytes + scratchBytes + inputBytes + outputBytes }
    /// `ramBytes` with the arena at its layer-by-layer lower bound.
    public var lowerBoundRAMBytes: Int { lowerBoundBytes + scratchBytes + inputBytes + outputBytes }
    /// Blob overhead over the raw payload (`flashBytes / (weightBytes + parameterBytes)`).
    public var flashOverhead: Double { Double(flashBytes) / Double(max(1, weightBytes + parameterBytes)) }
    /// Arena over its lower bound (1.0 is optimal).
    public var arenaOverhead: Double { Double(arenaBytes) / Double(max(1, lowerBoundBytes)) }
}

/// The memory and compute of one execution schedule of a model.
public struct ScheduleFigures: Sendable, Equatable {
    /// "layer by layer", "in-place depthwise" or "this model's schedule (above)" (`MemoryPlan.schedule` says it in words).
    public var name: String
    /// RAM needed (peak SRAM: arena + kernel scratch + input and output buffers).
    public var ramBytes: Int
    /// Arena bytes as planned, and the schedule's lower bound (largest set of buffers alive at once).
    public var arenaBytes: Int, lowerBoundBytes: Int
    /// MACs the patch stages compute again in the overlaps of their bands, and the convolutions'
    /// MACs layer by layer.
    public var extraMACs: Int, macs: Int
}

/// The exact size in bytes of the blob `writeBlob(model)` writes (what goes to flash), without
/// writing it: int4 layers (`QConv.weightBits` 4) count packed. To size a mix of int4 and int8
/// layers, convert the model with those `weightBits` (Quantizer/Refine) and ask this.
public func blobSize(_ model: QModel) -> Int { BlobLayout(model).totalSize }

/// Where the bytes of `model`'s blob go, in blob order of first appearance: one row per tensor
/// kind ("int8 weights", "int4 weights (packed)", "bias (int32)", "multipliers (int32)", "shifts
/// (int8)", "pad values", "weight scales (float32)", "lookup tables"), then "alignment padding"
/// (zeros that put each tensor on 16 bytes) and "header, values, ops, tensor table, strings". The
/// rows add up to `blobSize(model)`.
public func blobBreakdown(_ model: QModel) -> [(part: String, bytes: Int)] {
    let layout = BlobLayout(model)
    var rows: [(part: String, bytes: Int)] = []
    func add(_ part: String, _ n: Int) {
        if let k = rows.firstIndex(where: { $0.part == part }) { rows[k].bytes += n } else { rows.append((part, n)) }
    }
    var payload = 0
    for t in layout.ops.flatMap(\.tensors) {
        let name: String
        switch t.kind {
        case .weights: name = "int8 weights"
        case .weightsInt4: name = "int4 weights (packed)"
        case .bias: name = "bias (int32)"
        case .multiplier: name = "multipliers (int32)"
        case .shift: name = "shifts (int8)"
        case .padValues: name = "pad values"
        case .weightScales: name = "weight scales (float32)"
        case .table: name = "lookup tables"
        }
        add(name, t.bytes.count)
        payload += t.bytes.count
    }
    add("alignment padding", layout.dataSize - payload)
    add("header, values, ops, tensor table, strings", layout.totalSize - layout.dataSize)
    return rows
}

/// The memory plan of `model`: `planArena(model)` and the figures around it.
public func planMemory(_ model: QModel) -> MemoryPlan {
    let layout = BlobLayout(model)
    let arena = planArena(model)
    var schedules: [ScheduleFigures] = []
    if !model.schedule.isLayerByLayer {
        for (name, schedule) in [("layer by layer", ExecutionSchedule()), ("in-place depthwise", ExecutionSchedule(inPlaceDepthwise: true)),
                                 ("this model's schedule (above)", model.schedule)] {
            var m = model
            m.schedule = schedule
            let a = planArena(m)
            schedules.append(ScheduleFigures(
                name: name, ramBytes: a.arenaBytes + kernelScratchBytes(m, offsets: a.offsets) + model.input.shape.count + model.numClasses,
                arenaBytes: a.arenaBytes, lowerBoundBytes: a.lowerBoundBytes, extraMACs: extraMACs(m).extra, macs: extraMACs(m).layerByLayer))
        }
    }
    return MemoryPlan(
        arena: arena, scratchBytes: kernelScratchBytes(model, offsets: arena.offsets), inputBytes: model.input.shape.count,
        outputBytes: model.numClasses, flashBytes: layout.totalSize, weightBytes: layout.weightBytes,
        parameterBytes: layout.parameterBytes, schedule: scheduleSummary(model), schedules: schedules)
}

/// The kernel scratch the blob lends the C runtime's kernels (`Docs/BLOB_FORMAT.md`, "Kernel
/// scratch"; C twin: `q8_conv_scratch`, `q8_add_scratch`, `q8_hard_swish_scratch` through the op
/// table's scratch entries): the largest need of any op, rounded up to 16. The needs are the
/// buffers of the Cortex-M4 kernels, which take them from the arena's end instead of the stack —
/// and the H·W plane an in-place depthwise CONV (input and output at the same `offsets`) copies
/// one channel to (the rule's only need that no kernel can do without).
func kernelScratchBytes(_ model: QModel, offsets: [Int]) -> Int {
    var need = 0
    for (u, _) in inPlacePairs(model, offsets: offsets) { need = max(need, model.info(u).shape.h * model.info(u).shape.w) }
    for node in model.nodes {
        switch node.op {
        case .conv(let c):
            let taps = c.kernelH * c.kernelW
            if c.groups == 1 && taps == 1 {
                // The widened input, and for int4 weights with in not a multiple of 8 4 unpacked
                // weight rows (8-aligned size).
                let rows = c.weightBits == 4 && c.inChannels % 8 != 0 ? 8 * ((c.inChannels + 1) / 2) : 0
                if c.inChannels <= 2304 { need = max(need, (c.inChannels <= 576 ? 8 : 2) * (c.inChannels & ~3) + rows) }
            } else if c.groups == 1 && taps * c.inChannels <= 256 && c.kernelH <= 64 {
                need = max(need, BlobFormat.scratchPatch)
            } else if c.groups == c.inChannels && c.groups == c.outChannels && c.inChannels >= 4 && taps <= 49 {
                need = max(need, BlobFormat.scratchDepthwise)
            }
        case .add:
            if node.output.shape.count > 256 { need = max(need, BlobFormat.scratchAdd) }
        case .hardSwish:
            if node.output.shape.count > 256 { need = max(need, BlobFormat.scratchHardSwish) }
        default:
            break
        }
    }
    return alignUp(need)
}
