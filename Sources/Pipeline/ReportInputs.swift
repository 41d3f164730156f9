import Foundation
import QuantCore
import ImageIO
import Calibration
import Reports

/// The toolkit's version (set by hand when a release is cut; the git commit says more).
public let toolkitVersion = "0.1.0"

/// Each observed activation's calibration histogram coarsened to `bins` equal bins over the union
/// of its float values and the range its int8 grid in `model` covers, in value order.
public func activationHistograms(_ session: CalibrationSession, model: QModel, bins: Int = 64) -> [ActivationHistogram] {
    session.histograms.keys.sorted().compactMap { v -> ActivationHistogram? in
        guard v > 0, v <= model.nodes.count, let hist = session.histograms[v] else { return nil }
        let grid = model.info(v)
        let (gridMin, gridMax) = gridRange(scale: grid.scale, zeroPoint: grid.zeroPoint)
        let seen = hist.count > 0
        let lo = seen ? Swift.min(Double(hist.min), gridMin) : gridMin
        let hi = seen ? Swift.max(Double(hist.max), gridMax) : gridMax
        var counts = [Int](repeating: 0, count: bins)
        let span = hi - lo
        func add(_ value: Double, _ n: Int) {
            guard n > 0 else { return }
            let k = span > 0 ? Int(((value - lo) / span * Double(bins)).rounded(.down)) : 0
            counts[Swift.min(Swift.max(k, 0), bins - 1)] += n
        }
        for (side, sign) in [(hist.positive, 1.0), (hist.negative, -1.0)] {
            for (i, n) in side.counts.enumerated() { add(sign * (Double(i) + 0.5) * side.binWidth, n) }
        }
        add(0, hist.zeros)
        return ActivationHistogram(valueId: v, lo: lo, hi: hi, counts: counts,
                                   floatMin: seen ? Double(hist.min) : 0, floatMax: seen ? Double(hist.max) : 0,
                                   gridMin: gridMin, gridMax: gridMax)
    }
}

/// PNG thumbnails (at most `side` pixels on the longer side) of the first `cap` images whose class
/// changed, by their index in `images`.
public func changedThumbnails(_ report: AccuracyReport, images: ImageSet, cap: Int = 48, side: Int = 96) throws -> [Thumbnail] {
    try report.changed.prefix(cap).map { ch in
        var image = images.decodedImage(ch.index)
        let longer = Swift.max(image.width, image.height)
        if longer > side {
            image = resizeBilinear(image, width: Swift.max(1, image.width * side / longer), height: Swift.max(1, image.height * side / longer))
        }
        return Thumbnail(index: ch.index, png: try encodePNG(image))
    }
}

/// The SHA-256 of a file, or of a folder: every regular file under it (hidden ones too, symbolic
/// links not followed) is hashed, and the digest is that of the `sha256sum`-style listing
/// `<hex>  <relative path>\n`, sorted by path bytes — what the `how` text's shell line prints.
public func inputDigest(_ path: String) throws -> InputDigest {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw ToolkitError(path, "no such file or folder") }
    if !isDir.boolValue {
        let (hex, bytes) = try fileSHA256(path)
        return InputDigest(path: path, sha256: hex, bytes: bytes, files: 1, how: "sha256sum FILE")
    }
    guard let walker = FileManager.default.enumerator(atPath: path) else { throw ToolkitError(path, "folder cannot be read") }
    var files: [String] = []
    while let rel = walker.nextObject() as? String {
        if walker.fileAttributes?[.type] as? FileAttributeType == .typeRegular { files.append(rel) }
    }
    files.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    var listing = SHA256(), total = 0
    for rel in files {
        let (hex, bytes) = try fileSHA256(path + "/" + rel)
        listing.update(Array("\(hex)  \(rel)\n".utf8))
        total += bytes
    }
    return InputDigest(path: path, sha256: listing.hexDigest(), bytes: total, files: files.count,
                       how: "(cd DIR && find . -type f -printf '%P\\n' | LC_ALL=C sort | xargs -d '\\n' sha256sum | sha256sum)")
}

/// The SHA-256 of one file (read 1 MiB at a time) and its size.
func fileSHA256(_ path: String) throws -> (hex: String, bytes: Int) {
    guard let handle = FileHandle(forReadingAtPath: path) else { throw ToolkitError(path, "cannot read the file") }
    defer { try? handle.close() }
    var sha = SHA256(), bytes = 0
    while true {
        let chunk: Data?
        do { chunk = try handle.read(upToCount: 1 << 20) } catch { throw ToolkitError(path, "cannot read the file") }
        guard let chunk, !chunk.isEmpty else { break }
        sha.update(chunk)
        bytes += chunk.count
    }
    return (sha.hexDigest(), bytes)
}

/// The git commit of the checkout the running program sits in (or of the current folder), read
/// at run time with `git rev-parse HEAD`; "+ uncommitted changes" is added when tracked files
/// differ from it. "unknown" when neither is inside a git checkout or git is not installed.
public func gitCommit() -> String {
    var starts: [URL] = []
    if let exe = Bundle.main.executableURL { starts.append(exe.resolvingSymlinksInPath().deletingLastPathComponent()) }
    starts.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
    for start in starts {
        guard let head = git(["rev-parse", "HEAD"], in: start), head.count == 40 else { continue }
        let dirty = git(["status", "--porcelain", "--untracked-files=no"], in: start).map { !$0.isEmpty } ?? false
        return head + (dirty ? " + uncommitted changes" : "")
    }
    return "unknown"
}

/// Output of `git ARGS` run in `folder`, trimmed; nil when it fails.
private func git(_ args: [String], in folder: URL) -> String? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["git", "-C", folder.path] + args
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    do { try process.run() } catch { return nil }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return nil }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}
