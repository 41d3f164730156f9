import QuantCore

/// The eight bytes every PNG file starts with.
let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

/// Decodes a PNG image (ISO/IEC 15948). Every chunk's CRC is checked (a mismatch is an error
/// naming the chunk). Supported: gray (1/2/4/8/16-bit), gray+alpha, RGB, RGBA (8/16-bit) and
/// palette (1/2/4/8-bit) images, all five row filters, non-interlaced and Adam7-interlaced.
/// Output channels: gray 1, gray+alpha 2, RGB 3, RGBA 4; palette images become RGB, or RGBA when
/// a tRNS chunk gives palette alpha. Low bit depths are scaled to 0–255; 16-bit samples keep
/// their high byte. A tRNS colour key on gray/RGB images is ignored.
public func decodePNG(_ data: [UInt8], path: String) throws -> DecodedImage {
    try data.withByteView(file: path) { try decodePNG(data, view: $0) }
}

/// `decodePNG` with the bytes' bounds-checked view.
func decodePNG(_ data: [UInt8], view: ByteView) throws -> DecodedImage {
    let path = view.file
    guard data.starts(with: pngSignature) else { throw ToolkitError(path, "not a PNG file (signature missing)") }
    var header: PNGHeader?
    var palette: [UInt8] = []
    var paletteAlpha: [UInt8] = []
    var compressed: [UInt8] = []
    var pos = pngSignature.count
    var ended = false
    while !ended {
        guard pos + 8 <= data.count else { throw ToolkitError(path, "PNG file is truncated (no IEND chunk)") }
        let length = Int(try view.u32BE(pos, "PNG chunk length"))
        let typeBytes = data[(pos + 4)..<(pos + 8)]
        guard typeBytes.allSatisfy({ ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }) else {
            throw ToolkitError(path, "PNG chunk at offset \(pos) has an invalid type (corrupt file)")
        }
        let type = String(decoding: typeBytes, as: UTF8.self)
        guard length <= 0x7FFF_FFFF, pos + 12 + length <= data.count else {
            throw ToolkitError(path, "PNG chunk \(type) at offset \(pos) is truncated")
        }
        let body = data[(pos + 8)..<(pos + 8 + length)]
        let stored = try view.u32BE(pos + 8 + length, "PNG chunk \(type) CRC")
        let computed = crc32(data[(pos + 4)..<(pos + 8 + length)])
        guard stored == computed else {
            throw ToolkitError(path, "PNG chunk \(type) at offset \(pos): CRC mismatch (stored \(hex(Int(stored), 8)), computed \(hex(Int(computed), 8))): the file is corrupt")
        }
        if header == nil && type != "IHDR" { throw ToolkitError(path, "PNG file does not start with an IHDR chunk") }
        switch type {
        case "IHDR":
            guard header == nil else { throw ToolkitError(path, "PNG file has two IHDR chunks") }
            header = try PNGHeader(Array(body), path: path)
        case "PLTE":
            guard length % 3 == 0, length > 0, length <= 768 else {
                throw ToolkitError(path, "PNG chunk PLTE has length \(length) (must be 3 to 768, a multiple of 3)")
            }
            palette = Array(body)
        case "tRNS":
            if header?.colorType == 3 { paletteAlpha = Array(body) }
        case "IDAT":
            compressed += body
        case "IEND":
            ended = true
        default:
            guard typeBytes.first.map({ $0 >= 97 }) ?? true else {
                throw ToolkitError(path, "PNG has an unknown critical chunk \(type)")
            }
        }
        pos += 12 + length
    }
    guard let h = header else { throw ToolkitError(path, "PNG file has no IHDR chunk") }
    guard !compressed.isEmpty else { throw ToolkitError(path, "PNG file has no IDAT chunk (no image data)") }
    if h.colorType == 3 {
        guard !palette.isEmpty else { throw ToolkitError(path, "palette PNG has no PLTE chunk") }
        guard paletteAlpha.count <= palette.count / 3 else { throw ToolkitError(path, "PNG tRNS has more entries than the palette") }
    }
    let passes = h.interlaced ? adam7Passes : [PNGPass(x0: 0, y0: 0, dx: 1, dy: 1)]
    var expected = 0
    for p in passes {
        let (w, rows) = p.size(h.width, h.height)
        if w > 0 && rows > 0 { expected += rows * (1 + h.rowBytes(w)) }
    }
    // The header declares exactly how many bytes the image data inflates to: a size the IDAT
    // chunks cannot hold is refused before inflating, and a stream holding more is refused at that size.
    let declaredBy = "the PNG header (\(h.width)x\(h.height), \(h.bitsPerPixel) bits per pixel\(h.interlaced ? ", Adam7" : ""), plus a filter byte per row)"
    guard expected <= maxInflatedSize(compressed.count) else {
        throw ToolkitError(path, "\(declaredBy) declares \(expected) bytes of image data, but \(compressed.count) bytes of IDAT data cannot hold more than \(maxInflatedSize(compressed.count)): the header is corrupt or the file truncated")
    }
    var raw = try zlibDecompress(compressed, path: path, sizeHint: expected, maxOutput: expected, declaredBy: declaredBy)
    guard raw.count >= expected else {
        throw ToolkitError(path, "PNG image data is truncated: \(h.width)x\(h.height) needs \(expected) bytes after decompression, found \(raw.count)")
    }
    let outChannels = h.colorType == 3 ? (paletteAlpha.isEmpty ? 3 : 4) : h.samplesPerPixel
    var pixels = [UInt8](repeating: 0, count: h.width * h.height * outChannels)
    var offset = 0
    for p in passes {
        let (w, rows) = p.size(h.width, h.height)
        guard w > 0 && rows > 0 else { continue }
        let rowBytes = h.rowBytes(w)
        try unfilterPNGRows(&raw, offset: offset, rows: rows, rowBytes: rowBytes, bpp: max(1, h.bitsPerPixel / 8), path: path)
        for y in 0..<rows {
            let row = offset + y * (rowBytes + 1) + 1
            try expandPNGRow(raw, row: row, count: w, header: h, palette: palette, paletteAlpha: paletteAlpha,
                             into: &pixels, at: (p.y0 + y * p.dy) * h.width + p.x0, step: p.dx, channels: outChannels, path: path)
        }
        offset += rows * (rowBytes + 1)
    }
    return DecodedImage(width: h.width, height: h.height, channels: outChannels, pixels: pixels)
}

