/// `.tflite` import, the ops that build on patterns of several TFLite operators (see
/// `TFLiteImport.swift`): convolutions (with the padding pending on their input, SPLIT parts and
/// their CONCATENATION into one grouped convolution, the depthwise convolution of ones that an
/// average pool is), PAD / PADV2 / constant borders, MAX_POOL_2D, CONCATENATION, SPLIT and the
/// RESHAPE–TRANSPOSE–RESHAPE channel shuffle.
import Foundation
import QuantCore

extension TFLiteImporter {
    /// Where the window of a k×k op with stride s starts (`top`, `left`: the pending explicit
    /// padding plus TFLite's SAME rule on the padded input), checked against the output's size.
    func window(_ inShape: Shape3, _ pad: PaddedInput, padding: TFLitePadding, kH: Int, kW: Int, sH: Int, sW: Int,
                out: Shape3, _ where_: String) throws -> (top: Int, left: Int) {
        guard (1...15).contains(kH), (1...15).contains(kW), (1...8).contains(sH), (1...8).contains(sW) else {
            throw fail("\(where_): kernel \(kH)x\(kW) stride \(sH)x\(sW) is outside what is supported")
        }
        let ph = inShape.h + pad.top + pad.bottom, pw = inShape.w + pad.left + pad.right
        var top = pad.top, left = pad.left
        let oh: Int, ow: Int
        if padding == .same {
            oh = (ph + sH - 1) / sH; ow = (pw + sW - 1) / sW
            top += max((oh - 1) * sH + kH - ph, 0) / 2
            left += max((ow - 1) * sW + kW - pw, 0) / 2
        } else {
            guard ph >= kH, pw >= kW else { throw fail("\(where_): the kernel is larger than the input") }
            oh = (ph - kH) / sH + 1; ow = (pw - kW) / sW + 1
        }
        guard out.h == oh, out.w == ow else {
            throw fail("\(where_): output \(out) is not the \(oh)x\(ow) its input, kernel, stride and padding give")
        }
        return (top, left)
    }

    /// PAD (with the zero point) or PADV2 (with one constant) of H and W: pending on the output
    /// tensor until the window op that reads it.
    mutating func importPad(_ op: TFLiteOperator, code: Int32, outT: TFLiteTensor, where_: String) throws {
        guard (2...(code == TFLiteOp.padV2 ? 3 : 2)).contains(op.inputs.count) else { throw fail("\(where_): \(op.inputs.count) inputs") }
        let x = try input(op.inputs[0], where_)
        let p = try int32s(op.inputs[1], where_)
        guard p.count == 8, p[0] == 0, p[1] == 0, p[6] == 0, p[7] == 0, p.allSatisfy({ (0...64).contains($0) }) else {
            throw fail("\(where_): only padding of H and W by 0…64 is supported, got \(p)")
        }
        let inQ = infos[x], outQ = try activationInfo(outT, where_)
        guard sameGrid(inQ, outQ) else { throw fail("\(where_): PAD changes the grid") }
        var padded = PaddedInput(input: x, top: Int(p[2]), bottom: Int(p[3]), left: Int(p[4]), right: Int(p[5]))
        guard outQ.shape == Shape3(inQ.shape.h + padded.top + padded.bottom, inQ.shape.w + padded.left + padded.right, inQ.shape.c) else {
            throw fail("\(where_): output \(outQ.shape) is not the padded input")
        }
        if op.inputs.count == 3, op.inputs[2] >= 0 {
            let vT = try tensor(op.inputs[2], where_)
            let q = try grid(vT, where_, what: "pad value")
            let v = try data(vT, where_).bytes
            guard v.count == 1, q.scale == Float(inQ.scale), q.zeroPoint == inQ.zeroPoint else {
                throw fail("\(where_): the pad value must be one int8 on the input's grid")
            }
            let value = Int8(bitPattern: v[v.startIndex])
            if Int32(value) != inQ.zeroPoint { padded.values = [Int8](repeating: value, count: inQ.shape.c) }
        }
        bindings[op.outputs[0]] = .padded(padded)
    }

