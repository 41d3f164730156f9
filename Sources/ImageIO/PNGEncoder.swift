import QuantCore

/// Encodes an 8-bit image as PNG: gray (1 channel), gray+alpha (2), RGB (3) or RGBA (4),
/// non-interlaced, each row with the filter that minimises the sum of absolute residuals, one
/// IDAT chunk compressed with `zlibCompress`.
public func encodePNG(_ image: DecodedImage, path: String = "<png>") throws -> [UInt8] {
    let colorTypes = [1: 0, 2: 4, 3: 2, 4: 6]
    guard let colorType = colorTypes[image.channels] else {
        throw ToolkitError(path, "PNG cannot hold a \(image.channels)-channel image")
    }
    guard image.width > 0, image.height > 0, image.pixels.count == image.width * image.height * image.channels else {
        throw ToolkitError(path, "image \(image.width)x\(image.height)x\(image.channels) has \(image.pixels.count) samples")
    }
    let bpp = image.channels
    let rowBytes = image.width * bpp
    var filtered = [UInt8](repeating: 0, count: image.height * (rowBytes + 1))
    var candidate = [UInt8](repeating: 0, count: rowBytes)
    let p = image.pixels
    for y in 0..<image.height {
        let cur = y * rowBytes, prev = cur - rowBytes
        var best = [UInt8](), bestType = 0, bestCost = Int.max
        for type in 0...4 {
            var cost = 0
            for i in 0..<rowBytes {
                let left = i >= bpp ? Int(p[cur + i - bpp]) : 0
                let up = y > 0 ? Int(p[prev + i]) : 0
                let upLeft = i >= bpp && y > 0 ? Int(p[prev + i - bpp]) : 0
                let predicted: Int
                switch type {
                case 0: predicted = 0
                case 1: predicted = left
                case 2: predicted = up
                case 3: predicted = (left + up) >> 1
                default: predicted = paeth(left, up, upLeft)
                }
                let r = UInt8(truncatingIfNeeded: Int(p[cur + i]) - predicted)
                candidate[i] = r
                cost += r < 128 ? Int(r) : 256 - Int(r)
            }
            if cost < bestCost {
                bestCost = cost
                bestType = type
                best = candidate
            }
        }
        let out = y * (rowBytes + 1)
        filtered[out] = UInt8(bestType)
        filtered.replaceSubrange((out + 1)..<(out + 1 + rowBytes), with: best)
    }
    var ihdr: [UInt8] = []
    appendBigEndian(&ihdr, image.width)
    appendBigEndian(&ihdr, image.height)
    ihdr += [8, UInt8(colorType), 0, 0, 0]
    var png = pngSignature
    appendPNGChunk(&png, "IHDR", ihdr)
    appendPNGChunk(&png, "IDAT", zlibCompress(filtered))
    appendPNGChunk(&png, "IEND", [])
    return png
}

/// Appends `value` as a big-endian 32-bit number.
func appendBigEndian(_ bytes: inout [UInt8], _ value: Int) {
    bytes += [UInt8((value >> 24) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
}

/// Appends one PNG chunk: length, type, data, CRC-32 of type + data.
func appendPNGChunk(_ png: inout [UInt8], _ type: String, _ data: [UInt8]) {
    appendBigEndian(&png, data.count)
    let typed = Array(type.utf8) + data
    png += typed
    appendBigEndian(&png, Int(crc32(typed)))
}
