import QuantCore

/// Checks everything the kernels rely on to stay inside their buffers and inside the integer
/// ranges they are written for, so that a malformed model (from a blob file, say) is refused with
/// an error naming the op instead of crashing or reading out of bounds.
func checkModel(_ model: QModel) throws {
    let file = "model '\(model.name)'"
    guard !model.nodes.isEmpty else { throw ToolkitError(file, "has no ops") }
    for v in 0...model.nodes.count {
        let s = model.info(v).shape
        if s.h < 1 || s.w < 1 || s.c < 1 || s.h > 1 << 15 || s.w > 1 << 15 || s.c > 1 << 16 || s.h * s.w * s.c > Int(Int32.max) {
            throw ToolkitError(file, "value \(v) has the unusable shape \(s)")
        }
    }
    for (i, node) in model.nodes.enumerated() {
        try checkNode(node, index: i, model: model, file: file)
    }
}

private func checkNode(_ node: QNode, index: Int, model: QModel, file: String) throws {
    func fail(_ message: String) -> ToolkitError { ToolkitError(file, "op \(index) '\(node.name)': \(message)") }
    guard !node.inputs.isEmpty else { throw fail("has no inputs") }
    for v in node.inputs where v < 0 || v > index {
        throw fail("reads value \(v), which is not produced before it")
    }
    func inputCount(_ n: Int) throws {
        if node.inputs.count != n { throw fail("has \(node.inputs.count) inputs, expected \(n)") }
    }
    let inShape = model.info(node.inputs[0]).shape
    let out = node.output.shape
    func sameShape() throws {
        if inShape != out { throw fail("input shape \(inShape) differs from the output shape \(out)") }
    }
    func int8(_ v: Int32, _ what: String) throws {
        if v < -128 || v > 127 { throw fail("\(what) \(v) is not an int8 value") }
    }
    func clamp(_ lo: Int32, _ hi: Int32) throws {
        try int8(lo, "clamp minimum"); try int8(hi, "clamp maximum")
        if lo > hi { throw fail("clamp [\(lo), \(hi)] is empty") }
    }
    func multiplier(_ m: Int32, _ s: Int32, _ what: String) throws {
        if m < 0 { throw fail("\(what) multiplier \(m) is negative") }
        if s < -31 || s > 31 { throw fail("\(what) shift \(s) is outside −31…31") }
    }
    func requant(_ r: QRequantize) throws {
        try int8(r.inputZeroPoint, "input zero point"); try int8(r.outputZeroPoint, "output zero point")
        try multiplier(r.multiplier, r.shift, "output"); try clamp(r.actMin, r.actMax)
    }
    func window(_ kernel: Int, _ stride: Int, _ padTop: Int, _ padLeft: Int) throws {
        if kernel < 1 || kernel > 64 || stride < 1 || stride > 64 || padTop < 0 || padLeft < 0 || padTop > 64 || padLeft > 64 {
            throw fail("window (kernel \(kernel), stride \(stride), padding \(padTop), \(padLeft)) is out of range")
        }
    }

    switch node.op {
    case .conv(let p):
        try inputCount(1)
        if p.groups < 1 || p.inChannels % p.groups != 0 || p.outChannels % p.groups != 0 {
            throw fail("\(p.groups) groups do not divide \(p.inChannels) input and \(p.outChannels) output channels")
        }
        if p.inChannels != inShape.c || p.outChannels != out.c {
            throw fail("channels \(p.inChannels) → \(p.outChannels) do not match the shapes \(inShape) → \(out)")
        }
        try window(p.kernelH, p.strideH, p.padTop, p.padLeft)
        try window(p.kernelW, p.strideW, p.padTop, p.padLeft)
        let weightCount = p.outChannels * p.kernelH * p.kernelW * (p.inChannels / p.groups)
        if p.weights.count != weightCount { throw fail("has \(p.weights.count) weights, expected \(weightCount)") }
        for (name, n) in [("bias", p.bias.count), ("multiplier", p.multiplier.count), ("shift", p.shift.count)] where n != p.outChannels {
            throw fail("has \(n) \(name) values for \(p.outChannels) output channels")
        }
        if let pad = p.padValue, pad.count != p.inChannels {
            throw fail("has \(pad.count) pad values for \(p.inChannels) input channels")
        }
        for c in 0..<p.outChannels { try multiplier(p.multiplier[c], p.shift[c], "channel \(c)") }
        try int8(p.inputZeroPoint, "input zero point"); try int8(p.outputZeroPoint, "output zero point")
        try clamp(p.actMin, p.actMax)
    case .add(let p):
        try inputCount(2); try sameShape()
        if model.info(node.inputs[1]).shape != out { throw fail("input 1 shape differs from the output shape \(out)") }
        if p.leftShift < 0 || p.leftShift > 22 { throw fail("left shift \(p.leftShift) is outside 0…22") }
        try multiplier(p.input1Multiplier, p.input1Shift, "input 1")
        try multiplier(p.input2Multiplier, p.input2Shift, "input 2")
        try multiplier(p.outputMultiplier, p.outputShift, "output")
        for z in [p.input1ZeroPoint, p.input2ZeroPoint, p.outputZeroPoint] { try int8(z, "zero point") }
        try clamp(p.actMin, p.actMax)
    case .mul(let p):
        try inputCount(2); try sameShape()
        let gate = model.info(node.inputs[1]).shape
        if gate != Shape3(1, 1, out.c) { throw fail("gate shape \(gate) is not 1x1x\(out.c)") }
        try multiplier(p.multiplier, p.shift, "output")
        for z in [p.inputZeroPoint, p.gateZeroPoint, p.outputZeroPoint] { try int8(z, "zero point") }
        try clamp(p.actMin, p.actMax)
    case .hardSwish(let p):
        try inputCount(1); try sameShape()
        if p.inputShift < 0 || p.inputShift > QHardSwish.maxInputShift { throw fail("input shift \(p.inputShift) is outside 0…20") }
        if p.three < 0 || p.three > QHardSwish.maxThree { throw fail("three = \(p.three) lets d·R overflow int32") }
        try multiplier(p.multiplier, p.shift, "output")
        try int8(p.inputZeroPoint, "input zero point"); try int8(p.outputZeroPoint, "output zero point")
    case .requantize(let p):
        try inputCount(1); try sameShape(); try requant(p)
    case .concat:
        var channels = 0
        for v in node.inputs {
            let s = model.info(v).shape
            if s.h != out.h || s.w != out.w { throw fail("input \(s) does not match the output's height and width \(out)") }
            channels += s.c
        }
        if channels != out.c { throw fail("inputs have \(channels) channels in all, the output \(out.c)") }
    case .split(let start, let count):
        try inputCount(1)
        if start < 0 || count < 1 || start + count > inShape.c || out != Shape3(inShape.h, inShape.w, count) {
            throw fail("split [\(start), \(start + count)) of \(inShape) does not give \(out)")
        }
    case .shuffle(let groups):
        try inputCount(1); try sameShape()
        if groups < 1 || out.c % groups != 0 { throw fail("\(groups) groups do not divide \(out.c) channels") }
    case .maxPool(let p):
        try inputCount(1)
        try window(p.kernel, p.stride, p.padTop, p.padLeft)
        if inShape.c != out.c { throw fail("pooling changes the channel count \(inShape.c) → \(out.c)") }
    case .avgPool(let p):
        try inputCount(1)
        try window(p.kernel, p.stride, p.padTop, p.padLeft)
        if inShape.c != out.c { throw fail("pooling changes the channel count \(inShape.c) → \(out.c)") }
        try requant(p.requant)
    case .globalAvgPool(let p):
        try inputCount(1)
        if out != Shape3(1, 1, inShape.c) { throw fail("output \(out) is not 1x1x\(inShape.c)") }
        if inShape.h * inShape.w > Int(Int32.max) / 255 { throw fail("\(inShape) has too many pixels for an int32 sum") }
        try requant(p)
    }
}
