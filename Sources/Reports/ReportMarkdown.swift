import Foundation

extension AccuracyReport {
    /// `report.md`: a plain-words summary, where the error enters (worst layers with hints),
    /// the disagreements, the per-layer table and the extras.
    public func markdown() -> String {
        var md = "# Int8 accuracy report: \(model) on \(dataset)\n\n"
        if !warnings.isEmpty {
            md += "## Warnings\n\n" + warnings.map { "- **warning:** \($0)\n" }.joined() + "\n"
        }
        md += "## Summary\n\n" + summarySentence() + "\n\n"
        md += "| | float | int8 | change (points) |\n|---|---:|---:|---:|\n"
        md += "| top-1 | \(Fmt.pct(floatTop1)) | \(Fmt.pct(int8Top1)) | \(Fmt.delta(int8Top1 - floatTop1)) |\n"
        md += "| top-5 | \(Fmt.pct(floatTop5)) | \(Fmt.pct(int8Top5)) | \(Fmt.delta(int8Top5 - floatTop5)) |\n"
        md += "| agreement with float (top-1) | | \(Fmt.pct(agreementTop1)) | |\n\n"

        if !settings.isEmpty {
            md += "## Model and preprocessing\n\n"
            md += "Where each setting came from: a command-line flag, the checkpoint's metadata or tensors, or a "
            md += "convention (a guess from the class and channel counts; check it, or give the flag).\n\n"
            md += "| setting | value | from |\n|---|---|---|\n"
            for s in settings { md += "| \(s.name) | \(s.value) | \(s.isConvention ? "**\(s.source)**" : s.source) |\n" }
            md += "\n"
        }

        if !layers.isEmpty {
            md += "## Where the error enters\n\n"
            md += "SQNR compares every int8 activation (dequantized) with the float one on the same images: higher is "
            md += "better, each bit of precision is worth about 6 dB. Errors accumulate through the network, so the "
            md += "lowest SQNRs are usually near the end; the *drop* is what a layer loses by itself relative to its inputs.\n\n"
            let worst = AccuracyReport.lowestSQNR(layers, worstLayers.count)
            md += "### Lowest SQNR\n\n" + layerList(worst, explained: []) + "\n"
            let drops = AccuracyReport.largestDrops(layers, Swift.max(worstLayers.count, 1))
            if !drops.isEmpty {
                md += "### Largest SQNR drop (the layer itself adds the error)\n\n"
                md += layerList(drops, explained: Set(worst.map(\.valueId))) + "\n"
            }
        }

        md += "## Disagreements\n\n"
        if disagreements == 0 {
            md += "The int8 model picks the same class as the float model on every image.\n\n"
        } else {
            md += disagreements == 1 ? "1 image gets" : "\(disagreements) images get"
            md += " a different top-1 class: \(correctToWrong) correct → wrong, "
            md += "\(wrongToCorrect) wrong → correct, \(wrongToWrong) wrong → another wrong class.\n\n"
            md += "| float class | int8 class | images |\n|---|---|---:|\n"
            for c in confusion {
                md += "| \(classLabel(c.floatClass, c.floatName)) | \(classLabel(c.int8Class, c.int8Name)) | \(c.count) |\n"
            }
            md += "\n"
        }

        if !perClass.isEmpty {
            md += "## Accuracy per class\n\n| class | images | float top-1 | int8 top-1 | change (points) |\n|---|---:|---:|---:|---:|\n"
            for k in perClass {
                md += "| \(classLabel(k.classIndex, k.name)) | \(k.images) | \(Fmt.pct(k.floatTop1)) | \(Fmt.pct(k.int8Top1)) | \(Fmt.delta(k.int8Top1 - k.floatTop1)) |\n"
            }
            md += "\n"
        }

        if !changed.isEmpty {
            let shown = changed.prefix(AccuracyReport.markdownChangedLimit)
            md += "## Images whose class changed\n\n"
            md += shown.count < changed.count ? "The first \(shown.count) of \(changed.count) (all are in report.json).\n\n" : ""
            let files = changed.contains { $0.file != nil }
            md += "| index |\(files ? " file |" : "") label | float | int8 |\n|---:|\(files ? "---|" : "")---|---|---|\n"
            for ch in shown {
                md += "| \(ch.index) |\(files ? " \(ch.file ?? "") |" : "") \(classLabel(ch.label)) | \(classLabel(ch.floatClass)) | \(classLabel(ch.int8Class)) |\n"
            }
            md += "\n"
        }

        md += settingsMarkdown()

        if !layers.isEmpty {
            md += "## Per-layer error\n\n"
            md += "Float range: smallest and largest float value seen. Clipped: float values outside the int8 grid. "
            md += "Channel ratio: loudest channel over the median channel.\n\n"
            md += "| # | layer | op | shape | scale | zp | float range | clipped | SQNR dB | drop dB | cosine | max err | mean err | channel ratio |\n"
            md += "|---:|---|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|\n"
            for l in layers {
                let range = "[\(Fmt.num(l.rangeMin)), \(Fmt.num(l.rangeMax))]"
                let drop = l.sqnrDropDB.map(Fmt.dB) ?? "–"
                md += "| \(l.valueId) | \(l.name) | \(l.op) | \(l.shape) | \(Fmt.num(l.scale)) | \(l.zeroPoint) | \(range) | "
                md += "\(Fmt.share(l.clippedFraction)) | \(Fmt.dB(l.sqnrDB)) | \(drop) | \(String(format: "%.4f", l.cosine)) | "
                md += "\(Fmt.num(l.maxAbsError)) | \(Fmt.num(l.meanAbsError)) | \(String(format: "%.1f", l.channelRangeRatio)) |\n"
            }
            md += "\n"
        }

        if !extras.isEmpty {
            md += "## Details\n\n"
            let (blocks, lines) = extras.sorted { $0.key < $1.key }.reduce(into: ([(String, String)](), [(String, String)]())) {
                if $1.value.contains("\n") { $0.0.append($1) } else { $0.1.append($1) }
            }
            for (key, value) in lines { md += "- **\(key)**: \(value)\n" }
            if !lines.isEmpty { md += "\n" }
            for (key, value) in blocks { md += "### \(key)\n\n\(value)\n\n" }
        }
        return md
    }

