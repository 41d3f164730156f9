import Foundation
import XCTest

/// Runs the built `quantize` executable (the one beside the test bundle, so `swift test` and
/// `swift test -c release` each test their own build) from the package root.
enum CLI {
    /// The `quantize` executable of the configuration under test.
    static var executable: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments.first { $0.hasSuffix(".xctest") } ?? CommandLine.arguments[0])
        return bundle.deletingLastPathComponent().appendingPathComponent("quantize").path
    }

    struct Output {
        var status: Int32
        /// Whether the process was ended by a signal (then `status` is the signal number).
        var signalled: Bool
        var stdout: String
        var stderr: String
        /// stdout and stderr together.
        var text: String { stdout + stderr }
    }

    /// Runs `quantize args`; `whileRunning` is called once the process has started (to interrupt it, say).
    static func run(_ args: [String], whileRunning: ((Process) -> Void)? = nil) throws -> Output {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw XCTSkip("\(executable) is not built")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let outData = DataBox(), errData = DataBox()
        let group = DispatchGroup()
        for (pipe, box) in [(out, outData), (err, errData)] {
            group.enter()
            DispatchQueue.global().async {
                box.data = pipe.fileHandleForReading.readDataToEndOfFile()
                group.leave()
            }
        }
        try p.run()
        whileRunning?(p)
        p.waitUntilExit()
        group.wait()
        return Output(status: p.terminationStatus, signalled: p.terminationReason == .uncaughtSignal,
                      stdout: String(decoding: outData.data, as: UTF8.self), stderr: String(decoding: errData.data, as: UTF8.self))
    }

    /// A fresh empty folder under the temporary directory.
    static func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "q8-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}

final class DataBox: @unchecked Sendable { var data = Data() }
