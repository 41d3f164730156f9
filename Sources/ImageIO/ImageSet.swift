/// A set of same-size 8-bit images (HWC interleaved, stored back to back) with their labels.
public struct ImageSet: Sendable {
    public var height: Int
    public var width: Int
    public var channels: Int
    /// `count * height * width * channels` samples.
    public var pixels: [UInt8]
    /// One label per image; -1 when unknown.
    public var labels: [Int]
    /// One name per image: its file name, or "record N" for images from a container file.
    public var names: [String]
    /// Label → class name when known (class folder names, labels.csv `name` column,
    /// batches.meta.txt, classes.txt); otherwise empty.
    public var classNames: [String]
    /// The path the set was read from.
    public var source: String
    /// What was done to the data on the way in (conversions, resizes, assumptions).
    public var notes: [String]
    /// What makes the labels doubtful (e.g. class folders numbered in sorted order though their
    /// names are not the model's class names), for the caller to show as warnings.
    public var warnings: [String] = []
    /// The channel counts the images had before conversion (alpha not counted), most frequent first.
    public var sourceChannels: [Int] = []

    public init(height: Int, width: Int, channels: Int, pixels: [UInt8], labels: [Int], names: [String],
                classNames: [String] = [], source: String, notes: [String] = []) {
        self.height = height
        self.width = width
        self.channels = channels
        self.pixels = pixels
        self.labels = labels
        self.names = names
        self.classNames = classNames
        self.source = source
        self.notes = notes
    }

    /// Number of images.
    public var count: Int { labels.count }

    /// Samples per image (`height * width * channels`).
    public var imageSize: Int { height * width * channels }

    /// The samples of image `i` (HWC), without copying.
    public func image(_ i: Int) -> ArraySlice<UInt8> {
        pixels[(i * imageSize)..<((i + 1) * imageSize)]
    }

    /// Image `i` as a standalone decoded image.
    public func decodedImage(_ i: Int) -> DecodedImage {
        DecodedImage(width: width, height: height, channels: channels, pixels: Array(image(i)))
    }

    /// The images at `indices`, in that order, with their labels and names.
    public func subset(_ indices: [Int]) -> ImageSet {
        var picked: [UInt8] = []
        picked.reserveCapacity(indices.count * imageSize)
        for i in indices { picked += image(i) }
        var set = ImageSet(height: height, width: width, channels: channels, pixels: picked,
                           labels: indices.map { labels[$0] }, names: indices.map { names[$0] },
                           classNames: classNames, source: source, notes: notes)
        set.sourceChannels = sourceChannels
        set.warnings = warnings
        return set
    }

    /// A few lines for `quantize inspect`: source, count, size, channels, label histogram, notes.
    public func summary() -> String {
        var lines = ["\(source): \(count) image\(count == 1 ? "" : "s"), \(width)x\(height) (width x height), "
                     + "\(channels) channel\(channels == 1 ? "" : "s") (\(channelName(channels))), uint8"]
        var histogram: [Int: Int] = [:]
        for l in labels { histogram[l, default: 0] += 1 }
        let unknown = histogram.removeValue(forKey: -1) ?? 0
        if histogram.isEmpty {
            lines.append("labels: none")
        } else {
            lines.append("labels: \(histogram.count) distinct" + (unknown > 0 ? ", \(unknown) unlabelled" : ""))
            let shown = histogram.keys.sorted()
            let entries = shown.prefix(20).map { label -> String in
                let name = label < classNames.count && !classNames[label].isEmpty ? " \(classNames[label])" : ""
                return "\(label)\(name): \(histogram[label] ?? 0)"
            }
            lines.append("  " + entries.joined(separator: ", ") + (shown.count > 20 ? ", … (\(shown.count - 20) more)" : ""))
        }
        for note in notes { lines.append("note: \(note)") }
        return lines.joined(separator: "\n")
    }
}

/// What `loadImageSet` should convert every image to; nil fields keep what the data has.
public struct ImageSetOptions: Sendable {
    /// Target height and width: images are resized (shorter side, bilinear) and centre-cropped.
    public var height: Int?
    public var width: Int?
    /// Target channels: 1 (gray) or 3 (RGB); alpha is always dropped when converting.
    public var channels: Int?
    /// Read at most this many images (the first ones in the set's deterministic order).
    public var limit: Int?
    /// The model's class count and class names (label order; may be empty): class sub-folders are
    /// then matched to the model's classes (`classFolderLabels`). Without a count, the sorted
    /// folders are labels 0…n−1.
    public var classCount: Int?
    public var classNames: [String] = []
    /// Whether decoding a folder of images shows a progress line on standard error.
    public var progress = false

    public init(height: Int? = nil, width: Int? = nil, channels: Int? = nil, limit: Int? = nil) {
        self.height = height
        self.width = width
        self.channels = channels
        self.limit = limit
    }
}