    /// The summary in one paragraph of plain words.
    func summarySentence() -> String {
        var s = "Float top-1 \(Fmt.pct(floatTop1)), int8 top-1 \(Fmt.pct(int8Top1)) "
        s += "(\(Fmt.delta(int8Top1 - floatTop1)) points); the int8 model agrees with float on "
        s += "\(Fmt.pct(agreementTop1)) of the \(evaluationImages) evaluation images. "
        s += "Activation ranges were calibrated with `\(calibrationMethod)` on \(calibrationImages) images."
        if let worst = worstLayers.first, let l = layers.first(where: { $0.name == worst }) {
            s += " The lowest SQNR is at `\(worst)` (\(l.op), \(Fmt.dB(l.sqnrDB)) dB)."
        }
        if let l = AccuracyReport.largestDrops(layers, 1).first, let drop = l.sqnrDropDB, drop > 0 {
            s += " The largest loss enters at `\(l.name)` (\(l.op)), which takes \(Fmt.dB(drop)) dB off the SQNR of its input."
        }
        return s
    }

    /// A numbered list of layers with their hints (layers whose value id is in `explained`
    /// were already explained above and only get a pointer).
    private func layerList(_ list: [LayerError], explained: Set<Int>) -> String {
        var md = ""
        for (k, l) in list.enumerated() {
            let drop = l.sqnrDropDB.map { ", drop \(Fmt.dB($0)) dB" } ?? ""
            md += "\(k + 1). **\(l.name)** (\(l.op), \(l.shape)): SQNR \(Fmt.dB(l.sqnrDB)) dB\(drop), "
            md += "cosine \(String(format: "%.4f", l.cosine))"
            if explained.contains(l.valueId) { md += " (see above).\n"; continue }
            md += ".\n"
            for hint in l.hints { md += "   - \(hint)\n" }
        }
        return md
    }

