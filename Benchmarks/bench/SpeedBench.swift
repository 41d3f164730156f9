import Foundation
import QuantCore
import ImageIO
import Models
import Calibration
import FloatEngine
import IntEngine
import Export
import Pipeline
import Refine

/// The models `benchSpeed` measures when none are named.
private let speedDefaultModels = ["mobilenet_v3_small-cifar10", "mobilenet_v2-cifar10", "efficientnet_lite0-imagenet",
                                  "mobilenet_v3_small-fashion"]
/// Models whose instructions per inference are also counted on the emulated Cortex-M4.
private let speedM4Models: Set<String> = ["mobilenet_v3_small-fashion"]
/// Rounds per model; in each round every engine is timed once, one after the other, and every
/// figure is the median over the rounds, with its interquartile range.
private let speedRounds = 9
/// Wall time one timed pass (Swift) or one ORT call (its timed runs) aims at, in seconds.
private let speedPassSeconds = 1.0
/// Calibration images used before timing (the speed does not depend on calibration quality).
private let speedCalibImages = 50
/// Images the per-op breakdown runs in each round.
private let speedBreakdownImages = 100
/// Raw images the Cortex-M4 run counts instructions on.
private let speedM4Images = 4
/// Iterations of the host speed probe's scalar loop (`speedProbe`): about 1 ms at this host's full speed.
private let speedProbeIterations = 600_000
/// Runs of the vector probe's fixed model (`speedProbeModel`): about 1 ms at full speed.
private let speedProbeRuns = 20
/// Each probe is timed this many times in a row and counts with its fastest time, so a moment the
/// process waited for the CPU (2 cores, shared) does not count, a slow host does.
private let speedProbeRepeats = 5

