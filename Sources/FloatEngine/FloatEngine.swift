import Foundation
import Models
import QuantCore

/// Float reference execution of a `Graph` (NHWC, batch 1): the ground truth the int8 model is
/// judged against. Weights are prepared once (batch norm folded, packed for the kernels); the
/// graph itself is unchanged. Each run uses a workspace of preallocated buffers, so runs on
/// several threads at once are safe.
public final class FloatEngine: @unchecked Sendable {
    public let graph: Graph
    let steps: [Step]
    /// Where every value lives in a worker's arena, in floats (`planFloatArena`).
    let plan: ArenaPlan
    /// `inputTable[c · 256 + pixel]`: the float input value of a uint8 pixel in channel c.
    let inputTable: [Float]
    let scratchCount: Int
    private var idle: [Workspace] = []
    private let lock = NSLock()

    public init(graph: Graph) {
        self.graph = graph
        steps = graph.nodes.map { node in
            let shapes = node.inputs.map(graph.shape)
            return Step(kernel: prepare(node, inShapes: shapes), inputs: node.inputs, inShapes: shapes, outShape: node.shape)
        }
        plan = planFloatArena(graph)
        let pre = graph.preprocessing
        inputTable = (0..<pre.channels).flatMap { c in
            (0..<256).map { p in (Float(p) / 255 - pre.mean[c]) / pre.std[c] }
        }
        scratchCount = steps.reduce(0) { acc, step in
            if case .general(let conv) = step.kernel { return max(acc, conv.scratchCount) }
            return acc
        }
    }

    /// Number of uint8 values one image has (H·W·C of the input).
    public var inputCount: Int { graph.shape(0).count }

    /// Runs one image given as uint8 HWC pixels (exactly `inputCount` of them — the caller checks
    /// image sizes against the model; graph.preprocessing is applied). Returns the logits.
    public func logits(pixels: UnsafeBufferPointer<UInt8>) -> [Float] {
        run(pixels: pixels) { _, _ in }
    }

    /// Runs one image and hands every value (0 = preprocessed input, i + 1 = output of node i,
    /// HWC) to `visit` as soon as it is computed. Returns the logits.
    public func run(pixels: UnsafeBufferPointer<UInt8>, visit: (Int, UnsafeBufferPointer<Float>) -> Void) -> [Float] {
        let workspace = checkOut()
        defer { checkIn(workspace) }
        return execute(pixels, workspace, visit)
    }

    /// Logits for every image of `images` (`count` flat HWC uint8 images of `inputCount` values),
    /// spread over `threads` workers; `progress(done, total)` is called after each image (from the
    /// worker threads, one call at a time).
    public func logits(images: [UInt8], count: Int, threads: Int = 2, progress: ((Int, Int) -> Void)? = nil) -> [[Float]] {
        let size = inputCount
        precondition(images.count >= count * size, "\(count) images need \(count * size) bytes, got \(images.count)")
        let workspaces = (0..<workerCount(count, threads: threads)).map { _ in checkOut() }
        defer { workspaces.forEach(checkIn) }
        return images.withUnsafeBufferPointer { all in
            parallelMap(count: count, threads: threads, progress: progress) { w, index in
                execute(UnsafeBufferPointer(rebasing: all[(index * size)..<((index + 1) * size)]), workspaces[w]) { _, _ in }
            }
        }
    }

    private func checkOut() -> Workspace {
        lock.lock()
        defer { lock.unlock() }
        return idle.popLast() ?? Workspace(plan: plan, scratchCount: scratchCount)
    }

    private func checkIn(_ workspace: Workspace) {
        lock.lock()
        idle.append(workspace)
        lock.unlock()
    }

    /// Runs every step in order on the workspace's buffers.
    private func execute(_ pixels: UnsafeBufferPointer<UInt8>, _ ws: Workspace,
                         _ visit: (Int, UnsafeBufferPointer<Float>) -> Void) -> [Float] {
        let inShape = graph.shape(0)
        precondition(pixels.count == inShape.count, "image has \(pixels.count) values, the model takes \(inShape) = \(inShape.count)")
        let input = ws.values[0]
        let channels = inShape.c
        inputTable.withUnsafeBufferPointer { table in
            for p in 0..<(pixels.count / channels) {
                for c in 0..<channels { input[p * channels + c] = table[c * 256 + Int(pixels[p * channels + c])] }
            }
        }
        visit(0, UnsafeBufferPointer(start: input, count: inShape.count))
        for (i, step) in steps.enumerated() {
            let out = ws.values[i + 1]
            run(step, ws, out)
            visit(i + 1, UnsafeBufferPointer(start: out, count: step.outShape.count))
        }
        let last = ws.values[steps.count]
        return Array(UnsafeBufferPointer(start: last, count: graph.shape(steps.count).count))
    }