    /// CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED → `conv` (or `avgPool`, or a pending group convolution).
    mutating func conv(_ op: TFLiteOperator, code: Int32, outT: TFLiteTensor, where_: String) throws {
        var part: SplitPart?
        let src: PaddedInput
        switch bindings[op.inputs[0]] {
        case .splitPart(let p)?: part = p; src = p.source
        case .padded(let p)?: src = p
        default: src = PaddedInput(input: try input(op.inputs[0], where_))
        }
        let full = infos[src.input]
        let inShape = Shape3(full.shape.h, full.shape.w, part?.info.shape.c ?? full.shape.c)
        let out = try activationInfo(outT, where_)
        let w = try tensor(op.inputs[1], where_)
        guard w.type == .int8 || w.type == .int4 else { throw fail("\(where_): weights `\(w.name)` are \(w.type); only int8 and int4 weights are imported") }
        guard let wq = w.quantization, !wq.hasDetails, !wq.scale.isEmpty else { throw fail("\(where_): weights `\(w.name)` are not quantized") }
        let wData = try data(w, where_), wBytes = wData.bytes
        let outC = out.shape.c
        guard wq.scale.count == outC else {
            throw fail("\(where_): weights `\(w.name)` have \(wq.scale.count) scale(s) for \(outC) output channels; only per-channel weights are imported")
        }
        guard wq.zeroPoint.count == outC || wq.zeroPoint.count == 1, wq.zeroPoint.allSatisfy({ $0 == 0 }) else {
            throw fail("\(where_): weights `\(w.name)` are asymmetric (nonzero zero point); only symmetric weights are imported")
        }
        guard wq.scale.allSatisfy({ $0.isFinite && $0 > 0 }) else { throw fail("\(where_): weights `\(w.name)` have a scale that is not positive and finite") }
        var bias = [Int32](repeating: 0, count: outC)
        if op.inputs.count == 3, op.inputs[2] != -1 {
            bias = try int32s(op.inputs[2], where_)
            guard bias.count == outC else { throw fail("\(where_): bias `\(g.tensors[Int(op.inputs[2])].name)` has \(bias.count) values for \(outC) channels") }
        }
        let ws = w.shape.map(Int.init)
        var kH = 1, kW = 1, groups = 1, sH = 1, sW = 1
        var padding = TFLitePadding.valid
        var act = TFLiteActivation.none
        let bits = w.type == .int4 ? 4 : 8
        var weights = bits == 4 ? unpackInt4(wBytes, count: wData.shape.reduce(1, *)) : wBytes.map { Int8(bitPattern: $0) }
        switch op.options {
        case let .conv2D(p, strideW, strideH, a, dw, dh) where code == TFLiteOp.conv2D:
            guard dw == 1, dh == 1 else { throw fail("\(where_): dilation is not supported") }
            guard ws.count == 4, ws[0] == outC, ws[3] > 0, inShape.c % ws[3] == 0 else {
                throw fail("\(where_): filter shape \(w.shape) does not fit \(inShape.c) input and \(outC) output channels")
            }
            kH = ws[1]; kW = ws[2]; groups = inShape.c / ws[3]
            guard outC % groups == 0 else { throw fail("\(where_): \(outC) output channels in \(groups) groups") }
            padding = p; sH = Int(strideH); sW = Int(strideW); act = a
        case let .depthwiseConv2D(p, strideW, strideH, _, a, dw, dh) where code == TFLiteOp.depthwiseConv2D:
            guard dw == 1, dh == 1 else { throw fail("\(where_): dilation is not supported") }
            guard ws.count == 4, ws[0] == 1, ws[3] == outC, outC == inShape.c else {
                throw fail("\(where_): filter shape \(w.shape) is not [1, kh, kw, C] with C = \(inShape.c) (depth multiplier 1)")
            }
            guard wq.quantizedDimension == 3 else { throw fail("\(where_): depthwise weights must be quantized along dimension 3") }
            kH = ws[1]; kW = ws[2]; groups = outC
            padding = p; sH = Int(strideH); sW = Int(strideW); act = a
            // [1][kh][kw][C] → OHWI [C][kh][kw][1]
            let kk = kH * kW
            var t = [Int8](repeating: 0, count: weights.count)
            for c in 0..<outC { for k in 0..<kk { t[c * kk + k] = weights[k * outC + c] } }
            weights = t
        case let .fullyConnected(a, _) where code == TFLiteOp.fullyConnected:
            guard ws.count == 2, ws[0] == outC, ws[1] == inShape.count, inShape.h == 1, inShape.w == 1, !src.isPadded else {
                throw fail("\(where_): filter shape \(w.shape) does not fit the \(inShape) input")
            }
            act = a
        default:
            throw fail("\(where_): missing or wrong builtin options")
        }
        if code != TFLiteOp.depthwiseConv2D { guard wq.quantizedDimension == 0 else { throw fail("\(where_): weights must be quantized along dimension 0") } }
        let (top, left) = try window(inShape, src, padding: padding, kH: kH, kW: kW, sH: sH, sW: sW, out: out.shape, where_)
        let (lo, hi) = try activation(act, out, where_)
        let sIn = Float(full.scale)
        let ms = QConv.multipliers(inputScale: sIn, weightScales: wq.scale, outputScale: Float(out.scale))
        var padValue = src.values
        if let p = part, let v = padValue { padValue = Array(v[(p.index * inShape.c)..<((p.index + 1) * inShape.c)]) }
        let c = QConv(inChannels: inShape.c, outChannels: outC, kernelH: kH, kernelW: kW, strideH: sH, strideW: sW,
                      padTop: top, padLeft: left, groups: groups, weights: weights, bias: bias,
                      multiplier: ms.map(\.multiplier), shift: ms.map(\.shift), inputZeroPoint: full.zeroPoint,
                      outputZeroPoint: out.zeroPoint, actMin: lo, actMax: hi, padValue: padValue, weightScales: wq.scale, weightBits: bits)
        if let part {
            guard groups == 1 else { throw fail("\(where_): a grouped convolution of a SPLIT part is not supported") }
            bindings[op.outputs[0]] = .groupConv(GroupConv(part: part, conv: c, output: out, name: outT.name))
            return
        }
        // The depthwise convolution of ones that an average pool (counting padding) is exported as.
        let k = kH, poolScale = QRequantize.averagePoolWeightScale(kernel: k)
        if code == TFLiteOp.depthwiseConv2D, k >= 2, kW == k, sW == sH, bits == 8, padValue == nil, lo == -128, hi == 127,
           weights.allSatisfy({ $0 == 1 }), bias.allSatisfy({ $0 == 0 }), wq.scale.allSatisfy({ $0 == poolScale }) {
            let r = QRequantize.averagePool(kernel: k, inputScale: sIn, inputZeroPoint: full.zeroPoint, outputScale: Float(out.scale),
                                            outputZeroPoint: out.zeroPoint)
            produce(QNode(name: outT.name, op: .avgPool(QPool(kernel: k, stride: sH, padTop: top, padLeft: left, requant: r)),
                          inputs: [src.input], output: out), output: op.outputs[0])
            return
        }
        produce(QNode(name: outT.name, op: .conv(c), inputs: [src.input], output: out), output: op.outputs[0])
    }

