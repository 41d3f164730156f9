import QuantCore

/// Decodes a binary PGM (`P5`, gray) or PPM (`P6`, RGB) image with maxval 255. The header may
/// hold `#` comments; exactly one whitespace byte separates it from the samples.
public func decodePNM(_ data: [UInt8], path: String) throws -> DecodedImage {
    guard data.count >= 2, data[0] == UInt8(ascii: "P"), data[1] == UInt8(ascii: "5") || data[1] == UInt8(ascii: "6") else {
        throw ToolkitError(path, "not a binary PGM/PPM file (magic P5 or P6 missing)")
    }
    let channels = data[1] == UInt8(ascii: "5") ? 1 : 3
    var pos = 2
    func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0B || b == 0x0C }
    func number(_ what: String) throws -> Int {
        while pos < data.count {
            if isSpace(data[pos]) {
                pos += 1
            } else if data[pos] == UInt8(ascii: "#") {
                while pos < data.count && data[pos] != 0x0A && data[pos] != 0x0D { pos += 1 }
            } else {
                break
            }
        }
        var value = 0, digits = 0
        while pos < data.count, data[pos] >= UInt8(ascii: "0"), data[pos] <= UInt8(ascii: "9") {
            value = value * 10 + Int(data[pos] - UInt8(ascii: "0"))
            pos += 1
            digits += 1
            guard value <= 1 << 24 else { throw ToolkitError(path, "PNM header: \(what) is too large") }
        }
        guard digits > 0 else { throw ToolkitError(path, "PNM header: \(what) is missing or not a number") }
        return value
    }
    let width = try number("width"), height = try number("height"), maxval = try number("maxval")
    guard width > 0, height > 0 else { throw ToolkitError(path, "PNM image has zero size (\(width)x\(height))") }
    guard maxval == 255 else { throw ToolkitError(path, "PNM maxval \(maxval) is not supported (only 255)") }
    guard pos < data.count, isSpace(data[pos]) else { throw ToolkitError(path, "PNM header is truncated") }
    pos += 1
    let size = width * height * channels
    guard data.count - pos >= size else {
        throw ToolkitError(path, "PNM image is truncated: \(width)x\(height)x\(channels) needs \(size) bytes, found \(data.count - pos)")
    }
    return DecodedImage(width: width, height: height, channels: channels, pixels: Array(data[pos..<(pos + size)]))
}

/// Encodes a gray image as binary PGM (`P5`) or an RGB image as binary PPM (`P6`), maxval 255.
public func encodePNM(_ image: DecodedImage, path: String = "<pnm>") throws -> [UInt8] {
    let magic: String
    switch image.channels {
    case 1: magic = "P5"
    case 3: magic = "P6"
    default: throw ToolkitError(path, "PNM holds gray or RGB images, not \(channelName(image.channels)); convert first")
    }
    guard image.pixels.count == image.width * image.height * image.channels else {
        throw ToolkitError(path, "image has \(image.pixels.count) samples, expected \(image.width * image.height * image.channels)")
    }
    return Array("\(magic)\n\(image.width) \(image.height)\n255\n".utf8) + image.pixels
}
