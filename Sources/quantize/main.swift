import Foundation
import QuantCore
import ModelIO
import ImageIO
import Models
import Calibration
import Export
import Pipeline
import Fit

let mainHelp = """
usage: quantize MODEL [--calib PATH] [--weights FILE] [--eval PATH] [--out DIR] [--method M] [options]
       quantize --version
       quantize inspect FILE
       quantize eval-float MODEL [--weights FILE] --data PATH
       quantize export MODEL.q8 [--tflite] [--out DIR]
       quantize export MODEL.tflite [--out DIR]

Quantizes a float CNN to an integer-only int8 model, reports what it lost against float, and
writes a flat blob + C header for the C runtime in Targets/, and the same model as model.tflite
for TensorFlow Lite Micro (same logits). `export MODEL.tflite` imports an int8 .tflite (the TFLite
converter's, or one written here) as blob, C header and memory.md.

MODEL is an architecture (v1, v2, v3small, v3large, shufflenet1, shufflenet2, effnet-lite0 … effnet-lite4, or the
full names mobilenet_v3_small, ...), a checkpoint file (.safetensors, .pth), an ONNX file (.onnx:
any CNN built from the supported ops; pass its --mean/--std, `quantize inspect F.onnx` lists what
maps to what) or a float32 .tflite (its input is the normalized NHWC image; pass its --mean/--std). With an architecture
name and no --weights, v3small uses the shipped Models/mobilenet_v3_small-fashion.safetensors and
evaluates on Evaluation/fashion-mnist.

  --calib PATH       calibration images: a folder of PNG/JPEG/PPM images (or one sub-folder per
                     class), a CIFAR-10 .bin batch, an IDX file (.gz too) or an NPY array
                     (default: Calibration/)
  --weights FILE     the float checkpoint
  --eval PATH        labelled evaluation images (same formats); float vs int8 is measured on it
                     (default for the shipped model: Evaluation/fashion-mnist)
  --out DIR          where model.q8, model_data.h/.c, report.md, report.json, report.html and memory.md
                     go (default: out/NAME)
  --method M         calibration observer: minmax, percentile, mse, entropy (default: percentile, 99.99th; see README)
  --no-range-search  keep the observer's ranges (default: refine each against the float logits)
  --no-equalization  keep each channel's scale (default: before a depthwise conv, scale channels by
                     powers of two so each spans more than half of the activation's int8 range)
  --target PART      fit a microcontroller: nRF52840, STM32F412, RP2040, STM32F746, ESP32-S3, STM32H743
                     (its flash and largest contiguous SRAM; Docs/TARGETS.md gives the figures and sources)
  --flash BYTES      flash the blob shares with the firmware (K = 1024, M = 1024²: 1M, 2M, 900000);
                     when the all-int8 blob is larger than the flash minus the firmware reserve, the
                     layers that cost the least accuracy per byte get int4 weights until it fits
  --sram BYTES       contiguous SRAM for the model's RAM (arena + scratch + input + output), e.g. 256K;
                     when it does not fit layer by layer, depthwise layers in place and patch-based
                     stages (same logits, more MACs) as the planner chooses
  --flash-reserve BYTES  flash kept for the firmware (default 150K): the blob may use --flash minus this
                     A budget that cannot be met is an error saying by how much and what would fit;
                     without --target/--flash/--sram nothing changes.
  --calib-limit N    use the first N calibration images       --eval-limit N   first N evaluation images
  --threads N        worker threads (default: 2)              --quiet          no progress lines
  --classes N --in-channels N --input-size N --stem-stride N --width MULT --groups N
  --mean A,B,C --std A,B,C   override what the checkpoint's metadata or shapes say
  --prefix P         remove this tensor-name prefix (`module.`, `state_dict.`; '' for none); by
                     default wrappers and prefixes around a known layout are found and removed

Labelled evaluation data (--eval; calibration needs no labels) comes in one of these layouts:
  DIR/CLASS/IMAGE    one sub-folder per class, named after the class (README, "Evaluation data",
                     says how folders are matched to the model's classes)
  DIR/IMAGE + DIR/labels.csv
                     labels.csv has a header row with at least the columns file,label: file is the
                     image's name in DIR, label the class index (0-based); an optional name column
                     gives the class names
  FILE.bin           a CIFAR-10 binary batch (labels inside; class names from batches.meta.txt)
  IDX images file    (.gz too) with its *labels-idx1-ubyte[.gz] file beside it (class names from
                     classes.txt beside it, one per line)
  FILE.npy           images only: no labels, so usable for calibration
"""