    /// MAX_POOL_2D (square window and stride, no fused clamp, one grid) → `maxPool`; explicit padding
    /// must stand for −128 (it then never wins, as in TFLite's SAME and our kernel).
    mutating func maxPool(_ op: TFLiteOperator, outT: TFLiteTensor, where_: String) throws {
        guard case let .pool2D(padding, sW, sH, fW, fH, act) = op.options else { throw fail("\(where_): missing Pool2DOptions") }
        let src = try windowInput(op.inputs[0], where_)
        let inInfo = infos[src.input]
        let out = try activationInfo(outT, where_)
        guard fW == fH, sW == sH else { throw fail("\(where_): only square windows and strides are supported (\(fH)x\(fW), stride \(sH)x\(sW))") }
        guard act == .none else { throw fail("\(where_): a fused activation on MAX_POOL_2D is not supported") }
        guard sameGrid(out, inInfo), out.shape.c == inInfo.shape.c else { throw fail("\(where_): MAX_POOL_2D must keep its input's grid and channels") }
        if src.isPadded {
            let minimum = src.values.map { $0.allSatisfy { $0 == -128 } } ?? (inInfo.zeroPoint == -128)
            guard minimum else { throw fail("\(where_): padding before MAX_POOL_2D must be −128") }
        }
        let (top, left) = try window(inInfo.shape, src, padding: padding, kH: Int(fH), kW: Int(fW), sH: Int(sH), sW: Int(sW),
                                     out: out.shape, where_)
        let unused = QRequantize(inputZeroPoint: inInfo.zeroPoint, multiplier: 0, shift: 0, outputZeroPoint: out.zeroPoint)
        produce(QNode(name: outT.name, op: .maxPool(QPool(kernel: Int(fH), stride: Int(sH), padTop: top, padLeft: left, requant: unused)),
                      inputs: [src.input], output: out), output: op.outputs[0])
    }

