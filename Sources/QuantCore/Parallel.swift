import Foundation

/// How many workers `parallelSlices` uses for `count` items.
public func workerCount(_ count: Int, threads: Int) -> Int { max(1, min(threads, count)) }

/// Runs `work(worker, range)` on `workerCount(count, threads)` contiguous slices of 0..<count in
/// parallel and returns the workers' results in slice order.
public func parallelSlices<T>(count: Int, threads: Int, _ work: @escaping @Sendable (Int, Range<Int>) -> T) -> [T] {
    let t = workerCount(count, threads: threads)
    let results = SliceResults<T>(t)
    DispatchQueue.concurrentPerform(iterations: t) { w in
        let r = work(w, (w * count / t)..<((w + 1) * count / t))
        results.lock.lock(); results.items[w] = r; results.lock.unlock()
    }
    return results.items.map { $0! }
}

/// Per-worker results, written under a lock.
final class SliceResults<T>: @unchecked Sendable {
    var items: [T?]
    let lock = NSLock()
    init(_ n: Int) { items = Array(repeating: nil, count: n) }
}