/// Speed of the float and int8 engines beside ONNX Runtime, measured in one run, printed as
/// markdown tables: images/s on one and two threads, the ratios to ORT, the int8 time per op
/// type and, where the ARM tools are installed, Cortex-M4 instructions per inference and per MAC.
/// `models` empty: the default set (three models with ONNX peers and the Fashion-MNIST model).
public func benchSpeed(models: [String]) {
    fflush(nil)  // whatever other benchmarks printed comes first
    let names = models.isEmpty ? speedDefaultModels : models
    speedSay("## Speed (\(speedCPUModel()), \(ProcessInfo.processInfo.activeProcessorCount) cores, load average "
        + "\(speedLoadAverage()) at start)")
    speedSay("")
    speedSay("Int8 convolution kernels: \(IntEngine.kernelPath).")
    speedSay("")
    speedSay("Swift and ONNX Runtime are measured interleaved, model by model: \(speedRounds) rounds, each timing every engine "
        + "once in turn (about \(Int(speedPassSeconds)) s each), so all see the same machine load. Every figure is the median "
        + "over the rounds with its interquartile range in brackets (q1–q3); a ratio is the median (and quartiles) of the "
        + "rounds' ratios, each round's engines timed back to back. Int8 models are calibrated (min/max) on "
        + "\(speedCalibImages) calibration images; timed images are evaluation images. Images/s; 1T/2T = one/two threads; "
        + "ORT = ONNX Runtime (CPU provider, `../shared/tools/ort_bench.py`, batch 1).")
    speedSay("")
    speedSay("| model | MMACs/image | Swift float 1T | Swift float 2T | Swift int8 1T | Swift int8 2T | ORT float 1T | ORT int8 1T "
        + "| Swift int8 / ORT int8 | Swift int8 / Swift float | Swift int8 / ORT float | Swift float / ORT float |")
    speedSay("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    var latencyRows: [String] = []
    var breakdowns: [(String, [[SpeedOpTime]])] = []
    var probeRows: [String] = []
    // The vector probe's engine, made once (fixed model, fixed input).
    let probeEngine = try? IntEngine(model: speedProbeModel())
    var m4Rows: [String] = []
    var notes: [String] = []
    for name in names {
        guard let bench = benchModels.first(where: { $0.name == name }) else {
            notes.append("\(name): unknown model (known: \(benchModels.map(\.name).joined(separator: ", ")))")
            continue
        }
        do {
            let result = try speedMeasure(bench, probeEngine)
            speedSay(result.row)
            latencyRows.append(result.latencyRow)
            breakdowns.append((name, result.breakdown))
            probeRows.append(speedProbeRow(name, result.probe))
            if let m4 = result.m4 { m4Rows.append(m4) }
            notes += result.notes
        } catch {
            notes.append("\(name): \(error)")
        }
    }
    speedSay("")
    for note in notes { speedSay("- \(note)") }
    if !notes.isEmpty { speedSay("") }

    if !probeRows.isEmpty {
        speedSay("### Host speed probes, timed at the start of each round (ms)")
        speedSay("")
        speedSay("The same work every time, so their times show how fast this host ran during each round (a virtual host's "
            + "speed can vary several-fold over minutes). *Scalar*: a fixed integer loop (\(speedProbeIterations) dependent "
            + "multiply-xor-shift steps); *vector*: the int8 engine \(speedProbeRuns) times on a fixed synthetic 32×32×32 model "
            + "(1×1 conv, depthwise 3×3, 1×1 conv: the AVX-512 kernels). Each is timed \(speedProbeRepeats) times in a row and "
            + "counts with its fastest time, so waiting for the CPU (other processes) does not count, a slow host does; a "
            + "slowdown can hit one probe and not the other. Diagnostics only: no figure above or below is rescaled by them. "
            + "Median [q1–q3] and full range over the rounds, then each round's scalar / vector time in order.")
        speedSay("")
        speedSay("| model | scalar probe | scalar range | vector probe | vector range | per round (scalar / vector) |")
        speedSay("|---|---:|---:|---:|---:|---|")
        for row in probeRows { speedSay(row) }
        speedSay("")
    }

    if !latencyRows.isEmpty {
        speedSay("### One thread, ORT's statistic: 1 / median single-image latency (images/s)")
        speedSay("")
        speedSay("`ort_bench.py` reports 1000 / its median latency, which leaves out the moments the process waited for "
            + "the CPU; the throughput passes above are means and include them. Here Swift gets the same statistic, per "
            + "round over the images of its one-thread pass: the like-for-like comparison on a loaded machine. Median over the "
            + "rounds [q1–q3]; ratios per round.")
        speedSay("")
        speedSay("| model | Swift float 1T | Swift int8 1T | ORT float 1T | ORT int8 1T | Swift int8 / ORT int8 | Swift int8 / Swift float "
            + "| Swift int8 / ORT float | Swift float / ORT float |")
        speedSay("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for row in latencyRows { speedSay(row) }
        speedSay("")
    }

    for (name, rounds) in breakdowns {
        // Per op type: its µs/image and GMAC/s in each round, then the median [q1–q3] over the rounds.
        let kinds = rounds.first?.indices.filter { rounds[0][$0].nodes > 0 } ?? []
        let perRound = kinds.map { k in rounds.map { $0[k].microseconds } }
        let medians = perRound.map { speedQuantile($0, 0.5) }
        let total = medians.reduce(0, +)
        speedSay("### Int8 engine, one thread, time per op type: \(name) (per node the median over \(speedBreakdownImages) images "
            + "in each of \(rounds.count) rounds, interleaved with the rounds above; median [q1–q3] over the rounds; "
            + String(format: "%.0f", total) + " µs/image in all)")
        speedSay("")
        speedSay("| op type | nodes | share of time | µs/image | MMACs/image | GMAC/s |")
        speedSay("|---|---:|---:|---:|---:|---:|")
        for (j, k) in kinds.enumerated() {
            let op = rounds[0][k], us = perRound[j]
            let quartiles = String(format: "%.1f [%.1f–%.1f]", medians[j], speedQuantile(us, 0.25), speedQuantile(us, 0.75))
            var rate = "—", macs = "—"
            if op.macs > 0 {
                let r = us.map { Double(op.macs) / max($0, 1e-9) / 1e3 }
                rate = String(format: "%.2f [%.2f–%.2f]", speedQuantile(r, 0.5), speedQuantile(r, 0.25), speedQuantile(r, 0.75))
                macs = String(format: "%.3f", Double(op.macs) / 1e6)
            }
            speedSay("| \(op.kind.rawValue) | \(op.nodes) | " + String(format: "%.1f%%", 100 * medians[j] / max(total, 1e-9))
                + " | \(quartiles) | \(macs) | \(rate) |")
        }
        speedSay("")
    }

    if !m4Rows.isEmpty {
        speedSay("### Cortex-M4 (QEMU mps2-an386, `Targets/cortex-m4/count_instructions.sh`, \(speedM4Images) images)")
        speedSay("")
        speedSay("| model | instructions/inference | MACs/inference | instructions/MAC |")
        speedSay("|---|---:|---:|---:|")
        for row in m4Rows { speedSay(row) }
        speedSay("")
    }
    speedSay("Load average at the end: \(speedLoadAverage()).")
}

/// Everything measured for one model: its summary row, its row of the latency table, the per-op
/// breakdown, the Cortex-M4 row (nil when not asked for) and notes (load, spread, skipped peers).
private struct SpeedResult {
    var row: String
    var latencyRow: String
    var breakdown: [[SpeedOpTime]]
    var m4: String?
    var notes: [String]
    /// Seconds of the host speed probes (scalar, vector), once per round.
    var probe: [(scalar: Double, vector: Double)]
}

/// Loads, calibrates and converts one model, then times everything for it.
private func speedMeasure(_ bench: BenchModel, _ probeEngine: IntEngine?) throws -> SpeedResult {
    let name = bench.name
    speedProgress("\(name): loading and calibrating on \(speedCalibImages) images")
    var notes = ["\(name): load average \(speedLoadAverage()) when its measurement started"]
    let graph = try loadGraph(weights: bench.weights, options: ModelOptions())
    let (calib, eval) = try benchData(bench, graph, calibLimit: speedCalibImages, evalLimit: 200)
    let (_, model) = try convert(graph, calib: calib, method: .minmax, rangeSearch: false, threads: 2, progress: false)
    let macs = model.nodes.reduce(0) { $0 + speedConvMACs($1) }
    let floatEngine = FloatEngine(graph: graph)
    let intEngine = try IntEngine(model: model)
    let size = eval.imageSize

    // Warm-up, and the pass length of each engine (about speedPassSeconds on one thread).
    let warm = speedCycle(eval, 3)
    func perImage(_ run: (Int) -> Void) -> Double {
        run(2)
        return speedSeconds { run(3) } / 3
    }
    let floatPass = speedPassLength(perImage { n in speedFloatSingle(floatEngine, warm, n, size) })
    let intPass = speedPassLength(perImage { n in speedIntSingle(intEngine, warm, n, size) })
    let floatPixels = speedCycle(eval, floatPass), intPixels = speedCycle(eval, intPass)

    // The peers: one short call each checks they run and sizes the timed calls.
    var ortFiles: [(label: String, path: String, runs: Int)] = []
    for kind in ["float", "int8"] {
        let path = SharedData.path("models/onnx/\(name).\(kind).onnx")
        guard FileManager.default.fileExists(atPath: path) else {
            notes.append("\(name): no ONNX Runtime \(kind) figure: \(path) does not exist")
            continue
        }
        switch speedORT(path, runs: 20) {
        case .success(let probe):
            ortFiles.append((kind, path, max(20, min(5000, Int(speedPassSeconds * 1000 / max(probe.medianMs, 1e-3))))))
        case .failure(let problem):
            notes.append("\(name): no ONNX Runtime \(kind) figure, ratio skipped: \(problem.message)")
        }
    }

    var rates: [String: [Double]] = [:]
    // Per round, 1 / the median seconds of the single images of a one-thread pass (ORT's statistic).
    var latencies: [String: [Double]] = [:]
    var breakdown: [[SpeedOpTime]] = []  // the int8 time per op type, once per round
    var probe: [(scalar: Double, vector: Double)] = []  // the host speed probes' seconds, once per round
    for round in 1...speedRounds {
        speedProgress("\(name): round \(round) of \(speedRounds)")
        probe.append((speedProbe(seed: UInt64(round)), speedVectorProbe(probeEngine)))
        rates["float1", default: []].append(Double(floatPass) / speedSeconds {
            let times = speedFloatSingle(floatEngine, floatPixels, floatPass, size)
            latencies["float1", default: []].append(1 / max(speedMedian(times), 1e-12))
        })
        rates["float2", default: []].append(Double(floatPass) / speedSeconds {
            _ = floatEngine.logits(images: floatPixels, count: floatPass, threads: 2)
        })
        rates["int1", default: []].append(Double(intPass) / speedSeconds {
            let times = speedIntSingle(intEngine, intPixels, intPass, size)
            latencies["int1", default: []].append(1 / max(speedMedian(times), 1e-12))
        })
        rates["int2", default: []].append(Double(intPass) / speedSeconds {
            _ = intEngine.logits(images: intPixels, count: intPass, threads: 2)
        })
        breakdown.append(speedBreakdown(intEngine, eval))
        for file in ortFiles {
            switch speedORT(file.path, runs: file.runs) {
            case .success(let figure): rates["ort-" + file.label, default: []].append(figure.imagesPerSecond)
            case .failure(let problem): notes.append("\(name): ONNX Runtime \(file.label) round \(round) failed: \(problem.message)")
            }
        }
    }
    let spread = [("Swift float 1T", "float1"), ("Swift int8 1T", "int1"), ("ORT float", "ort-float"), ("ORT int8", "ort-int8")]
        .compactMap { label, key in rates[key].map { label + String(format: " %.0f–%.0f", $0.min() ?? 0, $0.max() ?? 0) } }
    notes.append("\(name): full range over the rounds (images/s): " + spread.joined(separator: ", "))
    func figure(_ key: String) -> String {
        guard let v = rates[key], !v.isEmpty else { return "—" }
        return String(format: "%.0f [%.0f–%.0f]", speedQuantile(v, 0.5), speedQuantile(v, 0.25), speedQuantile(v, 0.75))
    }
    // A ratio per round (the two engines ran back to back), then its median and quartiles.
    func ratio(_ a: String, _ b: String) -> String {
        guard let x = rates[a], let y = rates[b], x.count == y.count, !x.isEmpty else { return "—" }
        let r = zip(x, y).map { $0 / max($1, 1e-12) }
        return String(format: "%.2f× [%.2f–%.2f]", speedQuantile(r, 0.5), speedQuantile(r, 0.25), speedQuantile(r, 0.75))
    }
    // ORT reports 1 / its median single-image latency; the same statistic for Swift (1 thread),
    // per round, beside ORT's rounds.
    var byLatency = rates
    for (key, perRound) in latencies { byLatency[key] = perRound }
    func latencyFigure(_ key: String) -> String {
        guard let v = byLatency[key], !v.isEmpty else { return "—" }
        return String(format: "%.0f [%.0f–%.0f]", speedQuantile(v, 0.5), speedQuantile(v, 0.25), speedQuantile(v, 0.75))
    }
    func latencyRatio(_ a: String, _ b: String) -> String {
        guard let x = byLatency[a], let y = byLatency[b], x.count == y.count, !x.isEmpty else { return "—" }
        let r = zip(x, y).map { $0 / max($1, 1e-12) }
        return String(format: "%.2f× [%.2f–%.2f]", speedQuantile(r, 0.5), speedQuantile(r, 0.25), speedQuantile(r, 0.75))
    }
    let latencyRow = "| \(name) | \(latencyFigure("float1")) | \(latencyFigure("int1")) | \(latencyFigure("ort-float")) | "
        + "\(latencyFigure("ort-int8")) | \(latencyRatio("int1", "ort-int8")) | \(latencyRatio("int1", "float1")) | "
        + "\(latencyRatio("int1", "ort-float")) | \(latencyRatio("float1", "ort-float")) |"
    let row = "| \(name) | " + String(format: "%.2f", Double(macs) / 1e6)
        + " | \(figure("float1")) | \(figure("float2")) | \(figure("int1")) | \(figure("int2")) | \(figure("ort-float")) | \(figure("ort-int8"))"
        + " | \(ratio("int1", "ort-int8")) | \(ratio("int1", "float1")) | \(ratio("int1", "ort-float")) | \(ratio("float1", "ort-float")) |"

    var m4: String?
    if speedM4Models.contains(name) {
        speedProgress("\(name): counting Cortex-M4 instructions (QEMU)")
        switch speedM4Instructions(model, eval) {
        case .success(let count):
            m4 = "| \(name) | \(speedGrouped(count)) | \(speedGrouped(macs)) | " + String(format: "%.2f", Double(count) / Double(max(macs, 1))) + " |"
        case .failure(let problem):
            notes.append("\(name): no Cortex-M4 figure: \(problem.message)")
        }
    }
    return SpeedResult(row: row, latencyRow: latencyRow, breakdown: breakdown, m4: m4, notes: notes, probe: probe)
}

// MARK: - Timing

/// Seconds `body` takes.
private func speedSeconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// The last result of `speedProbe`'s loop, kept so the optimizer cannot drop the loop.
nonisolated(unsafe) private var speedProbeSink: UInt64 = 0

/// Seconds of the host speed probe: `speedProbeIterations` steps of a scalar integer chain
/// (multiply, add, xor-shift; each step needs the previous one, so it neither vectorizes nor
/// folds), the same instructions every time; the fastest of `speedProbeRepeats` timings.
private func speedProbe(seed: UInt64) -> Double {
    var x = seed | 1, fastest = Double.infinity
    for _ in 0..<speedProbeRepeats {
        fastest = min(fastest, speedSeconds {
            for _ in 0..<speedProbeIterations {
                x = x &* 6364136223846793005 &+ 1442695040888963407
                x ^= x >> 29
            }
        })
    }
    speedProbeSink = x
    return fastest
}

/// Seconds of the vector probe: `speedProbeRuns` runs of the int8 engine on the fixed probe model
/// and a fixed input, the fastest of `speedProbeRepeats` timings (NaN without the engine: the
/// row then says so).
private func speedVectorProbe(_ engine: IntEngine?) -> Double {
    guard let engine else { return .nan }
    let input = (0..<engine.model.input.shape.count).map { Int8(truncatingIfNeeded: $0 &* 37) }
    _ = engine.run(input: input)  // warm
    return (0..<speedProbeRepeats).map { _ in speedSeconds { for _ in 0..<speedProbeRuns { _ = engine.run(input: input) } } }.min()!
}

/// A row of the probe table: per probe median [q1–q3] and full range, then each round's times, in ms.
private func speedProbeRow(_ name: String, _ seconds: [(scalar: Double, vector: Double)]) -> String {
    func columns(_ ms: [Double]) -> String {
        guard ms.allSatisfy({ !$0.isNaN }) else { return "not measured (the probe model did not load) | —" }
        return String(format: "%.2f [%.2f–%.2f]", speedQuantile(ms, 0.5), speedQuantile(ms, 0.25), speedQuantile(ms, 0.75))
            + " | " + String(format: "%.2f–%.2f", ms.min() ?? 0, ms.max() ?? 0)
    }
    let scalar = seconds.map { $0.scalar * 1e3 }, vector = seconds.map { $0.vector * 1e3 }
    return "| \(name) | \(columns(scalar)) | \(columns(vector)) | "
        + zip(scalar, vector).map { String(format: "%.2f / %.2f", $0, $1) }.joined(separator: ", ") + " |"
}

/// Images per timed pass for an engine taking `seconds` per image: about speedPassSeconds, even
/// (both threads get the same share), at least 4.
private func speedPassLength(_ seconds: Double) -> Int {
    let n = Int(speedPassSeconds / max(seconds, 1e-6))
    return max(4, min(20_000, n + n % 2))
}

/// The first `count` images of `set` back to back, starting over at the first when it runs out.
private func speedCycle(_ set: ImageSet, _ count: Int) -> [UInt8] {
    var pixels: [UInt8] = []
    pixels.reserveCapacity(count * set.imageSize)
    for i in 0..<count { pixels += set.image(i % set.count) }
    return pixels
}

/// The float engine on `count` images, one after the other on this thread; returns each image's
/// seconds.
@discardableResult
private func speedFloatSingle(_ engine: FloatEngine, _ pixels: [UInt8], _ count: Int, _ size: Int) -> [Double] {
    speedEachImage(pixels, count, size) { _ = engine.logits(pixels: $0) }
}

/// The int8 engine on `count` images, one after the other on this thread; returns each image's
/// seconds.
@discardableResult
private func speedIntSingle(_ engine: IntEngine, _ pixels: [UInt8], _ count: Int, _ size: Int) -> [Double] {
    speedEachImage(pixels, count, size) { _ = engine.logits(pixels: $0) }
}

/// Runs `body` on each of the first `count` images of `pixels` and returns the seconds of each.
private func speedEachImage(_ pixels: [UInt8], _ count: Int, _ size: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Void) -> [Double] {
    var seconds = [Double](repeating: 0, count: count)
    pixels.withUnsafeBufferPointer { all in
        for i in 0..<count {
            let start = DispatchTime.now().uptimeNanoseconds
            body(UnsafeBufferPointer(rebasing: all[(i * size)..<((i + 1) * size)]))
            seconds[i] = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
    }
    return seconds
}

/// The q-quantile (0…1) with linear interpolation between the sorted values (numpy's default):
/// 0.5 is the median, 0.25 and 0.75 the quartiles.
private func speedQuantile(_ values: [Double], _ q: Double) -> Double {
    let s = values.sorted()
    guard !s.isEmpty else { return 0 }
    let position = q * Double(s.count - 1)
    let i = Int(position.rounded(.down)), f = position - Double(i)
    return i + 1 < s.count ? s[i] + f * (s[i + 1] - s[i]) : s[i]
}

/// The middle value (mean of the two middle ones for an even count).
private func speedMedian(_ values: [Double]) -> Double {
    let s = values.sorted()
    guard !s.isEmpty else { return 0 }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

// MARK: - Per-op breakdown

/// The op types of the breakdown, in table order.
private enum SpeedOpKind: String, CaseIterable {
    case pointwise = "conv 1×1"
    case depthwise = "depthwise conv"
    case general = "general conv"
    case fullyConnected = "fully connected (incl. SE 1×1 on 1×1 input)"
    case hardSwish = "hard-swish / hard-sigmoid"
    case add = "add"
    case mul = "mul (SE)"
    case pooling = "pooling"
    case other = "other (requantize, concat, split, shuffle)"
}

/// Time and work of one op type, per image.
private struct SpeedOpTime {
    var kind: SpeedOpKind
    var nodes = 0
    var microseconds = 0.0
    var macs = 0
}

/// The op type of a node.
private func speedKind(_ node: QNode, _ model: QModel) -> SpeedOpKind {
    switch node.op {
    case .conv(let p):
        let input = model.info(node.inputs[0]).shape
        if p.kernelH == 1 && p.kernelW == 1 && input.h == 1 && input.w == 1 { return .fullyConnected }
        if p.groups > 1 && p.groups == p.inChannels && p.groups == p.outChannels { return .depthwise }
        if p.kernelH == 1 && p.kernelW == 1 { return .pointwise }
        return .general
    case .hardSwish: return .hardSwish
    case .add: return .add
    case .mul: return .mul
    case .maxPool, .avgPool, .globalAvgPool: return .pooling
    case .requantize, .lookup, .concat, .split, .shuffle: return .other
    }
}

/// Multiply-accumulates of a convolution node: out H·W·outC·(inC/groups)·kH·kW (0 for other ops).
private func speedConvMACs(_ node: QNode) -> Int {
    guard case .conv(let p) = node.op else { return 0 }
    let o = node.output.shape
    return o.h * o.w * o.c * (p.inChannels / p.groups) * p.kernelH * p.kernelW
}

/// Int8 time per op type on one thread: the time between consecutive visit calls is the time of
/// the node whose output the later call hands over. Each node counts with its median over
/// speedBreakdownImages images, so a moment the thread was preempted (the machine is shared)
/// does not land on whichever node happened to be running.
private func speedBreakdown(_ engine: IntEngine, _ eval: ImageSet) -> [SpeedOpTime] {
    let model = engine.model
    let inputs = (0..<speedBreakdownImages).map { i in eval.image(i % eval.count).map { Int8(truncatingIfNeeded: Int($0) - 128) } }
    _ = engine.run(input: inputs[0])
    var nanos = [[Double]](repeating: [], count: model.nodes.count + 1)
    for input in inputs {
        var last = DispatchTime.now().uptimeNanoseconds
        _ = engine.run(input: input) { v, _ in
            let now = DispatchTime.now().uptimeNanoseconds
            nanos[v].append(Double(now - last))
            last = DispatchTime.now().uptimeNanoseconds
        }
    }
    var ops = SpeedOpKind.allCases.map { SpeedOpTime(kind: $0) }
    for (i, node) in model.nodes.enumerated() {
        let k = SpeedOpKind.allCases.firstIndex(of: speedKind(node, model)) ?? ops.count - 1
        ops[k].nodes += 1
        ops[k].microseconds += speedMedian(nanos[i + 1]) / 1e3
        ops[k].macs += speedConvMACs(node)
    }
    return ops
}

// MARK: - Peers and tools

/// ONNX Runtime's images/s and median milliseconds per image on one thread (`ort_bench.py`).
private func speedORT(_ onnx: String, runs: Int) -> Result<(imagesPerSecond: Double, medianMs: Double), ToolkitError> {
    let script = SharedData.path("tools/ort_bench.py")
    guard let run = speedRunTool("python3", [script, onnx, "--threads", "1", "--runs", "\(runs)"], timeout: 600) else {
        return .failure(ToolkitError(onnx, "cannot start python3"))
    }
    func field(_ key: String) -> Double? {
        run.out.split(whereSeparator: { $0 == " " || $0 == "\n" }).first { $0.hasPrefix(key + "=") }
            .flatMap { Double($0.dropFirst(key.count + 1)) }
    }
    guard run.status == 0, let rate = field("images_per_s"), let ms = field("median_ms") else {
        let last = run.err.split(separator: "\n").last.map(String.init) ?? "exit status \(run.status)"
        return .failure(ToolkitError(onnx, "ort_bench.py failed: \(last) (needs python3 with `pip install onnxruntime numpy`)"))
    }
    return .success((rate, ms))
}

/// Cortex-M4 instructions per inference of `model` on the first images of `eval`, from
/// `Targets/cortex-m4/count_instructions.sh` (needs arm-none-eabi-gcc, qemu-system-arm, make).
private func speedM4Instructions(_ model: QModel, _ eval: ImageSet) -> Result<Int, ToolkitError> {
    let script = FileManager.default.currentDirectoryPath + "/Targets/cortex-m4/count_instructions.sh"
    guard FileManager.default.fileExists(atPath: script) else {
        return .failure(ToolkitError(script, "not found (run the benchmark from the package root)"))
    }
    let missing = ["arm-none-eabi-gcc", "qemu-system-arm", "make"].filter { speedFindTool($0) == nil }
    guard missing.isEmpty else {
        return .failure(ToolkitError(script, "\(missing.joined(separator: ", ")) not installed (Targets/cortex-m4/install-deps.sh)"))
    }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("speedbench-m4-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let blobPath = dir + "/model.q8", imagesPath = dir + "/images.raw"
    do {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data(try Export.writeBlob(model)).write(to: URL(fileURLWithPath: blobPath))
        try Data(speedCycle(eval, speedM4Images)).write(to: URL(fileURLWithPath: imagesPath))
    } catch let error as ToolkitError {
        return .failure(error)
    } catch {
        return .failure(ToolkitError(dir, "cannot write the blob and images: \(error.localizedDescription)"))
    }
    guard let run = speedRunTool("/bin/sh", [script, blobPath, imagesPath], timeout: 1800) else {
        return .failure(ToolkitError(script, "cannot start /bin/sh"))
    }
    let key = "instructions_per_inference="
    guard run.status == 0,
          let field = run.out.split(whereSeparator: { $0 == " " || $0 == "\n" }).first(where: { $0.hasPrefix(key) }),
          let count = Int(field.dropFirst(key.count)) else {
        let last = run.err.split(separator: "\n").last.map(String.init) ?? "exit status \(run.status)"
        return .failure(ToolkitError(script, "failed: \(last)"))
    }
    return .success(count)
}

/// Runs `tool` (looked up on PATH unless it is a path) and returns its exit status and output.
/// Output goes through temporary files, so a chatty tool cannot block on a full pipe; a tool
/// still running after `timeout` seconds is terminated. nil: it could not be started.
private func speedRunTool(_ tool: String, _ arguments: [String], timeout: Double) -> (status: Int32, out: String, err: String)? {
    let fm = FileManager.default
    let base = fm.temporaryDirectory.appendingPathComponent("speedbench-\(UUID().uuidString)").path
    let outPath = base + ".out", errPath = base + ".err"
    defer { try? fm.removeItem(atPath: outPath); try? fm.removeItem(atPath: errPath) }
    guard fm.createFile(atPath: outPath, contents: nil), fm.createFile(atPath: errPath, contents: nil),
          let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath) else { return nil }
    defer { try? out.close(); try? err.close() }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    process.currentDirectoryURL = URL(fileURLWithPath: fm.currentDirectoryPath)
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = out
    process.standardError = err
    do { try process.run() } catch { return nil }
    let deadline = Date().addingTimeInterval(timeout)
    var terminated = false
    while process.isRunning {
        if !terminated && Date() > deadline { process.terminate(); terminated = true }
        Thread.sleep(forTimeInterval: 0.02)
    }
    let text = { (path: String) in String(decoding: fm.contents(atPath: path) ?? Data(), as: UTF8.self) }
    return (process.terminationStatus, text(outPath), text(errPath))
}

/// The path of an executable on PATH, or nil.
private func speedFindTool(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// The CPU's model name and its int8-relevant vector extensions (Linux `/proc/cpuinfo`).
private func speedCPUModel() -> String {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "CPU unknown" }
    let lines = text.split(separator: "\n")
    func field(_ key: String) -> String? {
        lines.first { $0.hasPrefix(key) }.flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }
    let flags = Set((field("flags") ?? "").split(separator: " ").map(String.init))
    let shown = ["avx2", "avx512f", "avx512bw", "avx512_vnni", "avx512vbmi"].filter { flags.contains($0) }
    let mhz = field("cpu MHz").flatMap(Double.init).map { String(format: ", %.0f MHz", $0) } ?? ""
    return "CPU \(field("model name") ?? "unknown")\(mhz), " + (shown.isEmpty ? "no AVX2" : shown.joined(separator: " "))
}

/// The 1, 5 and 15 minute load averages (Linux), or "unknown".
private func speedLoadAverage() -> String {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "unknown" }
    return text.split(separator: " ").prefix(3).joined(separator: " / ")
}

/// An integer with thousands separators (52,652,240).
private func speedGrouped(_ n: Int) -> String {
    var digits = String(n.magnitude), out = ""
    while digits.count > 3 {
        out = "," + digits.suffix(3) + out
        digits.removeLast(3)
    }
    return (n < 0 ? "-" : "") + digits + out
}

/// One line to standard output, written at once.
private func speedSay(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// One progress line to standard error (kept out of the tables).
private func speedProgress(_ line: String) {
    FileHandle.standardError.write(Data(("speed: " + line + "\n").utf8))
}