    /// SPLIT along channels into equal parts: each output pending as a `SplitPart`.
    mutating func split(_ op: TFLiteOperator, index k: Int, where_: String) throws {
        guard op.inputs.count == 2 else { throw fail("\(where_): \(op.inputs.count) inputs") }
        guard case .split(let n) = op.options, Int(n) == op.outputs.count, n >= 1 else { throw fail("\(where_): missing SplitOptions or wrong output count") }
        let axis = try int32s(op.inputs[0], where_)
        guard axis == [3] || axis == [-1] else { throw fail("\(where_): only a split along channels is supported (axis \(axis))") }
        let src = try windowInput(op.inputs[1], where_)
        let inInfo = infos[src.input]
        guard inInfo.shape.c % Int(n) == 0 else { throw fail("\(where_): \(inInfo.shape.c) channels in \(n) parts") }
        let part = Shape3(inInfo.shape.h + src.top + src.bottom, inInfo.shape.w + src.left + src.right, inInfo.shape.c / Int(n))
        for (j, o) in op.outputs.enumerated() {
            let t = try tensor(o, where_)
            let info = try activationInfo(t, where_)
            guard info.shape == part, sameGrid(info, inInfo) else { throw fail("\(where_): output \(j) is not \(part) on the input's grid") }
            bindings[o] = .splitPart(SplitPart(source: src, split: k, index: j, parts: Int(n), info: info, name: t.name))
        }
    }

