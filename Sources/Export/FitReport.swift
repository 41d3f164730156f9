/// A microcontroller class by its SRAM and flash sizes only (no clock, no cache, no bank layout).
public struct MCUTarget: Sendable, Equatable {
    /// Short label, e.g. `256 KB / 1 MB`.
    public var name: String
    /// Example parts of that size class.
    public var examples: String
    public var sramBytes: Int
    public var flashBytes: Int

    public init(name: String, examples: String, sramBytes: Int, flashBytes: Int) {
        self.name = name; self.examples = examples; self.sramBytes = sramBytes; self.flashBytes = flashBytes
    }

    /// The four size classes the toolkit reports against.
    public static let standard: [MCUTarget] = [
        MCUTarget(name: "256 KB / 1 MB", examples: "nRF52840, STM32F412", sramBytes: 256 << 10, flashBytes: 1 << 20),
        MCUTarget(name: "320 KB / 1 MB", examples: "STM32F746, STM32L496", sramBytes: 320 << 10, flashBytes: 1 << 20),
        MCUTarget(name: "512 KB / 2 MB", examples: "STM32F767, STM32F769", sramBytes: 512 << 10, flashBytes: 2 << 20),
        MCUTarget(name: "1 MB / 2 MB", examples: "STM32H743, STM32H753", sramBytes: 1 << 20, flashBytes: 2 << 20),
    ]
}

extension MemoryPlan {
    /// A Markdown report: the plan's figures and a table saying whether the model fits each target
    /// (RAM = arena + scratch + input + output buffers; flash = the blob). With `model`, it starts
    /// with a heading naming the model (what `memory.md` holds).
    public func report(model: String? = nil, targets: [MCUTarget] = MCUTarget.standard) -> String {
        var s = model.map { "# Memory plan: \($0)\n\n" } ?? ""
        s += """
            | figure | bytes |
            |---|---:|
            | arena (activations, planned) | \(arenaBytes) |
            | arena lower bound (largest set of values alive at once) | \(lowerBoundBytes) |
            | kernel scratch | \(scratchBytes) |
            | input buffer (int8 image) + output buffer (logits) | \(inputBytes) + \(outputBytes) |
            | **RAM needed** | **\(ramBytes)** |
            | weights (int8, and int4 packed two per byte) | \(weightBytes) |
            | bias, multipliers, shifts, pad values, weight scales, tables | \(parameterBytes) |
            | **blob (flash)** | **\(flashBytes)** |

            Arena / lower bound: \(ratio(arenaOverhead)). Blob / (weights + parameters): \(ratio(flashOverhead)).

            | target (SRAM / flash) | example parts | RAM needed | flash needed | fits | SRAM left | flash left |
            |---|---|---:|---:|:---:|---:|---:|

            """
        for t in targets {
            let fits = ramBytes <= t.sramBytes && flashBytes <= t.flashBytes
            s += "| \(t.name) | \(t.examples) | \(kb(ramBytes)) | \(kb(flashBytes)) | \(fits ? "yes" : "no") | "
                + "\(kb(t.sramBytes - ramBytes)) | \(kb(t.flashBytes - flashBytes)) |\n"
        }
        s += """

            Target sizes are total SRAM and flash only. Also budget the runtime's code (see
            Targets/README.md), the stack, and your application; the arena must be one contiguous
            block, and on parts whose SRAM is split into banks (e.g. STM32H743: 512 KB AXI SRAM plus
            smaller banks) the largest bank is what counts.

            """
        return s
    }
}

/// Kibibytes with one decimal (negative when short).
private func kb(_ bytes: Int) -> String {
    let tenths = (abs(bytes) * 10 + 512) / 1024
    return (bytes < 0 ? "−" : "") + "\(tenths / 10).\(tenths % 10) KB"
}

/// A ratio with three decimals.
private func ratio(_ x: Double) -> String {
    let thousandths = Int((x * 1000).rounded())
    let frac = String(thousandths % 1000)
    return "\(thousandths / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
}
