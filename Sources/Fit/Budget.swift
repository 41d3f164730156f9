import Foundation
import QuantCore
import Export

/// What the model must fit: the flash the blob shares with the firmware and the SRAM its RAM must
/// fit in (`--target`, `--flash`, `--sram`, `--flash-reserve`). A budget with neither figure
/// (`isEmpty`) changes nothing.
public struct Budget: Sendable, Equatable {
    /// The part named with `--target`, if any (its figures are the defaults of the two below).
    public var target: MCUTarget?
    /// Flash of the part, firmware and blob together (nil: no flash budget).
    public var flashBytes: Int?
    /// Contiguous SRAM the model's RAM (arena + scratch + input + output) must fit in (nil: no SRAM budget).
    public var sramBytes: Int?
    /// Flash kept for the firmware: the blob may use `flashBytes − flashReserve`.
    public var flashReserve: Int = MCUTarget.defaultFlashReserve

    public init(target: MCUTarget? = nil, flashBytes: Int? = nil, sramBytes: Int? = nil,
                flashReserve: Int = MCUTarget.defaultFlashReserve) {
        self.target = target; self.flashBytes = flashBytes; self.sramBytes = sramBytes; self.flashReserve = flashReserve
    }

    /// True when nothing is budgeted.
    public var isEmpty: Bool { flashBytes == nil && sramBytes == nil }

    /// The largest blob allowed (flash minus the firmware reserve), or nil.
    public var blobLimit: Int? { flashBytes.map { $0 - flashReserve } }

    /// How the budget was given, for messages: `--target nRF52840`, `--flash 1M`, ….
    public var label: String {
        if let t = target { return "--target \(t.name)" + (flashBytes != t.flashBytes ? " --flash \(bytesText(flashBytes))" : "")
            + (sramBytes != t.contiguousSRAMBytes ? " --sram \(bytesText(sramBytes))" : "") }
        return [flashBytes.map { "--flash \(byteSize($0))" }, sramBytes.map { "--sram \(byteSize($0))" }]
            .compactMap { $0 }.joined(separator: " ")
    }

    private func bytesText(_ n: Int?) -> String { n.map(byteSize) ?? "none" }

    /// The budget the command line asks for: `--target NAME` gives the part's flash and largest
    /// contiguous SRAM; `--flash` / `--sram` set or override them; `--flash-reserve` (default
    /// 150K) is what the blob leaves for the firmware. Each value is a whole number of bytes with
    /// an optional `K` (× 1024) or `M` (× 1024²) suffix. Errors name the option.
    public static func parse(target: String?, flash: String?, sram: String?, flashReserve: String?) throws -> Budget {
        var b = Budget()
        if let name = target {
            guard let t = MCUTarget.named(name) else {
                throw ToolkitError("--target", "unknown part '\(name)' (known: \(MCUTarget.standard.map(\.name).joined(separator: ", ")); or give --flash BYTES --sram BYTES)")
            }
            b.target = t; b.flashBytes = t.flashBytes; b.sramBytes = t.contiguousSRAMBytes
        }
        if let f = flash { b.flashBytes = try parseByteCount(f, option: "--flash") }
        if let s = sram { b.sramBytes = try parseByteCount(s, option: "--sram") }
        if let r = flashReserve {
            guard b.flashBytes != nil else { throw ToolkitError("--flash-reserve", "only means something with --flash or --target") }
            b.flashReserve = try parseByteCount(r, option: "--flash-reserve", allowZero: true)
        }
        if let f = b.flashBytes, f <= b.flashReserve {
            throw ToolkitError(flash != nil ? "--flash" : "--target", "\(byteSize(f)) of flash leaves no room for the blob after the "
                               + "\(byteSize(b.flashReserve)) kept for the firmware (--flash-reserve)")
        }
        return b
    }
}

/// Parses `900000`, `256K`, `1M` (K = 1024, M = 1024², case-insensitive) into bytes; anything
/// else, zero (unless `allowZero`) or more than 1 TiB is an error naming `option`.
public func parseByteCount(_ text: String, option: String, allowZero: Bool = false) throws -> Int {
    var digits = Substring(text.trimmingCharacters(in: .whitespaces))
    var unit = 1
    switch digits.last {
    case "k", "K": unit = 1 << 10; digits = digits.dropLast()
    case "m", "M": unit = 1 << 20; digits = digits.dropLast()
    default: break
    }
    guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits.count <= 13, let n = Int(digits) else {
        throw ToolkitError(option, "expected a number of bytes with an optional K or M suffix (K = 1024, e.g. 900000, 256K, 1M), got '\(text)'")
    }
    let bytes = n * unit
    guard bytes <= 1 << 40 else { throw ToolkitError(option, "\(text) is more than 1 TiB") }
    guard bytes > 0 || allowZero else { throw ToolkitError(option, "must be more than 0 bytes, got '\(text)'") }
    return bytes
}

/// `1M`, `150K` or plain bytes, whichever is exact (the inverse of `parseByteCount`).
public func byteSize(_ n: Int) -> String {
    if n > 0 && n % (1 << 20) == 0 { return "\(n >> 20)M" }
    if n > 0 && n % (1 << 10) == 0 { return "\(n >> 10)K" }
    return "\(n)"
}

/// `1,048,576`: bytes with thousands separators.
public func grouped(_ n: Int) -> String {
    let s = String(abs(n))
    var out = ""
    for (i, c) in s.enumerated() {
        if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return (n < 0 ? "−" : "") + out
}