    /// CONCATENATION: along channels, of group convolutions of one SPLIT (→ one grouped `conv`) or
    /// of values on the output's grid (→ `concat`); along H or W, constant borders around one
    /// tensor (→ padding with a value per channel, pending).
    mutating func concatenation(_ op: TFLiteOperator, outT: TFLiteTensor, where_: String) throws {
        guard case let .concatenation(axis, act) = op.options else { throw fail("\(where_): missing ConcatenationOptions") }
        guard act == .none else { throw fail("\(where_): a fused activation on CONCATENATION is not supported") }
        guard !op.inputs.isEmpty else { throw fail("\(where_): no inputs") }
        let out = try activationInfo(outT, where_)
        let rank = Int32(outT.shape.count)
        let a = axis < 0 ? axis + rank : axis
        if a == rank - 1 {
            let parts = op.inputs.compactMap { i -> GroupConv? in if case .groupConv(let c)? = bindings[i] { return c } else { return nil } }
            if parts.count == op.inputs.count, let grouped = try groupedConv(parts, out: out, where_) {
                produce(QNode(name: outT.name, op: .conv(grouped), inputs: [parts[0].part.source.input], output: out), output: op.outputs[0])
                return
            }
            let xs = try op.inputs.map { try input($0, where_) }
            guard xs.allSatisfy({ sameGrid(infos[$0], out) && infos[$0].shape.h == out.shape.h && infos[$0].shape.w == out.shape.w }),
                  xs.reduce(0, { $0 + infos[$1].shape.c }) == out.shape.c else {
                throw fail("\(where_): only a concatenation of channels on one grid is supported")
            }
            produce(QNode(name: outT.name, op: .concat, inputs: xs, output: out), output: op.outputs[0])
            return
        }
        guard rank == 4, a == 1 || a == 2 else { throw fail("\(where_): concatenation along axis \(axis) is not supported") }
        // Constant borders [before | x | after] along H (axis 1) or W (axis 2).
        guard let m = op.inputs.firstIndex(where: { !isConstant($0) }), op.inputs.filter({ !isConstant($0) }).count == 1,
              m <= 1, op.inputs.count - m <= 2 else {
            throw fail("\(where_): along H or W only constant borders around one tensor are supported (padding)")
        }
        var p: PaddedInput
        if case .padded(let q)? = bindings[op.inputs[m]], a == 1, q.top == 0, q.bottom == 0 { p = q } else { p = PaddedInput(input: try input(op.inputs[m], where_)) }
        let inInfo = infos[p.input]
        let width = inInfo.shape.w + p.left + p.right
        var values: [Int8]?
        for (j, b) in op.inputs.enumerated() where j != m {
            let t = try tensor(b, where_)
            let q = try grid(t, where_, what: "border")
            let bytes = try data(t, where_).bytes
            let s = t.shape.map(Int.init)
            let c = inInfo.shape.c
            guard q.scale == Float(inInfo.scale), q.zeroPoint == inInfo.zeroPoint, s.count == 4, s[0] == 1, s[3] == c,
                  a == 1 ? s[2] == width : s[1] == inInfo.shape.h, s[1] >= 1, s[2] >= 1, s[Int(a)] <= 64 else {
                throw fail("\(where_): border `\(t.name)` \(t.shape) does not fit the \(inInfo.shape) tensor it pads")
            }
            let v = bytes.prefix(c).map { Int8(bitPattern: $0) }
            guard bytes.indices.allSatisfy({ Int8(bitPattern: bytes[$0]) == v[($0 - bytes.startIndex) % c] }), values == nil || values! == v else {
                throw fail("\(where_): border `\(t.name)` is not one value per channel")
            }
            values = v
            if a == 1 { if j < m { p.top = s[1] } else { p.bottom = s[1] } } else { if j < m { p.left = s[2] } else { p.right = s[2] } }
        }
        if let v = values, v.allSatisfy({ Int32($0) == inInfo.zeroPoint }) { values = nil }
        if p.left + p.right > 0 && a == 1 { guard p.values == values else { throw fail("\(where_): the borders along H and W pad with different values") } }
        p.values = values
        guard out.shape == Shape3(inInfo.shape.h + p.top + p.bottom, inInfo.shape.w + p.left + p.right, inInfo.shape.c), sameGrid(out, inInfo) else {
            throw fail("\(where_): output \(out.shape) is not the padded \(inInfo.shape) tensor")
        }
        bindings[op.outputs[0]] = .padded(p)
    }

