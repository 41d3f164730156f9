import QuantCore

/// The most bytes any decompression in ImageIO produces, whatever a header claims: 1 GiB. A
/// container declaring more (an IDX or NPY header, a PNG's size) is refused before inflating.
public let maxDecodedBytes = 1 << 30

/// DEFLATE cannot expand data more than 1032:1 (a 258-byte match costs at least 2 bits), so a
/// stream of `n` bytes inflates to at most this many; a header claiming more is lying.
public func maxInflatedSize(_ compressedBytes: Int) -> Int { compressedBytes * 1032 + 1024 }

/// Decompresses a raw DEFLATE stream (RFC 1951: stored, fixed-Huffman and dynamic-Huffman blocks).
/// `path` names the file in errors. Bytes after the final block are ignored; use `gunzip` or
/// `zlibDecompress` for the wrapped formats, which check what follows. More than `maxOutput`
/// bytes of output is an error.
public func inflate(_ data: [UInt8], path: String = "<deflate>", maxOutput: Int = maxDecodedBytes) throws -> [UInt8] {
    try data.withUnsafeBufferPointer {
        try inflateStream($0, from: 0, path: path, sizeHint: data.count * 3,
                          limit: InflateLimit(bytes: maxOutput, declaredBy: nil)).output
    }
}

/// How much output a stream may produce, and what happens beyond it.
struct InflateLimit {
    /// The most output bytes.
    var bytes: Int
    /// What declared the size ("its IDX header", "the PNG header (28x28, 8 bits per pixel)"), for
    /// the error; nil for the general `maxDecodedBytes` bound.
    var declaredBy: String?
    /// Stop quietly at `bytes` (return a prefix, trailer unchecked) instead of throwing.
    var prefixOnly = false

    /// The error for a stream that inflates past the limit.
    func error(_ path: String, _ what: String) -> ToolkitError {
        if let by = declaredBy {
            return ToolkitError(path, "\(what) inflates to more than the \(bytes) bytes \(by) declares: the file is corrupt or crafted (the excess is refused, not ignored)")
        }
        return ToolkitError(path, "\(what) inflates to more than \(bytes) bytes, the most this toolkit decompresses from one file")
    }
}

/// Thrown inside the inflater when the output would pass its limit.
struct InflateLimitReached: Error {}

/// Inflates the DEFLATE stream starting at `start` in `src`, producing at most `limit.bytes`
/// bytes. Returns the output and the offset just past the stream's last byte (where a gzip or
/// zlib trailer starts); with `limit.prefixOnly`, stops at the limit and returns the first
/// `limit.bytes` bytes (or the whole output if shorter) and `end` nil when it stopped early.
func inflateStream(_ src: UnsafeBufferPointer<UInt8>, from start: Int, path: String, sizeHint: Int,
                   limit: InflateLimit, what: String = "deflate data") throws -> (output: [UInt8], end: Int?) {
    // In prefix mode the output may overshoot by one block before the limit is noticed.
    let outputLimit = limit.prefixOnly ? limit.bytes + 65536 : limit.bytes
    let capacity = max(0, min(max(1024, min(sizeHint, maxInflatedSize(src.count - start))), outputLimit))
    var inflater = Inflater(src: src, pos: start, path: path, capacity: capacity, limit: outputLimit)
    defer { inflater.out.deallocate() }
    var isFinal = false
    do {
        while !isFinal {
            isFinal = try inflater.take(1) == 1
            switch try inflater.take(2) {
            case 0: try inflater.storedBlock()
            case 1: try inflater.huffmanBlock(literals: fixedLiteralTable, distances: fixedDistanceTable)
            case 2:
                let (literals, distances) = try inflater.readDynamicTables()
                try inflater.huffmanBlock(literals: literals, distances: distances)
            default: throw ToolkitError(path, "\(what): invalid block type 3")
            }
        }
    } catch is InflateLimitReached {
        guard limit.prefixOnly else { throw limit.error(path, what) }
        return (Array(UnsafeBufferPointer(start: inflater.out, count: min(inflater.outCount, limit.bytes))), nil)
    }
    if limit.prefixOnly && inflater.outCount > limit.bytes {
        return (Array(UnsafeBufferPointer(start: inflater.out, count: limit.bytes)), nil)
    }
    let output = Array(UnsafeBufferPointer(start: inflater.out, count: inflater.outCount))
    return (output, inflater.pos - inflater.bitCount / 8)
}

