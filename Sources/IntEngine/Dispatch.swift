import QuantCore

/// The one dispatcher: picks the kernel variant for every node. With `useReference` every node
/// runs its reference kernel; otherwise:
/// - convolution: fully connected (1×1 on 1×1, one group) → `FullyConnected`; 1×1 stride 1
///   without padding → `PointwiseConv` (any groups); depthwise with a square kernel →
///   `DepthwiseConv` (3×3 and 5×5 unrolled); everything else (the stem) → `GeneralConv`;
/// - hard-swish, lookup, requantize → `LookupTable` built from the reference kernel;
/// - residual add → `ResidualAdd`; squeeze-excitation multiply → `SqueezeMul`; global average
///   pool → `GlobalAveragePool`; concat → `ChannelConcat`; split → `ChannelSplit`;
/// - the rest (max and average pooling, shuffle: plain loops already) → the reference kernel.
///
/// The convolution kernels, the lookup tables and the squeeze-excitation multiply run the
/// AVX-512 VNNI / VBMI C kernels
/// (IntKernels) when `vnni` (default: the CPU has them, `hostHasVNNI`), their portable Swift
/// path otherwise.
func makeKernel(_ node: QNode, model: QModel, useReference: Bool, vnni: Bool = hostHasVNNI) -> any NodeKernel {
    makeKernel(node, inputShapes: node.inputs.map { model.info($0).shape }, useReference: useReference, vnni: vnni)
}

/// `makeKernel` for a node whose inputs have `inputShapes` (a node of a patch stage on a band of
/// rows: `bandNode`).
func makeKernel(_ node: QNode, inputShapes: [Shape3], useReference: Bool, vnni: Bool = hostHasVNNI) -> any NodeKernel {
    let inShape = inputShapes[0]
    let outShape = node.output.shape
    switch node.op {
    case .conv(let p):
        if useReference { return ReferenceKernel.Conv(p: p, inShape: inShape, outShape: outShape) }
        let oneByOne = p.kernelH == 1 && p.kernelW == 1
        if oneByOne && p.groups == 1 && inShape.h == 1 && inShape.w == 1 && outShape.h == 1 && outShape.w == 1 {
            return FullyConnected(p, vnni: vnni)
        }
        if oneByOne && p.strideH == 1 && p.strideW == 1 && p.padTop == 0 && p.padLeft == 0
            && inShape.h == outShape.h && inShape.w == outShape.w {
            return PointwiseConv(p, inShape: inShape, vnni: vnni)
        }
        if p.groups == p.inChannels && p.groups == p.outChannels && p.kernelH == p.kernelW {
            return DepthwiseConv(p, inShape: inShape, outShape: outShape, vnni: vnni)
        }
        return GeneralConv(p, inShape: inShape, outShape: outShape, vnni: vnni)
    case .hardSwish(let p):
        if useReference { return ReferenceKernel.HardSwish(p: p, shape: outShape) }
        return LookupTable(count: outShape.count, vnni: vnni) { referenceHardSwish($0, $1, p, $2) }
    case .lookup(let p):
        if useReference { return ReferenceKernel.Lookup(p: p, shape: outShape) }
        return LookupTable(count: outShape.count, vnni: vnni) { referenceLookup($0, $1, p, $2) }
    case .requantize(let p):
        if useReference { return ReferenceKernel.Requantize(p: p, shape: outShape) }
        return LookupTable(count: outShape.count, vnni: vnni) { referenceRequantize($0, $1, p, $2) }
    case .add(let p):
        if useReference { return ReferenceKernel.Add(p: p, shape: outShape) }
        return ResidualAdd(p, count: outShape.count)
    case .mul(let p):
        if useReference { return ReferenceKernel.Mul(p: p, shape: outShape) }
        return SqueezeMul(p, shape: outShape, vnni: vnni)
    case .concat:
        let inShapes = inputShapes
        if useReference { return ReferenceKernel.Concat(inShapes: inShapes, outShape: outShape) }
        return ChannelConcat(inShapes: inShapes)
    case .split(let start, let count):
        if useReference { return ReferenceKernel.Split(start: start, inShape: inShape, outShape: outShape) }
        return ChannelSplit(start: start, inChannels: inShape.c, count: count, pixels: outShape.h * outShape.w)
    case .shuffle(let groups):
        return ReferenceKernel.Shuffle(groups: groups, shape: outShape)
    case .maxPool(let p):
        return ReferenceKernel.MaxPool(p: p, inShape: inShape, outShape: outShape)
    case .avgPool(let p):
        return ReferenceKernel.AvgPool(p: p, inShape: inShape, outShape: outShape)
    case .globalAvgPool(let p):
        if useReference { return ReferenceKernel.GlobalAvgPool(p: p, inShape: inShape) }
        return GlobalAveragePool(p, inShape: inShape)
    }
}