    /// The grouped convolution that SPLIT → one convolution per part → CONCATENATION is, or nil
    /// when the parts are not all the groups of one SPLIT in order with one set of conv options.
    func groupedConv(_ parts: [GroupConv], out: QTensorInfo, _ where_: String) throws -> QConv? {
        let first = parts[0]
        let n = first.part.parts
        guard parts.count == n, parts.enumerated().allSatisfy({ $0.element.part.split == first.part.split && $0.element.part.index == $0.offset }) else {
            return nil
        }
        let c0 = first.conv
        for p in parts {
            let c = p.conv
            guard c.kernelH == c0.kernelH, c.kernelW == c0.kernelW, c.strideH == c0.strideH, c.strideW == c0.strideW,
                  c.padTop == c0.padTop, c.padLeft == c0.padLeft, c.actMin == c0.actMin, c.actMax == c0.actMax,
                  c.outChannels == c0.outChannels, c.weightBits == c0.weightBits, sameGrid(p.output, out),
                  p.output.shape.h == out.shape.h, p.output.shape.w == out.shape.w else { return nil }
        }
        guard c0.outChannels * n == out.shape.c else { return nil }
        var c = c0
        c.inChannels = infos[first.part.source.input].shape.c
        c.outChannels = out.shape.c
        c.groups = n
        c.weights = parts.flatMap(\.conv.weights)
        c.bias = parts.flatMap(\.conv.bias)
        c.multiplier = parts.flatMap(\.conv.multiplier)
        c.shift = parts.flatMap(\.conv.shift)
        c.weightScales = parts.flatMap(\.conv.weightScales)
        c.padValue = first.part.source.values
        return c
    }

    /// RESHAPE `[1, H, W, C]` → `[H·W, g, C/g]`, TRANSPOSE `[0, 2, 1]`, RESHAPE back → `shuffle`;
    /// a RESHAPE that keeps the value's shape and grid (e.g. `[1, 1, 1, C]` → `[1, C]`) is skipped.
    mutating func shuffleStep(_ op: TFLiteOperator, code: Int32, outT: TFLiteTensor, where_: String) throws {
        guard (1...2).contains(op.inputs.count) else { throw fail("\(where_): \(op.inputs.count) inputs") }
        let q = try grid(outT, where_)
        let shape = outT.shape.map(Int.init)
        func onGrid(_ v: Int) -> Bool { q.scale == Float(infos[v].scale) && q.zeroPoint == infos[v].zeroPoint }
        if code == TFLiteOp.transpose {
            guard op.inputs.count == 2, case .grouped(let v, let groups)? = bindings[op.inputs[0]] else {
                throw fail("\(where_): TRANSPOSE is supported only as a channel shuffle (RESHAPE, TRANSPOSE [0, 2, 1], RESHAPE back)")
            }
            let s = infos[v].shape
            guard try int32s(op.inputs[1], where_) == [0, 2, 1], shape == [s.h * s.w, s.c / groups, groups], onGrid(v) else {
                throw fail("\(where_): only the transpose [0, 2, 1] of a channel shuffle is supported")
            }
            bindings[op.outputs[0]] = .transposed(value: v, groups: groups)
            return
        }
        if case .transposed(let v, let groups)? = bindings[op.inputs[0]] {
            let out = try activationInfo(outT, where_)
            guard out.shape == infos[v].shape, onGrid(v) else { throw fail("\(where_): a channel shuffle must end with the input's shape") }
            produce(QNode(name: outT.name, op: .shuffle(groups: groups), inputs: [v], output: out), output: op.outputs[0])
            return
        }
        let x = try input(op.inputs[0], where_)
        let s = infos[x].shape
        if shape.count == 3, shape[0] == s.h * s.w, shape[1] >= 1, shape[1] * shape[2] == s.c, onGrid(x) {
            bindings[op.outputs[0]] = .grouped(value: x, groups: shape[1])
        } else if let out = try? activationInfo(outT, where_), out.shape == s, onGrid(x) {
            bindings[op.outputs[0]] = .value(x)
        } else {
            throw fail("\(where_): RESHAPE to \(outT.shape) is supported only as a channel shuffle or when it keeps the shape")
        }
    }
}
