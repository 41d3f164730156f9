import QuantCore

/// Where every activation of a model lives in the one arena the caller gives the C runtime, and
/// what the model needs in RAM and flash. Value 0 (the model input) is not in the arena: the
/// runtime reads it from the caller's input buffer.
public struct MemoryPlan: Sendable, Equatable {
    /// Arena byte offset of each value (index = value id; 16-byte aligned; 0 for value 0).
    public var offsets: [Int]
    /// Bytes of each value (H·W·C int8).
    public var sizes: [Int]
    /// The op indices during which each value must stay intact: from the op that produces it
    /// (value v ≥ 1 is produced by op v − 1; the input counts as produced at op 0) to the last op
    /// that reads it.
    public var lifetimes: [ClosedRange<Int>]
    /// Arena bytes of the plan (peak of `offsets + sizes`, rounded up to 16).
    public var arenaBytes: Int
    /// No plan can use less: the largest total size of values alive at the same op.
    public var lowerBoundBytes: Int
    /// Kernel scratch bytes after the activations (`kernelScratchBytes`: what the Cortex-M4
    /// kernels use instead of the stack; the portable kernels need none).
    public var scratchBytes: Int
    /// Bytes of the caller's input buffer (the int8 image) and output buffer (the logits).
    public var inputBytes: Int, outputBytes: Int
    /// Bytes of the blob (what goes to flash, besides the runtime code).
    public var flashBytes: Int
    /// Bytes of int8 weights, and of the other parameter arrays (int32 bias, multipliers, shifts,
    /// int8 pad values) — the payload the blob must carry.
    public var weightBytes: Int, parameterBytes: Int

    /// RAM the model needs: arena + scratch + input and output buffers (not counting the stack).
    public var ramBytes: Int { arenaBytes + scratchBytes + inputBytes + outputBytes }
    /// Blob overhead over the raw payload (`flashBytes / (weightBytes + parameterBytes)`).
    public var flashOverhead: Double { Double(flashBytes) / Double(max(1, weightBytes + parameterBytes)) }
    /// Arena over its lower bound (1.0 is optimal).
    public var arenaOverhead: Double { Double(arenaBytes) / Double(max(1, lowerBoundBytes)) }
}

/// Plans the activation arena of `model`: every value v ≥ 1 gets a 16-aligned offset such that
/// two values alive at the same op never overlap (an op's output never overlaps its inputs).
/// Placement is greedy — each value at the best-fitting gap among the already placed values whose
/// lifetimes intersect its own — tried in several orders (largest first, longest-lived first,
/// first use first); the smallest arena wins, ties going to the earlier order, so the result is
/// deterministic.
public func planMemory(_ model: QModel) -> MemoryPlan {
    let valueCount = model.nodes.count + 1
    let sizes = (0..<valueCount).map { model.info($0).shape.count }
    let lifetimes = valueLifetimes(model)
    let values = Array(1..<valueCount)

    let bySize = values.sorted { (sizes[$0], lifetimes[$0].count, -$0) > (sizes[$1], lifetimes[$1].count, -$1) }
    let byLifetime = values.sorted {
        (lifetimes[$0].count, sizes[$0], -$0) > (lifetimes[$1].count, sizes[$1], -$1)
    }
    let byArea = values.sorted {
        (sizes[$0] * lifetimes[$0].count, -$0) > (sizes[$1] * lifetimes[$1].count, -$1)
    }
    var best: (offsets: [Int], arena: Int)?
    for order in [bySize, byArea, byLifetime, values] {
        let offsets = placeValues(order: order, sizes: sizes, lifetimes: lifetimes)
        let arena = alignUp(values.map { offsets[$0] + sizes[$0] }.max() ?? 0)
        if best == nil || arena < best!.arena { best = (offsets, arena) }
    }
    let plan = best ?? (Array(repeating: 0, count: valueCount), 0)

    var lowerBound = 0
    for t in 0..<model.nodes.count {
        let live = values.filter { lifetimes[$0].contains(t) }.reduce(0) { $0 + sizes[$1] }
        lowerBound = max(lowerBound, live)
    }
    let layout = BlobLayout(model)
    return MemoryPlan(
        offsets: plan.offsets, sizes: sizes, lifetimes: lifetimes, arenaBytes: plan.arena,
        lowerBoundBytes: lowerBound, scratchBytes: kernelScratchBytes(model), inputBytes: sizes[0], outputBytes: model.numClasses,
        flashBytes: layout.totalSize, weightBytes: layout.weightBytes, parameterBytes: layout.parameterBytes)
}

/// The kernel scratch the blob lends the C runtime's kernels (`Docs/BLOB_FORMAT.md`, "Kernel
/// scratch"; C twin: `q8_conv_scratch`, `q8_add_scratch`, `q8_hard_swish_scratch` through the op
/// table's scratch entries): the largest need of any op, rounded up to 16. The needs are the
/// buffers of the Cortex-M4 kernels, which take them from the arena's end instead of the stack.
func kernelScratchBytes(_ model: QModel) -> Int {
    var need = 0
    for node in model.nodes {
        switch node.op {
        case .conv(let c):
            let taps = c.kernelH * c.kernelW
            if c.groups == 1 && taps == 1 {
                if c.inChannels <= 2304 { need = max(need, (c.inChannels <= 576 ? 8 : 2) * (c.inChannels & ~3)) }
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

/// Lifetime of every value (see `MemoryPlan.lifetimes`). Input ids outside the graph are ignored
/// here (the model rules reject them).
func valueLifetimes(_ model: QModel) -> [ClosedRange<Int>] {
    let valueCount = model.nodes.count + 1
    var lastUse = (0..<valueCount).map { max($0 - 1, 0) }
    for (i, node) in model.nodes.enumerated() {
        for v in node.inputs where v >= 0 && v < valueCount { lastUse[v] = max(lastUse[v], i) }
    }
    return (0..<valueCount).map { max($0 - 1, 0)...lastUse[$0] }
}

/// Places values in `order`: each goes to the smallest gap (between already placed values whose
/// lifetimes intersect its own) that holds it, or above them all when no gap does.
private func placeValues(order: [Int], sizes: [Int], lifetimes: [ClosedRange<Int>]) -> [Int] {
    var offsets = Array(repeating: 0, count: sizes.count)
    var placed: [Int] = []
    for v in order {
        let conflicts = placed.filter { lifetimes[$0].overlaps(lifetimes[v]) }
            .sorted { (offsets[$0], $0) < (offsets[$1], $1) }
        var bestOffset: Int?
        var bestGap = Int.max
        var end = 0
        for u in conflicts {
            let gap = offsets[u] - end
            if gap >= sizes[v] && gap < bestGap { bestGap = gap; bestOffset = end }
            end = max(end, alignUp(offsets[u] + sizes[u]))
        }
        offsets[v] = bestOffset ?? end
        placed.append(v)
    }
    return offsets
}

/// Values whose arena ranges overlap while both are alive, as a description of the first such
/// pair, or nil when the offsets are a valid plan.
func planConflict(offsets: [Int], sizes: [Int], lifetimes: [ClosedRange<Int>]) -> String? {
    guard sizes.count > 2 else { return nil }
    for b in 2..<sizes.count {
        for a in 1..<b where offsets[a] < offsets[b] + sizes[b] && offsets[b] < offsets[a] + sizes[a]
            && lifetimes[a].overlaps(lifetimes[b]) {
            return "values \(a) and \(b) are alive at the same time but share arena bytes"
        }
    }
    return nil
}