/// A canonical Huffman code for DEFLATE, whose codes arrive least-significant bit first.
struct InflateHuffman {
    /// Number of input bits resolved by one lookup in `fast`.
    static let fastBits = 10
    /// For the next `fastBits` input bits: `symbol << 4 | codeLength`, or 0 when the code is longer
    /// than `fastBits` (or is not a code at all) and the slow path must decide.
    var fast: [UInt16]
    /// `counts[n]`: how many symbols have an `n`-bit code (n = 1...15).
    var counts: [Int]
    /// The symbols in canonical code order.
    var symbols: [Int]

    /// Builds the code from per-symbol code lengths (0 = symbol unused). Incomplete codes are
    /// allowed (RFC 1951 permits a one-code distance tree); unused bit patterns fail at decode time.
    init(lengths: ArraySlice<UInt8>) {
        counts = [Int](repeating: 0, count: 16)
        for l in lengths { counts[Int(l)] += 1 }
        counts[0] = 0
        var offsets = [Int](repeating: 0, count: 16)
        for n in 1..<15 { offsets[n + 1] = offsets[n] + counts[n] }
        symbols = [Int](repeating: 0, count: lengths.count)
        var nextCode = [Int](repeating: 0, count: 16)
        var code = 0
        for n in 1...15 {
            code = (code + counts[n - 1]) << 1
            nextCode[n] = code
        }
        fast = [UInt16](repeating: 0, count: 1 << Self.fastBits)
        for (sym, l) in zip(0..., lengths) where l != 0 {
            let n = Int(l)
            symbols[offsets[n]] = sym
            offsets[n] += 1
            let c = nextCode[n]
            nextCode[n] += 1
            guard n <= Self.fastBits else { continue }
            var reversed = 0
            for b in 0..<n where c & (1 << b) != 0 { reversed |= 1 << (n - 1 - b) }
            let entry = UInt16(sym << 4 | n)
            var i = reversed
            while i < 1 << Self.fastBits {
                fast[i] = entry
                i += 1 << n
            }
        }
    }

    /// True when the lengths claim more codes than bit patterns exist (an invalid stream).
    static func isOverSubscribed(_ lengths: ArraySlice<UInt8>) -> Bool {
        var counts = [Int](repeating: 0, count: 16)
        for l in lengths { counts[Int(l)] += 1 }
        var left = 1
        for n in 1...15 {
            left = left * 2 - counts[n]
            if left < 0 { return true }
        }
        return false
    }
}

/// The fixed literal/length code of RFC 1951 §3.2.6.
let fixedLiteralTable = InflateHuffman(lengths: ArraySlice(
    [UInt8](repeating: 8, count: 144) + [UInt8](repeating: 9, count: 112)
        + [UInt8](repeating: 7, count: 24) + [UInt8](repeating: 8, count: 8)))
/// The fixed distance code: 32 five-bit codes (30 and 31 never occur in valid data).
let fixedDistanceTable = InflateHuffman(lengths: ArraySlice([UInt8](repeating: 5, count: 32)))

/// Base lengths and extra-bit counts of length symbols 257...285.
let lengthBase: [Int] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59,
                         67, 83, 99, 115, 131, 163, 195, 227, 258]
let lengthExtra: [Int] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
/// Base distances and extra-bit counts of distance symbols 0...29.
let distanceBase: [Int] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769,
                           1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
let distanceExtra: [Int] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10,
                            11, 11, 12, 12, 13, 13]
