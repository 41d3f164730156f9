import Foundation

/// What a fitted model cost, measured on the evaluation images: the all-int8 model (what the
/// command writes without a budget) beside the model written.
public struct FitCost: Sendable, Equatable {
    /// Evaluation images measured.
    public var images: Int
    /// Top-1 and agreement with the float model (percent) of the all-int8 model and of the model written.
    public var int8Top1: Double, int8Agreement: Double
    public var top1: Double, agreement: Double
    /// Share of images (percent) where the model written picks the all-int8 model's class.
    public var sameAsInt8: Double

    public init(images: Int, int8Top1: Double, int8Agreement: Double, top1: Double, agreement: Double, sameAsInt8: Double) {
        self.images = images; self.int8Top1 = int8Top1; self.int8Agreement = int8Agreement
        self.top1 = top1; self.agreement = agreement; self.sameAsInt8 = sameAsInt8
    }
}

/// Everything the budget stage reports: the budget, what was chosen to meet it and what it cost.
public struct FitSummary: Sendable {
    public var budget: Budget
    /// The layer choice; nil when the all-int8 blob fits the flash budget (or there is none).
    public var flash: FlashFit?
    /// Blob bytes of the model written (`flash.bytes` when layers are int4).
    public var blobBytes: Int
    /// The SRAM check; nil without an SRAM budget.
    public var sram: SRAMFit?
    /// Measured cost of the int4 layers; nil when nothing changed.
    public var cost: FitCost?
    /// With an SRAM schedule: evaluation images run with and without it, and how many of them got
    /// other logits (0: the schedule is bit-exact, as it must be).
    public var scheduleCheck: (images: Int, differ: Int)?

    public init(budget: Budget, flash: FlashFit?, blobBytes: Int, sram: SRAMFit?, cost: FitCost? = nil) {
        self.budget = budget; self.flash = flash; self.blobBytes = blobBytes; self.sram = sram; self.cost = cost
    }

    /// Short lines for the console.
    public func consoleLines() -> [String] {
        var lines = ["budget \(budget.label):"]
        if let limit = budget.blobLimit {
            let reserve = "flash \(grouped(budget.flashBytes ?? 0)) B minus \(grouped(budget.flashReserve)) B for the firmware"
            if let f = flash {
                lines.append("  flash: blob \(grouped(f.bytes)) B ≤ \(grouped(limit)) B (\(reserve)); "
                    + "all int8 would be \(grouped(f.int8Bytes)) B")
                let kept = keptNames(f)
                lines.append("  int4 weights in \(f.chosen.count) of \(f.scores.count) layers (\(String(format: "%.1f", f.int4WeightPercent)) % of the weights), "
                    + "kept int8: " + (kept.isEmpty ? "none" : kept.count <= 8 ? kept.joined(separator: ", ") : "\(kept.count) layers (memory.md lists them)"))
            } else {
                lines.append("  flash: blob \(grouped(blobBytes)) B ≤ \(grouped(limit)) B (\(reserve)): all int8, nothing changed")
            }
        }
        if let s = sram {
            lines.append("  SRAM: RAM \(grouped(s.ramBytes)) B ≤ \(grouped(s.budget)) B (\(s.schedule))"
                + (s.ramBytes < s.layerByLayerRAM ? String(format: "; layer by layer it would be %@ B; extra MACs %@ (+%.1f %%)",
                                                            grouped(s.layerByLayerRAM), grouped(s.extraMACs), 100 * Double(s.extraMACs) / Double(max(1, s.macs))) : ""))
        }
        if let c = scheduleCheck {
            lines.append(c.differ == 0 ? "  schedule checked: the same logits as layer by layer on all \(c.images) evaluation images"
                                       : "  warning: the schedule changed the logits of \(c.differ) of \(c.images) evaluation images (a bug: it must not)")
        }
        if let c = cost {
            lines.append(String(format: "  cost on %d evaluation images: top-1 %.2f%% → %.2f%%, agreement with float %.2f%% → %.2f%% (all int8 → written); same class as all int8: %.2f%%",
                                c.images, c.int8Top1, c.top1, c.int8Agreement, c.agreement, c.sameAsInt8))
        }
        return lines
    }

