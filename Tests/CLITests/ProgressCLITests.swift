import Foundation
import XCTest

/// Every long phase of the main command shows a progress line on standard error; `--quiet`
/// silences them all (results and warnings still go to standard output).
final class ProgressCLITests: XCTestCase {
    func run(_ extra: [String]) throws -> CLI.Output {
        let out = try CLI.tempDir() + "/out"
        let data = try Fixtures.cifarClassFolders(["cat", "dog", "ship"])
        let r = try CLI.run([Fixtures.shared + "/models/mobilenet_v1_025-cifar10.safetensors", "--calib", data, "--eval", data,
                             "--out", out] + extra)
        XCTAssertEqual(r.status, 0, r.text)
        return r
    }

    func testEveryPhaseHasAProgressLine() throws {
        let r = try run([])
        // Each line ends at its total (the last update of a line is always printed).
        for phase in ["reading images: 30/30 images", "calibrating: 30/30 images", "range search setup: 60/60 images", "range search: ", "bias correction: 28/28 layers",
                      "layer errors: 30/30 images", "float eval: 30/30 images", "int8 eval: 30/30 images", "reports and files: 4/4 steps"] {
            XCTAssertTrue(r.stderr.contains(phase), "no '\(phase)' progress in: \(r.stderr)")
        }
    }

    func testQuietSilencesProgress() throws {
        let r = try run(["--quiet"])
        XCTAssertEqual(r.stderr, "")
        XCTAssertTrue(r.stdout.contains("agreement"), r.stdout)
    }
}
