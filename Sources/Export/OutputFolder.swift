import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import QuantCore

/// Checks, before any work starts, that `dir` can receive output files: an existing path must be a
/// folder in which a file can be created; a missing folder must be creatable (its nearest existing
/// ancestor a folder in which one can create entries). Nothing is left behind. Problems throw
/// `ToolkitError(path, plain words)`.
public func checkOutputFolder(_ dir: String) throws {
    var path = dir.isEmpty ? "." : dir
    var missing = false
    while true {
        var st = stat()
        if stat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else {
                throw ToolkitError(path, missing ? "cannot create the output folder \(dir) inside it: it is a file, not a folder"
                                                 : "the output folder is a file, not a folder")
            }
            if let problem = probeWritable(path) {
                throw ToolkitError(path, missing ? "cannot create the output folder \(dir) inside it: \(problem)"
                                                 : "cannot write into the output folder: \(problem)")
            }
            return
        }
        let e = errno
        guard e == ENOENT || e == ENOTDIR else { throw ToolkitError(path, "cannot use as output folder: \(plainWords(e))") }
        missing = true
        let parent = (path as NSString).deletingLastPathComponent
        path = parent.isEmpty ? "." : parent
    }
}

/// Writes a set of files into `dir` as one unit: each file goes to a hidden temporary name in
/// `dir` (`.NAME.partial-PID`), is flushed to disk, and only when every file of the set is complete
/// are they renamed into place. A failure removes the temporary files and leaves whatever set was
/// there before untouched; Ctrl-C (SIGINT), SIGTERM or SIGHUP while the temporary files are written
/// does the same and then ends the process, and during the renames it is held back until the set
/// is in place. Temporary files of an earlier run that was killed outright are removed. `dir` is
/// created if needed. Returns the paths written, in order. Errors read `PATH: plain words`.
public func writeOutputFiles(_ files: [(name: String, data: Data)], to dir: String) throws -> [String] {
    SignalDeferral.begin()
    defer { SignalDeferral.end() }
    let targets = files.map { dir + "/" + $0.name }
    let temporaries = files.map { dir + "/." + $0.name + ".partial-\(getpid())" }
    do {
        try checkOutputFolder(dir)
        try makeFolder(dir)
        removeStaleTemporaries(in: dir, names: files.map(\.name))
        for (i, file) in files.enumerated() {
            try writeWhole(file.data, to: temporaries[i], reportedAs: targets[i])
            if SignalDeferral.pending != 0 { break }
        }
        if SignalDeferral.pending == 0 {
            // Every target must be replaceable by a rename before the first one is renamed.
            for target in targets {
                var st = stat()
                if lstat(target, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
                    throw ToolkitError(target, "a folder of that name is in the way; nothing was written")
                }
            }
        }
    } catch {
        for t in temporaries { unlink(t) }
        throw error
    }
    if SignalDeferral.pending != 0 {
        for t in temporaries { unlink(t) }
        return []  // `end` re-raises the signal
    }
    for (i, target) in targets.enumerated() where rename(temporaries[i], target) != 0 {
        let e = errno
        for t in temporaries[i...] { unlink(t) }
        throw ToolkitError(target, "cannot put the file in place: \(plainWords(e))"
                           + (i > 0 ? " (\(targets[..<i].joined(separator: ", ")) were already replaced)" : ""))
    }
    let fd = open(dir, O_RDONLY)
    if fd >= 0 { _ = fsync(fd); close(fd) }
    return targets
}

/// What an `errno` means, in plain lowercase words.
public func plainWords(_ e: Int32) -> String {
    switch e {
    case EACCES, EPERM: return "permission denied"
    case ENOSPC: return "no space left on the device"
    case EDQUOT: return "disk quota exceeded"
    case EROFS: return "the file system is read-only"
    case ENOTDIR: return "a file is in the way where a folder is needed"
    case EISDIR: return "it is a folder, not a file"
    case ENOENT: return "no such file or folder"
    case ENAMETOOLONG: return "the name is too long"
    case EEXIST: return "it already exists"
    default: return String(cString: strerror(e)).lowercased()
    }
}

/// Tries to create and remove a file in `dir`; nil if that worked, else why not.
func probeWritable(_ dir: String) -> String? {
    let probe = dir + "/.write-check-\(getpid())"
    let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0o600)
    guard fd >= 0 else { return plainWords(errno) }
    close(fd)
    unlink(probe)
    return nil
}

/// `mkdir -p dir`, with errors in plain words naming the component that failed.
func makeFolder(_ dir: String) throws {
    var path = ""
    for (i, part) in dir.split(separator: "/", omittingEmptySubsequences: false).enumerated() {
        path += (i == 0 ? "" : "/") + part
        if part.isEmpty || part == "." { continue }
        if mkdir(path, 0o777) != 0 {
            let e = errno
            var st = stat()
            if e == EEXIST, stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { continue }
            throw ToolkitError(path, "cannot create the output folder: " + (e == EEXIST ? "a file is in the way" : plainWords(e)))
        }
    }
}

/// Writes `data` to a new file at `path`, flushed to disk; errors name `reportedAs`.
func writeWhole(_ data: Data, to path: String, reportedAs: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o666)
    guard fd >= 0 else { throw ToolkitError(reportedAs, "cannot write: \(plainWords(errno))") }
    defer { close(fd) }
    try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
        var offset = 0
        while offset < raw.count {
            let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw ToolkitError(reportedAs, "cannot write: \(plainWords(errno))")
            }
            offset += n
        }
    }
    guard fsync(fd) == 0 else { throw ToolkitError(reportedAs, "cannot write: \(plainWords(errno))") }
}

/// Removes `.NAME.partial-PID` and `.write-check-PID` files whose process no longer runs.
func removeStaleTemporaries(in dir: String, names: [String]) {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
    for entry in entries {
        for prefix in names.map({ "." + $0 + ".partial-" }) + [".write-check-"] where entry.hasPrefix(prefix) {
            guard let pid = Int32(entry.dropFirst(prefix.count)) else { continue }
            if pid == getpid() || (kill(pid, 0) != 0 && errno == ESRCH) { unlink(dir + "/" + entry) }
        }
    }
}

/// Holds SIGINT / SIGTERM / SIGHUP back while an output set is written: the handler only records
/// the signal; `end` restores the previous handlers and re-raises it.
enum SignalDeferral {
    nonisolated(unsafe) static var pending: Int32 = 0
    nonisolated(unsafe) static var previous: [Int32: sighandler_t?] = [:]
    static let signals = [SIGINT, SIGTERM, SIGHUP]

    static func begin() {
        pending = 0
        for s in signals { previous[s] = signal(s) { SignalDeferral.pending = $0 } }
    }

    static func end() {
        for s in signals { signal(s, previous[s] ?? SIG_DFL) }
        if pending != 0 { raise(pending) }
    }
}