/// Where the shipped default model and data live (relative to the package root).
let defaultWeights = "Models/mobilenet_v3_small-fashion.safetensors"
let defaultEval = "Evaluation/fashion-mnist/t10k-images-idx3-ubyte.gz"
let modelFlags: Set<String> = ["weights", "classes", "in-channels", "input-size", "stem-stride", "width", "groups", "mean", "std", "prefix"]

/// Log lines go straight to standard output (unbuffered, so they interleave with the progress lines).
func log(_ s: String) { FileHandle.standardOutput.write(Data((s + "\n").utf8)) }

/// Resolves MODEL (+ --weights and overrides) into a checkpoint path and model options.
func modelSpec(_ model: String, _ args: Arguments) throws -> (weights: String, options: ModelOptions, isDefault: Bool) {
    var options = ModelOptions()
    options.numClasses = try args.int("classes")
    options.inChannels = try args.int("in-channels")
    options.inputSize = try args.int("input-size")
    options.stemStride = try args.int("stem-stride")
    options.groups = try args.int("groups")
    options.mean = try args.floats("mean")
    options.std = try args.floats("std")
    options.prefix = args.values["prefix"]
    if let w = args.values["width"] {
        guard let m = Double(w), m > 0 else { throw ToolkitError("--width", "expected a positive number, got '\(w)'") }
        options.widthMult = m
    }
    if let arch = canonicalArch(model) {
        options.arch = arch
        if let w = args.values["weights"] { return (w, options, false) }
        guard arch == "mobilenet_v3_small" else {
            throw ToolkitError(model, "no default checkpoint is shipped for \(arch): pass --weights FILE")
        }
        return (defaultWeights, options, true)
    }
    guard FileManager.default.fileExists(atPath: model) else {
        throw ToolkitError(model, "neither a known architecture (v1, v2, v3small, v3large, shufflenet1, shufflenet2, effnet-lite0 … effnet-lite4) nor an existing checkpoint file")
    }
    return (model, options, false)
}

func runMain(_ argv: [String]) throws {
    let args = try Arguments(argv, valued: modelFlags.union(["calib", "eval", "out", "method", "calib-limit", "eval-limit", "threads",
                                                                       "target", "flash", "sram", "flash-reserve"]),
                             switches: ["quiet", "no-range-search", "no-equalization"])
    if args.flags.contains("help") || args.positionals.isEmpty { print(mainHelp); return }
    guard args.positionals.count == 1 else { throw ToolkitError(args.positionals.joined(separator: " "), "expected one MODEL (see --help)") }
    let budget = try Budget.parse(target: args.values["target"], flash: args.values["flash"], sram: args.values["sram"],
                                  flashReserve: args.values["flash-reserve"])
    let spec = try modelSpec(args.positionals[0], args)
    let name = URL(fileURLWithPath: spec.weights).deletingPathExtension().lastPathComponent
    guard let eval = args.values["eval"] ?? (spec.isDefault ? defaultEval : nil) else {
        throw ToolkitError(spec.weights, "pass --eval PATH: labelled images to measure float vs int8 accuracy on")
    }
    var config = QuantizeConfig(weights: spec.weights, modelOptions: spec.options,
                                calib: args.values["calib"] ?? "Calibration", eval: eval,
                                outDir: args.values["out"] ?? "out/\(name)")
    if let m = args.values["method"] {
        guard let method = CalibrationMethod(rawValue: m) else {
            throw ToolkitError("--method", "unknown calibration method '\(m)' (minmax, percentile, mse, entropy)")
        }
        config.method = method
    }
    config.rangeSearch = !args.flags.contains("no-range-search")
    config.equalize = !args.flags.contains("no-equalization")
    config.calibLimit = try args.int("calib-limit")
    config.evalLimit = try args.int("eval-limit")
    config.threads = try args.int("threads") ?? 2
    config.progress = !args.flags.contains("quiet")
    config.commandLine = CommandLine.arguments
    config.budget = budget
    let result = try runQuantize(config, log: log)
    print("")
    print(result.report.consoleTable())
    print("")
    print(String(format: "int8 model: %d bytes of blob, %d bytes of activation arena (see memory.md)", result.blob.count, result.plan.arenaBytes))
    if let fit = result.fit { for line in fit.consoleLines() { print(line) } }
    print("wrote:")
    for f in result.files { print("  \(f)") }
    if let problem = result.tfliteProblem { print("note: model.tflite not written: \(problem)") }
}