    private func classLabel(_ c: Int, _ name: String?) -> String { name.map { "\(c) \($0)" } ?? "\(c)" }

    /// A class index with its name when known.
    private func classLabel(_ c: Int) -> String { classLabel(c, className(c)) }

    /// At most this many images whose class changed are listed in report.md.
    static let markdownChangedLimit = 500

    /// Calibration settings, sizes and what is needed to reproduce the run (the model and
    /// preprocessing settings have their own section).
    private func settingsMarkdown() -> String {
        var md = "## Settings and reproducibility\n\n"
        if let c = calibration {
            md += "- **calibration**: `\(c.method)`\(c.percentile.map { " (\(Fmt.num($0))th percentile)" } ?? ""), \(c.images) images from `\(c.source)`\n"
            md += "- **activation equalization**: " + (c.equalizedPairs.map { "on, \($0) convolution → depthwise pairs" } ?? "off") + "\n"
            md += "- **range search**: " + (c.rangeSearchImages.map { "on, \($0) calibration images" } ?? "off") + "\n"
            md += "- **bias correction**: \(c.biasCorrection ? "on, layer by layer" : "off")\n"
            md += "- **per-layer error measured on**: \(c.layerErrorImages) calibration images\n"
        } else {
            md += "- **calibration**: `\(calibrationMethod)`, \(calibrationImages) images\n"
        }
        if let b = blobBytes { md += "- **blob bytes**: \(b)\n" }
        if let a = arenaBytes { md += "- **arena bytes**: \(a)\n" }
        if let r = run {
            md += "- **command line**: `\(r.commandLine.joined(separator: " "))`\n"
            md += "- **tool**: quantize \(r.toolVersion), git commit \(r.gitCommit)\n"
            for d in r.inputs {
                md += "- **SHA-256 of `\(d.path)`**: `\(d.sha256)` (\(d.files) file\(d.files == 1 ? "" : "s"), \(d.bytes) bytes; `\(d.how)`)\n"
            }
        }
        return md + "\n"
    }
}

extension LayerError {
    /// Plain-words suggestions on where this layer's error comes from and what to try.
    public var hints: [String] {
        var h: [String] = []
        let range = "[\(Fmt.num(rangeMin)), \(Fmt.num(rangeMax))]"
        if clippedFraction > 1e-3 {
            h.append("\(Fmt.share(clippedFraction)) of the float values fall outside the int8 grid and saturate: the "
                     + "calibrated range is too narrow here; a higher percentile or minmax clips less.")
        }
        let peak = Swift.max(-rangeMin, rangeMax)
        if floatRMS > 0 && peak > 20 * floatRMS {
            h.append("the float range \(range) is \(Int(peak / floatRMS))× the typical magnitude (rms \(Fmt.num(floatRMS))): "
                     + "a few outliers stretch the step for every value; percentile or mse calibration spends the 256 levels on the bulk.")
        }
        if channelRangeRatio > 8 {
            var text = "the loudest channel reaches \(Int(channelRangeRatio))× the median channel, so one per-tensor step is coarse for the quiet ones"
            text += op.hasPrefix("depthwise")
                ? "; depthwise outputs often have such per-channel outliers — cross-layer equalization with the next pointwise conv evens them out."
                : "; cross-layer equalization of the producing conv evens the channels out."
            h.append(text)
        }
        if op == "add" || op == "concat" {
            h.append("the inputs of this \(op) share one grid: the widest input sets the step for all of them.")
        }
        if let drop = sqnrDropDB, drop < 1 {
            h.append("this layer adds only \(Fmt.dB(drop)) dB itself: its low SQNR is inherited from the layers before it.")
        }
        if cosine < 0.99 {
            h.append("cosine \(String(format: "%.3f", cosine)): the int8 activation points in a noticeably different direction; predictions are likely affected from here on.")
        }
        if h.isEmpty {
            h.append(sqnrDB >= 30
                ? "an SQNR of \(Fmt.dB(sqnrDB)) dB is comfortable: nothing to fix here."
                : "no single cause stands out: compare calibration methods (mse, entropy, percentile) on this layer.")
        }
        return h
    }
}