/// The order in which code-length code lengths are sent in a dynamic block header.
let codeLengthOrder: [Int] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

/// The decoder state: an LSB-first bit buffer over the input and a growable output buffer
/// (deallocated by `inflateStream`) that never grows past `limit` bytes.
struct Inflater {
    let src: UnsafeBufferPointer<UInt8>
    var pos: Int
    let path: String
    var bitBuffer: UInt64 = 0
    var bitCount = 0
    var out: UnsafeMutablePointer<UInt8>
    var outCount = 0
    var outCapacity: Int
    /// The most output bytes; growing past it throws `InflateLimitReached`.
    let limit: Int

    init(src: UnsafeBufferPointer<UInt8>, pos: Int, path: String, capacity: Int, limit: Int) {
        self.src = src
        self.pos = pos
        self.path = path
        self.limit = limit
        out = .allocate(capacity: max(1, capacity))
        outCapacity = capacity
    }

    func truncated() -> ToolkitError { ToolkitError(path, "deflate data is truncated") }

    /// Tops the bit buffer up to at least 57 bits while input remains.
    @inline(__always) mutating func refill() {
        while bitCount <= 56 && pos < src.count {
            bitBuffer |= UInt64(src[pos]) << UInt64(bitCount)
            pos += 1
            bitCount += 8
        }
    }

    /// Reads an `n`-bit number (n ≤ 32), least significant bit first.
    @inline(__always) mutating func take(_ n: Int) throws -> Int {
        if bitCount < n {
            refill()
            if bitCount < n { throw truncated() }
        }
        let v = Int(bitBuffer & ((1 << UInt64(n)) - 1))
        bitBuffer >>= UInt64(n)
        bitCount -= n
        return v
    }

    /// Decodes one symbol of `code`.
    @inline(__always) mutating func decode(_ code: InflateHuffman) throws -> Int {
        if bitCount < 15 { refill() }
        let entry = Int(code.fast[Int(bitBuffer & UInt64((1 << InflateHuffman.fastBits) - 1))])
        if entry != 0 {
            let n = entry & 15
            if n > bitCount { throw truncated() }
            bitBuffer >>= UInt64(n)
            bitCount -= n
            return entry >> 4
        }
        return try decodeSlow(code)
    }

    /// Walks the canonical code one bit at a time (codes longer than the fast table).
    mutating func decodeSlow(_ code: InflateHuffman) throws -> Int {
        var value = 0, first = 0, index = 0
        for n in 1...15 {
            if n > bitCount { throw truncated() }
            value |= Int((bitBuffer >> UInt64(n - 1)) & 1)
            let count = code.counts[n]
            if value - first < count {
                bitBuffer >>= UInt64(n)
                bitCount -= n
                return code.symbols[index + value - first]
            }
            index += count
            first = (first + count) << 1
            value <<= 1
        }
        throw ToolkitError(path, "deflate data: invalid Huffman code")
    }

    /// Makes room for `extra` more output bytes; throws `InflateLimitReached` past `limit`.
    @inline(__always) mutating func reserve(_ extra: Int) throws {
        if outCount + extra <= outCapacity { return }
        guard outCount + extra <= limit else { throw InflateLimitReached() }
        let newCapacity = min(max(outCapacity * 2, outCount + extra), limit)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        grown.update(from: out, count: outCount)
        out.deallocate()
        out = grown
        outCapacity = newCapacity
    }

    /// A stored block: byte-aligned LEN, its complement NLEN, then LEN literal bytes.
    mutating func storedBlock() throws {
        let drop = bitCount & 7
        bitBuffer >>= UInt64(drop)
        bitCount -= drop
        pos -= bitCount / 8   // give back whole bytes already buffered
        bitBuffer = 0
        bitCount = 0
        guard pos + 4 <= src.count else { throw truncated() }
        let len = Int(src[pos]) | Int(src[pos + 1]) << 8
        let nlen = Int(src[pos + 2]) | Int(src[pos + 3]) << 8
        guard len == nlen ^ 0xFFFF else {
            throw ToolkitError(path, "deflate data: stored block length \(len) does not match its complement")
        }
        pos += 4
        guard pos + len <= src.count else { throw truncated() }
        try reserve(len)
        if len > 0, let base = src.baseAddress {
            (out + outCount).update(from: base + pos, count: len)
        }
        outCount += len
        pos += len
    }

