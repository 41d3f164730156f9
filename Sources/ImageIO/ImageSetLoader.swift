import Foundation
import QuantCore

/// Reads a set of images from `path`, which may be:
/// - a folder of images (.jpg/.jpeg/.png/.ppm/.pgm/.pnm, read in sorted name order), either with one
///   sub-folder per class (sorted folder names are labels 0…n−1 and the class names), or with a
///   `labels.csv` (header `file,label[,...]`; a `name` column fills `classNames`) in the folder or,
///   for a folder without sub-folders, beside it; otherwise labels are −1;
/// - a CIFAR-10 binary batch (`.bin`; class names from `batches.meta.txt` beside it);
/// - an IDX images file, plain or gzip-compressed (labels from the matching
///   `*labels-idx1-ubyte[.gz]` beside it, class names from `classes.txt`);
/// - an NPY array: uint8 N×H×W (gray) or N×H×W×C (C = 1, 3, 4), or N×C×H×W (C = 1, 3) which is
///   transposed; float32 arrays are read as [0, 1] when every value is ≤ 1, else as [0, 255],
///   then rounded and clamped (a note says which);
/// - a single JPEG, PNG or PPM/PGM file.
/// With target `height`/`width`/`channels` in `options` every image is converted (resize to cover +
/// centre crop, bilinear; gray ↔ RGB; alpha dropped) and `notes` says what was done; without them,
/// images of different sizes or channel counts are an error naming the first offending file.
/// A missing one of height/width defaults to the other (square).
public func loadImageSet(_ path: String, options: ImageSetOptions = .init()) throws -> ImageSet {
    if let c = options.channels, c != 1 && c != 3 {
        throw ToolkitError(path, "target channels must be 1 (gray) or 3 (RGB), not \(c)")
    }
    if let limit = options.limit, limit < 1 { throw ToolkitError(path, "image limit must be at least 1, not \(limit)") }
    for size in [options.height, options.width] {
        if let s = size, s < 1 || s > 16384 { throw ToolkitError(path, "target size \(s) is out of range (1 to 16384)") }
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw ToolkitError(path, "no such file or folder")
    }
    if isDirectory.boolValue { return try loadImageFolder(path, options: options) }
    return try conform(loadImageFile(path, limit: options.limit), options: options)
}

/// Image file name extensions a folder is scanned for.
let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "ppm", "pgm", "pnm"]

/// Reads a container file (CIFAR batch, IDX, NPY) or a single image, without conversion.
func loadImageFile(_ path: String, limit: Int?) throws -> ImageSet {
    try imageSet(fromFileBytes: readFileBytes(path), path: path, limit: limit)
}

/// The images of a container file (CIFAR batch, IDX, NPY, gzip'd or not) or single image whose
/// bytes are `bytes`, read as `loadImageSet` reads the file at `path` (files beside it give labels
/// and class names), without conversion.
public func imageSet(fromFileBytes bytes: [UInt8], path: String, limit: Int?) throws -> ImageSet {
    var bytes = bytes
    var logical = path
    if bytes.starts(with: [0x1F, 0x8B]) {
        bytes = try gunzipDataFile(bytes, path: path)
        if logical.hasSuffix(".gz") { logical.removeLast(3) }
    }
    let name = (logical as NSString).lastPathComponent
    let ext = (name as NSString).pathExtension.lowercased()
    let directory = (path as NSString).deletingLastPathComponent
    if bytes.starts(with: [0x93] + Array("NUMPY".utf8)) {
        return try imageSet(fromNPY: readNPY(bytes, path: path), path: path, limit: limit)
    }
    if ext == "bin" {
        var set = try readCIFAR10Batch(bytes, path: path, limit: limit)
        set.classNames = try classNamesFile(directory + "/batches.meta.txt")
        return set
    }
    if name.contains("idx") || (bytes.count >= 4 && bytes[0] == 0 && bytes[1] == 0) {
        return try imageSet(fromIDX: readIDX(bytes, path: path), path: path, logicalName: logical, limit: limit)
    }
    let image = try decodeImage(bytes, path: path)
    return ImageSet(height: image.height, width: image.width, channels: image.channels, pixels: image.pixels,
                    labels: [-1], names: [name], source: path)
}

/// Class names, one per non-empty line, from `path`; [] when the file does not exist.
func classNamesFile(_ path: String) throws -> [String] {
    guard FileManager.default.fileExists(atPath: path) else { return [] }
    let text = String(decoding: try readFileBytes(path), as: UTF8.self)
    return text.split(whereSeparator: \.isNewline).map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
}

