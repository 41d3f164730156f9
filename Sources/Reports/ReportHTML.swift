import Foundation

/// One activation's calibration histogram, coarsened for drawing: equal-width bins over
/// `[lo, hi]`, with the float values' extremes and the range the int8 grid covers.
public struct ActivationHistogram: Sendable, Equatable {
    /// Value id of the activation (matches `LayerError.valueId`).
    public var valueId: Int
    public var lo: Double, hi: Double
    public var counts: [Int]
    /// Smallest and largest float value seen during calibration.
    public var floatMin: Double, floatMax: Double
    /// What the int8 grid represents: `scale × (−128 − zeroPoint)` … `scale × (127 − zeroPoint)`.
    public var gridMin: Double, gridMax: Double

    public init(valueId: Int, lo: Double, hi: Double, counts: [Int], floatMin: Double, floatMax: Double, gridMin: Double, gridMax: Double) {
        self.valueId = valueId; self.lo = lo; self.hi = hi; self.counts = counts
        self.floatMin = floatMin; self.floatMax = floatMax; self.gridMin = gridMin; self.gridMax = gridMax
    }
}

/// A small PNG of one evaluation image (by its index in the evaluation set).
public struct Thumbnail: Sendable, Equatable {
    public var index: Int
    public var png: [UInt8]
    public init(index: Int, png: [UInt8]) { self.index = index; self.png = png }
}

/// Element ids of the charts `html()` always draws (the browser check looks for each).
public let reportChartIds = ["chart-sqnr", "chart-drop", "chart-classes", "chart-confusion"]

/// Colours: float, int8, and a warning red.
private let floatColor = "#4c78a8", int8Color = "#f58518", badColor = "#d62728", goodColor = "#54a24b"

