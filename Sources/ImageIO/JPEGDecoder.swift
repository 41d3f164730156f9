import QuantCore

/// Decodes a baseline JPEG (ITU-T T.81 sequential DCT, Huffman coding, 8-bit samples; SOF0 and
/// SOF1), grayscale or three-component (YCbCr, or RGB when the Adobe marker or component ids say
/// so) with any integer sampling factors, restart markers, interleaved and non-interleaved scans.
/// Pixels match libjpeg's defaults (islow IDCT, fancy upsampling, fixed-point YCbCr → RGB), i.e.
/// what Pillow returns. Progressive, lossless, arithmetic-coded, 12-bit and CMYK files are
/// refused with a message saying so; truncated or corrupt data is an error naming `path`.
/// Output: 1 channel (gray) or 3 (RGB).
public func decodeJPEG(_ data: [UInt8], path: String) throws -> DecodedImage {
    try data.withUnsafeBufferPointer { buffer in
        var decoder = JPEGDecoder(data: buffer, path: path)
        return try decoder.decode()
    }
}

/// Maps the k-th coefficient of the zigzag scan to its natural (row-major) position in the block.
let jpegZigzag: [Int] = [0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48,
                         41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23,
                         30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63]

/// One image component of the frame and where its decoded samples live.
struct JPEGComponent {
    var id: Int, h: Int, v: Int, quantTable: Int
    /// Blocks per row and per column, padded to whole MCUs.
    var blocksPerLine: Int, blocksPerColumn: Int
    var plane: JPEGPlane
    var scanned = false
}

/// The decoder state while walking the markers of one file.
struct JPEGDecoder {
    let data: UnsafeBufferPointer<UInt8>
    let path: String
    var pos = 0
    /// Quantization tables in zigzag order.
    var quantTables: [[Int]?] = [nil, nil, nil, nil]
    var dcTables: [JPEGHuffmanTable?] = [nil, nil, nil, nil]
    var acTables: [JPEGHuffmanTable?] = [nil, nil, nil, nil]
    var restartInterval = 0
    var components: [JPEGComponent] = []
    var width = 0, height = 0, maxH = 1, maxV = 1, mcusPerLine = 0, mcusPerColumn = 0
    /// Decoded samples of every component, each in its `plane`.
    var planes: [UInt8] = []
    var sawJFIF = false
    var adobeTransform: Int?
    var scanCount = 0

    init(data: UnsafeBufferPointer<UInt8>, path: String) {
        self.data = data
        self.path = path
    }

    func error(_ message: String) -> ToolkitError { ToolkitError(path, message) }

    /// Bounds-checked reads of marker fields.
    var view: ByteView { ByteView(raw: UnsafeRawBufferPointer(data), file: path) }

    mutating func decode() throws -> DecodedImage {
        guard data.count >= 2, data[0] == 0xFF, data[1] == 0xD8 else { throw error("not a JPEG file (SOI marker missing)") }
        pos = 2
        while let marker = nextMarker() {
            switch marker {
            case 0xD9:   // EOI
                return try finish()
            case 0xC0, 0xC1:
                try readFrame(try segment())
            case 0xC2, 0xC6, 0xCA, 0xCE:
                throw error("progressive JPEG is not supported (only baseline sequential JPEG); re-save the image as baseline, e.g. Pillow: img.save(path, progressive=False)")
            case 0xC3, 0xC7, 0xCB, 0xCF:
                throw error("lossless JPEG is not supported (only baseline sequential JPEG)")
            case 0xC5, 0xC9, 0xCD:
                throw error("hierarchical or arithmetic-coded JPEG is not supported (only baseline sequential JPEG)")
            case 0xC4:
                try readHuffmanTables(try segment())
            case 0xCC:
                throw error("arithmetic-coded JPEG is not supported (only Huffman-coded baseline JPEG)")
            case 0xDB:
                try readQuantTables(try segment())
            case 0xDD:
                let s = try segment()
                guard s.count >= 2 else { throw error("JPEG DRI segment is too short") }
                restartInterval = Int(try view.u16BE(s.lowerBound, "JPEG restart interval"))
            case 0xDA:
                try readScan(try segment())
            case 0xE0:
                let s = try segment()
                if s.count >= 5 && Array(data[s.lowerBound..<(s.lowerBound + 5)]) == Array("JFIF\0".utf8) { sawJFIF = true }
            case 0xEE:
                let s = try segment()
                if s.count >= 12 && Array(data[s.lowerBound..<(s.lowerBound + 5)]) == Array("Adobe".utf8) {
                    adobeTransform = Int(data[s.lowerBound + 11])
                }
            case 0xD0...0xD7, 0x01:
                break   // stray RSTn / TEM: no payload
            case 0xD8:
                throw error("JPEG has a second SOI marker (corrupt file)")
            default:
                _ = try segment()   // APPn, COM, DNL, ...: skipped
            }
        }
        // The data ended without EOI: acceptable only if every sample was decoded.
        if !components.isEmpty && components.allSatisfy(\.scanned) { return try finish() }
        throw error("JPEG file is truncated (ends before the image data is complete, no EOI marker)")
    }

