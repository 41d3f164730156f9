import QuantCore

/// The contents of a `labels.csv`: a header row naming at least the columns `file` and `label`
/// (other columns are ignored, except an optional `name` giving the class name of the label).
struct LabelsCSV {
    /// File name → label.
    var labels: [String: Int]
    /// Label → class name (from the `name` column; "" for labels it never names), or [] without one.
    var classNames: [String]

    init(path: String) throws {
        try self.init(bytes: readFileBytes(path), path: path)
    }

    /// Parses the contents of a labels file; `path` names it in errors.
    init(bytes: [UInt8], path: String) throws {
        let text = String(decoding: bytes, as: UTF8.self)
        var rows = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map { line -> [String] in
            parseCSVLine(String(line.hasSuffix("\r") ? line.dropLast() : line))
        }.filter { !($0.count == 1 && $0[0].isEmpty) }
        guard !rows.isEmpty else { throw ToolkitError(path, "labels file is empty") }
        let header = rows.removeFirst().map { $0.trimmingSpaces().lowercased() }
        guard let fileColumn = header.firstIndex(of: "file"), let labelColumn = header.firstIndex(of: "label") else {
            throw ToolkitError(path, "labels file needs a header row with columns file,label (found: \(header.joined(separator: ",")))")
        }
        let nameColumn = header.firstIndex(of: "name")
        labels = [:]
        var names: [Int: String] = [:]
        for (i, row) in rows.enumerated() {
            let line = i + 2
            guard row.count > max(fileColumn, labelColumn) else {
                throw ToolkitError(path, "line \(line) has \(row.count) columns, the header has \(header.count)")
            }
            let file = row[fileColumn].trimmingSpaces()
            guard let label = Int(row[labelColumn].trimmingSpaces()), label >= 0, label < 1_000_000 else {
                throw ToolkitError(path, "line \(line): label '\(row[labelColumn])' is not an integer from 0 to 999999")
            }
            guard labels[file] == nil else { throw ToolkitError(path, "line \(line): file \(file) is listed twice") }
            labels[file] = label
            if let n = nameColumn, n < row.count, names[label] == nil { names[label] = row[n].trimmingSpaces() }
        }
        let maxLabel = names.keys.max() ?? -1
        classNames = (0..<(maxLabel + 1)).map { names[$0] ?? "" }
    }
}

/// Splits one CSV line into fields; double-quoted fields may hold commas and doubled quotes.
func parseCSVLine(_ line: String) -> [String] {
    var fields: [String] = []
    var field = ""
    var quoted = false
    var chars = line.makeIterator()
    while let ch = chars.next() {
        if quoted {
            if ch == "\"" {
                var lookahead = chars
                if lookahead.next() == "\"" {
                    field.append("\"")
                    chars = lookahead
                } else {
                    quoted = false
                }
            } else {
                field.append(ch)
            }
        } else if ch == "\"" && field.isEmpty {
            quoted = true
        } else if ch == "," {
            fields.append(field)
            field = ""
        } else {
            field.append(ch)
        }
    }
    fields.append(field)
    return fields
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}

/// Parses the contents of a `labels.csv` (see `LabelsCSV`): file name → label, and label → class
/// name ([] without a `name` column). `path` names the file in errors.
public func readLabelsCSV(_ bytes: [UInt8], path: String) throws -> (labels: [String: Int], classNames: [String]) {
    let csv = try LabelsCSV(bytes: bytes, path: path)
    return (csv.labels, csv.classNames)
}
