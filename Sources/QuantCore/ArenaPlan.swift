/// The one lifetime/arena planner: where every value of a model lives in one arena of bytes, so
/// that two values alive at the same step never share a byte. The C runtime (through the blob's
/// value table), the host `IntEngine` and `FloatEngine` run on plans made here.
public struct ArenaPlan: Sendable, Equatable {
    /// Arena byte offset of each value (`alignment`-aligned; 0 for a value that is not placed).
    public var offsets: [Int]
    /// Bytes of each value.
    public var sizes: [Int]
    /// The steps during which each value must stay intact (see `valueLifetimes`).
    public var lifetimes: [ClosedRange<Int>]
    /// Arena bytes of the plan (the peak of `offsets + sizes` over the placed values, rounded up to
    /// the alignment).
    public var arenaBytes: Int
    /// No plan can use less: the largest total size of placed values alive at the same step.
    public var lowerBoundBytes: Int
}

/// The int8 arena plan of `model`, the one the blob stores and the C runtime and the host
/// `IntEngine` run on: every value v ≥ 1 (the output of node v − 1) at a 16-aligned offset; value
/// 0 (the model input) is not in the arena — it stays in the caller's input buffer. The model's
/// schedule decides sizes and lifetimes (`scheduledSizes`, `scheduledLifetimes`); with in-place
/// depthwise, each `inPlaceCandidates` node's output gets its input's offset (the two are placed as
/// one buffer of the larger size, alive over both lifetimes).
public func planArena(_ model: QModel) -> ArenaPlan {
    let g = arenaGroups(model)
    var plan = planArena(sizes: g.sizes, lifetimes: g.lifetimes, placing: (1..<g.root.count).filter { g.root[$0] == $0 })
    for v in 1..<g.root.count { plan.offsets[v] = plan.offsets[g.root[v]] }
    plan.sizes = scheduledSizes(model)
    plan.lifetimes = scheduledLifetimes(model)
    return plan
}

/// The buffers `planArena` places: every value v ≥ 1 belongs to the buffer of `root[v]` (itself,
/// or with in-place depthwise the input of the node that writes v over it, transitively), whose
/// size is its members' largest and whose lifetime spans theirs.
public func arenaGroups(_ model: QModel) -> (root: [Int], sizes: [Int], lifetimes: [ClosedRange<Int>]) {
    let valueCount = model.nodes.count + 1
    let sizes = scheduledSizes(model), lifetimes = scheduledLifetimes(model)
    var root = Array(0..<valueCount)
    if model.schedule.inPlaceDepthwise {
        for i in inPlaceCandidates(model) where !model.schedule.notInPlace.contains(i) { root[i + 1] = root[model.nodes[i].inputs[0]] }
    }
    var groupSizes = sizes, groupLifetimes = lifetimes
    for v in 1..<valueCount where root[v] != v {
        let r = root[v]
        groupSizes[r] = max(groupSizes[r], sizes[v])
        groupLifetimes[r] = min(groupLifetimes[r].lowerBound, lifetimes[v].lowerBound)...max(groupLifetimes[r].upperBound, lifetimes[v].upperBound)
    }
    return (root, groupSizes, groupLifetimes)
}

/// Bytes alive at each node (step) under the model's schedule: the sizes of the `arenaGroups`
/// buffers alive then. Their maximum is the arena's lower bound.
public func aliveBytes(_ model: QModel) -> [Int] {
    let g = arenaGroups(model)
    var alive = Array(repeating: 0, count: model.nodes.count)
    for v in 1..<g.root.count where g.root[v] == v {
        for t in g.lifetimes[v] where t < alive.count { alive[t] += g.sizes[v] }
    }
    return alive
}

/// Bytes of every value's arena buffer under the model's schedule: the whole value, or for a
/// value inside a patch stage its widest band (`bandBufferBytes`).
public func scheduledSizes(_ model: QModel) -> [Int] {
    var sizes = (0...model.nodes.count).map { model.info($0).shape.count }
    for s in model.schedule.stages where s.lastNode > s.firstNode {
        var rows = Array(repeating: 0, count: s.lastNode - s.firstNode)
        for b in 0..<s.bands {
            for (k, r) in stageRows(model, s, band: b).dropLast().enumerated() { rows[k] = max(rows[k], r.count) }
        }
        for v in (s.firstNode + 1)...s.lastNode { sizes[v] = rows[v - s.firstNode - 1] * model.info(v).shape.w * model.info(v).shape.c }
    }
    return sizes
}

/// `valueLifetimes` under the model's schedule: a patch stage's output and every value its nodes
/// read from before it are alive during the whole stage (every band writes the one and reads the
/// others).
public func scheduledLifetimes(_ model: QModel) -> [ClosedRange<Int>] {
    var lifetimes = valueLifetimes(model)
    for s in model.schedule.stages {
        for i in s.firstNode...s.lastNode {
            for u in model.nodes[i].inputs where u <= s.firstNode && u >= 0 && u < lifetimes.count {
                lifetimes[u] = lifetimes[u].lowerBound...max(lifetimes[u].upperBound, s.lastNode)
            }
        }
        let o = s.outputValue
        lifetimes[o] = min(lifetimes[o].lowerBound, s.firstNode)...lifetimes[o].upperBound
    }
    return lifetimes
}

