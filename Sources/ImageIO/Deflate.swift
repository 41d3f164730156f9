/// Compresses `data` as a raw DEFLATE stream (RFC 1951): greedy LZ77 matching over a 32 KiB
/// window with hash chains, coded in one fixed-Huffman block; when that would be larger than
/// the input, stored blocks instead. Simple rather than maximal: enough for writing PNGs.
public func deflate(_ data: [UInt8]) -> [UInt8] {
    let storedSize = data.count + 5 * max(1, (data.count + 65534) / 65535)
    let compressed = deflateFixedHuffman(data)
    return compressed.count <= storedSize ? compressed : deflateStored(data)
}

/// `data` as final-flagged stored blocks of at most 65,535 bytes.
func deflateStored(_ data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(data.count + 5 * (data.count / 65535 + 1))
    var start = 0
    repeat {
        let len = min(65535, data.count - start)
        let isFinal = start + len == data.count
        out.append(isFinal ? 1 : 0)
        out += [UInt8(len & 0xFF), UInt8(len >> 8), UInt8(~len & 0xFF), UInt8((~len >> 8) & 0xFF)]
        out += data[start..<(start + len)]
        start += len
    } while start < data.count
    return out
}

/// An LSB-first bit writer.
struct BitWriter {
    var bytes: [UInt8] = []
    var buffer: UInt64 = 0
    var count = 0

    /// Appends the low `n` bits of `value` (n ≤ 32).
    mutating func write(_ value: Int, _ n: Int) {
        buffer |= UInt64(value) << UInt64(count)
        count += n
        while count >= 8 {
            bytes.append(UInt8(truncatingIfNeeded: buffer))
            buffer >>= 8
            count -= 8
        }
    }

    /// Pads the last byte with zero bits and returns everything written.
    mutating func finish() -> [UInt8] {
        if count > 0 { bytes.append(UInt8(truncatingIfNeeded: buffer)) }
        buffer = 0
        count = 0
        return bytes
    }
}

/// The fixed literal/length code (RFC 1951 §3.2.6) as (bit-reversed code, length) per symbol,
/// ready for an LSB-first writer.
let fixedLiteralCodes: [(code: Int, length: Int)] = (0..<288).map { sym in
    let (code, n): (Int, Int)
    switch sym {
    case 0..<144: (code, n) = (0x30 + sym, 8)
    case 144..<256: (code, n) = (0x190 + sym - 144, 9)
    case 256..<280: (code, n) = (sym - 256, 7)
    default: (code, n) = (0xC0 + sym - 280, 8)
    }
    return (reverseBits(code, n), n)
}

/// The low `n` bits of `value` in reverse order.
func reverseBits(_ value: Int, _ n: Int) -> Int {
    var r = 0
    for b in 0..<n where value & (1 << b) != 0 { r |= 1 << (n - 1 - b) }
    return r
}

/// One fixed-Huffman block holding the greedy LZ77 parse of `data`.
func deflateFixedHuffman(_ data: [UInt8]) -> [UInt8] {
    let windowSize = 32768, hashBits = 15, maxChain = 48, maxMatch = 258
    var writer = BitWriter()
    writer.bytes.reserveCapacity(data.count / 2 + 64)
    writer.write(1, 1)   // BFINAL
    writer.write(1, 2)   // BTYPE = fixed Huffman
    let n = data.count
    var head = [Int](repeating: -1, count: 1 << hashBits)
    var previous = [Int](repeating: -1, count: windowSize)

    func hash(_ i: Int) -> Int {
        let v = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2])
        return Int((v &* 2_654_435_761) >> UInt32(32 - hashBits))
    }
    func insert(_ i: Int) {
        let h = hash(i)
        previous[i & (windowSize - 1)] = head[h]
        head[h] = i
    }
    func writeSymbol(_ sym: Int) {
        let c = fixedLiteralCodes[sym]
        writer.write(c.code, c.length)
    }

    var i = 0
    while i < n {
        var bestLength = 0, bestDistance = 0
        if i + 3 <= n {
            var candidate = head[hash(i)]
            var chain = maxChain
            let limit = min(maxMatch, n - i)
            while candidate >= 0 && i - candidate <= windowSize && chain > 0 {
                if data[candidate + bestLength] == data[i + bestLength] || bestLength == 0 {
                    var l = 0
                    while l < limit && data[candidate + l] == data[i + l] { l += 1 }
                    if l > bestLength {
                        bestLength = l
                        bestDistance = i - candidate
                        if l == limit { break }
                    }
                }
                candidate = previous[candidate & (windowSize - 1)]
                chain -= 1
            }
            insert(i)
        }
        if bestLength >= 3 {
            var li = 28
            while lengthBase[li] > bestLength { li -= 1 }
            writeSymbol(257 + li)
            writer.write(bestLength - lengthBase[li], lengthExtra[li])
            var di = 29
            while distanceBase[di] > bestDistance { di -= 1 }
            writer.write(reverseBits(di, 5), 5)
            writer.write(bestDistance - distanceBase[di], distanceExtra[di])
            for j in (i + 1)..<(i + bestLength) where j + 3 <= n { insert(j) }
            i += bestLength
        } else {
            writeSymbol(Int(data[i]))
            i += 1
        }
    }
    writeSymbol(256)
    return writer.finish()
}
