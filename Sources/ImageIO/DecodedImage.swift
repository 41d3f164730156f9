import QuantCore

/// One decoded image: 8-bit samples, rows top to bottom, channels interleaved (HWC).
/// `channels` is 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA).
public struct DecodedImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    /// `height * width * channels` samples.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }
}

/// A readable name of a channel count.
func channelName(_ channels: Int) -> String {
    switch channels {
    case 1: return "gray"
    case 2: return "gray+alpha"
    case 3: return "RGB"
    case 4: return "RGBA"
    default: return "\(channels)-channel"
    }
}

/// Decodes an image file's bytes, choosing the format by its signature: JPEG, PNG or PNM (P5/P6).
public func decodeImage(_ data: [UInt8], path: String) throws -> DecodedImage {
    if data.starts(with: [0xFF, 0xD8]) { return try decodeJPEG(data, path: path) }
    if data.starts(with: pngSignature) { return try decodePNG(data, path: path) }
    if data.starts(with: Array("P5".utf8)) || data.starts(with: Array("P6".utf8)) { return try decodePNM(data, path: path) }
    throw ToolkitError(path, "not a JPEG, PNG or PPM/PGM image (unrecognized first bytes)")
}

/// Reads and decodes the image file at `path` (see `decodeImage(_:path:)`).
public func readImage(_ path: String) throws -> DecodedImage {
    try decodeImage(try readFileBytes(path), path: path)
}