func runInspect(_ argv: [String]) throws {
    let args = try Arguments(argv, valued: modelFlags)
    if args.flags.contains("help") || args.positionals.count != 1 {
        print("usage: quantize inspect FILE\n\nA checkpoint (.safetensors/.pth): its tensors, metadata, totals and the graph built from it.\nAn ONNX file (.onnx): its op types, what each becomes (or why it is unsupported), the imported graph.\nA TFLite file (.tflite): its op table, operators, tensors and their quantization; then an int8 file's imported model and memory plan, or a float32 file's imported graph.\nA data set (folder, .bin, IDX, .npy, image): count, size, channels, label histogram.\nA quantized model (.q8): its ops and memory plan.")
        return
    }
    let path = args.positionals[0]
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw ToolkitError(path, "no such file or folder") }
    if path.hasSuffix(".q8") {
        let bytes = try readFileBytes(path)
        let model = try readBlob(bytes, path: path)
        print(modelSummary(model))
        if !model.metadata.isEmpty {
            print("metadata:")
            for key in model.metadata.keys.sorted() { print("  \(key) = \(model.metadata[key] ?? "")") }
        }
        print(planMemory(model).report())
        return
    }
    // The first bytes tell the formats apart (read once; nil for a folder, empty for an empty or
    // unreadable file, which the extension then names).
    let head = isDir.boolValue ? nil : (try? FileHandle(forReadingFrom: URL(fileURLWithPath: path)).read(upToCount: 8)) ?? Data()
    if !isDir.boolValue, path.hasSuffix(".tflite") || looksLikeTFLite(head.map(Array.init) ?? []) {
        let file = try loadTFLite(path)
        print(file.summary(path: path))
        print("")
        if isFloatTFLite(file) {  // a float model: the graph the main command calibrates
            let graph = try importFloatTFLite(file, path: path, name: tfliteModelName(path), options: try modelSpec(path, args).options)
            print("a float32 model: \(floatTFLiteAdvice(path))")
            for note in graph.notes { print(note) }
            print(graph.summary())
            return
        }
        do {
            let model = try importTFLite(file, path: path, name: tfliteModelName(path))
            print("imports as an int8 model of \(model.nodes.count) ops (`quantize export \(path)` writes its blob, C header and memory.md);")
            print("its input is the file's own int8 tensor: q = round(x / \(Float(model.input.scale))) + \(model.input.zeroPoint) of the normalized image x")
            print(planMemory(model).report())
        } catch {
            print("not importable: \(error)")
        }
        return
    }
    if !isDir.boolValue, isONNXFile(path) {
        try inspectONNX(path, options: try modelSpec(path, args).options)
        return
    }
    if let head, isCheckpoint(path, head) {
        let checkpoint = try loadCheckpoint(path)
        print(checkpoint.summary())
        let options = try modelSpec(path, args).options
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        do {
            let graph = try buildGraph(checkpoint, name: name, options: options)
            for note in graph.notes { print(note) }
            print(graph.summary())
        } catch {
            print("graph: not built: \(error)")
        }
        return
    }
    print(try loadImageSet(path).summary())
}

/// Checkpoints are recognised by extension or by the zip / pickle magic.
func isCheckpoint(_ path: String, _ head: Data) -> Bool {
    if path.hasSuffix(".safetensors") || path.hasSuffix(".pth") || path.hasSuffix(".pt") { return true }
    return head.starts(with: [0x50, 0x4b, 0x03, 0x04]) || head.first == 0x80
}

/// What to do with a float32 `.tflite` at `path` (`inspect` and `export` say it): the main
/// command calibrates and converts it.
func floatTFLiteAdvice(_ path: String) -> String {
    "`quantize \(path) --calib DIR --eval DIR --mean … --std …` calibrates and converts it"
}

