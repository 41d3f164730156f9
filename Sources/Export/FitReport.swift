import Foundation
/// A microcontroller the toolkit budgets for: its SRAM and flash as its vendor documents them
/// (Docs/TARGETS.md gives the source of every figure).
public struct MCUTarget: Sendable, Equatable {
    /// The part's name as `--target` takes it (case-insensitive), e.g. `nRF52840`.
    public var name: String
    /// The core and clock, for the report.
    public var core: String
    /// All on-chip SRAM.
    public var sramBytes: Int
    /// The largest contiguous SRAM region: the arena (with the kernel scratch after it) must be one
    /// block, so this is what a model's RAM is checked against.
    public var contiguousSRAMBytes: Int
    /// Flash the firmware and the blob share (on-chip, or the usual external part for RP2040 and ESP32-S3).
    public var flashBytes: Int

    public init(name: String, core: String, sramBytes: Int, contiguousSRAMBytes: Int, flashBytes: Int) {
        self.name = name; self.core = core; self.sramBytes = sramBytes
        self.contiguousSRAMBytes = contiguousSRAMBytes; self.flashBytes = flashBytes
    }

    /// The parts of Docs/TARGETS.md.
    public static let standard: [MCUTarget] = [
        MCUTarget(name: "nRF52840", core: "Cortex-M4F, 64 MHz", sramBytes: 256 << 10, contiguousSRAMBytes: 256 << 10, flashBytes: 1 << 20),
        MCUTarget(name: "STM32F412", core: "Cortex-M4F, 100 MHz", sramBytes: 256 << 10, contiguousSRAMBytes: 256 << 10, flashBytes: 1 << 20),
        MCUTarget(name: "RP2040", core: "2× Cortex-M0+, 133 MHz", sramBytes: 264 << 10, contiguousSRAMBytes: 264 << 10, flashBytes: 2 << 20),
        MCUTarget(name: "STM32F746", core: "Cortex-M7, 216 MHz", sramBytes: 320 << 10, contiguousSRAMBytes: 320 << 10, flashBytes: 1 << 20),
        MCUTarget(name: "ESP32-S3", core: "2× Xtensa LX7, 240 MHz", sramBytes: 512 << 10, contiguousSRAMBytes: 416 << 10, flashBytes: 8 << 20),
        MCUTarget(name: "STM32H743", core: "Cortex-M7, 480 MHz", sramBytes: 1 << 20, contiguousSRAMBytes: 512 << 10, flashBytes: 2 << 20),
    ]

    /// The part called `name` (case-insensitive, `-` and `_` ignored), or nil.
    public static func named(_ name: String) -> MCUTarget? {
        func key(_ s: String) -> String { s.lowercased().filter { $0 != "-" && $0 != "_" } }
        return standard.first { key($0.name) == key(name) }
    }

    /// Flash kept for the firmware when a blob is budgeted (`--flash-reserve`'s default): 150 KiB,
    /// the ~100 KB of application code the toolkit's sizing assumes, the runtime's own code
    /// (9.4 KB on the Cortex-M4) and the startup code, with room to grow (Docs/TARGETS.md).
    public static let defaultFlashReserve = 150 << 10

    /// The largest blob the part takes with `reserve` bytes of flash kept for the firmware.
    public func blobLimit(reserve: Int = MCUTarget.defaultFlashReserve) -> Int { flashBytes - reserve }
}

extension MemoryPlan {
    /// A Markdown report: the plan's figures and a table saying whether the model fits each part
    /// (RAM = arena + scratch + input + output buffers, against the largest contiguous SRAM;
    /// blob against the flash minus the default firmware reserve). With `model`, it starts with a
    /// heading naming the model (what `memory.md` holds).
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
            Execution schedule: \(schedule).
            \(scheduleTable)

            | part | core | largest contiguous SRAM / flash | RAM needed | blob | fits | SRAM left | flash left for the blob |
            |---|---|---|---:|---:|:---:|---:|---:|

            """
        for t in targets {
            let limit = t.blobLimit()
            let fits = ramBytes <= t.contiguousSRAMBytes && flashBytes <= limit
            s += "| \(t.name) | \(t.core) | \(kb(t.contiguousSRAMBytes)) / \(kb(t.flashBytes)) | \(kb(ramBytes)) | \(kb(flashBytes)) | "
                + "\(fits ? "yes" : "no") | \(kb(t.contiguousSRAMBytes - ramBytes)) | \(kb(limit - flashBytes)) |\n"
        }
        s += """

            Parts and sources: Docs/TARGETS.md. The blob may use the flash minus \(kb(MCUTarget.defaultFlashReserve))
            kept for the firmware (`--flash-reserve`); the RAM is checked against the largest contiguous
            SRAM region, since the arena is one block. Also budget the stack and your application's own
            RAM. `quantize MODEL --target PART` (or `--flash/--sram`) makes the model fit a part.

            """
        return s
    }
}

extension MemoryPlan {
    /// With a schedule other than layer by layer: a table of the peak SRAM, arena, lower bound and
    /// extra MACs of layer by layer, in-place depthwise and the chosen schedule (else empty).
    var scheduleTable: String {
        guard !schedules.isEmpty else { return "" }
        var s = "\n| schedule | peak SRAM (RAM needed) | arena | arena lower bound | extra MACs (band overlaps) |\n|---|---:|---:|---:|---:|\n"
        for f in schedules {
            let percent = String(format: "%.1f", 100 * Double(f.extraMACs) / Double(max(f.macs, 1)))
            s += "| \(f.name) | \(f.ramBytes) | \(f.arenaBytes) | \(f.lowerBoundBytes) | \(f.extraMACs) (\(percent) % of \(f.macs)) |\n"
        }
        return s + "\nEvery schedule gives the same logits (bit for bit); patch stages compute the rows their bands share again.\n"
    }
}

/// Kibibytes with one decimal (negative when short).
func kb(_ bytes: Int) -> String {
    let tenths = (abs(bytes) * 10 + 512) / 1024
    return (bytes < 0 ? "−" : "") + "\(tenths / 10).\(tenths % 10) KB"
}

/// A ratio with three decimals.
private func ratio(_ x: Double) -> String {
    let thousandths = Int((x * 1000).rounded())
    let frac = String(thousandths % 1000)
    return "\(thousandths / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
}
