import Foundation

/// Number formatting shared by the Markdown and console renderings.
enum Fmt {
    /// A percentage with two decimals, e.g. `92.83%`.
    static func pct(_ x: Double) -> String { String(format: "%.2f%%", x) }
    /// A signed difference in percentage points, e.g. `-0.13`.
    static func delta(_ x: Double) -> String { String(format: "%+.2f", x) }
    /// A dB figure with one decimal, `exact` for +infinity.
    static func dB(_ x: Double) -> String {
        if x == .infinity { return "exact" }
        if x == -.infinity { return "-inf" }
        return String(format: "%.1f", x)
    }
    /// A real number with 4 significant digits.
    static func num(_ x: Double) -> String { String(format: "%.4g", x) }
    /// A fraction as a percentage with up to 3 decimals (`0` when none).
    static func share(_ x: Double) -> String { x == 0 ? "0" : String(format: "%.3f%%", 100 * x) }
}