    /// Dispatches one step to its kernel.
    private func run(_ step: Step, _ ws: Workspace, _ out: UnsafeMutablePointer<Float>) {
        let inShape = step.inShapes[0], outShape = step.outShape
        let in0 = UnsafePointer(ws.values[step.inputs[0]])
        let pixels = inShape.h * inShape.w
        switch step.kernel {
        case .pointwise(let gemms):
            let cg = inShape.c / gemms.count
            for (g, gemm) in gemms.enumerated() {
                gemm.run(a: in0 + g * cg, lda: inShape.c, m: pixels, c: out + g * gemm.n, ldc: outShape.c)
            }
        case .depthwise(let conv):
            conv.run(in0, height: inShape.h, width: inShape.w, out, outHeight: outShape.h, outWidth: outShape.w)
        case .general(let conv):
            conv.run(in0, height: inShape.h, width: inShape.w, out, outHeight: outShape.h, outWidth: outShape.w, scratch: ws.scratch)
        case .linear(let gemm):
            gemm.run(a: in0, lda: gemm.k, m: 1, c: out, ldc: gemm.n)
        case .clamp(let lo, let hi):
            Elementwise.clamp(in0, out, count: outShape.count, lo: lo, hi: hi)
        case .hardSwish:
            Elementwise.hard(in0, out, count: outShape.count, sigmoid: false)
        case .hardSigmoid:
            Elementwise.hard(in0, out, count: outShape.count, sigmoid: true)
        case .function(let f):
            for i in 0..<outShape.count { out[i] = Float(f(Double(in0[i]))) }
        case .add(let lo, let hi):
            Elementwise.add(in0, ws.values[step.inputs[1]], out, count: outShape.count, lo: lo, hi: hi)
        case .mul:
            Elementwise.mul(in0, gate: ws.values[step.inputs[1]], out, pixels: pixels, channels: inShape.c)
        case .concat:
            var offset = 0
            for (value, shape) in zip(step.inputs, step.inShapes) {
                ChannelOps.copy(ws.values[value], inChannels: shape.c, start: 0, count: shape.c, out, outChannels: outShape.c,
                                offset: offset, pixels: pixels)
                offset += shape.c
            }
        case .split(let start):
            ChannelOps.copy(in0, inChannels: inShape.c, start: start, count: outShape.c, out, outChannels: outShape.c,
                            offset: 0, pixels: pixels)
        case .shuffle(let groups):
            ChannelOps.shuffle(in0, out, pixels: pixels, channels: inShape.c, groups: groups)
        case .pool(let kernel, let stride, let pad, let average):
            Pooling.window(in0, height: inShape.h, width: inShape.w, channels: inShape.c, out, outHeight: outShape.h,
                           outWidth: outShape.w, kernel: kernel, stride: stride, pad: pad, average: average)
        case .globalAvgPool:
            Pooling.global(in0, pixels: pixels, channels: inShape.c, out)
        }
    }
}

/// Preallocated memory of one worker: one arena of the plan's size (every value at its planned
/// offset) and the im2col scratch.
final class Workspace {
    private let arena: UnsafeMutablePointer<Float>
    let scratch: UnsafeMutablePointer<Float>
    /// Where each value lives: `arena + plan.offsets[v]`.
    let values: [UnsafeMutablePointer<Float>]

    init(plan: ArenaPlan, scratchCount: Int) {
        // The plan counts floats: `arenaBytes` is the arena's length in floats here.
        let arena = allocateAligned(plan.arenaBytes)
        arena.initialize(repeating: 0, count: max(plan.arenaBytes, 1))
        self.arena = arena
        scratch = allocateAligned(max(scratchCount, 1))
        scratch.initialize(repeating: 0, count: max(scratchCount, 1))
        values = plan.offsets.map { arena + $0 }
    }

    deinit {
        arena.deallocate()
        scratch.deallocate()
    }
}