/// The IHDR fields that matter for decoding.
struct PNGHeader {
    var width: Int, height: Int, bitDepth: Int, colorType: Int, interlaced: Bool

    init(_ b: [UInt8], path: String) throws {
        guard b.count == 13 else { throw ToolkitError(path, "PNG IHDR chunk has length \(b.count), not 13") }
        (width, height) = try b.withByteView(file: path) { (Int(try $0.u32BE(0, "PNG width")), Int(try $0.u32BE(4, "PNG height"))) }
        bitDepth = Int(b[8])
        colorType = Int(b[9])
        guard width > 0, height > 0, width <= 1 << 24, height <= 1 << 24, width * height <= 1 << 28 else {
            throw ToolkitError(path, "PNG size \(width)x\(height) is invalid or too large")
        }
        let allowed: [Int: [Int]] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]
        guard let depths = allowed[colorType] else { throw ToolkitError(path, "PNG colour type \(colorType) is invalid") }
        guard depths.contains(bitDepth) else {
            throw ToolkitError(path, "PNG bit depth \(bitDepth) is invalid for colour type \(colorType)")
        }
        guard b[10] == 0, b[11] == 0 else { throw ToolkitError(path, "PNG compression/filter method \(b[10])/\(b[11]) is unknown") }
        guard b[12] <= 1 else { throw ToolkitError(path, "PNG interlace method \(b[12]) is unknown") }
        interlaced = b[12] == 1
    }

    /// Samples per pixel in the file (palette images: 1 index).
    var samplesPerPixel: Int { [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colorType] ?? 1 }
    var bitsPerPixel: Int { samplesPerPixel * bitDepth }
    /// Bytes in one row of `w` pixels (without the filter-type byte).
    func rowBytes(_ w: Int) -> Int { (w * bitsPerPixel + 7) / 8 }
}

/// One Adam7 pass (or the whole image): first pixel and step in each direction.
struct PNGPass {
    var x0: Int, y0: Int, dx: Int, dy: Int
    /// Pixels per row and number of rows of this pass for a `width`×`height` image.
    func size(_ width: Int, _ height: Int) -> (Int, Int) {
        (width > x0 ? (width - x0 + dx - 1) / dx : 0, height > y0 ? (height - y0 + dy - 1) / dy : 0)
    }
}

