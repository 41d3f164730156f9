/// The one error type of the toolkit: every failure names the file (or object) it is about and
/// says what is wrong, so the command line can print it and exit non-zero.
public struct ToolkitError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file, folder or model element the error is about.
    public var file: String
    /// What is wrong, in plain words.
    public var message: String

    public init(_ file: String, _ message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}