    /// Moves past the next marker at or after `pos` (skipping fill bytes and, like libjpeg,
    /// stray bytes) and returns its code; nil at the end of the data.
    mutating func nextMarker() -> UInt8? {
        while pos + 1 < data.count {
            if data[pos] == 0xFF && data[pos + 1] != 0xFF && data[pos + 1] != 0x00 {
                pos += 2
                return data[pos - 1]
            }
            pos += 1
        }
        pos = data.count
        return nil
    }

    /// The payload range of the marker segment at `pos` (after its 2-byte length); moves past it.
    mutating func segment() throws -> Range<Int> {
        guard pos + 2 <= data.count else { throw error("JPEG file is truncated inside a marker segment") }
        let length = Int(try view.u16BE(pos, "JPEG marker segment length"))
        guard length >= 2 else { throw error("JPEG marker segment at offset \(pos) has invalid length \(length)") }
        guard pos + length <= data.count else { throw error("JPEG file is truncated inside a marker segment") }
        defer { pos += length }
        return (pos + 2)..<(pos + length)
    }

    /// SOF0/SOF1: image size and components.
    mutating func readFrame(_ s: Range<Int>) throws {
        guard components.isEmpty else { throw error("JPEG has more than one frame header (SOF)") }
        guard s.count >= 6 else { throw error("JPEG SOF segment is too short") }
        let b = s.lowerBound
        guard data[b] == 8 else { throw error("JPEG sample precision \(data[b]) bits is not supported (only 8)") }
        height = Int(try view.u16BE(b + 1, "JPEG height"))
        width = Int(try view.u16BE(b + 3, "JPEG width"))
        let count = Int(data[b + 5])
        guard width > 0, height > 0 else { throw error("JPEG image size \(width)x\(height) is not supported (a DNL-defined height?)") }
        guard count == 1 || count == 3 else {
            throw error(count == 4 ? "CMYK/YCCK JPEG (4 components) is not supported (only grayscale and YCbCr/RGB)"
                                   : "JPEG with \(count) components is not supported (only 1 or 3)")
        }
        guard s.count >= 6 + 3 * count else { throw error("JPEG SOF segment is too short") }
        guard width * height * count <= 1 << 28 else { throw error("JPEG image \(width)x\(height) is too large") }
        for i in 0..<count {
            let o = b + 6 + 3 * i
            let h = Int(data[o + 1] >> 4), v = Int(data[o + 1] & 15), tq = Int(data[o + 2])
            guard (1...4).contains(h), (1...4).contains(v) else { throw error("JPEG component \(i) has invalid sampling factors \(h)x\(v)") }
            guard tq < 4 else { throw error("JPEG component \(i) uses quantization table \(tq) (must be 0-3)") }
            let zero = JPEGPlane(offset: 0, stride: 0, width: 0, height: 0)
            components.append(JPEGComponent(id: Int(data[o]), h: h, v: v, quantTable: tq, blocksPerLine: 0, blocksPerColumn: 0, plane: zero))
        }
        maxH = components.map(\.h).max() ?? 1
        maxV = components.map(\.v).max() ?? 1
        mcusPerLine = (width + 8 * maxH - 1) / (8 * maxH)
        mcusPerColumn = (height + 8 * maxV - 1) / (8 * maxV)
        var offset = 0
        for i in components.indices {
            var c = components[i]
            guard maxH % c.h == 0, maxV % c.v == 0 else {
                throw error("JPEG sampling factors \(components.map { "\($0.h)x\($0.v)" }.joined(separator: ",")) are not integer ratios (not supported)")
            }
            c.blocksPerLine = mcusPerLine * c.h
            c.blocksPerColumn = mcusPerColumn * c.v
            c.plane = JPEGPlane(offset: offset, stride: 8 * c.blocksPerLine,
                                width: (width * c.h + maxH - 1) / maxH, height: (height * c.v + maxV - 1) / maxV)
            offset += 64 * c.blocksPerLine * c.blocksPerColumn
            components[i] = c
        }
        // Every 8x8 block costs at least 2 bits of entropy-coded data (a DC and an end-of-block
        // code), so the bytes left in the file bound the size before anything is allocated.
        let blocks = components.reduce(0) { $0 + (($1.plane.width + 7) / 8) * (($1.plane.height + 7) / 8) }
        let left = data.count - s.upperBound
        guard blocks <= 4 * left else {
            throw error("JPEG frame header declares \(width)x\(height) (\(blocks) blocks of 8x8), but the \(left) bytes after it can code at most \(4 * left): the file is truncated or the header corrupt")
        }
        planes = [UInt8](repeating: 0, count: offset)
    }