/// Images from an IDX array (N×H×W gray or N×H×W×C), with labels from the matching labels file.
func imageSet(fromIDX idx: IDXArray, path: String, logicalName: String, limit: Int?) throws -> ImageSet {
    guard idx.shape.count == 3 || (idx.shape.count == 4 && [1, 3].contains(idx.shape[3])) else {
        let hint = idx.shape.count == 1 ? " (a labels file? pass the images file)" : ""
        throw ToolkitError(path, "IDX array of shape \(idx.shape) is not a set of images (N×H×W or N×H×W×C)\(hint)")
    }
    let total = idx.shape[0], h = idx.shape[1], w = idx.shape[2], c = idx.shape.count == 4 ? idx.shape[3] : 1
    // Empty images would let a 16-byte header declare millions of them (found by the fuzz harness).
    guard h > 0, w > 0 else { throw ToolkitError(path, "IDX array of shape \(idx.shape) holds empty images (\(h)x\(w))") }
    let count = min(total, limit ?? Int.max)
    var set = ImageSet(height: h, width: w, channels: c, pixels: Array(idx.bytes[0..<(count * h * w * c)]),
                       labels: [Int](repeating: -1, count: count), names: (0..<count).map { "record \($0)" }, source: path)
    let directory = (path as NSString).deletingLastPathComponent
    set.classNames = try classNamesFile(directory + "/classes.txt")
    let base = (logicalName as NSString).lastPathComponent
    guard base.contains("images-idx") else {
        set.notes.append("labels unknown: the file name has no 'images-idx' part to derive a labels file name from")
        return set
    }
    let labelsBase = directory + "/" + base.replacingOccurrences(of: "images-idx3", with: "labels-idx1")
        .replacingOccurrences(of: "images-idx4", with: "labels-idx1")
    let candidates = path.hasSuffix(".gz") ? [labelsBase + ".gz", labelsBase] : [labelsBase, labelsBase + ".gz"]
    guard let labelsPath = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
        set.notes.append("labels unknown: no labels file \(candidates[0])")
        return set
    }
    var bytes = try readFileBytes(labelsPath)
    if bytes.starts(with: [0x1F, 0x8B]) { bytes = try gunzipDataFile(bytes, path: labelsPath) }
    let labels = try readIDX(bytes, path: labelsPath)
    guard labels.shape == [total] else {
        throw ToolkitError(labelsPath, "labels file has shape \(labels.shape) but \(path) holds \(total) images")
    }
    set.labels = labels.bytes[0..<count].map { Int($0) }
    return set
}

/// Images from an NPY array (see `loadImageSet` for the accepted shapes and float scaling).
func imageSet(fromNPY npy: NPYArray, path: String, limit: Int?) throws -> ImageSet {
    let s = npy.shape
    var notes: [String] = []
    let n: Int, h: Int, w: Int, c: Int, planar: Bool
    if s.count == 3 {
        (n, h, w, c, planar) = (s[0], s[1], s[2], 1, false)
    } else if s.count == 4 && [1, 3, 4].contains(s[3]) {
        (n, h, w, c, planar) = (s[0], s[1], s[2], s[3], false)
    } else if s.count == 4 && [1, 3].contains(s[1]) {
        (n, h, w, c, planar) = (s[0], s[2], s[3], s[1], true)
        notes.append("NPY array read as N×C×H×W (channels first) and transposed to HWC")
    } else {
        throw ToolkitError(path, "NPY array of shape \(s) is not a set of images (N×H×W, N×H×W×C or N×C×H×W with C = 1, 3 or 4)")
    }
    guard h > 0, w > 0, c > 0 else { throw ToolkitError(path, "NPY array of shape \(s) holds empty images (\(h)x\(w)x\(c))") }
    let count = min(n, limit ?? Int.max)
    let size = h * w * c
    var bytes: [UInt8]
    switch npy.values {
    case .uint8(let v):
        bytes = Array(v[0..<(count * size)])
    case .float32(let v):
        let used = v[0..<(count * size)]
        guard used.allSatisfy({ $0.isFinite }) else { throw ToolkitError(path, "NPY float array holds NaN or infinite values") }
        let unit = used.allSatisfy { $0 <= 1 }
        let scale: Float = unit ? 255 : 1
        notes.append("float32 NPY values read as \(unit ? "[0, 1] (every value ≤ 1), scaled by 255" : "[0, 255]"), rounded and clamped to 0–255")
        bytes = used.map { UInt8(max(0, min(255, ($0 * scale).rounded()))) }
    }
    if planar {
        var hwc = [UInt8](repeating: 0, count: bytes.count)
        for i in 0..<count {
            for ch in 0..<c {
                for p in 0..<(h * w) { hwc[i * size + p * c + ch] = bytes[i * size + ch * h * w + p] }
            }
        }
        bytes = hwc
    }
    return ImageSet(height: h, width: w, channels: c, pixels: bytes, labels: [Int](repeating: -1, count: count),
                    names: (0..<count).map { "record \($0)" }, source: path, notes: notes)
}