    /// The layers that kept int8 weights, in graph order.
    func keptNames(_ f: FlashFit) -> [String] {
        let chosen = Set(f.chosen.map(\.node))
        return f.scores.filter { !chosen.contains($0.node) }.sorted { $0.node < $1.node }.map(\.name)
    }

    /// The Markdown section of memory.md and report.md: the budget, what was chosen, what it cost.
    public func markdown() -> String {
        var s = "## Budget: \(budget.label)\n\n| figure | bytes |\n|---|---:|\n"
        if let flashBytes = budget.flashBytes, let limit = budget.blobLimit {
            s += "| flash | \(grouped(flashBytes)) |\n| kept for the firmware (`--flash-reserve`) | \(grouped(budget.flashReserve)) |\n"
            s += "| **blob limit** | **\(grouped(limit))** |\n"
            if let f = flash {
                s += "| blob, every layer int8 | \(grouped(f.int8Bytes)) |\n| blob, every layer int4 | \(grouped(f.int4Bytes)) |\n"
                s += "| **blob written** | **\(grouped(f.bytes))** |\n"
            } else {
                s += "| **blob written** (every layer int8) | **\(grouped(blobBytes))** |\n"
            }
        }
        if let r = sram {
            s += "| SRAM budget (one contiguous block) | \(grouped(r.budget)) |\n| **RAM needed** (\(r.schedule)) | **\(grouped(r.ramBytes))** |\n"
            s += "| RAM layer by layer | \(grouped(r.layerByLayerRAM)) |\n| RAM at the layer-by-layer lower bound | \(grouped(r.lowerBoundRAM)) |\n"
            if r.extraMACs > 0 { s += "| MACs the schedule adds (patch overlaps) | \(grouped(r.extraMACs)) of \(grouped(r.macs)) |\n" }
        }
        s += "\n"
        if let r = sram, r.ramBytes < r.layerByLayerRAM {
            s += "Layer by layer the RAM is over the SRAM budget, so the model runs with \(r.schedule) (every schedule gives the "
                + "layer-by-layer logits bit for bit); the blob carries the schedule.\n\n"
        }
        if let c = scheduleCheck {
            s += c.differ == 0 ? "Checked: with and without the schedule the logits are the same on all \(c.images) evaluation images.\n\n"
                               : "**Warning**: the schedule changed the logits of \(c.differ) of \(c.images) evaluation images (a bug: it must not).\n\n"
        }
        if let f = flash {
            s += """
                The all-int8 blob is over the limit, so \(f.chosen.count) of \(f.scores.count) weighted layers \(f.chosen.count == 1 ? "holds" : "hold") int4 weights \
                (\(String(format: "%.1f", f.int4WeightPercent)) % of the weights; symmetric per output channel in [−7, 7], packed two per byte). \
                Choice: each layer alone in int4 was scored by the mean squared change of the int8 logits over \
                \(f.scoringImages) calibration images; layers went to int4 in order of that score per byte saved until \
                the blob fit; the model was then converted again with them (range search, bias correction; 1×1 and \
                linear int4 layers rounded with error feedback against their inputs).


                """
            s += "Kept int8: \(keptNames(f).isEmpty ? "none" : keptNames(f).map { "`\($0)`" }.joined(separator: ", ")).\n\n"
            s += "| order | int4 layer | weights | bytes saved | logit error (MSE) |\n|---:|---|---:|---:|---:|\n"
            for (k, l) in f.chosen.enumerated() {
                s += "| \(k + 1) | `\(l.name)` | \(l.weights) | \(l.savedBytes) | \(String(format: "%.4g", l.logitError)) |\n"
            }
            s += "\n"
        } else if budget.blobLimit != nil {
            s += "The all-int8 blob fits the flash budget: nothing was changed.\n\n"
        }
        if let c = cost {
            s += """
                What it cost, measured on \(c.images) evaluation images:

                | model | top-1 | agreement with float |
                |---|---:|---:|
                | every layer int8 | \(String(format: "%.2f", c.int8Top1)) % | \(String(format: "%.2f", c.int8Agreement)) % |
                | written | \(String(format: "%.2f", c.top1)) % | \(String(format: "%.2f", c.agreement)) % |

                The model written picks the all-int8 model's class on \(String(format: "%.2f", c.sameAsInt8)) % of the images.

                """
        }
        return s
    }
}