    /// Reads the code-length code and then the literal/length and distance codes of a dynamic block.
    mutating func readDynamicTables() throws -> (InflateHuffman, InflateHuffman) {
        let literalCount = try take(5) + 257
        let distanceCount = try take(5) + 1
        let codeLengthCount = try take(4) + 4
        guard literalCount <= 286, distanceCount <= 30 else {
            throw ToolkitError(path, "deflate data: too many length or distance codes (\(literalCount), \(distanceCount))")
        }
        var codeLengthLengths = [UInt8](repeating: 0, count: 19)
        for i in 0..<codeLengthCount { codeLengthLengths[codeLengthOrder[i]] = UInt8(try take(3)) }
        guard !InflateHuffman.isOverSubscribed(codeLengthLengths[...]) else {
            throw ToolkitError(path, "deflate data: invalid code-length code")
        }
        let codeLengthCode = InflateHuffman(lengths: codeLengthLengths[...])
        let total = literalCount + distanceCount
        var lengths = [UInt8](repeating: 0, count: total)
        var i = 0
        while i < total {
            let sym = try decode(codeLengthCode)
            if sym < 16 {
                lengths[i] = UInt8(sym)
                i += 1
                continue
            }
            var value: UInt8 = 0
            let repeatCount: Int
            switch sym {
            case 16:
                guard i > 0 else { throw ToolkitError(path, "deflate data: length repeat with no previous length") }
                value = lengths[i - 1]
                repeatCount = 3 + (try take(2))
            case 17: repeatCount = 3 + (try take(3))
            default: repeatCount = 11 + (try take(7))
            }
            guard i + repeatCount <= total else {
                throw ToolkitError(path, "deflate data: code lengths overflow the table")
            }
            for j in i..<(i + repeatCount) { lengths[j] = value }
            i += repeatCount
        }
        guard lengths[256] != 0 else { throw ToolkitError(path, "deflate data: block has no end-of-block code") }
        let literals = lengths[0..<literalCount], distances = lengths[literalCount...]
        guard !InflateHuffman.isOverSubscribed(literals), !InflateHuffman.isOverSubscribed(distances) else {
            throw ToolkitError(path, "deflate data: over-subscribed Huffman code")
        }
        return (InflateHuffman(lengths: literals), InflateHuffman(lengths: distances))
    }

    /// Decodes literals and length/distance pairs up to the end-of-block symbol.
    mutating func huffmanBlock(literals: InflateHuffman, distances: InflateHuffman) throws {
        while true {
            let sym = try decode(literals)
            if sym < 256 {
                try reserve(1)
                out[outCount] = UInt8(truncatingIfNeeded: sym)
                outCount += 1
                continue
            }
            if sym == 256 { return }
            let li = sym - 257
            guard li < 29 else { throw ToolkitError(path, "deflate data: invalid length symbol \(sym)") }
            let length = lengthBase[li] + (try take(lengthExtra[li]))
            let dsym = try decode(distances)
            guard dsym < 30 else { throw ToolkitError(path, "deflate data: invalid distance symbol \(dsym)") }
            let distance = distanceBase[dsym] + (try take(distanceExtra[dsym]))
            guard distance <= outCount else {
                throw ToolkitError(path, "deflate data: distance \(distance) reaches before the start of the output")
            }
            try reserve(length)
            var d = out + outCount
            var s = d - distance
            if distance >= length {
                d.update(from: s, count: length)
            } else {
                for _ in 0..<length {
                    d.pointee = s.pointee
                    d += 1
                    s += 1
                }
            }
            outCount += length
        }
    }
}