/// Reads a folder of images (see `loadImageSet`).
func loadImageFolder(_ folder: String, options: ImageSetOptions) throws -> ImageSet {
    let fm = FileManager.default
    func listing(_ dir: String) throws -> (files: [String], folders: [String], others: Int) {
        guard let names = try? fm.contentsOfDirectory(atPath: dir) else { throw ToolkitError(dir, "folder cannot be read") }
        var files: [String] = [], folders: [String] = [], others = 0
        for name in names.sorted() where !name.hasPrefix(".") {
            var isDir: ObjCBool = false
            _ = fm.fileExists(atPath: dir + "/" + name, isDirectory: &isDir)
            if isDir.boolValue {
                folders.append(name)
            } else if imageExtensions.contains((name as NSString).pathExtension.lowercased()) {
                files.append(name)
            } else {
                others += 1
            }
        }
        return (files, folders, others)
    }
    let top = try listing(folder)
    var paths: [String] = [], names: [String] = [], labels: [Int] = [], classNames: [String] = []
    var notes: [String] = [], folderWarnings: [String] = []
    var csvPath = folder + "/labels.csv"
    if !fm.fileExists(atPath: csvPath) && top.folders.isEmpty {
        let beside = (folder as NSString).deletingLastPathComponent + "/labels.csv"
        csvPath = fm.fileExists(atPath: beside) ? beside : ""
    }
    if fm.fileExists(atPath: csvPath) {
        let csv = try LabelsCSV(path: csvPath)
        var unlisted = 0
        for file in top.files {
            paths.append(folder + "/" + file)
            names.append(file)
            let label = csv.labels[file] ?? -1
            if label < 0 { unlisted += 1 }
            labels.append(label)
        }
        classNames = csv.classNames
        notes.append("labels from \(csvPath)")
        if unlisted > 0 { notes.append("\(unlisted) image(s) not listed in \(csvPath) have label -1") }
    } else if !top.folders.isEmpty {
        guard top.files.isEmpty else {
            throw ToolkitError(folder, "folder holds both image files (\(top.files[0]), …) and class sub-folders; use one layout")
        }
        let matched = try classFolderLabels(top.folders, in: folder, classNames: options.classNames, classCount: options.classCount)
        for (sub, label) in zip(top.folders, matched.labels) {
            for file in try listing(folder + "/" + sub).files {
                paths.append(folder + "/" + sub + "/" + file)
                names.append(sub + "/" + file)
                labels.append(label)
            }
        }
        if let note = matched.note { notes.append(note) }
        if let warning = matched.warning { folderWarnings.append(warning) }
        if options.classCount == nil {
            classNames = top.folders
        } else if let count = options.classCount {
            // The model's classes, named by the model or else by the folders.
            classNames = options.classNames.count == count ? options.classNames : [String](repeating: "", count: count)
            for (sub, label) in zip(top.folders, matched.labels) where classNames[label].isEmpty { classNames[label] = sub }
        }
    } else {
        for file in top.files {
            paths.append(folder + "/" + file)
            names.append(file)
            labels.append(-1)
        }
    }
    guard !paths.isEmpty else {
        throw ToolkitError(folder, "no images found in folder (looked for \(imageExtensions.sorted().joined(separator: ", ")) files"
                           + (top.folders.isEmpty ? "" : " in its class sub-folders") + ")")
    }
    if top.others > 0 { notes.append("\(top.others) non-image file(s) in the folder ignored") }
    if let limit = options.limit, limit < paths.count {
        paths = Array(paths.prefix(limit))
        names = Array(names.prefix(limit))
        labels = Array(labels.prefix(limit))
    }
    let images = try decodeAll(paths, progress: options.progress)
    var set = try assemble(images, paths: paths, names: names, labels: labels, classNames: classNames,
                           source: folder, notes: notes, options: options)
    set.warnings = folderWarnings
    return set
}

