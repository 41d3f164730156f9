import QuantCore

/// A JPEG Huffman table (ITU-T T.81 Annex C): canonical codes, most significant bit first.
/// The arrays live in one allocation owned by the table; the decoding loop reads them through
/// a `JPEGHuffmanView` while the table is alive.
final class JPEGHuffmanTable {
    /// Number of input bits resolved by one lookup.
    static let lookupBits = 9
    private let storage: UnsafeMutablePointer<Int>
    private let valueStorage: UnsafeMutablePointer<UInt8>
    let view: JPEGHuffmanView

    /// Builds the table from the DHT segment's 16 code counts and its symbols.
    init(counts: [Int], values: [UInt8], path: String) throws {
        let lookupSize = 1 << Self.lookupBits
        storage = .allocate(capacity: lookupSize + 36)
        storage.initialize(repeating: 0, count: lookupSize + 36)
        valueStorage = .allocate(capacity: 256)
        valueStorage.initialize(repeating: 0, count: 256)
        for (i, v) in values.prefix(256).enumerated() { valueStorage[i] = v }
        let lookup = storage, maxCode = storage + lookupSize, valueOffset = storage + lookupSize + 18
        view = JPEGHuffmanView(lookup: lookup, maxCode: maxCode, valueOffset: valueOffset, values: valueStorage)
        var code = 0, index = 0
        for n in 1...16 {
            let count = counts[n - 1]
            valueOffset[n] = index - code
            maxCode[n] = -1
            if count > 0 {
                guard code + count <= 1 << n else { throw ToolkitError(path, "JPEG Huffman table has too many codes of length \(n) (corrupt DHT)") }
                for _ in 0..<count {
                    if n <= Self.lookupBits {
                        let shift = Self.lookupBits - n
                        let entry = n << 8 | Int(values[index])
                        for fill in (code << shift)..<((code + 1) << shift) { lookup[fill] = entry }
                    }
                    code += 1
                    index += 1
                }
                maxCode[n] = code - 1
            }
            code <<= 1
        }
    }

    deinit {
        storage.deallocate()
        valueStorage.deallocate()
    }
}

/// Borrowed pointers into a `JPEGHuffmanTable`, cheap to copy in the decoding loop.
struct JPEGHuffmanView {
    /// For the next `lookupBits` bits: `codeLength << 8 | symbol`, or 0 when the code is longer.
    let lookup: UnsafePointer<Int>
    /// `maxCode[n]`: the largest `n`-bit code, or -1 when there is none (n = 1...16).
    let maxCode: UnsafePointer<Int>
    /// The symbol of code `c` of length `n` is `values[valueOffset[n] + c]`.
    let valueOffset: UnsafePointer<Int>
    /// Symbols in code order.
    let values: UnsafePointer<UInt8>

    init(lookup: UnsafeMutablePointer<Int>, maxCode: UnsafeMutablePointer<Int>, valueOffset: UnsafeMutablePointer<Int>,
         values: UnsafeMutablePointer<UInt8>) {
        self.lookup = UnsafePointer(lookup)
        self.maxCode = UnsafePointer(maxCode)
        self.valueOffset = UnsafePointer(valueOffset)
        self.values = UnsafePointer(values)
    }
}

/// Reads entropy-coded JPEG data MSB first, removing stuffed zero bytes (`FF 00`). At a marker or
/// the end of the data it supplies zero bits instead and counts them in `padBits`: a decoder
/// that consumes any of those has run past the real data (`overran`).
struct JPEGBitReader {
    let data: UnsafeBufferPointer<UInt8>
    /// Next unread byte.
    var pos: Int
    /// Right-aligned bit buffer holding `count` unread bits.
    var buffer: UInt64 = 0
    var count = 0
    /// How many of the buffered bits (the last ones) are padding, not data.
    var padBits = 0
    var atMarker = false

    init(data: UnsafeBufferPointer<UInt8>, pos: Int) {
        self.data = data
        self.pos = pos
    }

    /// True when decoding consumed padding bits, i.e. more bits than the segment holds.
    var overran: Bool { count < padBits }

    /// Tops the buffer up to at least 57 bits (kept out of line so that the hot callers stay small).
    @inline(never) mutating func fill() {
        while count <= 56 {
            var byte: UInt64 = 0
            if !atMarker {
                if pos < data.count, data[pos] != 0xFF {
                    byte = UInt64(data[pos])
                    pos += 1
                } else if pos + 1 < data.count, data[pos + 1] == 0x00 {
                    byte = 0xFF
                    pos += 2
                } else if pos + 1 < data.count, data[pos + 1] == 0xFF {
                    pos += 1   // a fill byte before a marker
                    continue
                } else {
                    atMarker = true   // a marker (left unread) or the end of the data
                }
            }
            if atMarker { padBits += 8 }
            buffer = buffer << 8 | byte
            count += 8
        }
    }

    /// Reads `n` bits (0 ≤ n ≤ 16) as an unsigned number.
    @inline(__always) mutating func bits(_ n: Int) -> Int {
        if count < n { fill() }
        count &-= n
        return Int(truncatingIfNeeded: (buffer &>> UInt64(truncatingIfNeeded: count)) & ((1 &<< UInt64(truncatingIfNeeded: n)) &- 1))
    }

    /// Reads an `n`-bit magnitude (0 ≤ n ≤ 16) and sign-extends it as T.81 F.2.2.1 EXTEND does.
    @inline(__always) mutating func receiveExtend(_ n: Int) -> Int {
        let v = bits(n)
        return n > 0 && v < 1 &<< (n &- 1) ? v &- (1 &<< n) &+ 1 : v
    }

    /// Decodes one Huffman symbol; nil when the bits match no code (corrupt data).
    @inline(__always) mutating func decode(_ table: JPEGHuffmanView) -> Int? {
        if count < 16 { fill() }
        let peek = Int(truncatingIfNeeded: (buffer &>> UInt64(truncatingIfNeeded: count &- JPEGHuffmanTable.lookupBits)) & 0x1FF)
        let entry = table.lookup[peek]
        if entry != 0 {
            count &-= entry &>> 8
            return entry & 0xFF
        }
        return decodeLong(table)
    }

    /// Decodes a code longer than the lookup table covers (rare).
    @inline(never) mutating func decodeLong(_ table: JPEGHuffmanView) -> Int? {
        let code16 = Int(truncatingIfNeeded: (buffer >> UInt64(count - 16)) & 0xFFFF)
        for n in (JPEGHuffmanTable.lookupBits + 1)...16 {
            let code = code16 >> (16 - n)
            if code <= table.maxCode[n] {
                count -= n
                return Int(table.values[table.valueOffset[n] + code])
            }
        }
        return nil
    }

    /// Drops buffered bits and moves to the next marker at or after the read position; returns
    /// the marker byte (after `FF`), or nil at the end of the data.
    mutating func nextMarker() -> UInt8? {
        buffer = 0
        count = 0
        padBits = 0
        atMarker = false
        while pos + 1 < data.count {
            if data[pos] == 0xFF && data[pos + 1] != 0x00 && data[pos + 1] != 0xFF {
                let marker = data[pos + 1]
                pos += 2
                return marker
            }
            pos += 1
        }
        pos = data.count
        return nil
    }
}
