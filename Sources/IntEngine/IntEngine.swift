import Foundation
import QuantCore

/// Runs a `QModel` with integer-only kernels. Every node gets its kernel once, at init, from the
/// one dispatcher (`makeKernel`): the optimized variant, or with `useReference` the plain
/// reference kernel (the spec); the two give identical bytes. Each worker allocates once one
/// activation arena of QuantCore's `planArena(model)` and keeps every value at its planned offset
/// — the very offsets the blob stores and the C runtime uses on the microcontroller; running
/// allocates nothing but the returned logits.
///
/// The single-image entry points (`run`, `logits(pixels:)`) may be called from several threads:
/// they take turns on one workspace. `logits(images:)` runs images in parallel on per-worker
/// workspaces.
public final class IntEngine: @unchecked Sendable {
    public let model: QModel
    /// Whether every node runs its reference kernel.
    public let useReference: Bool
    private let kernels: [any NodeKernel]
    /// Where every value lives in a worker's arena (`planArena(model)`).
    public let plan: ArenaPlan
    private let scratchBytes: Int
    /// The kernel calls of one image under the model's schedule (`scheduledSteps`).
    private let steps: [ScheduledStep]
    /// Bytes the in-place steps copy (`inPlaceCopyBytes`).
    private let copyBytes: Int
    private let maxInputs: Int
    /// Images `logits(images:)` runs as one batch: up to 16, fewer for models with large arenas
    /// (the batch's arenas stay within 512 KB, about what the L2 cache holds; 1 for EfficientNet-Lite0).
    private let batchImages: Int
    /// The workspace of the single-image calls (created on first use).
    private var single: Workspace?
    /// The workspaces of the workers of `logits(images:)` (created on first use).
    private var workerSpaces: [Workspace] = []
    private let lock = NSLock()

    /// Which convolution kernels run on this machine: the AVX-512 VNNI C kernels (IntKernels)
    /// or the portable Swift SIMD ones (no VNNI, or `INT8_KERNELS=portable`). Both give the same bytes.
    public static var kernelPath: String {
        hostHasVNNI ? "AVX-512 VNNI (C intrinsics, Sources/IntKernels)" : "portable Swift SIMD"
    }

    /// Prepares `model` (checks it with `validateModel`, the one validator the blob writer and
    /// reader and the C loader agree with; packs weights, builds tables, plans buffers).
    /// Throws a `ToolkitError` naming the op when the model is malformed.
    public convenience init(model: QModel, useReference: Bool = false) throws {
        try validateModel(model, file: "model '\(model.name)'")
        if let problem = scheduleProblem(model) { throw ToolkitError("model '\(model.name)'", problem) }
        self.init(checked: model, useReference: useReference, plan: planArena(model),
                  kernels: model.nodes.map { makeKernel($0, model: model, useReference: useReference) })
    }

    private init(checked model: QModel, useReference: Bool, plan: ArenaPlan, kernels: [any NodeKernel]) {
        self.model = model
        self.useReference = useReference
        self.kernels = kernels
        self.plan = plan
        steps = scheduledSteps(model, plan: plan, kernels: kernels, useReference: useReference)
        copyBytes = inPlaceCopyBytes(steps)
        scratchBytes = steps.map(\.kernel.scratchBytes).max() ?? 0
        maxInputs = model.nodes.map(\.inputs.count).max() ?? 1
        batchImages = max(1, min(16, (512 << 10) / max(plan.arenaBytes, 1)))
    }

    /// An engine for `model`, which must differ from this engine's model only in the nodes
    /// `changed` (same nodes otherwise, same value shapes): only those are checked again and get
    /// new kernels; the others keep theirs (the calibration refinements change a few nodes at a
    /// time). Throws like `init` when a changed node is malformed or a shape differs.
    public func updated(_ model: QModel, changed: [Int]) throws -> IntEngine {
        guard model.nodes.count == self.model.nodes.count,
              (0...model.nodes.count).allSatisfy({ model.info($0).shape == self.model.info($0).shape }),
              model.nodes.indices.allSatisfy({ model.nodes[$0].inputs == self.model.nodes[$0].inputs }) else {
            throw ToolkitError("model '\(model.name)'", "differs from the engine's model in more than the changed ops")
        }
        try validateNodes(model, changed, file: "model '\(model.name)'")
        var kernels = self.kernels
        for i in changed { kernels[i] = makeKernel(model.nodes[i], model: model, useReference: useReference) }
        return IntEngine(checked: model, useReference: useReference, plan: plan, kernels: kernels)
    }

