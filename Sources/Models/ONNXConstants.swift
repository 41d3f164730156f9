/// Constant folding for the ONNX importer: the shape arithmetic exporters write (Shape, Gather,
/// Cast, Sub, Div, Mul, Add, Concat, Unsqueeze, Squeeze, Slice, ConstantOfShape, Reshape,
/// Transpose of constants) evaluated at import time, so that run-time padding and reshape targets
/// become numbers.
import ModelIO
import QuantCore

/// A constant tensor: row-major values held as Double (int64 shape values are exact up to 2^53;
/// larger ones are clamping sentinels such as INT64_MAX in Slice ends).
struct ConstTensor {
    var dims: [Int]
    var values: [Double]
    /// Whether the ONNX type is an integer (division truncates, Cast to int truncates).
    var isInt: Bool

    init(dims: [Int], values: [Double], isInt: Bool) { self.dims = dims; self.values = values; self.isInt = isInt }

    init(_ t: ONNXTensor) {
        dims = t.dims
        switch t.values {
        case .float(let v): values = v.map(Double.init); isInt = false
        case .int(let v): values = v.map(Double.init); isInt = true
        }
    }

    static func ints(_ v: [Int], dims: [Int]? = nil) -> ConstTensor {
        ConstTensor(dims: dims ?? [v.count], values: v.map(Double.init), isInt: true)
    }

    var count: Int { values.count }
    var floats: [Float] { values.map { Float($0) } }
    /// Values as Int, clamped to ±2^62 (so INT64_MAX-style sentinels stay usable).
    var ints: [Int] { values.map(clampedInt) }
}

/// A Double to Int, clamped to ±2^62 (NaN → 0).
func clampedInt(_ d: Double) -> Int {
    guard !d.isNaN else { return 0 }
    return Int(max(-4.6e18, min(4.6e18, d.rounded(.towardZero))))
}

/// Row-major strides of `dims`.
func strides(_ dims: [Int]) -> [Int] {
    var s = [Int](repeating: 1, count: dims.count)
    var acc = 1
    for i in stride(from: dims.count - 1, through: 0, by: -1) { s[i] = acc; acc *= dims[i] }
    return s
}

/// Normalizes a possibly negative axis for a tensor of `rank`, or nil if out of range.
func normalizedAxis(_ axis: Int, rank: Int) -> Int? {
    let a = axis < 0 ? axis + rank : axis
    return (0..<max(rank, 1)).contains(a) || (rank == 0 && a == 0) ? a : nil
}

/// Constant versions of the ops; each throws a plain message (the caller adds the node).
enum ConstOps {
    /// Largest element count a folded constant may have (shape arithmetic is tiny; this bounds
    /// ConstantOfShape / broadcast allocations by something sane whatever the file claims).
    static let maxElements = 1 << 22

    /// The element count of `dims`, refused when negative, overflowing or above `limit`.
    static func checkCount(_ dims: [Int], limit: Int = maxElements) throws -> Int {
        var n = 1
        for d in dims {
            guard d >= 0 else { throw ImportProblem("negative dimension in \(dims)") }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            guard !o, p <= limit else { throw ImportProblem("a constant of shape \(dims) is too large to fold") }
            n = p
        }
        return n
    }