/// The pairs (input, output) of the `inPlaceCandidates` nodes of `model` whose two values have the
/// same offset in `offsets`: the only values alive at the same step that may share bytes.
public func inPlacePairs(_ model: QModel, offsets: [Int]) -> [(Int, Int)] {
    inPlaceCandidates(model).compactMap { i in
        let u = model.nodes[i].inputs[0]
        return offsets[u] == offsets[i + 1] ? (u, i + 1) : nil
    }
}

/// Lifetime of every value of `model`: from the node that produces it (value v ≥ 1 is produced by
/// node v − 1; the input counts as produced at node 0) to the last node that reads it. A value
/// nothing reads (the model output) lives only during the node that writes it. Input ids outside
/// the graph are ignored here (the model validator rejects them).
public func valueLifetimes(_ model: QModel) -> [ClosedRange<Int>] {
    valueLifetimes(nodeInputs: model.nodes.map(\.inputs))
}

/// `valueLifetimes` for a graph given by the inputs of each node (value v ≥ 1 = output of node v − 1).
public func valueLifetimes(nodeInputs: [[Int]]) -> [ClosedRange<Int>] {
    let valueCount = nodeInputs.count + 1
    var lastUse = (0..<valueCount).map { max($0 - 1, 0) }
    for (i, inputs) in nodeInputs.enumerated() {
        for v in inputs where v >= 0 && v < valueCount { lastUse[v] = max(lastUse[v], i) }
    }
    return (0..<valueCount).map { max($0 - 1, 0)...lastUse[$0] }
}

/// Places the values `placing` (ids into `sizes` and `lifetimes`) in one arena: each at an
/// `alignment`-aligned offset such that two values whose lifetimes intersect never overlap (so an
/// op's output never overlaps its inputs). Placement is greedy — each value at the best-fitting gap
/// among the already placed values whose lifetimes intersect its own — tried in four orders
/// (largest first, largest size × lifetime first, longest-lived first, first use first); the
/// smallest arena wins, ties going to the earlier order, so the result is deterministic.
public func planArena(sizes: [Int], lifetimes: [ClosedRange<Int>], placing values: [Int], alignment: Int = 16) -> ArenaPlan {
    precondition(sizes.count == lifetimes.count && alignment > 0, "planArena: one size and one lifetime per value")
    let align = { (n: Int) in (n + alignment - 1) / alignment * alignment }
    let bySize = values.sorted { (sizes[$0], lifetimes[$0].count, -$0) > (sizes[$1], lifetimes[$1].count, -$1) }
    let byArea = values.sorted { (sizes[$0] * lifetimes[$0].count, -$0) > (sizes[$1] * lifetimes[$1].count, -$1) }
    let byLifetime = values.sorted { (lifetimes[$0].count, sizes[$0], -$0) > (lifetimes[$1].count, sizes[$1], -$1) }
    var best: (offsets: [Int], arena: Int)?
    for order in [bySize, byArea, byLifetime, values.sorted()] {
        let offsets = placeValues(order: order, sizes: sizes, lifetimes: lifetimes, align: align)
        let arena = align(values.map { offsets[$0] + sizes[$0] }.max() ?? 0)
        if best == nil || arena < best!.arena { best = (offsets, arena) }
    }
    let plan = best ?? (Array(repeating: 0, count: sizes.count), 0)

    var lowerBound = 0
    for t in Set(values.flatMap { [lifetimes[$0].lowerBound, lifetimes[$0].upperBound] }) {
        lowerBound = max(lowerBound, values.filter { lifetimes[$0].contains(t) }.reduce(0) { $0 + sizes[$1] })
    }
    return ArenaPlan(offsets: plan.offsets, sizes: sizes, lifetimes: lifetimes, arenaBytes: plan.arena,
                     lowerBoundBytes: lowerBound)
}

/// Places values in `order`: each goes to the smallest gap (between already placed values whose
/// lifetimes intersect its own) that holds it, or above them all when no gap does.
private func placeValues(order: [Int], sizes: [Int], lifetimes: [ClosedRange<Int>], align: (Int) -> Int) -> [Int] {
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
            end = max(end, align(offsets[u] + sizes[u]))
        }
        offsets[v] = bestOffset ?? end
        placed.append(v)
    }
    return offsets
}

/// Values v ≥ 1 whose arena ranges overlap while both are alive, as a description of the first
/// such pair, or nil when the offsets are a valid plan (the blob reader's check of a stored plan).
/// The pairs `sharing` (an in-place op's input and output, `inPlacePairs`) may overlap.
public func arenaConflict(offsets: [Int], sizes: [Int], lifetimes: [ClosedRange<Int>], sharing: [(Int, Int)] = []) -> String? {
    guard sizes.count > 2 else { return nil }
    let shared = Set(sharing.map { [$0.0, $0.1].sorted() })
    for b in 2..<sizes.count {
        for a in 1..<b where offsets[a] < offsets[b] + sizes[b] && offsets[b] < offsets[a] + sizes[a]
            && lifetimes[a].overlaps(lifetimes[b]) && !shared.contains([a, b]) {
            return "values \(a) and \(b) are alive at the same time but share arena bytes"
        }
    }
    return nil
}