    /// Raw uint8 HWC pixels → int8 input (q = pixel − 128) → int8 logits.
    /// `pixels.count` must equal the model's input size, and the model's input must be pixels
    /// (`QModel.inputIsPixels`; not so for one imported from a `.tflite`: quantize its normalized
    /// image as `QModel.notPixelsAdvice` says and call `run(input:)`).
    public func logits(pixels: UnsafeBufferPointer<UInt8>) -> [Int8] {
        precondition(model.inputIsPixels, "\(model.name): \(model.notPixelsAdvice) with run(input:)")
        return withSingleWorkspace { ws in
            setInput(ws) { dst, n in
                precondition(pixels.count == n, "expected \(n) input pixels, got \(pixels.count)")
                for i in 0..<n { dst[i] = Int8(truncatingIfNeeded: Int(pixels[i]) - 128) }
            }
            return execute(ws, visit: nil)
        }
    }

    /// Runs the model on an int8 input (`input.count` must equal the model's input size).
    public func run(input: [Int8]) -> [Int8] {
        runSingle(input, visit: nil)
    }

    /// Runs and hands every value (0 = input, i + 1 = output of node i) to `visit`, right after
    /// it is computed (for per-layer error reports). The buffer is only valid during the call.
    /// Values inside a patch stage never exist whole and are not visited.
    public func run(input: [Int8], visit: (Int, UnsafeBufferPointer<Int8>) -> Void) -> [Int8] {
        withoutActuallyEscaping(visit) { runSingle(input, visit: $0) }
    }

