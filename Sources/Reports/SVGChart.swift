import Foundation

/// A tiny SVG writer for the charts of `report.html`: a fixed-size drawing (scaled to the page
/// width by its `viewBox`) built from rectangles, lines, polylines and text. Every string placed in
/// it is escaped. Hover titles (`<title>`) need no script.
struct SVGChart {
    let width: Double, height: Double
    private var body = ""

    init(width: Double, height: Double) { self.width = width; self.height = height }

    /// The finished element; `id` is the chart's element id (what the browser check looks for).
    func svg(id: String, label: String) -> String {
        "<svg id=\"\(esc(id))\" class=\"chart\" viewBox=\"0 0 \(n(width)) \(n(height))\" width=\"\(n(width))\" "
            + "height=\"\(n(height))\" role=\"img\" aria-label=\"\(esc(label))\" xmlns=\"http://www.w3.org/2000/svg\">\n"
            + body + "</svg>\n"
    }

    mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, title: String? = nil, opacity: Double = 1) {
        let op = opacity < 1 ? " fill-opacity=\"\(n(opacity))\"" : ""
        let open = "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(Swift.max(w, 0)))\" height=\"\(n(Swift.max(h, 0)))\" fill=\"\(fill)\"\(op)"
        body += title.map { open + "><title>\(esc($0))</title></rect>\n" } ?? open + "/>\n"
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width w: Double = 1, dash: String? = nil) {
        let d = dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
        body += "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(n(w))\"\(d)/>\n"
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, width w: Double = 1.5) {
        guard points.count > 1 else { return }
        let p = points.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ")
        body += "<polyline points=\"\(p)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(n(w))\"/>\n"
    }

    mutating func circle(_ x: Double, _ y: Double, r: Double, fill: String, stroke: String? = nil, title: String? = nil) {
        let s = stroke.map { " stroke=\"\($0)\" stroke-width=\"1.5\"" } ?? ""
        let open = "<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"\(n(r))\" fill=\"\(fill)\"\(s)"
        body += title.map { open + "><title>\(esc($0))</title></circle>\n" } ?? open + "/>\n"
    }

    /// Text at (x, y); `anchor` start / middle / end; `rotate` in degrees around (x, y).
    mutating func text(_ x: Double, _ y: Double, _ s: String, size: Double = 11, anchor: String = "start",
                       fill: String = "#333", rotate: Double = 0, bold: Bool = false) {
        let r = rotate != 0 ? " transform=\"rotate(\(n(rotate)) \(n(x)) \(n(y)))\"" : ""
        let b = bold ? " font-weight=\"bold\"" : ""
        body += "<text x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(n(size))\" text-anchor=\"\(anchor)\" fill=\"\(fill)\"\(b)\(r)>\(esc(s))</text>\n"
    }

    /// A number for an attribute: at most two decimals, no exponent.
    private func n(_ x: Double) -> String {
        let r = (x * 100).rounded() / 100
        return r == r.rounded() ? String(Int(r)) : String(format: "%.2f", r)
    }
}

/// `s` escaped for HTML text and attribute values.
func esc(_ s: String) -> String {
    var out = ""
    for c in s {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(c)
        }
    }
    return out
}

/// "Nice" axis steps: the smallest of 1, 2, 5 × 10^k that splits `span` into at most `ticks` parts.
func niceStep(_ span: Double, ticks: Int) -> Double {
    guard span > 0, span.isFinite else { return 1 }
    let raw = span / Double(Swift.max(ticks, 1))
    let base = pow(10, floor(log10(raw)))
    for m in [1.0, 2, 5, 10] where m * base >= raw { return m * base }
    return 10 * base
}
