import QuantCore

/// One op encoded as its blob record: the 32-bit words of the record (common header, input ids,
/// parameters) and the tensors it references, in reference order.
struct EncodedOp {
    var words: [UInt32]
    var tensors: [(kind: BlobTensorKind, bytes: [UInt8])]
}

/// Where every part of a model's blob goes (Docs/BLOB_FORMAT.md, "Overall layout"): the encoded
/// ops and strings and the offset of every region and tensor. Shared by the writer and the
/// memory planner (which reports the blob size).
struct BlobLayout {
    var ops: [EncodedOp]
    var strings: [UInt8]
    var metadataCount: Int
    var valuesOffset = BlobFormat.headerSize, opsOffset = 0, opsSize = 0
    var tensorsOffset = 0, tensorCount = 0, stringsOffset = 0, dataOffset = 0, dataSize = 0, totalSize = 0
    /// The stage table: after the tensor data; offset 0 when there are no stages.
    var stagesOffset = 0, stageCount = 0
    /// Absolute offset of every tensor, in table order.
    var tensorOffsets: [Int] = []
    /// Bytes of weights (int8, and int4 packed two per byte), and of every other tensor (bias,
    /// multipliers, shifts, pad values, weight scales, lookup tables), each stored once.
    var weightBytes = 0, parameterBytes = 0
    /// Weight bytes not stored again because an earlier op's weight tensor holds the same bytes.
    var sharedWeightBytes = 0

    /// A weight tensor at least this large is stored once when several ops hold the same bytes
    /// (e.g. a `.tflite` whose two FULLY_CONNECTED ops share one 1024×576 weight tensor); the table
    /// entries of the later ops repeat the first one's (Docs/BLOB_FORMAT.md). Smaller tensors (the
    /// hard-sigmoid convolutions' weight vectors of a few hundred bytes) keep one copy per op.
    static let minSharedWeightBytes = 4096

    init(_ model: QModel) {
        var nextTensor = 0
        ops = model.nodes.enumerated().map { (i, node) in
            let v = node.inputs.first ?? -1
            let inputScale = v >= 0 && v <= i ? model.info(v).scale32 : 0
            return encodeOp(node, index: i, inputScale: inputScale, nextTensor: &nextTensor)
        }
        let metadata = model.metadata.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
        metadataCount = metadata.count
        var s = ByteWriter()
        for text in [model.name] + model.nodes.map(\.name) + metadata.flatMap({ [$0.key, $0.value] }) {
            let utf8 = Array(text.utf8)
            s.u32(UInt32(utf8.count)); s.append(utf8)
        }
        strings = s.bytes

        opsOffset = alignUp(valuesOffset + (model.nodes.count + 1) * BlobFormat.valueRecordSize)
        opsSize = ops.reduce(0) { $0 + 4 * $1.words.count }
        tensorsOffset = alignUp(opsOffset + opsSize)
        tensorCount = nextTensor
        stringsOffset = alignUp(tensorsOffset + tensorCount * BlobFormat.tensorEntrySize)
        dataOffset = alignUp(stringsOffset + strings.count)
        var at = dataOffset
        // Large weight tensors stored so far, by kind, size and CRC-32 (not by their bytes: no
        // second copy of the weights); a match is confirmed byte by byte against the stored tensor.
        var stored: [SharedWeightKey: [(op: Int, tensor: Int, offset: Int)]] = [:]
        for (o, op) in ops.enumerated() {
            tensorLoop: for (k, t) in op.tensors.enumerated() {
                let isWeights = t.kind == .weights || t.kind == .weightsInt4
                let key = isWeights && t.bytes.count >= Self.minSharedWeightBytes ? SharedWeightKey(t.kind, t.bytes) : nil
                if let key {
                    for earlier in stored[key, default: []] where ops[earlier.op].tensors[earlier.tensor].bytes == t.bytes {
                        tensorOffsets.append(earlier.offset)
                        sharedWeightBytes += t.bytes.count
                        continue tensorLoop
                    }
                    stored[key, default: []].append((o, k, at))
                }
                tensorOffsets.append(at)
                at = alignUp(at + t.bytes.count)
                if isWeights { weightBytes += t.bytes.count } else { parameterBytes += t.bytes.count }
            }
        }
        dataSize = at - dataOffset
        stageCount = model.schedule.stages.count
        if stageCount > 0 {
            stagesOffset = at
            at = alignUp(at + stageCount * BlobFormat.stageEntrySize)
        }
        totalSize = at
    }
}

/// A weight tensor's kind, size and CRC-32: which earlier tensors may hold the same bytes.
private struct SharedWeightKey: Hashable {
    var kind: BlobTensorKind, count: Int, crc: UInt32
    init(_ kind: BlobTensorKind, _ bytes: [UInt8]) { (self.kind, count, crc) = (kind, bytes.count, crc32(bytes)) }
}

