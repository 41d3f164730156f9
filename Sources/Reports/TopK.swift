/// The indices of the `k` largest values, largest first; among equal values the lowest index
/// comes first (so `topK(v, 1)` is the first maximum). NaN ranks below every number.
public func topK(_ values: [Float], _ k: Int) -> [Int] {
    func beats(_ a: Float, _ b: Float) -> Bool { a > b || (b.isNaN && !a.isNaN) }
    var chosen: [Int] = []
    var taken = [Bool](repeating: false, count: values.count)
    for _ in 0..<Swift.min(Swift.max(k, 0), values.count) {
        var best = -1
        for i in values.indices where !taken[i] {
            if best < 0 || beats(values[i], values[best]) { best = i }
        }
        taken[best] = true
        chosen.append(best)
    }
    return chosen
}

/// `topK` of int8 logits (same tie rule: lowest index first).
public func topK(_ values: [Int8], _ k: Int) -> [Int] { topK(values.map(Float.init), k) }

/// The first index of the largest value (0 for an empty array).
public func argmax(_ values: [Float]) -> Int { topK(values, 1).first ?? 0 }

/// The first index of the largest int8 value (0 for an empty array).
public func argmax(_ values: [Int8]) -> Int { topK(values, 1).first ?? 0 }
