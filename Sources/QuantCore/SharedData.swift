import Foundation

/// Where the shared checkpoints and data sets live: `$INT8_SHARED` if set, else `../shared`
/// beside the package (tests and benchmarks run from the package root).
public enum SharedData {
    public static var root: String {
        if let env = ProcessInfo.processInfo.environment["INT8_SHARED"], !env.isEmpty { return env }
        return FileManager.default.currentDirectoryPath + "/../shared"
    }
    /// `root/relative`.
    public static func path(_ relative: String) -> String { root + "/" + relative }
}
