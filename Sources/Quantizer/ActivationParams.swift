import QuantCore
import Models

/// Scale and zero point of every value of `graph` from its calibrated range.
/// - value 0 (raw pixels / 255) is fixed: scale 1/255, zero point −128;
/// - hard-sigmoid outputs use the fixed grid 1/256, −128 (covers [0, 255/256]);
/// - values that an op moves without arithmetic (concat, split, shuffle, max pool) are merged into
///   one group that shares the union of its members' ranges.
func activationParams(_ graph: Graph, ranges: [Int: (min: Float, max: Float)]) throws -> [(scale: Double, zeroPoint: Int32)] {
    let n = graph.nodes.count + 1
    var parent = Array(0..<n)
    func find(_ x: Int) -> Int {
        var x = x
        while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
        return x
    }
    func union(_ a: Int, _ b: Int) { parent[find(a)] = find(b) }
    for (i, node) in graph.nodes.enumerated() {
        switch node.op {
        case .concat, .split, .shuffle, .maxPool:
            for v in node.inputs { union(v, i + 1) }
        default: break
        }
    }
    var lo = [Float](repeating: 0, count: n), hi = [Float](repeating: 0, count: n)
    for v in 1..<n {
        guard let r = ranges[v] else { throw ToolkitError(graph.nodes[v - 1].name, "no calibration range for this layer's output") }
        guard r.min.isFinite, r.max.isFinite else {
            throw ToolkitError(graph.nodes[v - 1].name, "calibration range [\(r.min), \(r.max)] is not finite (NaN or Inf activations)")
        }
        let root = find(v)
        lo[root] = min(lo[root], r.min)
        hi[root] = max(hi[root], r.max)
    }
    // A group whose values only flow into ReLUs (e.g. ShuffleNetV1's ReLU(concat[pool, branch]))
    // need not represent negatives: the ReLU would zero them anyway, so the grid starts at 0.
    var consumers = [[Int]](repeating: [], count: n)
    for (i, node) in graph.nodes.enumerated() { for v in node.inputs { consumers[v].append(i) } }
    var onlyReLU = [Bool](repeating: true, count: n)
    for v in 1..<n {
        let root = find(v)
        for c in consumers[v] {
            switch graph.nodes[c].op {
            case .relu, .relu6: continue
            default: if find(c + 1) != root { onlyReLU[root] = false }
            }
        }
        if v == n - 1 || consumers[v].isEmpty { onlyReLU[root] = false }
    }
    for v in 1..<n where find(v) == v && onlyReLU[v] && v != find(0) { lo[v] = max(lo[v], 0) }
    var result: [(scale: Double, zeroPoint: Int32)] = []
    for v in 0..<n {
        if v == 0 { result.append(inputQuantization); continue }
        if case .hardSigmoid = graph.nodes[v - 1].op { result.append(QConv.hardSigmoidOutput); continue }
        let root = find(v)
        if root == find(0) { result.append(inputQuantization); continue }
        let p = activationQuantParams(min: lo[root], max: hi[root])
        result.append((Double(Float(p.scale)), p.zeroPoint))   // float32 scales, as TFLite stores them
    }
    return result
}