extension AccuracyReport {
    /// `report.html`: one self-contained page (inline CSS and SVG, images as data URIs, no script,
    /// nothing fetched) with the summary, SQNR and SQNR drop along the network, per-class accuracy,
    /// the confusion of the disagreements, thumbnails of images whose class changed, every
    /// activation's calibration histogram with its int8 range, the settings and reproducibility.
    /// Draws the four `reportChartIds` charts plus one `hist-<value id>` chart per histogram.
    public func html(histograms: [ActivationHistogram] = [], thumbnails: [Thumbnail] = []) -> String {
        var h = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Int8 report: \(esc(model))</title>
            <style>
            body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#222;max-width:1100px;margin:24px auto;padding:0 16px}
            h1{font-size:22px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
            table{border-collapse:collapse;margin:8px 0} td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
            td.n,th.n{text-align:right;font-variant-numeric:tabular-nums} .muted{color:#666} code{font-size:12px}
            svg.chart{max-width:100%;height:auto;display:block;margin:6px 0} .key span{display:inline-block;width:12px;height:12px;margin:0 4px -1px 12px}
            .grid{display:flex;flex-wrap:wrap;gap:8px} .hist{width:262px} .hist svg{margin:0}
            figure{margin:0;width:112px;font-size:11px;text-align:center} figure img{width:96px;height:96px;image-rendering:pixelated;border:1px solid #ccc;object-fit:contain;background:#fff}
            .big{font-size:26px;font-weight:600} .cards{display:flex;gap:28px;flex-wrap:wrap;margin:10px 0}
            </style></head><body>

            """
        h += "<h1>Int8 report: \(esc(model))</h1>\n<p class=\"muted\">evaluated on <code>\(esc(dataset))</code></p>\n"
        if !warnings.isEmpty {  // doubts about every figure below come first
            h += "<div id=\"warnings\" style=\"border:2px solid #c62828;background:#fdecea;padding:8px 12px;margin:12px 0\">"
                + warnings.map { "<p><b>warning:</b> \(esc($0))</p>" }.joined() + "</div>\n"
        }
        h += summaryCards()
        h += "<p>\(esc(summarySentence().replacingOccurrences(of: "`", with: "")))</p>\n"

        h += "<h2>Where the error enters</h2>\n<p>SQNR of every int8 activation (dequantized) against the float one on "
        h += "\(calibration.map { "\($0.layerErrorImages) calibration images" } ?? "calibration images"), in network order: "
        h += "higher is better, about 6 dB per bit. Errors accumulate, so the drop below shows what each layer loses by itself. "
        h += "Hover a point for the layer.</p>\n"
        h += sqnrChart() + dropChart()

        h += "<h2>Accuracy per class</h2>\n" + classChart()

        h += "<h2>Disagreements</h2>\n"
        h += "<p>\(disagreements) of \(evaluationImages) images change class: \(correctToWrong) correct → wrong, "
        h += "\(wrongToCorrect) wrong → correct, \(wrongToWrong) wrong → another wrong class. "
        h += "Rows: the float model's class; columns: the int8 model's class.</p>\n"
        h += confusionChart()
        h += thumbnailGrid(thumbnails)
        h += changedTable()

        h += "<h2>Calibration histograms</h2>\n<p>Each activation's float values on the calibration images "
        h += "(count on a log scale) and the range its int8 grid covers (dashed lines); values in the red area saturate.</p>\n"
        h += "<div class=\"grid\">\n"
        let byValue = Dictionary(layers.map { ($0.valueId, $0) }, uniquingKeysWith: { a, _ in a })
        for hist in histograms { h += histogramChart(hist, layer: byValue[hist.valueId]) }
        h += "</div>\n"
        if histograms.isEmpty { h += "<p class=\"muted\">No histograms were recorded for this report.</p>\n" }

        h += settingsSection()
        h += "</body></html>\n"
        return h
    }

    // MARK: - Sections

    private func summaryCards() -> String {
        func card(_ title: String, _ value: String, _ sub: String) -> String {
            "<div><div class=\"muted\">\(esc(title))</div><div class=\"big\">\(esc(value))</div><div class=\"muted\">\(esc(sub))</div></div>\n"
        }
        var s = "<div class=\"cards\">\n"
        s += card("float top-1", Fmt.pct(floatTop1), "top-5 " + Fmt.pct(floatTop5))
        s += card("int8 top-1", Fmt.pct(int8Top1), "top-5 \(Fmt.pct(int8Top5)), \(Fmt.delta(int8Top1 - floatTop1)) points")
        s += card("agreement", Fmt.pct(agreementTop1), "\(disagreements) of \(evaluationImages) images differ")
        if let b = blobBytes { s += card("blob (flash)", "\(b) B", "int8 weights and parameters") }
        if let a = arenaBytes { s += card("arena (SRAM)", "\(a) B", "activations") }
        return s + "</div>\n"
    }

    private func sqnrChart() -> String {
        var c = SVGChart(width: 1060, height: 280)
        let (left, top, plotW, plotH) = (50.0, 14.0, 990.0, 230.0)
        guard !layers.isEmpty else {
            c.text(left, top + 20, "no per-layer error was measured")
            return c.svg(id: "chart-sqnr", label: "SQNR per layer")
        }
        let finite = layers.map(\.sqnrDB).filter(\.isFinite)
        let step = niceStep(Swift.max(finite.max() ?? 10, 10), ticks: 6)
        let yMax = ((finite.max() ?? 10) / step).rounded(.up) * step
        let yMin = Swift.min(0, ((finite.min() ?? 0) / step).rounded(.down) * step)
        func y(_ v: Double) -> Double { top + plotH * (1 - (Swift.min(v, yMax) - yMin) / (yMax - yMin)) }
        let dx = plotW / Double(layers.count)
        func x(_ i: Int) -> Double { left + dx * (Double(i) + 0.5) }
        axes(&c, left: left, top: top, plotW: plotW, plotH: plotH, yMin: yMin, yMax: yMax, step: step, unit: "dB")
        xTicks(&c, left: left, dx: dx, count: layers.count, baseline: top + plotH)
        var run: [(Double, Double)] = []
        for (i, l) in layers.enumerated() {
            if l.sqnrDB.isFinite { run.append((x(i), y(l.sqnrDB))) } else { c.polyline(run, stroke: int8Color); run = [] }
        }
        c.polyline(run, stroke: int8Color)
        let worstList = AccuracyReport.lowestSQNR(layers, 3)
        let worst = Set(worstList.map(\.valueId))
        for (i, l) in layers.enumerated() {
            let tip = "#\(i) \(l.name) (\(l.op), \(l.shape)): SQNR \(Fmt.dB(l.sqnrDB)) dB"
            if l.sqnrDB.isFinite {
                c.circle(x(i), y(l.sqnrDB), r: worst.contains(l.valueId) ? 4 : 2.5, fill: worst.contains(l.valueId) ? badColor : int8Color, title: tip)
            } else {
                c.circle(x(i), y(yMax), r: 3, fill: "#fff", stroke: int8Color, title: tip + " (int8 equals float)")
            }
        }
        // The worst layers are named in a stack under the plot's top-left corner, linked by a thin line.
        for (k, l) in worstList.enumerated() where l.sqnrDB.isFinite {
            guard let i = layers.firstIndex(where: { $0.valueId == l.valueId }) else { continue }
            let ty = top + 14 + 13 * Double(k)
            c.line(x(i), y(l.sqnrDB), left + 260, ty - 4, stroke: badColor, width: 0.5, dash: "2 2")
            c.text(left + 262, ty, "\(k + 1). \(l.name) (\(l.op)) \(Fmt.dB(l.sqnrDB)) dB", size: 10, fill: badColor)
        }
        c.text(left + plotW, top + 10, "hollow: int8 equals float exactly", size: 10, anchor: "end", fill: "#666")
        return c.svg(id: "chart-sqnr", label: "SQNR per layer along the network")
    }

    private func dropChart() -> String {
        var c = SVGChart(width: 1060, height: 200)
        let (left, top, plotW, plotH) = (50.0, 10.0, 990.0, 160.0)
        let drops = layers.map { $0.sqnrDropDB.flatMap { $0.isFinite ? $0 : nil } }
        let values = drops.compactMap { $0 }
        guard !values.isEmpty else {
            c.text(left, top + 20, "no SQNR drop could be measured (no layer had a measured input)")
            return c.svg(id: "chart-drop", label: "SQNR drop per layer")
        }
        let step = niceStep(Swift.max(values.map(abs).max() ?? 1, 1), ticks: 4)
        let yMax = Swift.max(step, ((values.max() ?? 0) / step).rounded(.up) * step)
        let yMin = Swift.min(0, ((values.min() ?? 0) / step).rounded(.down) * step)
        func y(_ v: Double) -> Double { top + plotH * (1 - (v - yMin) / (yMax - yMin)) }
        let dx = plotW / Double(layers.count)
        axes(&c, left: left, top: top, plotW: plotW, plotH: plotH, yMin: yMin, yMax: yMax, step: step, unit: "dB")
        xTicks(&c, left: left, dx: dx, count: layers.count, baseline: top + plotH)
        c.line(left, y(0), left + plotW, y(0), stroke: "#999")
        for (i, l) in layers.enumerated() {
            guard let d = drops[i] else { continue }
            let x0 = left + dx * Double(i) + dx * 0.15
            c.rect(x0, Swift.min(y(d), y(0)), dx * 0.7, abs(y(d) - y(0)), fill: d >= 0 ? badColor : goodColor,
                   title: "#\(i) \(l.name) (\(l.op)): drop \(Fmt.dB(d)) dB")
        }
        c.text(left + plotW, top + 10, "SQNR drop: lowest input SQNR minus the layer's own (red: the layer adds error)",
               size: 10, anchor: "end", fill: "#666")
        return c.svg(id: "chart-drop", label: "SQNR drop per layer along the network")
    }

    /// At most this many classes are drawn in the per-class and confusion charts.
    static let chartClassLimit = 40

    private func classChart() -> String {
        var shown = perClass
        var note = ""
        if shown.count > AccuracyReport.chartClassLimit {
            // Too many to draw: the classes whose int8 accuracy differs from float, largest change first.
            let moved = shown.filter { $0.int8Top1 != $0.floatTop1 }
            shown = Array(moved.sorted { a, b in
                let da = abs(a.int8Top1 - a.floatTop1), db = abs(b.int8Top1 - b.floatTop1)
                return da != db ? da > db : a.classIndex < b.classIndex
            }.prefix(AccuracyReport.chartClassLimit)).sorted { $0.classIndex < $1.classIndex }
            note = "<p class=\"muted\">\(perClass.count) classes have evaluation images, \(moved.count) of them with a different "
                + "int8 accuracy; " + (shown.count < moved.count ? "the \(shown.count) that changed most are drawn" : "those are drawn")
                + " (every class is in report.json and report.md).</p>\n"
        }
        var c = SVGChart(width: 1060, height: 300)
        let (left, top, plotW, plotH) = (50.0, 10.0, 990.0, 200.0)
        guard !shown.isEmpty else {
            c.text(left, top + 20, perClass.isEmpty ? "no labelled evaluation images" : "no class changed accuracy")
            return c.svg(id: "chart-classes", label: "accuracy per class") + note
        }
        func y(_ v: Double) -> Double { top + plotH * (1 - v / 100) }
        axes(&c, left: left, top: top, plotW: plotW, plotH: plotH, yMin: 0, yMax: 100, step: 20, unit: "%")
        let dx = plotW / Double(shown.count)
        for (i, k) in shown.enumerated() {
            let x0 = left + dx * Double(i)
            let label = k.name.map { "\(k.classIndex) \($0)" } ?? "\(k.classIndex)"
            let tip = "\(label): float \(Fmt.pct(k.floatTop1)), int8 \(Fmt.pct(k.int8Top1)) (\(k.images) images)"
            c.rect(x0 + dx * 0.12, y(k.floatTop1), dx * 0.36, y(0) - y(k.floatTop1), fill: floatColor, title: tip)
            c.rect(x0 + dx * 0.52, y(k.int8Top1), dx * 0.36, y(0) - y(k.int8Top1), fill: int8Color, title: tip)
            let delta = k.int8Top1 - k.floatTop1
            if shown.count <= 20 && abs(delta) >= 0.005 {
                c.text(x0 + dx / 2, y(Swift.max(k.floatTop1, k.int8Top1)) - 4, Fmt.delta(delta), size: 10, anchor: "middle",
                       fill: delta < 0 ? badColor : delta > 0 ? goodColor : "#666")
            }
            c.text(x0 + dx / 2, top + plotH + 12, String(label.prefix(18)), size: 10, anchor: "end", rotate: -35)
        }
        return "<p class=\"key\"><span style=\"background:\(floatColor)\"></span>float<span style=\"background:\(int8Color)\"></span>int8"
            + " <span class=\"muted\" style=\"width:auto;background:none\">(top-1 of the images labelled with each class; number: int8 − float in points)</span></p>\n"
            + c.svg(id: "chart-classes", label: "accuracy per class, float vs int8") + note
    }

    private func confusionChart() -> String {
        var moves: [Int: [Int: Int]] = [:]
        var involvement: [Int: Int] = [:]
        for ch in changed {
            moves[ch.floatClass, default: [:]][ch.int8Class, default: 0] += 1
            involvement[ch.floatClass, default: 0] += 1
            involvement[ch.int8Class, default: 0] += 1
        }
        let classes = Array(involvement.sorted { a, b in a.value != b.value ? a.value > b.value : a.key < b.key }
            .prefix(AccuracyReport.chartClassLimit / 2).map(\.key)).sorted()
        func label(_ k: Int) -> String { String((className(k).map { "\(k) \($0)" } ?? "\(k)").prefix(20)) }
        let cell = classes.count > 12 ? 24.0 : 36.0
        // Room for the rotated column labels (10 px text, 50°) and the row labels.
        let longest = Double(classes.map { label($0).count }.max() ?? 1)
        let left = 20 + 6 * longest, top = 24 + 6 * longest * 0.77
        var c = SVGChart(width: Swift.max(left + cell * Double(classes.count) + 40, 400), height: top + cell * Double(classes.count) + 30)
        guard !classes.isEmpty else {
            var empty = SVGChart(width: 400, height: 40)
            empty.text(4, 24, "no disagreements: int8 and float pick the same class on every image")
            return empty.svg(id: "chart-confusion", label: "confusion of the disagreements")
        }
        let peak = Double(moves.values.flatMap(\.values).max() ?? 1)
        c.text(left - 6, top - 8, "float ↓  int8 →", size: 10, anchor: "end", fill: "#666")
        for (j, k) in classes.enumerated() {
            c.text(left + cell * (Double(j) + 0.5) + 4, top - 6, label(k), size: 10, rotate: -50)
        }
        for (i, f) in classes.enumerated() {
            let yy = top + cell * Double(i)
            c.text(left - 6, yy + cell / 2 + 4, label(f), size: 10, anchor: "end")
            for (j, q) in classes.enumerated() {
                let xx = left + cell * Double(j)
                let count = moves[f]?[q] ?? 0
                if count == 0 {
                    c.rect(xx + 0.5, yy + 0.5, cell - 1, cell - 1, fill: i == j ? "#f0f0f0" : "#fafafa")
                    continue
                }
                let t = Double(count) / peak
                c.rect(xx + 0.5, yy + 0.5, cell - 1, cell - 1, fill: int8Color, title: "\(label(f)) → \(label(q)): \(count) images",
                       opacity: 0.15 + 0.85 * t)
                c.text(xx + cell / 2, yy + cell / 2 + 4, "\(count)", size: 10, anchor: "middle", fill: t > 0.6 ? "#fff" : "#222")
            }
        }
        let omitted = involvement.count - classes.count
        let note = omitted > 0 ? "<p class=\"muted\">\(involvement.count) classes take part; the \(classes.count) most involved are drawn.</p>\n" : ""
        return c.svg(id: "chart-confusion", label: "confusion of the disagreements") + note
    }

    /// Shown thumbnails are capped by the caller; the text says how many changed in total.
    private func thumbnailGrid(_ thumbnails: [Thumbnail]) -> String {
        guard !changed.isEmpty else { return "" }
        let byIndex = Dictionary(changed.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a })
        var s = "<h3 id=\"thumbnails\">Images whose class changed</h3>\n"
        s += "<p class=\"muted\">\(thumbnails.count) of \(changed.count) shown"
        s += thumbnails.count < changed.count ? " (the first in evaluation order)" : ""
        s += ". Caption: image index, true label, float class → int8 class.</p>\n<div class=\"grid\">\n"
        func label(_ k: Int) -> String { className(k) ?? "\(k)" }
        for t in thumbnails {
            guard let ch = byIndex[t.index] else { continue }
            let mark = ch.floatClass == ch.label ? "✗" : ch.int8Class == ch.label ? "✓" : "·"
            let title = "#\(ch.index)\(ch.file.map { " \($0)" } ?? ""): label \(label(ch.label)), float \(label(ch.floatClass)), int8 \(label(ch.int8Class))"
            s += "<figure title=\"\(esc(title))\"><img alt=\"image \(ch.index)\" src=\"data:image/png;base64,\(Data(t.png).base64EncodedString())\">"
            s += "<figcaption>#\(ch.index) \(esc(label(ch.label)))<br>\(esc(label(ch.floatClass))) → \(esc(label(ch.int8Class))) \(mark)</figcaption></figure>\n"
        }
        return s + "</div>\n<p class=\"muted\">✓ int8 right where float was wrong, ✗ int8 wrong where float was right, · both wrong.</p>\n"
    }

    private func changedTable() -> String {
        guard !changed.isEmpty else { return "" }
        func label(_ k: Int) -> String { className(k).map { "\(k) \($0)" } ?? "\(k)" }
        var s = "<details><summary>All \(changed.count) images whose class changed</summary>\n<table><tr><th class=\"n\">index</th>"
        s += changed.contains { $0.file != nil } ? "<th>file</th>" : ""
        s += "<th>label</th><th>float</th><th>int8</th></tr>\n"
        for ch in changed {
            s += "<tr><td class=\"n\">\(ch.index)</td>" + (ch.file.map { "<td>\(esc($0))</td>" } ?? (changed.contains { $0.file != nil } ? "<td></td>" : ""))
            s += "<td>\(esc(label(ch.label)))</td><td>\(esc(label(ch.floatClass)))</td><td>\(esc(label(ch.int8Class)))</td></tr>\n"
        }
        return s + "</table></details>\n"
    }

    private func histogramChart(_ hist: ActivationHistogram, layer: LayerError?) -> String {
        var c = SVGChart(width: 260, height: 124)
        let (left, top, plotW, plotH) = (6.0, 30.0, 248.0, 78.0)
        let span = hist.hi - hist.lo
        func x(_ v: Double) -> Double { left + plotW * (span > 0 ? (v - hist.lo) / span : 0.5) }
        let title = layer.map { "\($0.name) (\($0.op))" } ?? "value \(hist.valueId)"
        c.text(left, 12, String(title.prefix(44)), size: 10, bold: true)
        // Saturating areas.
        if hist.floatMin < hist.gridMin { c.rect(x(hist.lo), top, x(hist.gridMin) - x(hist.lo), plotH, fill: badColor, opacity: 0.12) }
        if hist.floatMax > hist.gridMax { c.rect(x(hist.gridMax), top, x(hist.hi) - x(hist.gridMax), plotH, fill: badColor, opacity: 0.12) }
        let peak = log10(1 + Double(hist.counts.max() ?? 0))
        let dx = plotW / Double(Swift.max(hist.counts.count, 1))
        for (i, n) in hist.counts.enumerated() where n > 0 {
            let hgt = peak > 0 ? plotH * log10(1 + Double(n)) / peak : 0
            c.rect(left + dx * Double(i), top + plotH - hgt, Swift.max(dx - 0.3, 0.5), hgt, fill: floatColor)
        }
        c.line(left, top + plotH, left + plotW, top + plotH, stroke: "#999")
        for g in [hist.gridMin, hist.gridMax] { c.line(x(g), top - 2, x(g), top + plotH, stroke: int8Color, width: 1.5, dash: "4 2") }
        c.text(left, top + plotH + 13, Fmt.num(hist.lo), size: 9, fill: "#666")
        c.text(left + plotW, top + plotH + 13, Fmt.num(hist.hi), size: 9, anchor: "end", fill: "#666")
        var sub = "int8 [\(Fmt.num(hist.gridMin)), \(Fmt.num(hist.gridMax))]"
        if let l = layer { sub += " · \(Fmt.dB(l.sqnrDB)) dB" + (l.clippedFraction > 0 ? " · \(Fmt.share(l.clippedFraction)) clipped" : "") }
        c.text(left, 24, sub, size: 9, fill: int8Color)
        let tip = "\(title): float [\(Fmt.num(hist.floatMin)), \(Fmt.num(hist.floatMax))], int8 grid [\(Fmt.num(hist.gridMin)), \(Fmt.num(hist.gridMax))]"
        return "<div class=\"hist\" title=\"\(esc(tip))\">" + c.svg(id: "hist-\(hist.valueId)", label: title) + "</div>\n"
    }

    private func settingsSection() -> String {
        var s = "<h2>Settings and reproducibility</h2>\n<table>\n"
        func row(_ k: String, _ v: String) { s += "<tr><th>\(esc(k))</th><td>\(v)</td></tr>\n" }
        if let c = calibration {
            row("calibration", esc("\(c.method)\(c.percentile.map { " (\(Fmt.num($0))th percentile)" } ?? ""), \(c.images) images from ") + "<code>\(esc(c.source))</code>")
            row("activation equalization", (c.equalizedPairs.map { "on, \($0) convolution → depthwise pairs" } ?? "off"))
            row("range search", c.rangeSearchImages.map { "on, \($0) calibration images" } ?? "off")
            row("bias correction", c.biasCorrection ? "on, layer by layer" : "off")
            row("per-layer error measured on", "\(c.layerErrorImages) calibration images")
        } else {
            row("calibration", esc("\(calibrationMethod), \(calibrationImages) images"))
        }
        if let r = run {
            row("command line", "<code>" + esc(r.commandLine.joined(separator: " ")) + "</code>")
            row("tool", esc("\(r.toolVersion), commit \(r.gitCommit)"))
            for d in r.inputs {
                row("SHA-256 " + d.path, "<code>\(d.sha256)</code> <span class=\"muted\">(\(d.files) file\(d.files == 1 ? "" : "s"), \(d.bytes) bytes; \(esc(d.how)))</span>")
            }
        }
        s += "</table>\n"
        if !settings.isEmpty {
            s += "<h3>Model and preprocessing</h3>\n<p class=\"muted\">x = (pixel / 255 − mean) / std. Where each setting came from: "
            s += "a flag, the checkpoint's metadata or tensors, or a <b>convention</b> (a guess: check it, or give the flag).</p>\n"
            s += "<table id=\"model-settings\"><tr><th>setting</th><th>value</th><th>from</th></tr>\n"
            for m in settings {
                s += "<tr><td>\(esc(m.name))</td><td>\(esc(m.value))</td><td>\(m.isConvention ? "<b>\(esc(m.source))</b>" : esc(m.source))</td></tr>\n"
            }
            s += "</table>\n"
        }
        return s
    }

    // MARK: - Axes

    private func axes(_ c: inout SVGChart, left: Double, top: Double, plotW: Double, plotH: Double,
                      yMin: Double, yMax: Double, step: Double, unit: String) {
        var v = yMin
        while v <= yMax + step * 1e-9 {
            let y = top + plotH * (1 - (v - yMin) / (yMax - yMin))
            c.line(left, y, left + plotW, y, stroke: "#eee")
            c.text(left - 6, y + 4, Fmt.num(v), size: 10, anchor: "end", fill: "#666")
            v += step
        }
        c.text(12, top + plotH / 2, unit, size: 10, anchor: "middle", fill: "#666", rotate: -90)
        c.line(left, top, left, top + plotH, stroke: "#999")
        c.line(left, top + plotH, left + plotW, top + plotH, stroke: "#999")
    }

    /// Layer numbers under the x axis, every 10th (every 5th for short networks).
    private func xTicks(_ c: inout SVGChart, left: Double, dx: Double, count: Int, baseline: Double) {
        let every = count > 60 ? 10 : count > 20 ? 5 : 1
        for i in stride(from: 0, to: count, by: every) {
            c.line(left + dx * (Double(i) + 0.5), baseline, left + dx * (Double(i) + 0.5), baseline + 4, stroke: "#999")
            c.text(left + dx * (Double(i) + 0.5), baseline + 15, "\(i)", size: 10, anchor: "middle", fill: "#666")
        }
        c.text(left + dx * Double(count) / 2, baseline + 28, "layer (network order)", size: 10, anchor: "middle", fill: "#666")
    }
}
