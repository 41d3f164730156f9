import Foundation
import QuantCore

/// Minimal flag parser: `--name value`, `--flag`, and positionals. Unknown flags are errors.
struct Arguments {
    var positionals: [String] = []
    var values: [String: String] = [:]
    var flags: Set<String> = []

    /// `valued`: flags that take a value; `switches`: flags that do not.
    init(_ args: [String], valued: Set<String>, switches: Set<String> = []) throws {
        var i = 0
        while i < args.count {
            let a = args[i]
            if a.hasPrefix("--") {
                var name = String(a.dropFirst(2))
                var value: String? = nil
                if let eq = name.firstIndex(of: "=") {
                    value = String(name[name.index(after: eq)...]); name = String(name[..<eq])
                }
                if switches.contains(name) || name == "help" {
                    flags.insert(name)
                } else if valued.contains(name) {
                    if value == nil {
                        guard i + 1 < args.count else { throw ToolkitError("--\(name)", "needs a value") }
                        i += 1; value = args[i]
                    }
                    values[name] = value
                } else {
                    throw ToolkitError("--\(name)", "unknown option (see --help)")
                }
            } else if a == "-h" {
                flags.insert("help")
            } else {
                positionals.append(a)
            }
            i += 1
        }
    }

    func int(_ name: String) throws -> Int? {
        guard let v = values[name] else { return nil }
        guard let n = Int(v), n > 0 else { throw ToolkitError("--\(name)", "expected a positive whole number, got '\(v)'") }
        return n
    }

    func floats(_ name: String) throws -> [Float]? {
        guard let v = values[name] else { return nil }
        let parts = v.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else {
            throw ToolkitError("--\(name)", "expected comma-separated numbers, got '\(v)'")
        }
        return parts.map { $0! }
    }
}
