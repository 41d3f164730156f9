import QuantCore

/// One kernel call of a run under the model's schedule (`ExecutionSchedule`): node `node` on
/// all of its output, or — inside a patch stage — on one band of rows. Inputs and output are
/// given as (value, byte offset into that value's buffer): a band of a value the stage reads from
/// before it starts at its first row; an internal value's buffer holds just the band's rows.
struct ScheduledStep {
    let node: Int
    let kernel: any NodeKernel
    let inputs: [(value: Int, offset: Int)]
    let output: (value: Int, offset: Int)
    /// Set when the node writes its output over its input (same arena offset): the node as it
    /// runs (band shapes), its input shape and the input's byte count.
    let inPlace: (conv: QConv, inShape: Shape3, outShape: Shape3, bytes: Int)?
    /// The value complete after this step (for `visit`), if any.
    let completes: Int?
}

/// The steps of one image under `model.schedule`: nodes outside patch stages run with
/// `kernels[i]`; each stage runs band after band, its nodes on the band's rows with kernels made
/// for those shapes (`bandNode`; one kernel per distinct shape). A depthwise node runs in place
/// when `plan` gives its input and output the same offset.
func scheduledSteps(_ model: QModel, plan: ArenaPlan, kernels: [any NodeKernel], useReference: Bool) -> [ScheduledStep] {
    var steps: [ScheduledStep] = []
    var bandKernels: [String: any NodeKernel] = [:]
    let inPlace = Set(inPlacePairs(model, offsets: plan.offsets).map { $0.1 - 1 })
    let rowBytes = { (v: Int) in model.info(v).shape.w * model.info(v).shape.c }
    func conv(_ node: QNode) -> QConv? { if case .conv(let c) = node.op { return c } else { return nil } }
    var i = 0
    while i < model.nodes.count {
        guard let stage = model.schedule.stage(containing: i) else {
            let node = model.nodes[i]
            let input = model.info(node.inputs[0]).shape
            steps.append(ScheduledStep(
                node: i, kernel: kernels[i], inputs: node.inputs.map { ($0, 0) }, output: (i + 1, 0),
                inPlace: inPlace.contains(i) ? (conv(node)!, input, node.output.shape, input.count) : nil, completes: i + 1))
            i += 1
            continue
        }
        for b in 0..<stage.bands {
            let rows = stageRows(model, stage, band: b)
            for n in stage.firstNode...stage.lastNode {
                let node = model.nodes[n]
                let out = rows[n - stage.firstNode]
                let need = node.inputs.map { inputRows(node.op, output: out, inputHeight: model.info($0).shape.h) }
                let inputs = zip(node.inputs, need).map { u, q in
                    (u, (q.lowerBound - (stage.isInternal(u) ? rows[u - stage.firstNode - 1].lowerBound : 0)) * rowBytes(u))
                }
                let (band, shapes) = bandNode(node, inputShapes: node.inputs.map { model.info($0).shape }, output: out, inputRows: need)
                let key = "\(n) \(shapes) \(band.output.shape) \(rowWindow(band.op)?.pad ?? -1)"
                let kernel = bandKernels[key] ?? makeKernel(band, inputShapes: shapes, useReference: useReference)
                bandKernels[key] = kernel
                let last = n == stage.lastNode
                steps.append(ScheduledStep(
                    node: n, kernel: kernel, inputs: inputs, output: (n + 1, last ? out.lowerBound * rowBytes(n + 1) : 0),
                    inPlace: inPlace.contains(n) ? (conv(band)!, shapes[0], band.output.shape, shapes[0].count) : nil,
                    completes: last && b == stage.bands - 1 ? n + 1 : nil))
            }
        }
        i = stage.lastNode + 1
    }
    return steps
}

/// Bytes the in-place steps copy their input to (the optimized path) or one plane of (the reference).
func inPlaceCopyBytes(_ steps: [ScheduledStep]) -> Int {
    steps.compactMap { $0.inPlace?.bytes }.max() ?? 0
}

/// Runs `steps` on one image whose value v lives at `values[v]`; `copy` has `inPlaceCopyBytes`
/// bytes, `inputList` room for the widest node. With `useReference`, in-place nodes run
/// `referenceDepthwiseInPlace` (truly in place); otherwise their input is copied to `copy` and
/// the node's kernel reads it there (the host has the memory; the bytes are the same).
func runSteps(_ steps: [ScheduledStep], values: [UnsafeMutablePointer<Int8>], scratch: UnsafeMutableRawPointer,
              copy: UnsafeMutablePointer<Int8>, inputList: UnsafeMutablePointer<UnsafePointer<Int8>>, useReference: Bool,
              visit: ((Int) -> Void)?) {
    for step in steps {
        let out = values[step.output.value] + step.output.offset
        if let p = step.inPlace {
            let buffer = values[step.inputs[0].value] + step.inputs[0].offset
            if useReference {
                referenceDepthwiseInPlace(input: buffer, p.inShape, p.conv, output: out, p.outShape, plane: copy)
            } else {
                copy.update(from: buffer, count: p.bytes)
                inputList[0] = UnsafePointer(copy)
                step.kernel.run(inputList, out, scratch)
            }
        } else {
            for (j, input) in step.inputs.enumerated() { inputList[j] = UnsafePointer(values[input.value] + input.offset) }
            step.kernel.run(inputList, out, scratch)
        }
        if let v = step.completes { visit?(v) }
    }
}
