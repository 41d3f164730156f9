/// How the activation ranges of a run were chosen.
public struct CalibrationSettings: Sendable, Codable, Equatable {
    /// Observer: minmax, percentile, mse or entropy.
    public var method: String
    /// Upper percentile of the percentile observer (nil for the other methods).
    public var percentile: Double?
    /// Calibration images used, and where they came from.
    public var images: Int
    public var source: String
    /// Images the per-activation range search compared logits on (nil: no range search).
    public var rangeSearchImages: Int?
    /// Whether each convolution's bias absorbed the mean error of its int8 output.
    public var biasCorrection: Bool
    /// Calibration images the per-layer error table was measured on.
    public var layerErrorImages: Int
    /// Convolution → depthwise pairs that activation equalization found (nil: equalization off).
    public var equalizedPairs: Int?

    public init(method: String, percentile: Double?, images: Int, source: String, equalizedPairs: Int? = nil, rangeSearchImages: Int?,
                biasCorrection: Bool, layerErrorImages: Int) {
        self.method = method; self.percentile = percentile; self.images = images; self.source = source
        self.equalizedPairs = equalizedPairs
        self.rangeSearchImages = rangeSearchImages; self.biasCorrection = biasCorrection; self.layerErrorImages = layerErrorImages
    }
}

/// The SHA-256 of an input file, or of a folder's files.
public struct InputDigest: Sendable, Codable, Equatable {
    /// The path as given on the command line.
    public var path: String
    /// Lower-case hex. For a folder: the SHA-256 of its `sha256sum`-style listing (see `how`).
    public var sha256: String
    /// Bytes hashed (all files together) and number of files.
    public var bytes: Int
    public var files: Int
    /// How the digest can be recomputed with standard tools.
    public var how: String

    public init(path: String, sha256: String, bytes: Int, files: Int, how: String) {
        self.path = path; self.sha256 = sha256; self.bytes = bytes; self.files = files; self.how = how
    }
}

/// What is needed to reproduce a run.
public struct RunInfo: Sendable, Codable, Equatable {
    /// The command line as typed (program name first).
    public var commandLine: [String]
    /// The toolkit's version, and the git commit of the checkout it ran from ("unknown" when it
    /// did not run from a git checkout; "+ uncommitted changes" when the checkout had any).
    public var toolVersion: String
    public var gitCommit: String
    /// Digests of the checkpoint, the calibration data and the evaluation data.
    public var inputs: [InputDigest]

    public init(commandLine: [String], toolVersion: String, gitCommit: String, inputs: [InputDigest]) {
        self.commandLine = commandLine; self.toolVersion = toolVersion; self.gitCommit = gitCommit; self.inputs = inputs
    }
}