    /// DQT: one or more 8- or 16-bit quantization tables (zigzag order).
    mutating func readQuantTables(_ s: Range<Int>) throws {
        var p = s.lowerBound
        while p < s.upperBound {
            let precision = Int(data[p] >> 4), id = Int(data[p] & 15)
            guard precision <= 1, id < 4 else { throw error("JPEG DQT has invalid precision/table id byte \(hex(Int(data[p]), 2))") }
            let size = precision == 0 ? 64 : 128
            guard p + 1 + size <= s.upperBound else { throw error("JPEG DQT segment is too short") }
            quantTables[id] = (0..<64).map { k in
                precision == 0 ? Int(data[p + 1 + k]) : Int(data[p + 1 + 2 * k]) << 8 | Int(data[p + 2 + 2 * k])   // inside the checked segment
            }
            p += 1 + size
        }
    }

    /// DHT: one or more Huffman tables.
    mutating func readHuffmanTables(_ s: Range<Int>) throws {
        var p = s.lowerBound
        while p < s.upperBound {
            guard p + 17 <= s.upperBound else { throw error("JPEG DHT segment is too short") }
            let tableClass = Int(data[p] >> 4), id = Int(data[p] & 15)
            guard tableClass <= 1, id < 4 else { throw error("JPEG DHT has invalid class/table id byte \(hex(Int(data[p]), 2))") }
            let counts = (0..<16).map { Int(data[p + 1 + $0]) }
            let total = counts.reduce(0, +)
            guard total <= 256, p + 17 + total <= s.upperBound else { throw error("JPEG DHT segment is too short or has too many codes") }
            let table = try JPEGHuffmanTable(counts: counts, values: Array(data[(p + 17)..<(p + 17 + total)]), path: path)
            if tableClass == 0 { dcTables[id] = table } else { acTables[id] = table }
            p += 17 + total
        }
    }

    /// SOS: the scan header, then the entropy-coded data up to the next marker.
    mutating func readScan(_ s: Range<Int>) throws {
        guard !components.isEmpty else { throw error("JPEG scan (SOS) comes before the frame header (SOF)") }
        let b = s.lowerBound
        guard s.count >= 1 else { throw error("JPEG SOS segment is too short") }
        let count = Int(data[b])
        guard count >= 1, count <= 4, s.count >= 4 + 2 * count else { throw error("JPEG SOS segment is invalid") }
        var scanned: [Int] = []
        var tables: [JPEGHuffmanTable] = []   // keeps the tables the views point into alive
        let quant = UnsafeMutablePointer<Int>.allocate(capacity: 64 * count)
        defer { quant.deallocate() }
        var parts: [JPEGScanPart] = []
        for i in 0..<count {
            let id = Int(data[b + 1 + 2 * i]), selectors = Int(data[b + 2 + 2 * i])
            guard let ci = components.firstIndex(where: { $0.id == id }), !scanned.contains(ci) else {
                throw error("JPEG scan refers to unknown or repeated component id \(id)")
            }
            let td = selectors >> 4, ta = selectors & 15
            guard td < 4, let dc = dcTables[td] else { throw error("JPEG scan uses DC Huffman table \(td), which is not defined") }
            guard ta < 4, let ac = acTables[ta] else { throw error("JPEG scan uses AC Huffman table \(ta), which is not defined") }
            let c = components[ci]
            guard let q = quantTables[c.quantTable] else {
                throw error("JPEG component \(id) uses quantization table \(c.quantTable), which is not defined")
            }
            for k in 0..<64 { quant[64 * i + k] = q[k] }
            scanned.append(ci)
            tables += [dc, ac]
            parts.append(JPEGScanPart(dc: dc.view, ac: ac.view, quant: UnsafePointer(quant + 64 * i),
                                      offset: c.plane.offset, stride: c.plane.stride,
                                      blocksWide: count == 1 ? 1 : c.h, blocksHigh: count == 1 ? 1 : c.v))
        }
        let o = b + 1 + 2 * count
        guard data[o] == 0, data[o + 1] == 63, data[o + 2] == 0 else {
            throw error("JPEG scan has spectral selection \(data[o])-\(data[o + 1]) / approximation \(hex(Int(data[o + 2]), 2)): progressive data is not supported (only baseline)")
        }
        guard parts.reduce(0, { $0 + $1.blocksWide * $1.blocksHigh }) <= 10 else {
            throw error("JPEG scan has more than 10 blocks per MCU (corrupt)")
        }
        scanCount += 1
        let first = components[scanned[0]]
        let columns = count == 1 ? (first.plane.width + 7) / 8 : mcusPerLine
        let rows = count == 1 ? (first.plane.height + 7) / 8 : mcusPerColumn
        var reader = JPEGBitReader(data: data, pos: pos)
        try withExtendedLifetime(tables) {
            var samples: [UInt8] = []
            swap(&samples, &planes)   // borrow the planes while the loop below uses self
            defer { swap(&samples, &planes) }
            try samples.withUnsafeMutableBufferPointer { planeBuffer in
                try parts.withUnsafeBufferPointer { partList in
                    guard let planeBase = planeBuffer.baseAddress else { return }
                    try decodeMCUs(&reader, partList, planeBase, columns: columns, total: columns * rows)
                }
            }
        }
        for ci in scanned { components[ci].scanned = true }
        // Continue at the marker that ends the scan.
        if reader.nextMarker() != nil { pos = reader.pos - 2 } else { pos = data.count }
    }

