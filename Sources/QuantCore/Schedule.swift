/// How a model's ops run and share the arena. Every schedule gives the same bytes as plain layer
/// by layer execution; they differ only in the SRAM they need (`planArena`) and, for patch
/// stages, in the MACs recomputed in the overlaps (`extraMACs`).
///
/// - **In-place depthwise** (TinyEngine): a depthwise CONV whose input nothing reads after it
///   writes its output over the input (same arena offset; the rule is `inPlaceCandidates`). Its
///   kernel copies one channel's input plane (H·W bytes of kernel scratch) before writing that
///   channel's outputs, and in HWC the outputs of channel c only land on bytes of channel c.
/// - **Patch stages** (MCUNetV2, with row bands as patches): a run of consecutive ops is executed
///   band by band — the stage output's rows are split into `bands` bands; each band is computed
///   from just the rows of every earlier value of the stage it needs (the overlap, or halo, is
///   computed again by the next band); padding is applied only at the true top and bottom of the
///   image. Values inside a stage never exist whole: their arena buffer holds one band's rows.
public struct ExecutionSchedule: Sendable, Equatable {
    /// Whether the depthwise CONVs that may run in place (`inPlaceCandidates`) do, except those in
    /// `notInPlace`.
    public var inPlaceDepthwise: Bool
    /// Candidates that run out of place all the same (the planner leaves out those the budget does
    /// not need: the in-place kernel has no optimized variant). Empty unless `inPlaceDepthwise`.
    public var notInPlace: Set<Int>
    /// The patch stages, in node order, not overlapping (`scheduleProblem` checks them).
    public var stages: [PatchStage]

    public init(inPlaceDepthwise: Bool = false, notInPlace: Set<Int> = [], stages: [PatchStage] = []) {
        self.inPlaceDepthwise = inPlaceDepthwise; self.notInPlace = inPlaceDepthwise ? notInPlace : []; self.stages = stages
    }

    /// Plain layer by layer execution (the default).
    public var isLayerByLayer: Bool { !inPlaceDepthwise && stages.isEmpty }

    /// The stage that contains node `i`, if any.
    public func stage(containing i: Int) -> PatchStage? { stages.first { $0.firstNode <= i && i <= $0.lastNode } }
}

/// Nodes `firstNode...lastNode` run band by band: the output of `lastNode` (value `lastNode + 1`)
/// is split into `bands` bands of rows, band b being rows `b·H/bands ..< (b+1)·H/bands`.
public struct PatchStage: Sendable, Equatable, Hashable {
    public var firstNode: Int, lastNode: Int, bands: Int
    public init(firstNode: Int, lastNode: Int, bands: Int) {
        self.firstNode = firstNode; self.lastNode = lastNode; self.bands = bands
    }
    /// The value the stage writes whole (band by band).
    public var outputValue: Int { lastNode + 1 }
    /// Values produced inside the stage that exist one band at a time (all but the output).
    public var internalValues: ClosedRange<Int> { (firstNode + 1)...(lastNode + 1) }
    /// Whether value `v` is produced inside the stage and is not its output.
    public func isInternal(_ v: Int) -> Bool { v > firstNode && v <= lastNode }
    /// Output rows of band `b` for an output of `height` rows.
    public func bandRows(_ b: Int, height: Int) -> Range<Int> { (b * height / bands)..<((b + 1) * height / bands) }
}

/// The window of `op` along the rows (kernel, stride, top padding), or nil for an op whose output
/// row r reads only input row r (element-wise ops).
public func rowWindow(_ op: QOp) -> (kernel: Int, stride: Int, pad: Int)? {
    switch op {
    case .conv(let c): return (c.kernelH, c.strideH, c.padTop)
    case .maxPool(let p), .avgPool(let p): return (p.kernel, p.stride, p.padTop)
    default: return nil
    }
}

/// Whether `op` can run on a band of rows inside a patch stage: convolutions, pools and the
/// element-wise ops (add, hard-swish, lookup, requantize). Not: the squeeze-excitation multiply,
/// global pooling and the channel ops.
public func runsOnBands(_ op: QOp) -> Bool {
    switch op {
    case .conv, .maxPool, .avgPool, .add, .hardSwish, .lookup, .requantize: return true
    default: return false
    }
}

/// The input rows `op` reads to compute output `rows` (clipped to the input's `height`: rows
/// outside it are padding).
public func inputRows(_ op: QOp, output rows: Range<Int>, inputHeight: Int) -> Range<Int> {
    guard let w = rowWindow(op) else { return rows }
    let lo = max(0, rows.lowerBound * w.stride - w.pad)
    let hi = min(inputHeight, (rows.upperBound - 1) * w.stride - w.pad + w.kernel)
    return lo..<max(lo, hi)
}

/// The rows every value of `stage` holds in band `b`: element k is value `firstNode + 1 + k`
/// (the last is the stage output's band). An internal value holds the union of what its readers
/// in the stage need.
public func stageRows(_ model: QModel, _ stage: PatchStage, band b: Int) -> [Range<Int>] {
    let count = stage.lastNode - stage.firstNode + 1
    var rows = [Range<Int>?](repeating: nil, count: count)
    rows[count - 1] = stage.bandRows(b, height: model.info(stage.outputValue).shape.h)
    for i in stripe(stage.lastNode, down: stage.firstNode) {
        guard let out = rows[i - stage.firstNode] else { continue }
        let node = model.nodes[i]
        for u in node.inputs where stage.isInternal(u) {
            let need = inputRows(node.op, output: out, inputHeight: model.info(u).shape.h)
            let k = u - stage.firstNode - 1
            rows[k] = rows[k].map { min($0.lowerBound, need.lowerBound)..<max($0.upperBound, need.upperBound) } ?? need
        }
    }
    return rows.map { $0 ?? 0..<0 }
}

