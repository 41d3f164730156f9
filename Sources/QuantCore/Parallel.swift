import Foundation

/// How many workers `parallelMap` uses for `count` items on `threads` threads.
public func workerCount(_ count: Int, threads: Int) -> Int { max(1, min(threads, count)) }

/// The one parallel map: computes `work(worker, index)` for every index of 0..<count on
/// `workerCount(count, threads)` workers and returns the results in index order, whatever the
/// timing. Indices are handed out one at a time (a fast worker takes more); `worker` (0..<workers)
/// lets a caller give each worker its own scratch memory — results must not depend on it. `work`
/// runs on several threads at once: it may write only its own index's and its worker's data.
/// `progress(done, count)` is called after each item, one call at a time.
public func parallelMap<T>(count: Int, threads: Int, progress: ((Int, Int) -> Void)? = nil,
                           _ work: (_ worker: Int, _ index: Int) -> T) -> [T] {
    guard count > 0 else { return [] }
    return withoutActuallyEscaping(work) { work in
        withoutActuallyEscaping(progress ?? { _, _ in }) { progress in
            let state = MapState(count: count, work: work, progress: progress)
            DispatchQueue.concurrentPerform(iterations: workerCount(count, threads: threads)) { w in
                while let i = state.claim() { state.finish(i, state.work(w, i)) }
            }
            return state.results.map { $0! }
        }
    }
}

/// `parallelMap` over contiguous slices: `work(worker, range)` for the `workerCount(count, threads)`
/// slices of 0..<count, results in slice order (so sums merged from them do not depend on timing
/// or on the order of the images within a slice).
public func parallelSlices<T>(count: Int, threads: Int, _ work: (_ worker: Int, _ range: Range<Int>) -> T) -> [T] {
    let t = workerCount(count, threads: threads)
    return parallelMap(count: t, threads: t) { _, w in work(w, (w * count / t)..<((w + 1) * count / t)) }
}

/// The shared state of one `parallelMap` call: the closures, the next index to hand out, the
/// results and the progress count (under a lock). Unchecked: `work` runs on several threads at
/// once by contract (each call touches only its own index's data and its worker's memory).
private final class MapState<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0, done = 0
    let count: Int
    let work: (Int, Int) -> T
    private let progress: (Int, Int) -> Void
    private(set) var results: [T?]

    init(count: Int, work: @escaping (Int, Int) -> T, progress: @escaping (Int, Int) -> Void) {
        self.count = count
        self.work = work
        self.progress = progress
        results = Array(repeating: nil, count: count)
    }

    /// The next index to compute, or nil when all are handed out.
    func claim() -> Int? {
        lock.withLock {
            guard next < count else { return nil }
            next += 1
            return next - 1
        }
    }

    /// Stores the result of index `i` and reports progress.
    func finish(_ i: Int, _ result: T) {
        lock.withLock {
            results[i] = result
            done += 1
            progress(done, count)
        }
    }
}