/// Encodes node `index` (whose first input has scale `inputScale`) as an op record; `nextTensor`
/// is the index of the next tensor table entry and advances by the number of tensors the op
/// references. A CONV's weights are int8 or packed int4 (`weightBits`), its shifts int8, and its
/// weight scales are left out (`NONE`) when `weightScalesRecoverable`.
func encodeOp(_ node: QNode, index: Int, inputScale: Float, nextTensor: inout Int) -> EncodedOp {
    var type = blobOpType(node.op)
    var params: [Int32] = []
    var tensors: [(kind: BlobTensorKind, bytes: [UInt8])] = []
    func tensor(_ kind: BlobTensorKind, _ bytes: [UInt8]) -> Int32 {
        tensors.append((kind, bytes))
        nextTensor += 1
        return Int32(truncatingIfNeeded: nextTensor - 1)
    }
    func requant(_ r: QRequantize) -> [Int32] {
        [r.inputZeroPoint, r.multiplier, r.shift, r.outputZeroPoint, r.actMin, r.actMax]
    }
    switch node.op {
    case .conv(let c) where isUniform1x1(c, inputScale: inputScale, outputScale: node.output.scale32):
        type = .uniform1x1
        params = [c.inputZeroPoint, Int32(c.weights[0]), c.bias[0], c.multiplier[0], c.shift[0], c.outputZeroPoint, c.actMin, c.actMax]
    case .conv(let c):
        params = [c.inChannels, c.outChannels, c.kernelH, c.kernelW, c.strideH, c.strideW, c.padTop, c.padLeft, c.groups]
            .map { Int32(truncatingIfNeeded: $0) }
        params += [c.inputZeroPoint, c.outputZeroPoint, c.actMin, c.actMax]
        params.append(c.weightBits == 4 ? tensor(.weightsInt4, packInt4(c.weights)) : tensor(.weights, c.weights.bytePatterns))
        params.append(tensor(.bias, c.bias.littleEndianBytes))
        params.append(tensor(.multiplier, c.multiplier.littleEndianBytes))
        // int8 shifts; one outside int8 (an invalid model) saturates, so it stays out of range.
        params.append(tensor(.shift, c.shift.map { UInt8(bitPattern: Int8(clamping: $0)) }))
        params.append(c.padValue.map { tensor(.padValues, $0.bytePatterns) } ?? Int32(bitPattern: BlobFormat.noTensor))
        params.append(weightScalesRecoverable(c, inputScale: inputScale, outputScale: node.output.scale32)
                      ? Int32(bitPattern: BlobFormat.noTensor)
                      : tensor(.weightScales, c.weightScales.map { Int32(bitPattern: $0.bitPattern) }.littleEndianBytes))
    case .add(let a):
        params = [a.input1ZeroPoint, a.input2ZeroPoint, a.leftShift, a.input1Multiplier, a.input1Shift,
                  a.input2Multiplier, a.input2Shift, a.outputMultiplier, a.outputShift, a.outputZeroPoint, a.actMin, a.actMax]
    case .mul(let m):
        params = [m.inputZeroPoint, m.gateZeroPoint, m.multiplier, m.shift, m.outputZeroPoint, m.actMin, m.actMax]
    case .hardSwish(let h):
        params = [h.inputZeroPoint, h.outputZeroPoint, h.outputMultiplier, h.outputExponent, h.reluishMultiplier, h.reluishExponent]
    case .lookup(let l):
        params = [tensor(.table, l.table.bytePatterns)]
    case .requantize(let r), .globalAvgPool(let r):
        params = requant(r)
    case .concat:
        params = []
    case .split(let start, let count):
        params = [Int32(truncatingIfNeeded: start), Int32(truncatingIfNeeded: count)]
    case .shuffle(let groups):
        params = [Int32(truncatingIfNeeded: groups)]
    case .maxPool(let p), .avgPool(let p):
        params = [p.kernel, p.stride, p.padTop, p.padLeft].map { Int32(truncatingIfNeeded: $0) } + requant(p.requant)
    }
    let recordWords = 4 + node.inputs.count + params.count
    var words: [UInt32] = [type.rawValue, UInt32(4 * recordWords), UInt32(index + 1), UInt32(node.inputs.count)]
    words += node.inputs.map { UInt32(truncatingIfNeeded: $0) }
    words += params.map { UInt32(bitPattern: $0) }
    return EncodedOp(words: words, tensors: tensors)
}

/// Whether every weight scale of `c` is the one `QConv.recoverWeightScale` finds from its
/// multiplier and shift, so the blob can leave the scales out and a reader gets them back exactly.
func weightScalesRecoverable(_ c: QConv, inputScale: Float, outputScale: Float) -> Bool {
    !c.weightScales.isEmpty && c.weightScales.count == c.outChannels && c.outChannels == c.multiplier.count
        && c.weightScales.indices.allSatisfy { k in
            QConv.recoverWeightScale(multiplier: c.multiplier[k], shift: c.shift[k], inputScale: inputScale,
                                     outputScale: outputScale)?.bitPattern == c.weightScales[k].bitPattern
        }
}

/// Whether `c` is written as a `UNIFORM_1X1` op: a 1×1 depthwise convolution, stride 1, no padding,
/// int8 weights without pad values, whose channels all have the same weight, bias, multiplier and
/// shift, and whose weight scale the reader recovers exactly (`weightScalesRecoverable`) — the
/// hard-sigmoid gates. The record's 8 words then replace five per-channel tensors.
func isUniform1x1(_ c: QConv, inputScale: Float, outputScale: Float) -> Bool {
    let n = c.outChannels
    guard n >= 1, c.kernelH == 1, c.kernelW == 1, c.strideH == 1, c.strideW == 1, c.padTop == 0, c.padLeft == 0,
          c.groups == c.inChannels, c.groups == n, c.weightBits == 8, c.padValue == nil,
          c.weights.count == n, c.bias.count == n, c.multiplier.count == n, c.shift.count == n else { return false }
    return c.weights.allSatisfy { $0 == c.weights[0] } && c.bias.allSatisfy { $0 == c.bias[0] }
        && c.multiplier.allSatisfy { $0 == c.multiplier[0] } && c.shift.allSatisfy { $0 == c.shift[0] }
        && weightScalesRecoverable(c, inputScale: inputScale, outputScale: outputScale)
}