/// `from, from − 1, …, to` (empty when from < to).
private func stripe(_ from: Int, down to: Int) -> [Int] { from >= to ? Array((to...from).reversed()) : [] }

/// Bytes of the buffer an internal value of `stage` needs: its widest band (rows × W × C).
public func bandBufferBytes(_ model: QModel, _ stage: PatchStage, value v: Int) -> Int {
    let s = model.info(v).shape
    return (0..<stage.bands).map { stageRows(model, stage, band: $0)[v - stage.firstNode - 1].count }.max()! * s.w * s.c
}

/// Node `node` as it runs on output `rows` of its output, reading `inputRows[k]` of input k: the
/// same parameters with the shapes of the bands and the top padding that remains (padding only at
/// the true top of the image; the bottom padding follows from the shapes, as always). Returns the
/// node and its input shapes.
public func bandNode(_ node: QNode, inputShapes: [Shape3], output rows: Range<Int>, inputRows: [Range<Int>]) -> (node: QNode, inputShapes: [Shape3]) {
    var n = node
    n.output.shape = Shape3(rows.count, node.output.shape.w, node.output.shape.c)
    let shapes = zip(inputShapes, inputRows).map { Shape3($1.count, $0.w, $0.c) }
    let top = { (stride: Int, pad: Int) in inputRows[0].lowerBound - (rows.lowerBound * stride - pad) }
    switch node.op {
    case .conv(var c):
        c.padTop = top(c.strideH, c.padTop)
        n.op = .conv(c)
    case .maxPool(var p):
        p.padTop = top(p.stride, p.padTop)
        n.op = .maxPool(p)
    case .avgPool(var p):
        p.padTop = top(p.stride, p.padTop)
        n.op = .avgPool(p)
    default:
        break
    }
    return (n, shapes)
}

/// The depthwise CONV nodes that may write their output over their input: `groups == in == out`,
/// the input is an arena value (not the model input) that no later node reads, and node and
/// input producer are in the same patch stage (or both outside any), the node not being the last
/// of its stage (a stage's output and the values it reads from before it live across all bands).
public func inPlaceCandidates(_ model: QModel) -> [Int] {
    let lifetimes = valueLifetimes(model)
    let stageIndex = { (i: Int) in model.schedule.stages.firstIndex { $0.firstNode <= i && i <= $0.lastNode } }
    return model.nodes.indices.filter { i in
        let node = model.nodes[i]
        guard case .conv(let c) = node.op, c.groups == c.inChannels, c.groups == c.outChannels,
              node.inputs.count == 1, let u = node.inputs.first, u >= 1, lifetimes[u].upperBound == i else { return false }
        let s = stageIndex(i)
        return s == stageIndex(u - 1) && (s == nil || model.schedule.stages[s!].lastNode != i)
    }
}

/// What is wrong with `model.schedule`, or nil: stages in node order without overlap, each of
/// nodes that run on bands, `bands` between 1 and the output's height, and no value produced
/// inside a stage read after it (except the stage's output) or not read inside it.
public func scheduleProblem(_ model: QModel) -> String? {
    var next = 0
    for (k, s) in model.schedule.stages.enumerated() {
        if s.firstNode < next || s.lastNode < s.firstNode || s.lastNode >= model.nodes.count {
            return "patch stage \(k) (nodes \(s.firstNode)…\(s.lastNode)) is outside the model or overlaps the previous stage"
        }
        if s.lastNode - s.firstNode + 1 > ModelLimits.maxStageNodes {
            return "patch stage \(k) has \(s.lastNode - s.firstNode + 1) nodes, more than \(ModelLimits.maxStageNodes)"
        }
        if s.bands < 1 || s.bands > model.info(s.outputValue).shape.h {
            return "patch stage \(k) has \(s.bands) bands for an output of \(model.info(s.outputValue).shape.h) rows"
        }
        for i in s.firstNode...s.lastNode where !runsOnBands(model.nodes[i].op) {
            return "patch stage \(k): node \(i) (\(model.nodes[i].name)) cannot run on bands of rows"
        }
        for v in s.internalValues.dropLast() where !(s.firstNode...s.lastNode).contains(where: { model.nodes[$0].inputs.contains(v) }) {
            return "patch stage \(k): value \(v), inside the stage, is read by no node of the stage"
        }
        for i in (s.lastNode + 1)..<model.nodes.count {
            if let v = model.nodes[i].inputs.first(where: { s.isInternal($0) }) {
                return "patch stage \(k): value \(v), inside the stage, is read by node \(i) after it"
            }
        }
        next = s.lastNode + 1
    }
    return nil
}

/// Multiply-accumulates of the convolutions of `model` run layer by layer, and the MACs its
/// schedule adds by computing the bands' overlapping rows again.
public func extraMACs(_ model: QModel) -> (layerByLayer: Int, extra: Int) {
    func macsPerRow(_ node: QNode) -> Int {
        guard case .conv(let c) = node.op else { return 0 }
        return node.output.shape.w * node.output.shape.c * c.kernelH * c.kernelW * (c.inChannels / c.groups)
    }
    let plain = model.nodes.reduce(0) { $0 + macsPerRow($1) * $1.output.shape.h }
    var extra = 0
    for s in model.schedule.stages {
        for b in 0..<s.bands {
            let rows = stageRows(model, s, band: b)
            for i in s.firstNode...s.lastNode { extra += macsPerRow(model.nodes[i]) * rows[i - s.firstNode].count }
        }
        for i in s.firstNode...s.lastNode { extra -= macsPerRow(model.nodes[i]) * model.nodes[i].output.shape.h }
    }
    return (plain, extra)
}
