import QuantCore
import Models

/// Scale and zero point of every value of `graph` from its calibrated range.
/// - value 0 (raw pixels / 255) is fixed: scale 1/255, zero point −128;
/// - hard-sigmoid outputs use the fixed grid 1/256, −128 (covers [0, 255/256]);
/// - values that an op moves without arithmetic (concat, split, shuffle, max pool) are merged into
///   one group that shares the union of its members' ranges.
func activationParams(_ graph: Graph, ranges: [Int: (min: Float, max: Float)]) throws -> [(scale: Double, zeroPoint: Int32)] {
    let n = graph.nodes.count + 1
    let root = gridGroups(graph)
    var lo = [Float](repeating: 0, count: n), hi = [Float](repeating: 0, count: n)
    for v in 1..<n {
        guard let r = ranges[v] else { throw ToolkitError(graph.nodes[v - 1].name, "no calibration range for this layer's output") }
        guard r.min.isFinite, r.max.isFinite else {
            throw ToolkitError(graph.nodes[v - 1].name, "calibration range [\(r.min), \(r.max)] is not finite (NaN or Inf activations)")
        }
        lo[root[v]] = min(lo[root[v]], r.min)
        hi[root[v]] = max(hi[root[v]], r.max)
    }
    for v in reluOnlyValues(graph, root: root) where root[v] == v { lo[v] = max(lo[v], 0) }
    var result: [(scale: Double, zeroPoint: Int32)] = []
    for v in 0..<n {
        if v == 0 { result.append(pixelInputGrid); continue }
        if case .hardSigmoid = graph.nodes[v - 1].op { result.append(QConv.hardSigmoidOutput); continue }
        if root[v] == root[0] { result.append(pixelInputGrid); continue }
        let p = activationQuantParams(min: lo[root[v]], max: hi[root[v]])
        result.append((Double(Float(p.scale)), p.zeroPoint))   // float32 scales, as TFLite stores them
    }
    return result
}

/// The grid group of every value (its root value): values that an op moves without arithmetic
/// (concat, split, shuffle, max pool) share one grid with that op's output.
func gridGroups(_ graph: Graph) -> [Int] {
    var parent = Array(0...graph.nodes.count)
    func find(_ x: Int) -> Int {
        var x = x
        while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
        return x
    }
    for (i, node) in graph.nodes.enumerated() {
        switch node.op {
        case .concat, .split, .shuffle, .maxPool:
            for v in node.inputs { parent[find(v)] = find(i + 1) }
        default: break
        }
    }
    return parent.indices.map(find)
}

/// The values of `graph` whose grid starts at 0 because every use of their grid group ends in a
/// ReLU or ReLU6 (e.g. ShuffleNetV1's `ReLU(concat[pool, branch])`: the branch's negatives would
/// be zeroed anyway, so its grid need not represent them). Their int8 values equal the float
/// values after that ReLU, which is what the per-layer errors compare them with.
public func reluOnlyValues(_ graph: Graph) -> Set<Int> { reluOnlyValues(graph, root: gridGroups(graph)) }

/// `reluOnlyValues` with the grid groups already known (`root`: `gridGroups(graph)`).
func reluOnlyValues(_ graph: Graph, root: [Int]) -> Set<Int> {
    let n = graph.nodes.count + 1
    var consumers = [[Int]](repeating: [], count: n)
    for (i, node) in graph.nodes.enumerated() { for v in node.inputs { consumers[v].append(i) } }
    var onlyReLU = [Bool](repeating: true, count: n)
    for v in 1..<n {
        for c in consumers[v] {
            switch graph.nodes[c].op {
            case .relu, .relu6: continue
            default: if root[c + 1] != root[v] { onlyReLU[root[v]] = false }
            }
        }
        if v == n - 1 || consumers[v].isEmpty { onlyReLU[root[v]] = false }
    }
    return Set((1..<n).filter { onlyReLU[root[$0]] && root[$0] != root[0] })
}
