import Foundation

/// A progress line on standard error: `label: done/total images, images/s, ETA` (or another unit), rewritten in place,
/// at most a few times a second. Thread-safe.
public final class ProgressLine: @unchecked Sendable {
    private let label: String
    private let total: Int
    private let start = Date()
    private var done = 0
    private var lastPrint = Date.distantPast
    private let lock = NSLock()
    private let enabled: Bool
    private let unit: String

    /// `unit` names what is counted (plural), e.g. images.
    public init(_ label: String, total: Int, unit: String = "images", enabled: Bool = true) {
        self.label = label; self.total = total; self.unit = unit; self.enabled = enabled
        // The phase shows at once, even when its first item takes a while.
        if enabled && total > 0 { FileHandle.standardError.write(("\r" + text(done: 0, seconds: 0) + "   ").data(using: .utf8)!) }
    }

    /// Adds `n` finished items.
    public func advance(_ n: Int = 1) {
        lock.lock(); defer { lock.unlock() }
        done += n
        let now = Date()
        guard enabled, done == total || now.timeIntervalSince(lastPrint) > 0.25 else { return }
        lastPrint = now
        let line = "\r" + text(done: done, seconds: now.timeIntervalSince(start)) + "   "
        FileHandle.standardError.write(line.data(using: .utf8)!)
        if done == total { FileHandle.standardError.write("\n".data(using: .utf8)!) }
    }

    /// The line's text after `done` items in `seconds`: label, count, rate and ETA, in `unit`.
    func text(done: Int, seconds: Double) -> String {
        let rate = Double(done) / max(seconds, 1e-6)
        let eta = rate > 0 ? Double(total - done) / rate : 0
        if done > 0 && rate < 1 {  // slow items: seconds per item, not "0 per second"
            let one = unit.hasSuffix("s") ? String(unit.dropLast()) : unit
            return String(format: "%@: %d/%d %@, %.1f s/%@, ETA %.0fs", label, done, total, unit, 1 / rate, one, eta)
        }
        return String(format: "%@: %d/%d %@, %.0f %@/s, ETA %.0fs", label, done, total, unit, rate, unit, eta)
    }

    /// Seconds since the line was created.
    public var seconds: Double { Date().timeIntervalSince(start) }
}