    /// Decodes `total` MCUs of a scan (`columns` per row) into the planes, handling restart markers.
    func decodeMCUs(_ reader: inout JPEGBitReader, _ parts: UnsafeBufferPointer<JPEGScanPart>,
                    _ planeBase: UnsafeMutablePointer<UInt8>, columns: Int, total: Int) throws {
        let scratch = UnsafeMutablePointer<Int>.allocate(capacity: 3 * 64)   // coefficients, IDCT workspace, zigzag
        defer { scratch.deallocate() }
        let coef = scratch, workspace = scratch + 64, zigzag = scratch + 128
        scratch.initialize(repeating: 0, count: 3 * 64)
        for k in 0..<64 { zigzag[k] = jpegZigzag[k] }
        let range = UnsafeMutablePointer<UInt8>.allocate(capacity: 1024)
        defer { range.deallocate() }
        for i in 0..<1024 { range[i] = idctRangeLimit[i] }
        var predictions = [0, 0, 0, 0]
        var nextRestart = 0
        for mcu in 0..<total {
            if restartInterval > 0 && mcu > 0 && mcu % restartInterval == 0 {
                try checkOverrun(reader, mcu: mcu, of: total)
                guard let marker = reader.nextMarker() else {
                    throw error("JPEG file is truncated (image data ends at MCU \(mcu) of \(total) in scan \(scanCount))")
                }
                guard marker == 0xD0 + UInt8(nextRestart) else {
                    throw error("corrupt JPEG data: expected restart marker RST\(nextRestart) before MCU \(mcu), found marker \(hex(Int(marker), 2))")
                }
                nextRestart = (nextRestart + 1) & 7
                predictions = [0, 0, 0, 0]
            }
            let mcuX = mcu % columns, mcuY = mcu / columns
            for si in 0..<parts.count {
                let part = parts[si]
                for by in 0..<part.blocksHigh {
                    for bx in 0..<part.blocksWide {
                        let status = decodeBlock(&reader, part, &predictions[si], coef, zigzag)
                        if status < 0 {
                            try checkOverrun(reader, mcu: mcu, of: total)
                            throw error("corrupt JPEG data: \(status == -1 ? "bad Huffman code" : "AC coefficient index past 63") in MCU \(mcu) of scan \(scanCount)")
                        }
                        let out = planeBase + part.offset + (mcuY * part.blocksHigh + by) * 8 * part.stride
                            + (mcuX * part.blocksWide + bx) * 8
                        if status == 1 {
                            idctIslow(coef, workspace, out, stride: part.stride, range)
                            coef.update(repeating: 0, count: 64)
                        } else {
                            // A DC-only block is flat: the IDCT reduces to (dc + 4) >> 3.
                            let v = range[((coef[0] &+ 4) >> 3) & 1023]
                            for r in 0..<8 { (out + r * part.stride).update(repeating: v, count: 8) }
                            coef[0] = 0
                        }
                    }
                }
            }
            if reader.padBits > 0 { try checkOverrun(reader, mcu: mcu + 1, of: total) }
        }
        try checkOverrun(reader, mcu: total, of: total)
    }

