import Foundation
import QuantCore

extension AccuracyReport {
    /// `report.json`: pretty-printed, keys sorted (stable diffs). A non-finite number (an SQNR of
    /// an exactly matching layer) is written as the string "inf", "-inf" or "nan".
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }

    /// Reads a report written by `json()`; `file` names it in the error.
    public static func decode(_ data: Data, file: String = "report.json") throws -> AccuracyReport {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do {
            return try decoder.decode(AccuracyReport.self, from: data)
        } catch {
            throw ToolkitError(file, "not a valid accuracy report: \(error)")
        }
    }
}
