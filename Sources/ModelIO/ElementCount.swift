import QuantCore

/// The product of a shape's dimensions, throwing on negative dimensions or overflow.
func elementCount(_ shape: [Int], _ file: String, _ what: String) throws -> Int {
    var n = 1
    for d in shape {
        guard d >= 0 else { throw ToolkitError(file, "\(what) has a negative dimension in shape \(shape)") }
        let (p, overflow) = n.multipliedReportingOverflow(by: d)
        guard !overflow else { throw ToolkitError(file, "\(what) has shape \(shape) whose element count overflows") }
        n = p
    }
    return n
}