/// The seven passes of Adam7 interlacing.
let adam7Passes = [PNGPass(x0: 0, y0: 0, dx: 8, dy: 8), PNGPass(x0: 4, y0: 0, dx: 8, dy: 8),
                   PNGPass(x0: 0, y0: 4, dx: 4, dy: 8), PNGPass(x0: 2, y0: 0, dx: 4, dy: 4),
                   PNGPass(x0: 0, y0: 2, dx: 2, dy: 4), PNGPass(x0: 1, y0: 0, dx: 2, dy: 2),
                   PNGPass(x0: 0, y0: 1, dx: 1, dy: 2)]

/// The Paeth predictor: whichever of left, above, upper-left is closest to left + above − upper-left.
@inline(__always) func paeth(_ a: Int, _ b: Int, _ c: Int) -> Int {
    let p = a + b - c
    let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
    if pa <= pb && pa <= pc { return a }
    return pb <= pc ? b : c
}

/// Undoes the row filters (None, Sub, Up, Average, Paeth) in place for `rows` rows, each a
/// filter-type byte plus `rowBytes` bytes, starting at `offset`.
func unfilterPNGRows(_ raw: inout [UInt8], offset: Int, rows: Int, rowBytes: Int, bpp: Int, path: String) throws {
    try raw.withUnsafeMutableBufferPointer { buf in
        for y in 0..<rows {
            let start = offset + y * (rowBytes + 1)
            let filter = buf[start]
            let cur = start + 1
            let prev = cur - (rowBytes + 1)   // only read when y > 0
            switch filter {
            case 0:
                break
            case 1:
                for i in bpp..<max(bpp, rowBytes) { buf[cur + i] &+= buf[cur + i - bpp] }
            case 2:
                if y > 0 { for i in 0..<rowBytes { buf[cur + i] &+= buf[prev + i] } }
            case 3:
                for i in 0..<rowBytes {
                    let left = i >= bpp ? Int(buf[cur + i - bpp]) : 0
                    let up = y > 0 ? Int(buf[prev + i]) : 0
                    buf[cur + i] &+= UInt8((left + up) >> 1)
                }
            case 4:
                for i in 0..<rowBytes {
                    let left = i >= bpp ? Int(buf[cur + i - bpp]) : 0
                    let up = y > 0 ? Int(buf[prev + i]) : 0
                    let upLeft = i >= bpp && y > 0 ? Int(buf[prev + i - bpp]) : 0
                    buf[cur + i] &+= UInt8(paeth(left, up, upLeft))
                }
            default:
                throw ToolkitError(path, "PNG row \(y) has invalid filter type \(filter) (corrupt image data)")
            }
        }
    }
}

/// Converts one unfiltered row of `count` pixels to 8-bit output samples, writing pixel `x` at
/// pixel index `at + x * step` of `pixels`.
func expandPNGRow(_ raw: [UInt8], row: Int, count: Int, header h: PNGHeader, palette: [UInt8], paletteAlpha: [UInt8],
                  into pixels: inout [UInt8], at: Int, step: Int, channels: Int, path: String) throws {
    let spp = h.samplesPerPixel
    let depth = h.bitDepth
    if depth >= 8 && h.colorType != 3 {
        let bytesPerSample = depth / 8   // 16-bit: keep the high (first) byte
        for x in 0..<count {
            let src = row + x * spp * bytesPerSample
            let dst = (at + x * step) * channels
            for s in 0..<spp { pixels[dst + s] = raw[src + s * bytesPerSample] }
        }
        return
    }
    let mask = (1 << depth) - 1
    let entries = palette.count / 3
    for x in 0..<count {
        let bit = x * depth
        let value = depth == 8 ? Int(raw[row + x]) : (Int(raw[row + bit / 8]) >> (8 - depth - bit % 8)) & mask
        let dst = (at + x * step) * channels
        if h.colorType == 3 {
            guard value < entries else {
                throw ToolkitError(path, "PNG pixel uses palette index \(value) but the palette has \(entries) entries")
            }
            pixels[dst] = palette[3 * value]
            pixels[dst + 1] = palette[3 * value + 1]
            pixels[dst + 2] = palette[3 * value + 2]
            if channels == 4 { pixels[dst + 3] = value < paletteAlpha.count ? paletteAlpha[value] : 255 }
        } else {
            pixels[dst] = UInt8(value * 255 / mask)
        }
    }
}
