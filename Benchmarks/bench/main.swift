import Foundation
import Calibration

// `swift run -c release bench sram MODEL.q8 [--sram BYTES | --arena BYTES] [--without-in-place] [--data IMAGES] [--count N] [--out FILE.q8]`
// `swift run -c release bench [accuracy|speed|float|int|int4|io|all] [--flash BYTES] [--out DIR] [--models a,b] [--method M] [--percentile P] [--no-bias-correction] [--no-range-search] [--no-equalization]
//   [--calib-limit N] [--eval-limit N]`
// Prints figures, with peers measured in the same run where the figure is a ratio.
let args = Array(CommandLine.arguments.dropFirst())
var biasCorrection = true, rangeSearch = true, equalize = true, percentile = 99.99
var flashBudget = 900_000
var outDir: String? = nil
var sramBudget = 320 << 10, arenaBudget: Int? = nil, withoutInPlace = false, dataPath: String? = nil, imageCount = 64, files: [String] = []
var what = "all", models: [String] = [], method = CalibrationMethod.percentile, calibLimit: Int? = nil, evalLimit: Int? = nil
var i = 0
while i < args.count {
    let a = args[i]
    func next() -> String { i += 1; return i < args.count ? args[i] : "" }
    switch a {
    case "--models": models = next().split(separator: ",").map(String.init)
    case "--method": method = CalibrationMethod(rawValue: next()) ?? method
    case "--calib-limit": calibLimit = Int(next())
    case "--eval-limit": evalLimit = Int(next())
    case "--percentile": percentile = Double(next()) ?? percentile
    case "--no-bias-correction": biasCorrection = false
    case "--no-range-search": rangeSearch = false
    case "--no-equalization": equalize = false
    case "--flash": flashBudget = Int(next()) ?? flashBudget
    case "--out": outDir = next()
    case "--sram": sramBudget = Int(next()) ?? sramBudget
    case "--arena": arenaBudget = Int(next())
    case "--without-in-place": withoutInPlace = true
    case "--data": dataPath = next()
    case "--count": imageCount = Int(next()) ?? imageCount
    default:
        if a.hasPrefix("--") { usageError("unknown option `\(a)` (options: Benchmarks/README.md)") }
        if what == "sram" { files.append(a) } else { what = a }
    }
    i += 1
}
let commands = ["accuracy", "speed", "float", "int", "int4", "io", "sram", "all"]
guard commands.contains(what) else { usageError("unknown command `\(what)`; commands: \(commands.joined(separator: ", "))") }
if what == "sram" && files.isEmpty { usageError("sram needs one or more MODEL.q8 files") }
// A misspelt model name would otherwise leave a table without its row, or without any.
let knownModels = what == "float" ? floatBenchModelNames : benchModels.map(\.name)
let unknownModels = models.filter { !knownModels.contains($0) }
guard unknownModels.isEmpty else {
    usageError("unknown model \(unknownModels.joined(separator: ", ")); known: \(knownModels.joined(separator: ", "))")
}

/// Stops with `bench: MESSAGE` on standard error and exit status 2 (a command line that cannot run).
func usageError(_ message: String) -> Never {
    FileHandle.standardError.write(Data("bench: \(message)\n".utf8))
    exit(2)
}
do {
    if what == "io" || what == "all" { benchCheckpointLoad(); benchJPEGDecode() }
    if what == "accuracy" || what == "all" { try benchAccuracy(models: models, method: method, percentile: percentile, biasCorrection: biasCorrection, rangeSearch: rangeSearch, equalize: equalize, calibLimit: calibLimit, evalLimit: evalLimit) }
    if what == "speed" || what == "all" { benchSpeed(models: models) }
    if what == "float" { benchFloat(models: models) }
    if what == "int" { benchIntKernels() }
    if what == "sram" { for f in files { try benchSRAM(path: f, budget: sramBudget, arenaBudget: arenaBudget, data: dataPath, count: imageCount, out: outDir, withoutInPlace: withoutInPlace) } }
    if what == "int4" { try benchInt4(models: models, flashBudget: flashBudget, method: method, percentile: percentile, outDir: outDir) }
} catch {
    print("bench failed: \(error)")
    exit(1)
}