/// Decodes the image files at `paths`, on all cores; the first failure (in path order) is thrown.
func decodeAll(_ paths: [String], progress: Bool = false) throws -> [DecodedImage] {
    let line = ProgressLine("reading images", total: paths.count, enabled: progress)
    return try parallelMap(count: paths.count, threads: ProcessInfo.processInfo.activeProcessorCount) { _, i in
        defer { line.advance() }
        return Result { try readImage(paths[i]) }
    }.map { try $0.get() }
}

/// Converts a container's images to the requested size and channels (no-op without targets).
func conform(_ set: ImageSet, options: ImageSetOptions) throws -> ImageSet {
    let h = options.height ?? options.width ?? set.height, w = options.width ?? options.height ?? set.width
    let c = options.channels ?? (set.channels == 2 ? 1 : set.channels == 4 ? 3 : set.channels)
    if h == set.height && w == set.width && c == set.channels {
        var set = set
        set.sourceChannels = [alphaFreeChannels(set.channels)]
        return set
    }
    let images = (0..<set.count).map { set.decodedImage($0) }
    return try assemble(images, paths: set.names.map { "\(set.source) (\($0))" }, names: set.names, labels: set.labels,
                        classNames: set.classNames, source: set.source, notes: set.notes, options: options)
}

/// Packs decoded images into an ImageSet, converting each to the target size/channels when
/// `options` has them, and otherwise requiring all to match the first (an error names the file).
func assemble(_ images: [DecodedImage], paths: [String], names: [String], labels: [Int], classNames: [String],
              source: String, notes: [String], options: ImageSetOptions) throws -> ImageSet {
    var notes = notes
    let first = images[0]
    let targetH = options.height ?? options.width, targetW = options.width ?? options.height
    let h = targetH ?? first.height, w = targetW ?? first.width
    let alphaFree = first.channels == 2 ? 1 : first.channels == 4 ? 3 : first.channels
    let c = options.channels ?? alphaFree
    var pixels: [UInt8] = []
    pixels.reserveCapacity(images.count * h * w * c)
    var resized: [String: Int] = [:], converted: [String: Int] = [:], sourceChannels: [Int: Int] = [:]
    for (i, var image) in images.enumerated() {
        sourceChannels[alphaFreeChannels(image.channels), default: 0] += 1
        if targetH == nil && (image.width != w || image.height != h) {
            throw ToolkitError(paths[i], "image is \(image.width)x\(image.height) but \(paths[0]) is \(w)x\(h); "
                               + "give a target size to resize every image")
        }
        if options.channels == nil && image.channels != first.channels {
            throw ToolkitError(paths[i], "image is \(channelName(image.channels)) but \(paths[0]) is \(channelName(first.channels)); "
                               + "give target channels to convert every image")
        }
        if image.channels != c {
            converted["\(channelName(image.channels)) to \(channelName(c))", default: 0] += 1
            image = try convertChannels(image, to: c, path: paths[i])
        }
        if image.width != w || image.height != h {
            resized["\(image.width)x\(image.height)", default: 0] += 1
            image = try resizeAndCenterCrop(image, width: w, height: h, path: paths[i])
        }
        pixels += image.pixels
    }
    for (what, n) in converted.sorted(by: { $0.key < $1.key }) {
        notes.append("\(n) image\(n == 1 ? "" : "s") converted from \(what)" + (what.hasPrefix("RGB to gray") ? " (BT.601 luma)" : ""))
    }
    if !resized.isEmpty {
        let total = resized.values.reduce(0, +)
        let sizes = resized.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
        let from: String
        if sizes.count == 1 {
            from = sizes[0].key
        } else if sizes.count <= 4 {
            from = sizes.map { "\($0.key) (\($0.value))" }.joined(separator: ", ")
        } else {
            from = "\(sizes.count) different sizes, most often " + sizes.prefix(3).map { "\($0.key) (\($0.value))" }.joined(separator: ", ")
        }
        notes.append("\(total) image\(total == 1 ? "" : "s") resized from \(from) to \(w)x\(h) (bilinear, scaled to cover, then centre-cropped)")
    }
    var set = ImageSet(height: h, width: w, channels: c, pixels: pixels, labels: labels, names: names,
                       classNames: classNames, source: source, notes: notes)
    set.sourceChannels = sourceChannels.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.map(\.key)
    return set
}

/// Channels without alpha: gray+alpha is gray, RGBA is RGB.
func alphaFreeChannels(_ c: Int) -> Int { c == 2 ? 1 : c == 4 ? 3 : c }