func runEvalFloat(_ argv: [String]) throws {
    let args = try Arguments(argv, valued: modelFlags.union(["data", "limit", "threads"]), switches: ["quiet"])
    guard !args.flags.contains("help"), args.positionals.count == 1, let data = args.values["data"] else {
        print("usage: quantize eval-float MODEL [--weights FILE] --data PATH [--limit N] [--threads N]\n\nRuns the float model (the ground truth) and prints top-1 / top-5 on labelled images.")
        return
    }
    let spec = try modelSpec(args.positionals[0], args)
    let graph = try loadGraph(weights: spec.weights, options: spec.options)
    for note in graph.notes { print(note) }
    for s in graph.settings { print("  \(s.line)") }
    let images = try loadImages(data, for: graph, limit: try args.int("limit"), progress: !args.flags.contains("quiet"))
    for note in images.notes { print("note: \(note)") }
    try requireLabels(images, path: data)
    for w in dataWarnings(images, graph: graph, role: "evaluation") { print("warning: \(w)") }
    let result = evaluateFloat(graph, images: images, threads: try args.int("threads") ?? 2, progress: !args.flags.contains("quiet"))
    print(String(format: "%@ on %@: top-1 %.2f%%, top-5 %.2f%% (%d images, %.1f images/s)",
                 graph.name, data, result.top1, result.top5, images.count, result.imagesPerSecond))
    if let w = chanceWarning(floatTop1: result.top1, classes: graph.numClasses) { print("warning: \(w)") }
}

func runExport(_ argv: [String]) throws {
    let args = try Arguments(argv, valued: ["out"], switches: ["tflite"])
    guard !args.flags.contains("help"), args.positionals.count == 1 else {
        print("usage: quantize export MODEL.q8 [--tflite] [--out DIR]\n       quantize export MODEL.tflite [--out DIR]\n\nWrites model_data.h / model_data.c (the blob as an aligned const array) and memory.md for a quantized model;\nwith --tflite also model.tflite, the same model for TensorFlow Lite Micro (an error when an op has no exact TFLite form).\nAn int8 .tflite (the TFLite converter's, or one this tool wrote) is imported: model.q8, model_data.h/.c and memory.md\n(a converter's file keeps its own int8 input quantization; a file this tool wrote imports back as the same model).")
        return
    }
    let path = args.positionals[0]
    let fileBytes = try readFileBytes(path)
    let isTFLite = path.hasSuffix(".tflite") || looksLikeTFLite(Array(fileBytes.prefix(8)))
    // A .tflite is imported (a converter's keeps its own input quantization; ours is the model it was written from).
    let tflite = isTFLite ? try parseTFLite(fileBytes, path: path) : nil
    if let tflite, isFloatTFLite(tflite) {
        throw ToolkitError(path, "a float32 model is not quantized yet: \(floatTFLiteAdvice(path)) (export takes int8 .tflite files and .q8 blobs)")
    }
    let model = try tflite.map { try importTFLite($0, path: path, name: tfliteModelName(path)) } ?? readBlob(fileBytes, path: path)
    // The blob as this writer writes the model: the file's own bytes for a blob it wrote; a blob of an
    // earlier version-4 writer (before UNIFORM_1X1 records) comes out re-encoded, so that
    // model_data.c, its header's arena size and memory.md describe the same bytes.
    let bytes = try writeBlob(model)
    if !isTFLite && bytes != fileBytes {
        print("note: \(path): re-encoded by this writer, \(fileBytes.count) → \(bytes.count) bytes (the same model and logits)")
    }
    let out = args.values["out"] ?? URL(fileURLWithPath: path).deletingLastPathComponent().path
    try checkOutputFolder(out)
    let c = cHeaderSource(bytes, symbol: cSymbol(model.name), model: model)
    let plan = planMemory(model)
    var outputs = [("model_data.h", Data(c.header.utf8)), ("model_data.c", Data(c.source.utf8)), ("memory.md", Data(plan.report(model: model.name).utf8))]
    if isTFLite { outputs.insert(("model.q8", Data(bytes)), at: 0) }
    if args.flags.contains("tflite") {
        do {
            outputs.append(("model.tflite", Data(try writeTFLite(model))))
        } catch let e as ToolkitError {
            throw ToolkitError(path, e.message)
        }
    }
    for p in try writeOutputFiles(outputs, to: out) { print("wrote \(p)") }
}

let argv = Array(CommandLine.arguments.dropFirst())
do {
    switch argv.first {
    case "--version", "version":
        print("quantize \(toolkitVersion), git commit \(gitCommit())")
    case "inspect": try runInspect(Array(argv.dropFirst()))
    case "eval-float": try runEvalFloat(Array(argv.dropFirst()))
    case "export": try runExport(Array(argv.dropFirst()))
    default: try runMain(argv)
    }
} catch let error as ToolkitError {
    FileHandle.standardError.write("error: \(error)\n".data(using: .utf8)!)
    exit(1)
} catch {
    FileHandle.standardError.write("error: \(error)\n".data(using: .utf8)!)
    exit(1)
}