    /// Runs with every value kept in its own array (`values[v]`: 0 = input, i + 1 = output of
    /// node i) instead of reused buffers. Only nodes `first..<end` run (`end` nil: to the last
    /// node); the values they read from before `first` must already be in `values`, e.g. from a
    /// run of a model that differs from this one only from node `first` on (the calibration range
    /// search re-runs just the changed tail); values nothing reads may be left empty. May be
    /// called from several threads at once.
    public func runKeepingValues(_ values: inout [[Int8]], fromNode first: Int = 0, toNode end: Int? = nil) {
        let end = end ?? model.nodes.count
        if values.count < model.nodes.count + 1 { values += Array(repeating: [], count: model.nodes.count + 1 - values.count) }
        precondition(first >= 0 && first <= end && end <= model.nodes.count && (first..<end).allSatisfy { i in
            model.nodes[i].inputs.allSatisfy { $0 > first || values[$0].count == model.info($0).shape.count }
        }, "runKeepingValues: a value read by nodes \(first)..<\(end) is missing or of the wrong size")
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(scratchBytes, 1), alignment: 64)
        let inputList = UnsafeMutablePointer<UnsafePointer<Int8>>.allocate(capacity: maxInputs)
        defer { scratch.deallocate(); inputList.deallocate() }
        for i in first..<end {
            let node = model.nodes[i]
            var out = [Int8](repeating: 0, count: node.output.shape.count)
            withInputs(node.inputs[...], values, inputList) {
                out.withUnsafeMutableBufferPointer { kernels[i].run(inputList, $0.baseAddress!, scratch) }
            }
            values[i + 1] = out
        }
    }

    /// Where `runKept` keeps every value of one image in one flat buffer: value v (0 = input,
    /// i + 1 = output of node i) at `offsets[v]`, 64-byte aligned with 64 bytes of slack after it;
    /// `bytes` in all.
    public struct KeptLayout: Sendable {
        public let offsets: [Int]
        public let bytes: Int
    }

    /// The `KeptLayout` of this engine's model.
    public var keptLayout: KeptLayout {
        var offsets: [Int] = [], end = 0
        for v in 0...model.nodes.count {
            offsets.append(end)
            end += (model.info(v).shape.count + 64 + 63) / 64 * 64
        }
        return KeptLayout(offsets: offsets, bytes: end)
    }

    /// A `KeptLayout` that holds only the live values: the input, then one activation arena at
    /// the offsets of `plan`, so value v stays intact from the run of its node until its last
    /// reader has run. `runKept` over consecutive node ranges in order (bias correction) reads
    /// only such values. Input and arena are each 64-byte aligned with 64 bytes of slack.
    public var arenaLayout: KeptLayout {
        let input = (plan.sizes[0] + 64 + 63) / 64 * 64
        return KeptLayout(offsets: [0] + plan.offsets.dropFirst().map { input + $0 },
                          bytes: input + (plan.arenaBytes + 64 + 63) / 64 * 64)
    }

    /// Runs nodes `first..<end` (`end` nil: to the last node) on one image whose values are all
    /// kept in `buffer` (64-byte aligned, `keptLayout.bytes` long): each node reads its inputs and
    /// writes its output there. The values read from before `first` must be in place, e.g. from a
    /// run of a model that differs from this one only from node `first` on. Allocates only
    /// scratch; may be called from several threads at once on different buffers.
    public func runKept(_ buffer: UnsafeMutablePointer<Int8>, layout: KeptLayout, fromNode first: Int = 0, toNode end: Int? = nil) {
        let end = end ?? model.nodes.count
        precondition(layout.offsets.count == model.nodes.count + 1 && first >= 0 && first <= end && end <= model.nodes.count,
                     "runKept: nodes \(first)..<\(end) or the layout do not fit the model")
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(scratchBytes, 1), alignment: 64)
        let inputList = UnsafeMutablePointer<UnsafePointer<Int8>>.allocate(capacity: maxInputs)
        defer { scratch.deallocate(); inputList.deallocate() }
        for i in first..<end {
            for (j, v) in model.nodes[i].inputs.enumerated() { inputList[j] = UnsafePointer(buffer + layout.offsets[v]) }
            kernels[i].run(inputList, buffer + layout.offsets[i + 1], scratch)
        }
    }

    /// `runKept` on `count` images whose buffers follow each other `layout.bytes` apart (image
    /// b's at `buffer + b · layout.bytes`), node by node over all of them: pointwise and fully
    /// connected layers run as one GEMM. Same results as `runKept` on each image.
    public func runKept(_ buffer: UnsafeMutablePointer<Int8>, layout: KeptLayout, images count: Int, fromNode first: Int = 0,
                        toNode end: Int? = nil) {
        let end = end ?? model.nodes.count
        precondition(layout.offsets.count == model.nodes.count + 1 && first >= 0 && first <= end && end <= model.nodes.count
                     && count >= 1, "runKept: nodes \(first)..<\(end), the layout or the image count do not fit the model")
        let bytes = max(kernels[first..<end].map { $0.batchScratchBytes(count) }.max() ?? 0, 1)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        let lists = UnsafeMutablePointer<UnsafePointer<Int8>>.allocate(capacity: 2 * maxInputs)
        let strides = UnsafeMutablePointer<Int>.allocate(capacity: maxInputs)
        defer { scratch.deallocate(); lists.deallocate(); strides.deallocate() }
        for i in first..<end {
            for (j, v) in model.nodes[i].inputs.enumerated() {
                lists[j] = UnsafePointer(buffer + layout.offsets[v])
                strides[j] = layout.bytes
            }
            kernels[i].runBatch(lists, inputStrides: strides, inputCount: model.nodes[i].inputs.count, buffer + layout.offsets[i + 1],
                                outputStride: layout.bytes, count: count, scratch, imageInputs: lists + maxInputs)
        }
    }

    /// Points `list[j]` at the array of value `inputs[j]` for the duration of `body`.
    private func withInputs(_ inputs: ArraySlice<Int>, _ values: [[Int8]], _ list: UnsafeMutablePointer<UnsafePointer<Int8>>,
                            _ body: () -> Void) {
        guard let v = inputs.first else { return body() }
        values[v].withUnsafeBufferPointer { buf in
            list[0] = buf.baseAddress!
            withInputs(inputs.dropFirst(), values, list + 1, body)
        }
    }

    /// Many images (flat HWC uint8, `count` images of the model's input size) on `threads`
    /// workers, each with its own workspace, images handed out `batchImages` at a time and run
    /// node by node as one batch (`NodeKernel.runBatch`: pointwise and fully connected layers
    /// make one GEMM of the whole batch). `progress` is called with (images done, count) after
    /// each image, one call at a time.
    /// Like `logits(pixels:)`, the model's input must be pixels (`QModel.inputIsPixels`).
    public func logits(images: [UInt8], count: Int, threads: Int = 2, progress: ((Int, Int) -> Void)? = nil) -> [[Int8]] {
        precondition(model.inputIsPixels, "\(model.name): \(model.notPixelsAdvice) with run(input:)")
        let size = model.input.shape.count
        precondition(count >= 0 && images.count >= count * size, "expected \(count) images of \(size) bytes, got \(images.count)")
        let spaces: [Workspace] = lock.withLock {
            while workerSpaces.count < workerCount(count, threads: threads) {
                workerSpaces.append(Workspace(plan: plan, scratchBytes: steps.map { $0.kernel.batchScratchBytes(batchImages) }.max() ?? 0,
                                              maxInputs: maxInputs, images: batchImages, copyBytes: copyBytes))
            }
            return workerSpaces
        }
        let classes = model.info(model.outputValue).shape.count
        let done = ImageCount(total: count, progress: progress)
        let batches = (count + batchImages - 1) / batchImages
        let perBatch = images.withUnsafeBufferPointer { all in
            parallelMap(count: batches, threads: threads) { w, batch -> [[Int8]] in
                let ws = spaces[w], first = batch * batchImages, n = min(batchImages, count - first)
                let input = ws.values[0]
                for i in 0..<(n * size) { input[i] = Int8(truncatingIfNeeded: Int(all[first * size + i]) - 128) }
                executeBatch(ws, count: n)
                let logits = (0..<n).map { b in Array(UnsafeBufferPointer(start: ws.values[model.outputValue] + b * ws.arenaStride, count: classes)) }
                done.add(n)
                return logits
            }
        }
        return perBatch.flatMap { $0 }
    }

    // MARK: - Running

    /// Runs every node on the `count` images in `ws` (image b's inputs back to back, its arena
    /// `arenaStride` after the previous image's).
    private func executeBatch(_ ws: Workspace, count: Int) {
        if !model.schedule.isLayerByLayer {
            for b in 0..<count {
                let values = [ws.values[0] + b * plan.sizes[0]] + ws.values.dropFirst().map { $0 + b * ws.arenaStride }
                runSteps(steps, values: values, scratch: UnsafeMutableRawPointer(ws.scratch.pointer), copy: ws.copy.pointer,
                         inputList: ws.inputList, useReference: useReference, visit: nil)
            }
            return
        }
        for (i, node) in model.nodes.enumerated() {
            for (j, v) in node.inputs.enumerated() {
                ws.inputList[j] = UnsafePointer(ws.values[v])
                ws.inputStrides[j] = v == 0 ? plan.sizes[0] : ws.arenaStride
            }
            kernels[i].runBatch(ws.inputList, inputStrides: ws.inputStrides, inputCount: node.inputs.count,
                                ws.values[i + 1], outputStride: ws.arenaStride, count: count,
                                UnsafeMutableRawPointer(ws.scratch.pointer), imageInputs: ws.imageInputs)
        }
    }

    private func runSingle(_ input: [Int8], visit: ((Int, UnsafeBufferPointer<Int8>) -> Void)?) -> [Int8] {
        withSingleWorkspace { ws in
            setInput(ws) { dst, n in
                precondition(input.count == n, "expected an input of \(n) values, got \(input.count)")
                input.withUnsafeBufferPointer { dst.update(from: $0.baseAddress!, count: n) }
            }
            return execute(ws, visit: visit)
        }
    }

    private func makeWorkspace() -> Workspace {
        Workspace(plan: plan, scratchBytes: scratchBytes, maxInputs: maxInputs, copyBytes: copyBytes)
    }

    /// Runs `body` on the single-image workspace under the engine lock.
    private func withSingleWorkspace<T>(_ body: (Workspace) -> T) -> T {
        lock.withLock {
            let ws = single ?? makeWorkspace()
            single = ws
            return body(ws)
        }
    }

    /// Lets `fill` write the int8 input into the input buffer (value 0).
    private func setInput(_ ws: Workspace, _ fill: (UnsafeMutablePointer<Int8>, Int) -> Void) {
        fill(ws.values[0], model.input.shape.count)
    }

    /// Runs every node; returns the output value.
    private func execute(_ ws: Workspace, visit: ((Int, UnsafeBufferPointer<Int8>) -> Void)?) -> [Int8] {
        let outCount = model.info(model.outputValue).shape.count
        var result = [Int8](repeating: 0, count: outCount)
        result.withUnsafeMutableBufferPointer { executeInto(ws, $0.baseAddress!, visit: visit) }
        return result
    }

    /// Runs every node and copies the output value to `result`.
    private func executeInto(_ ws: Workspace, _ result: UnsafeMutablePointer<Int8>,
                             visit: ((Int, UnsafeBufferPointer<Int8>) -> Void)? = nil) {
        let values = ws.values
        if let visit {
            visit(0, UnsafeBufferPointer(start: values[0], count: model.input.shape.count))
        }
        runSteps(steps, values: values, scratch: UnsafeMutableRawPointer(ws.scratch.pointer), copy: ws.copy.pointer,
                 inputList: ws.inputList, useReference: useReference,
                 visit: visit.map { visit in { v in visit(v, UnsafeBufferPointer(start: values[v], count: self.model.info(v).shape.count)) } })
        let output = model.outputValue
        result.update(from: values[output], count: model.info(output).shape.count)
    }
}

/// Per-image progress of `logits(images:)`, whose workers finish whole batches: `add(n)` reports
/// each of the n images, one call at a time.
private final class ImageCount: @unchecked Sendable {
    private let lock = NSLock()
    private var done = 0
    let total: Int
    let progress: ((Int, Int) -> Void)?

    init(total: Int, progress: ((Int, Int) -> Void)?) {
        self.total = total
        self.progress = progress
    }

    func add(_ n: Int) {
        lock.withLock {
            for _ in 0..<n {
                done += 1
                progress?(done, total)
            }
        }
    }
}
