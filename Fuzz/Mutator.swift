import TestSupport

/// Deterministic input generation: the seeded generator (TestSupport's `TestRandom`, SplitMix64,
/// defined there so a run is the same on every machine) and the byte-level mutations.

/// The generator for iteration `i` of reader `name` in a run seeded with `seed`: every input can
/// be regenerated on its own (`--from i --count 1`), without replaying the ones before it.
func inputRNG(seed: UInt64, reader name: String, iteration i: Int) -> TestRandom {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325   // FNV-1a of the reader name
    for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    var rng = TestRandom(seed: seed ^ h ^ (UInt64(i) &* 0xD6E8_FEB8_6659_FD93))
    _ = rng.next()
    return rng
}

/// Values that break size and count fields: zero, one, signed and unsigned limits, powers of two.
let interestingValues: [UInt64] = [0, 1, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x1_0000, 0x7FFF_FFFF,
                                   0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000, 0x7FFF_FFFF_FFFF_FFFF,
                                   0x8000_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF, 1 << 20, 1 << 24, 1 << 30, 1 << 40]

/// Tokens for text formats (CSV, NPY headers, PNM headers, JSON, pickles' text opcodes).
let interestingTokens: [String] = [",", "\n", "\r\n", "\"", "\"\"", "#", " ", "0", "-1", "999999999999999999999",
                                   "1e308", "NaN", "{", "}", "(", ")", "[", "]", ":", "'", "\\", "\u{0}", "é",
                                   "file,label,name\n", "True", "False", "'shape': (", "-"]

/// Applies 1 to 4 random mutations to `input`: bit flips, byte sets, truncations, insertions,
/// huge length/dimension fields, deletions, duplications, splices from `other`, text tokens.
/// Positions favour the first 256 bytes, where headers are.
func mutate(_ input: [UInt8], other: [UInt8], rng: inout TestRandom) -> [UInt8] {
    var d = input
    let rounds = 1 + (rng.chance(2) ? 0 : rng.below(4))
    for _ in 0..<rounds {
        func position(_ extra: Int = 0) -> Int {
            let n = d.count + extra
            if n <= 0 { return 0 }
            return rng.chance(2) ? rng.below(min(n, 256)) : rng.below(n)
        }
        switch rng.below(10) {
        case 0:   // bit flip
            guard !d.isEmpty else { continue }
            d[position()] ^= 1 << UInt8(rng.below(8))
        case 1:   // byte set
            guard !d.isEmpty else { continue }
            d[position()] = rng.chance(2) ? rng.byte() : UInt8(truncatingIfNeeded: interestingValues[rng.below(interestingValues.count)])
        case 2:   // truncation
            d.removeSubrange(rng.below(d.count + 1)...)
        case 3:   // insertion of random bytes
            let bytes = (0..<(1 + rng.below(16))).map { _ in rng.byte() }
            d.insert(contentsOf: bytes, at: position(1))
        case 4, 5:   // a huge (or zero) length/dimension field, 1/2/4/8 bytes, little- or big-endian
            let width = [1, 2, 4, 8][rng.below(4)]
            guard d.count >= width else { continue }
            let at = min(position(), d.count - width)
            let v = interestingValues[rng.below(interestingValues.count)]
            let bigEndian = rng.chance(2)
            for k in 0..<width {
                let shift = UInt64(8 * (bigEndian ? width - 1 - k : k))
                d[at + k] = UInt8(truncatingIfNeeded: v >> shift)
            }
        case 6:   // deletion of a range
            guard !d.isEmpty else { continue }
            let at = position()
            d.removeSubrange(at..<min(d.count, at + 1 + rng.below(64)))
        case 7:   // duplication of a range
            guard !d.isEmpty else { continue }
            let at = rng.below(d.count)
            let chunk = Array(d[at..<min(d.count, at + 1 + rng.below(64))])
            d.insert(contentsOf: chunk, at: position(1))
        case 8:   // splice: a piece of another seed over or into this one
            guard !other.isEmpty else { continue }
            let from = rng.below(other.count)
            let chunk = other[from..<min(other.count, from + 1 + rng.below(256))]
            let at = position(1)
            if rng.chance(2) {
                d.insert(contentsOf: chunk, at: at)
            } else {
                d.replaceSubrange(at..<min(d.count, at + chunk.count), with: chunk)
            }
        default:   // a text token
            let token = Array(interestingTokens[rng.below(interestingTokens.count)].utf8)
            let at = position(1)
            if rng.chance(2) || d.isEmpty {
                d.insert(contentsOf: token, at: at)
            } else {
                d.replaceSubrange(at..<min(d.count, at + token.count), with: token)
            }
        }
    }
    return d
}