    /// Numpy-style broadcasting of an element-wise binary op.
    static func binary(_ a: ConstTensor, _ b: ConstTensor, _ f: (Double, Double) -> Double) throws -> ConstTensor {
        let rank = max(a.dims.count, b.dims.count)
        let da = [Int](repeating: 1, count: rank - a.dims.count) + a.dims
        let db = [Int](repeating: 1, count: rank - b.dims.count) + b.dims
        var out = [Int]()
        for i in 0..<rank {
            guard da[i] == db[i] || da[i] == 1 || db[i] == 1 else { throw ImportProblem("shapes \(a.dims) and \(b.dims) do not broadcast") }
            out.append(da[i] == 1 ? db[i] : da[i])
        }
        let n = try checkCount(out)
        let so = strides(out), sa = strides(da), sb = strides(db)
        var values = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var ia = 0, ib = 0, rest = i
            for d in 0..<rank {
                let c = rest / so[d]; rest %= so[d]
                if da[d] != 1 { ia += c * sa[d] }
                if db[d] != 1 { ib += c * sb[d] }
            }
            values[i] = f(a.values[ia], b.values[ib])
        }
        return ConstTensor(dims: out, values: values, isInt: a.isInt && b.isInt)
    }

    static func arithmetic(_ op: String, _ a: ConstTensor, _ b: ConstTensor) throws -> ConstTensor {
        let isInt = a.isInt && b.isInt
        switch op {
        case "Add": return try binary(a, b, +)
        case "Sub": return try binary(a, b, -)
        case "Mul": return try binary(a, b, *)
        case "Div":
            return try binary(a, b) { x, y in
                if isInt { return y == 0 ? 0 : (x / y).rounded(.towardZero) }
                return x / y
            }
        case "Max": return try binary(a, b) { Swift.max($0, $1) }
        case "Min": return try binary(a, b) { Swift.min($0, $1) }
        case "Equal": var r = try binary(a, b) { $0 == $1 ? 1 : 0 }; r.isInt = true; return r
        default: throw ImportProblem("no constant folding for \(op)")
        }
    }

    static func gather(_ data: ConstTensor, _ indices: ConstTensor, axis: Int) throws -> ConstTensor {
        guard let ax = normalizedAxis(axis, rank: data.dims.count), !data.dims.isEmpty else {
            throw ImportProblem("axis \(axis) is out of range for shape \(data.dims)")
        }
        let outer = data.dims[..<ax].reduce(1, *), inner = data.dims[(ax + 1)...].reduce(1, *), n = data.dims[ax]
        var values: [Double] = []
        for o in 0..<outer {
            for idx in indices.ints {
                let i = idx < 0 ? idx + n : idx
                guard (0..<n).contains(i) else { throw ImportProblem("index \(idx) is out of range for dimension \(n)") }
                let base = (o * n + i) * inner
                values += data.values[base..<(base + inner)]
            }
        }
        let dims = Array(data.dims[..<ax]) + indices.dims + Array(data.dims[(ax + 1)...])
        return ConstTensor(dims: dims, values: values, isInt: data.isInt)
    }

    static func concat(_ parts: [ConstTensor], axis: Int) throws -> ConstTensor {
        guard let first = parts.first, let ax = normalizedAxis(axis, rank: first.dims.count), !first.dims.isEmpty else {
            throw ImportProblem("concatenation axis \(axis) is out of range")
        }
        for p in parts where p.dims.count != first.dims.count || (0..<p.dims.count).contains(where: { $0 != ax && p.dims[$0] != first.dims[$0] }) {
            throw ImportProblem("cannot concatenate shapes \(parts.map(\.dims)) along axis \(axis)")
        }
        let outer = first.dims[..<ax].reduce(1, *)
        var values: [Double] = []
        for o in 0..<outer {
            for p in parts {
                let chunk = p.dims[ax...].reduce(1, *)
                values += p.values[(o * chunk)..<((o + 1) * chunk)]
            }
        }
        var dims = first.dims
        dims[ax] = parts.reduce(0) { $0 + $1.dims[ax] }
        return ConstTensor(dims: dims, values: values, isInt: parts.allSatisfy(\.isInt))
    }

    /// Resolves a Reshape target (0 copies the input dimension unless `allowZero`, −1 is inferred).
    static func reshapeTarget(_ input: [Int], _ target: [Int], allowZero: Bool) throws -> [Int] {
        var dims = target
        for i in dims.indices where dims[i] == 0 && !allowZero {
            guard i < input.count else { throw ImportProblem("reshape target \(target) copies dimension \(i) of \(input)") }
            dims[i] = input[i]
        }
        let total = try checkCount(input, limit: Int.max)
        let unknown = dims.indices.filter { dims[$0] == -1 }
        guard unknown.count <= 1, dims.allSatisfy({ $0 >= -1 }) else { throw ImportProblem("invalid reshape target \(target)") }
        var known = 1
        for d in dims where d != -1 {
            let (p, o) = known.multipliedReportingOverflow(by: d)
            guard !o else { throw ImportProblem("cannot reshape \(input) to \(target)") }
            known = p
        }
        if let u = unknown.first {
            guard known > 0, total % known == 0 else { throw ImportProblem("cannot reshape \(input) to \(target)") }
            dims[u] = total / known
        }
        guard dims.reduce(1, *) == total else { throw ImportProblem("cannot reshape \(input) to \(target)") }
        return dims
    }

    static func transpose(_ t: ConstTensor, perm: [Int]) throws -> ConstTensor {
        let rank = t.dims.count
        guard perm.sorted() == Array(0..<rank) else { throw ImportProblem("permutation \(perm) does not fit shape \(t.dims)") }
        let outDims = perm.map { t.dims[$0] }
        let si = strides(t.dims), so = strides(outDims)
        var values = [Double](repeating: 0, count: t.count)
        for i in 0..<t.count {
            var src = 0, rest = i
            for d in 0..<rank { let c = rest / so[d]; rest %= so[d]; src += c * si[perm[d]] }
            values[i] = t.values[src]
        }
        return ConstTensor(dims: outDims, values: values, isInt: t.isInt)
    }

    /// Slice with ONNX semantics (negative indices, clamping, negative steps).
    static func slice(_ t: ConstTensor, starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?) throws -> ConstTensor {
        let rank = t.dims.count
        let axes = axes ?? Array(0..<starts.count)
        let steps = steps ?? [Int](repeating: 1, count: starts.count)
        guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count else {
            throw ImportProblem("starts, ends, axes and steps differ in length")
        }
        var ranges = t.dims.map { (start: 0, step: 1, count: $0) }
        for k in 0..<axes.count {
            guard let ax = normalizedAxis(axes[k], rank: rank), rank > 0 else { throw ImportProblem("slice axis \(axes[k]) is out of range") }
            let (start, count) = try sliceRange(dim: t.dims[ax], start: starts[k], end: ends[k], step: steps[k])
            ranges[ax] = (start, steps[k], count)
        }
        let outDims = ranges.map(\.count)
        let n = try checkCount(outDims)
        let si = strides(t.dims), so = strides(outDims)
        var values = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var src = 0, rest = i
            for d in 0..<rank { let c = rest / so[d]; rest %= so[d]; src += (ranges[d].start + c * ranges[d].step) * si[d] }
            values[i] = t.values[src]
        }
        return ConstTensor(dims: outDims, values: values, isInt: t.isInt)
    }

    /// First index and element count of one axis of an ONNX Slice.
    static func sliceRange(dim: Int, start: Int, end: Int, step: Int) throws -> (start: Int, count: Int) {
        guard step != 0 else { throw ImportProblem("slice step 0") }
        var s = start < 0 ? start + dim : start
        var e = end < 0 ? end + dim : end
        if step > 0 {
            s = max(0, min(dim, s)); e = max(0, min(dim, e))
            return (s, e > s ? (e - s + step - 1) / step : 0)
        }
        s = max(-1, min(dim - 1, s)); e = max(-1, min(dim - 1, e))
        return (s, s > e ? (s - e + (-step) - 1) / (-step) : 0)
    }

    static func unsqueeze(_ dims: [Int], axes: [Int]) throws -> [Int] {
        let rank = dims.count + axes.count
        let norm = try axes.map { a -> Int in
            guard let n = normalizedAxis(a, rank: rank) else { throw ImportProblem("unsqueeze axis \(a) is out of range") }
            return n
        }.sorted()
        var out = dims
        for a in norm { out.insert(1, at: a) }
        return out
    }

    static func squeeze(_ dims: [Int], axes: [Int]?) throws -> [Int] {
        guard let axes else { return dims.filter { $0 != 1 } }
        let norm = try Set(axes.map { a -> Int in
            guard let n = normalizedAxis(a, rank: dims.count), dims[n] == 1 else { throw ImportProblem("cannot squeeze axis \(a) of \(dims)") }
            return n
        })
        return dims.indices.filter { !norm.contains($0) }.map { dims[$0] }
    }
}

/// A problem found while importing, without the file and node (the caller adds them).
struct ImportProblem: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