    /// Throws if the decoder used bits past the end of the entropy-coded segment.
    func checkOverrun(_ reader: JPEGBitReader, mcu: Int, of total: Int) throws {
        guard reader.overran else { return }
        if reader.pos >= data.count {
            throw error("JPEG file is truncated (image data ends inside MCU \(mcu) of \(total) in scan \(scanCount))")
        }
        throw error("corrupt JPEG data: entropy-coded segment ends early (inside MCU \(mcu) of \(total) in scan \(scanCount))")
    }

    /// After EOI: upsamples and colour-converts the component planes into the output image.
    func finish() throws -> DecodedImage {
        guard !components.isEmpty else { throw error("JPEG file has no frame header (SOF): no image") }
        for c in components where !c.scanned {
            throw error("JPEG file is truncated or incomplete: component \(c.id) has no scan data")
        }
        return planes.withUnsafeBufferPointer { buffer -> DecodedImage in
            if components.count == 1 {
                let p = components[0].plane
                var pixels = [UInt8](repeating: 0, count: width * height)
                for y in 0..<height {
                    for x in 0..<width { pixels[y * width + x] = buffer[p.offset + y * p.stride + x] }
                }
                return DecodedImage(width: width, height: height, channels: 1, pixels: pixels)
            }
            var full: [[UInt8]] = []
            var fullPlanes: [JPEGPlane] = []
            for c in components {
                let fh = maxH / c.h, fv = maxV / c.v
                if fh == 1 && fv == 1 {
                    full.append([])
                    fullPlanes.append(c.plane)
                } else {
                    full.append(upsample(buffer, c.plane, fh: fh, fv: fv, outWidth: width, outHeight: height))
                    fullPlanes.append(JPEGPlane(offset: 0, stride: width, width: width, height: height))
                }
            }
            let ids = components.map(\.id)
            let isRGB: Bool
            if sawJFIF {
                isRGB = false
            } else if let transform = adobeTransform {
                isRGB = transform == 0
            } else {
                isRGB = ids == [82, 71, 66]   // 'R', 'G', 'B'
            }
            func view(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> [UInt8]) -> [UInt8] {
                full[i].isEmpty ? body(buffer) : full[i].withUnsafeBufferPointer(body)
            }
            let pixels = view(0) { y in view(1) { cb in view(2) { cr in
                convertToRGB(y, cb, cr, planes: fullPlanes, width: width, height: height, isRGB: isRGB)
            } } }
            return DecodedImage(width: width, height: height, channels: 3, pixels: pixels)
        }
    }
}

/// What the MCU loop needs about one component of a scan (no reference counting in the loop).
struct JPEGScanPart {
    let dc: JPEGHuffmanView, ac: JPEGHuffmanView
    /// The component's quantization table, zigzag order.
    let quant: UnsafePointer<Int>
    /// Where its plane starts in the plane buffer and its row stride.
    let offset: Int, stride: Int
    /// Blocks per MCU across and down (1×1 in a single-component scan).
    let blocksWide: Int, blocksHigh: Int
}

/// Decodes one block's Huffman-coded coefficients, dequantized, into `coef` (natural order,
/// all zero on entry). Returns 1 if an AC coefficient was present, 0 for a DC-only block,
/// −1 for a bit pattern that is no code, −2 for a run past the block's 64th coefficient.
@inline(__always)
func decodeBlock(_ reader: inout JPEGBitReader, _ part: JPEGScanPart, _ prediction: inout Int,
                 _ coef: UnsafeMutablePointer<Int>, _ zigzag: UnsafePointer<Int>) -> Int {
    guard let t = reader.decode(part.dc), t <= 16 else { return -1 }
    prediction &+= reader.receiveExtend(t)
    coef[0] = prediction &* part.quant[0]
    var k = 1
    var hasAC = 0
    while k < 64 {
        guard let rs = reader.decode(part.ac) else { return -1 }
        let run = rs >> 4, size = rs & 15
        if size == 0 {
            if run != 15 { break }
            k += 16
            continue
        }
        k += run
        guard k < 64 else { return -2 }
        coef[zigzag[k]] = reader.receiveExtend(size) &* part.quant[k]
        hasAC = 1
        k += 1
    }
    return hasAC
}
