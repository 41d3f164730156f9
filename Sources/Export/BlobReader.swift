import QuantCore

/// Reads a version-4 blob back into a `QModel` (with its execution schedule), validating everything the C loader validates
/// (Docs/BLOB_FORMAT.md, "Validation", same checks in the same order): header, CRC, region and
/// tensor bounds and alignment, strings, every op record and parameter, and the memory plan —
/// and then what only Swift checks: every scale is a float32 value and every multiplier is the
/// one TFLM derives from the scales (`derivationProblem`).
/// Throws a `ToolkitError` naming `path` and the first problem found; never traps on bad bytes.
public func readBlob(_ bytes: [UInt8], path: String) throws -> QModel {
    try bytes.withByteView(file: path) { try BlobReader(bytes: bytes, view: $0).read() }
}

/// The state of one `readBlob` call.
private struct BlobReader {
    let bytes: [UInt8]
    /// Bounds-checked field reads (the checks below validate every region first; a read past the
    /// end would still be an error, never a zero).
    let b: ByteView
    var path: String { b.file }
    /// Header fields by name (offsets from Docs/BLOB_FORMAT.md).
    let totalSize: Int, opCount: Int, tensorCount: Int, arenaBytes: Int, scratchBytes: Int, metadataCount: Int
    /// The stage table's place and entry count.
    let stagesOffset: Int, stageCount: Int

    /// Checks what must hold before the header fields can be read: length, magic, version.
    init(bytes: [UInt8], view: ByteView) throws {
        self.bytes = bytes
        b = view
        let path = view.file
        let n = bytes.count
        if n < 8 { throw BlobProblem.truncated.error(path, "\(n) bytes, too short for a blob header") }
        if Array(bytes[0..<4]) != BlobFormat.magic {
            throw BlobProblem.magic.error(path, "the file starts with \(bytes[0..<4].map { String(format2: $0) }.joined(separator: " ")), expected 51 38 4D 42 ('Q8MB')")
        }
        let version = try view.u32(4, "blob version")
        if version == 1 || version == 2 {
            throw BlobProblem.version.error(path, "version \(version) uses the toolkit's earlier arithmetic; this reader implements version 4 (TFLite Micro's arithmetic): quantize the model again")
        }
        if version == 3 {
            throw BlobProblem.version.error(path, "version 3 (int32 shifts, int8 weights only) was written by an earlier toolkit; this reader implements version 4: quantize or export the model again")
        }
        if !BlobFormat.versions.contains(version) {
            throw BlobProblem.version.error(path, "version \(version); this reader implements versions \(BlobFormat.versions.lowerBound)…\(BlobFormat.versions.upperBound)")
        }
        if n < BlobFormat.headerSize { throw BlobProblem.truncated.error(path, "\(n) bytes, the header alone is \(BlobFormat.headerSize)") }
        totalSize = Int(try view.u32(12, "total size"))
        opCount = Int(try view.u32(20, "op count"))
        tensorCount = Int(try view.u32(28, "tensor count"))
        arenaBytes = Int(try view.u32(32, "arena size"))
        scratchBytes = Int(try view.u32(36, "scratch size"))
        metadataCount = Int(try view.u32(60, "metadata count"))
        stagesOffset = Int(try view.u32(112, "stage table offset"))
        stageCount = Int(try view.u32(116, "stage count"))
    }

    func fail(_ p: BlobProblem, _ detail: String) -> ToolkitError { p.error(path, detail) }

    func read() throws -> QModel {
        try checkHeader()
        try checkRegions()
        let tensors = try readTensorTable()
        let strings = try readStrings()
        let stages = try readStages()
        let values = try readValues(insideStages: Set(stages.flatMap { s in (s.firstNode + 1..<s.lastNode + 1).map { $0 } }))
        let nodes = try readOps(values: values, tensors: tensors, names: Array(strings.dropFirst().prefix(opCount)))
        var metadata: [String: String] = [:]
        let pairs = strings.dropFirst(1 + opCount)
        for k in stride(from: pairs.startIndex, to: pairs.endIndex, by: 2) { metadata[pairs[k]] = pairs[k + 1] }
        var model = QModel(name: strings[0], input: values[0].info, nodes: nodes, numClasses: Int((try b.u32(48, "class count"))), metadata: metadata,
                           schedule: ExecutionSchedule(stages: stages))
        try validateModel(model, file: path)
        try checkPlan(&model, offsets: values.map(\.arenaOffset))
        for v in 0...model.nodes.count where !(Double(Float(values[v].scaleBits)) == values[v].scaleBits) {
            throw fail(.parameter, "value \(v) has scale \(values[v].scaleBits), not a float32 value")
        }
        if let problem = derivationProblem(model) { throw fail(.parameter, problem) }
        return model
    }

    /// Magic, version, sizes, counts, reserved fields, CRC.
    func checkHeader() throws {
        let n = bytes.count
        if (try b.u32(8, "blob field")) != UInt32(BlobFormat.headerSize) { throw fail(.header, "header size \((try b.u32(8, "blob field"))), expected \(BlobFormat.headerSize)") }
        if totalSize > BlobFormat.maxSize || totalSize % BlobFormat.alignment != 0 || totalSize < BlobFormat.headerSize {
            throw fail(.header, "total size \(totalSize) is not a multiple of 16 between 128 and 2^31 − 1")
        }
        if n < totalSize { throw fail(.truncated, "\(n) bytes, the header says \(totalSize)") }
        if bytes[120..<128].contains(where: { $0 != 0 }) { throw fail(.header, "reserved header bytes are not zero") }
        if opCount < 1 { throw fail(.header, "the model has no ops") }
        if Int((try b.u32(24, "blob field"))) != opCount + 1 { throw fail(.header, "value count \((try b.u32(24, "blob field"))) is not op count \(opCount) + 1") }
        if (try b.u32(40, "blob field")) != 0 { throw fail(.header, "input value \((try b.u32(40, "blob field"))), must be 0") }
        if Int((try b.u32(44, "blob field"))) != opCount { throw fail(.header, "output value \((try b.u32(44, "blob field"))), must be the op count \(opCount)") }
        let stored = (try b.u32(16, "blob field"))
        let computed = crc32(bytes[20..<totalSize])
        if stored != computed {
            throw fail(.crc, "stored \(hex(stored)), computed \(hex(computed)) over bytes 20..<\(totalSize)")
        }
    }

    /// Each region ends inside the blob, is 16-aligned, and starts after the previous one.
    func checkRegions() throws {
        let valueCount = opCount + 1
        let regions: [(String, Int, Int)] = [
            ("value table", Int((try b.u32(80, "blob field"))), valueCount * BlobFormat.valueRecordSize),
            ("op records", Int((try b.u32(84, "blob field"))), Int((try b.u32(88, "blob field")))),
            ("tensor table", Int((try b.u32(92, "blob field"))), tensorCount * BlobFormat.tensorEntrySize),
            ("string section", Int((try b.u32(96, "blob field"))), Int((try b.u32(100, "blob field")))),
            ("tensor data", Int((try b.u32(104, "blob field"))), Int((try b.u32(108, "blob field")))),
        ]
        var end = BlobFormat.headerSize
        for (name, offset, size) in regions {
            if offset + size > totalSize { throw fail(.bounds, "the \(name) (\(size) bytes at \(offset)) runs past the end (\(totalSize))") }
            if offset % BlobFormat.alignment != 0 { throw fail(.align, "the \(name) starts at \(offset)") }
            if offset < end { throw fail(.bounds, "the \(name) at \(offset) overlaps what precedes it (ends at \(end))") }
            end = offset + size
        }
        if stageCount == 0 ? stagesOffset != 0 : stagesOffset + stageCount * BlobFormat.stageEntrySize > totalSize || stagesOffset < end {
            throw fail(.bounds, "the stage table (\(stageCount) entries at \(stagesOffset)) is not between the tensor data and the end")
        }
        if stagesOffset % BlobFormat.alignment != 0 { throw fail(.align, "the stage table starts at \(stagesOffset)") }
        if arenaBytes + scratchBytes > BlobFormat.maxSize { throw fail(.bounds, "arena \(arenaBytes) + scratch \(scratchBytes) bytes exceed 2^31 − 1") }
        if arenaBytes % BlobFormat.alignment != 0 { throw fail(.align, "arena size \(arenaBytes)") }
    }

    /// The tensor table entries: (kind, data bytes), validated against the data region.
    func readTensorTable() throws -> [(kind: BlobTensorKind, bytes: ArraySlice<UInt8>)] {
        let dataStart = Int((try b.u32(104, "blob field"))), dataEnd = dataStart + Int((try b.u32(108, "blob field")))
        var end = dataStart
        var placed: [Int: (size: Int, kind: UInt32)] = [:]   // offset → the entry that placed data there
        var result: [(kind: BlobTensorKind, bytes: ArraySlice<UInt8>)] = []
        for t in 0..<tensorCount {
            let e = Int((try b.u32(92, "blob field"))) + t * BlobFormat.tensorEntrySize
            let offset = Int((try b.u32(e, "blob field"))), size = Int((try b.u32(e + 4, "blob field")))
            if offset < dataStart || offset + size > dataEnd {
                throw fail(.bounds, "tensor \(t) (\(size) bytes at \(offset)) runs past the end of the data region [\(dataStart), \(dataEnd))")
            }
            if offset % BlobFormat.alignment != 0 { throw fail(.align, "tensor \(t) starts at \(offset)") }
            let kindWord = try b.u32(e + 8, "blob field")
            if offset < end {  // only an exact repeat of an earlier entry (shared data)
                guard let p = placed[offset], p.size == size, p.kind == kindWord else {
                    throw fail(.bounds, "tensor \(t) at \(offset) overlaps the previous tensor (ends at \(end))")
                }
            } else {
                end = offset + size
                placed[offset] = (size, kindWord)
            }
            guard let kind = BlobTensorKind(rawValue: kindWord) else { throw fail(.tensor, "tensor \(t) has unknown kind \(kindWord)") }
            if (try b.u32(e + 12, "blob field")) != 0 { throw fail(.tensor, "tensor \(t) has a nonzero reserved word") }
            if size % kind.elementSize != 0 { throw fail(.tensor, "tensor \(t) (\(kind.name)) has \(size) bytes, not whole elements") }
            result.append((kind, bytes[offset..<(offset + size)]))
        }
        return result
    }

    /// Model name, node names, then metadata keys and values.
    func readStrings() throws -> [String] {
        let start = Int((try b.u32(96, "blob field"))), end = start + Int((try b.u32(100, "blob field")))
        let count = 1 + opCount + 2 * metadataCount
        var at = start
        var result: [String] = []
        var previousKey: [UInt8]?
        for k in 0..<count {
            if at + 4 > end { throw fail(.strings, "string \(k) of \(count) starts past the end of the section") }
            let length = Int((try b.u32(at, "blob field")))
            if length > end - at - 4 { throw fail(.strings, "string \(k) has length \(length), past the end of the section") }
            let utf8 = Array(bytes[(at + 4)..<(at + 4 + length)])
            guard let text = String(validating: utf8, as: UTF8.self) else { throw fail(.strings, "string \(k) is not valid UTF-8") }
            if k > opCount && (k - opCount) % 2 == 1 {
                if let p = previousKey, !p.lexicographicallyPrecedes(utf8) {
                    throw fail(.strings, "metadata key '\(text)' is not after the previous key in byte order")
                }
                previousKey = utf8
            }
            result.append(text)
            at += 4 + length
        }
        if at != end { throw fail(.strings, "\(end - at) bytes left after the last string") }
        return result
    }

    /// One value table record.
    struct Value { var info: QTensorInfo; var arenaOffset: Int; var scaleBits: Double }

    /// The value table, with dimensions, arena placement and the header's copies checked.
    /// The stage table: first op, last op, bands and a zero word per patch stage (the
    /// stages themselves are checked with the ops, by `scheduleProblem`).
    func readStages() throws -> [PatchStage] {
        try (0..<stageCount).map { k in
            let e = stagesOffset + k * BlobFormat.stageEntrySize
            if (try b.u32(e + 12, "stage entry")) != 0 { throw fail(.plan, "stage \(k) has a nonzero reserved word") }
            return PatchStage(firstNode: Int(try b.u32(e, "stage entry")), lastNode: Int(try b.u32(e + 4, "stage entry")),
                              bands: Int(try b.u32(e + 8, "stage entry")))
        }
    }

    /// The memory plan under the stages (`scheduledSizes`, `scheduledLifetimes`): every buffer
    /// inside the arena, no two live buffers sharing bytes except an in-place depthwise op's input
    /// and output (sets `model.schedule.inPlaceDepthwise` when there is one), whose
    /// channel plane must fit the kernel scratch.
    func checkPlan(_ model: inout QModel, offsets: [Int]) throws {
        if let problem = scheduleProblem(model) { throw fail(.plan, problem) }
        let sizes = scheduledSizes(model)
        for v in 1...opCount where offsets[v] + sizes[v] > arenaBytes {
            throw fail(.bounds, "value \(v) (\(sizes[v]) bytes at \(offsets[v])) runs past the end of the \(arenaBytes)-byte arena")
        }
        let pairs = inPlacePairs(model, offsets: offsets)
        if let conflict = arenaConflict(offsets: offsets, sizes: sizes, lifetimes: scheduledLifetimes(model), sharing: pairs) {
            throw fail(.plan, conflict)
        }
        for (u, out) in pairs where model.info(u).shape.h * model.info(u).shape.w > scratchBytes {
            throw fail(.plan, "op \(out - 1) runs in place and needs \(model.info(u).shape.h * model.info(u).shape.w) bytes of scratch, the blob gives \(scratchBytes)")
        }
        model.schedule.inPlaceDepthwise = !pairs.isEmpty
        if !pairs.isEmpty { model.schedule.notInPlace = Set(inPlaceCandidates(model)).subtracting(pairs.map { $0.1 - 1 }) }
    }

    func readValues(insideStages: Set<Int>) throws -> [Value] {
        var values: [Value] = []
        for v in 0...opCount {
            let r = Int((try b.u32(80, "blob field"))) + v * BlobFormat.valueRecordSize
            let dims = [Int((try b.u32(r, "blob field"))), Int((try b.u32(r + 4, "blob field"))), Int((try b.u32(r + 8, "blob field")))]
            if dims.contains(where: { $0 < 1 || $0 > BlobFormat.maxDimension }) || dims.reduce(1, *) > BlobFormat.maxSize {
                throw fail(.shape, "value \(v) has shape \(dims.map(String.init).joined(separator: "x"))")
            }
            let scale = Double(bitPattern: (try b.u64(r + 16, "blob field")))
            let info = QTensorInfo(shape: Shape3(dims[0], dims[1], dims[2]), zeroPoint: (try b.i32(r + 12, "blob field")), scale: scale)
            if !isInt8(info.zeroPoint) { throw fail(.parameter, "value \(v) has zero point \(info.zeroPoint)") }
            let offset = Int((try b.u32(r + 24, "blob field")))
            if (try b.u32(r + 28, "blob field")) != 0 { throw fail(.header, "value \(v) has a nonzero reserved word") }
            if v == 0 && offset != 0 { throw fail(.bounds, "the input (value 0) has arena offset \(offset); it is not in the arena") }
            if offset % BlobFormat.alignment != 0 { throw fail(.align, "value \(v) has arena offset \(offset)") }
            if v > 0 && !insideStages.contains(v) && offset + info.shape.count > arenaBytes {
                throw fail(.bounds, "value \(v) (\(info.shape.count) bytes at \(offset)) runs past the end of the \(arenaBytes)-byte arena")
            }
            values.append(Value(info: info, arenaOffset: offset, scaleBits: scale))
        }
        let input = values[0].info, output = values[opCount].info
        let (inputZero, inputScale) = (try b.i32(52, "input zero point"), try b.u64(64, "input scale"))
        let (outputZero, outputScale) = (try b.i32(56, "output zero point"), try b.u64(72, "output scale"))
        if inputZero != input.zeroPoint || inputScale != values[0].scaleBits.bitPattern {
            throw fail(.header, "the header's input quantization differs from value 0's")
        }
        if outputZero != output.zeroPoint || outputScale != values[opCount].scaleBits.bitPattern {
            throw fail(.header, "the header's output quantization differs from the output value's")
        }
        return values
    }

    /// The op records as nodes; structure (type, sizes, inputs) and tensor references checked.
    func readOps(values: [Value], tensors: [(kind: BlobTensorKind, bytes: ArraySlice<UInt8>)], names: [String]) throws -> [QNode] {
        let start = Int((try b.u32(84, "blob field"))), end = start + Int((try b.u32(88, "blob field")))
        var at = start
        var nextTensor = 0
        var nodes: [QNode] = []
        for i in 0..<opCount {
            let label = "op \(i)"
            if at + BlobFormat.opHeaderSize > end { throw fail(.op, "\(label) starts past the end of the op records") }
            guard let type = BlobOpType(rawValue: (try b.u32(at, "blob field"))) else { throw fail(.op, "\(label) has unknown type \((try b.u32(at, "blob field")))") }
            let recordSize = Int((try b.u32(at + 4, "blob field"))), inputCount = Int((try b.u32(at + 12, "blob field")))
            if inputCount > (end - at - BlobFormat.opHeaderSize) / 4 { throw fail(.op, "\(label) has \(inputCount) inputs, more than its record holds") }
            let expected = BlobFormat.opHeaderSize + 4 * (inputCount + type.parameterWords)
            if recordSize != expected || at + recordSize > end {
                throw fail(.op, "\(label) (\(type)) has record size \(recordSize), expected \(expected) inside the op records")
            }
            if Int((try b.u32(at + 8, "blob field"))) != i + 1 { throw fail(.op, "\(label) writes value \((try b.u32(at + 8, "blob field"))), expected \(i + 1)") }
            if let n = type.inputCount, inputCount != n { throw fail(.op, "\(label) (\(type)) has \(inputCount) inputs, expected \(n)") }
            if inputCount < 1 { throw fail(.op, "\(label) (\(type)) has no inputs") }
            let inputs = try (0..<inputCount).map { Int((try b.u32(at + 16 + 4 * $0, "blob field"))) }
            if let bad = inputs.first(where: { $0 > i }) { throw fail(.op, "\(label) reads value \(bad), not produced before it") }
            let p0 = at + 16 + 4 * inputCount
            let p = try (0..<type.parameterWords).map { (try b.i32(p0 + 4 * $0, "blob field")) }

            func tensor(_ word: Int32, _ kind: BlobTensorKind) throws -> ArraySlice<UInt8> {
                try anyTensor(word, [kind]).bytes
            }
            func anyTensor(_ word: Int32, _ kinds: [BlobTensorKind]) throws -> (kind: BlobTensorKind, bytes: ArraySlice<UInt8>) {
                let t = Int(UInt32(bitPattern: word))
                if t != nextTensor { throw fail(.tensor, "\(label) references tensor \(t), expected the next one, \(nextTensor)") }
                if t >= tensors.count { throw fail(.tensor, "\(label) references tensor \(t), the table has \(tensors.count)") }
                if !kinds.contains(tensors[t].kind) {
                    throw fail(.tensor, "\(label) uses tensor \(t) (\(tensors[t].kind.name)) as \(kinds.map(\.name).joined(separator: " or "))")
                }
                nextTensor += 1
                return tensors[t]
            }
            func requant(_ k: Int) -> QRequantize {
                QRequantize(inputZeroPoint: p[k], multiplier: p[k + 1], shift: p[k + 2], outputZeroPoint: p[k + 3], actMin: p[k + 4], actMax: p[k + 5])
            }
            let op: QOp
            switch type {
            case .conv:
                let w = try anyTensor(p[13], [.weights, .weightsInt4])
                let weights: [Int8]
                if w.kind == .weightsInt4 {
                    // The element count the op's shape implies (validateModel checks the shape itself).
                    // Fields straight from the file: multiplied with overflow checks, bounded by the
                    // largest blob.
                    let groups = max(1, Int(p[8]))
                    var count = 1
                    for d in [Int(p[2]), Int(p[3]), Int(p[0]) / groups, Int(p[1])] {
                        let (product, overflow) = count.multipliedReportingOverflow(by: d)
                        count = d < 0 || overflow || product > Int(Int32.max) ? -1 : product
                        if count < 0 { break }
                    }
                    if count < 0 {
                        throw fail(.tensor, "\(label) has int4 weights for an impossible shape (\(p[1]) × \(p[2]) × \(p[3]) × \(p[0]) / \(groups))")
                    }
                    if w.bytes.count != packedInt4Bytes(count) {
                        throw fail(.tensor, "\(label) has \(w.bytes.count) bytes of int4 weights, expected \(packedInt4Bytes(max(0, count))) for \(count) weights")
                    }
                    if count % 2 == 1, let last = w.bytes.last, last >> 4 != 0 {
                        throw fail(.tensor, "\(label): the unused high nibble of the last int4 weight byte is not zero")
                    }
                    weights = unpackInt4(w.bytes, count: count)
                } else {
                    weights = w.bytes.map { Int8(bitPattern: $0) }
                }
                let bias = int32s(try tensor(p[14], .bias))
                let multiplier = int32s(try tensor(p[15], .multiplier))
                let shift = try tensor(p[16], .shift).map { Int32(Int8(bitPattern: $0)) }
                let padValue = UInt32(bitPattern: p[17]) == BlobFormat.noTensor ? nil : try tensor(p[17], .padValues).map { Int8(bitPattern: $0) }
                var weightScales: [Float] = []
                if UInt32(bitPattern: p[18]) != BlobFormat.noTensor {
                    weightScales = int32s(try tensor(p[18], .weightScales)).map { Float(bitPattern: UInt32(bitPattern: $0)) }
                } else if multiplier.count == shift.count, let input = inputs.first.map({ values[$0].info.scale32 }) {
                    // Left out by the writer: each is the one float32 scale the multiplier was derived from.
                    for k in multiplier.indices {
                        guard let s = QConv.recoverWeightScale(multiplier: multiplier[k], shift: shift[k], inputScale: input,
                                                               outputScale: values[i + 1].info.scale32) else {
                            throw fail(.parameter, "\(label): the multiplier of output channel \(k) is not derived from any float32 weight scale (the blob leaves the weight scales out)")
                        }
                        weightScales.append(s)
                    }
                }
                op = .conv(QConv(inChannels: Int(p[0]), outChannels: Int(p[1]), kernelH: Int(p[2]), kernelW: Int(p[3]),
                                 strideH: Int(p[4]), strideW: Int(p[5]), padTop: Int(p[6]), padLeft: Int(p[7]), groups: Int(p[8]),
                                 weights: weights, bias: bias, multiplier: multiplier, shift: shift,
                                 inputZeroPoint: p[9], outputZeroPoint: p[10], actMin: p[11], actMax: p[12], padValue: padValue,
                                 weightScales: weightScales, weightBits: w.kind == .weightsInt4 ? 4 : 8))
            case .add:
                op = .add(QAdd(input1ZeroPoint: p[0], input2ZeroPoint: p[1], leftShift: p[2], input1Multiplier: p[3], input1Shift: p[4],
                               input2Multiplier: p[5], input2Shift: p[6], outputMultiplier: p[7], outputShift: p[8],
                               outputZeroPoint: p[9], actMin: p[10], actMax: p[11]))
            case .mul:
                op = .mul(QMul(inputZeroPoint: p[0], gateZeroPoint: p[1], multiplier: p[2], shift: p[3], outputZeroPoint: p[4], actMin: p[5], actMax: p[6]))
            case .hardSwish:
                op = .hardSwish(QHardSwish(inputZeroPoint: p[0], outputZeroPoint: p[1], outputMultiplier: p[2], outputExponent: p[3],
                                           reluishMultiplier: p[4], reluishExponent: p[5]))
            case .lookup: op = .lookup(QLookup(table: try tensor(p[0], .table).map { Int8(bitPattern: $0) }))
            case .requantize: op = .requantize(requant(0))
            case .concat: op = .concat
            case .split: op = .split(start: Int(p[0]), count: Int(p[1]))
            case .shuffle: op = .shuffle(groups: Int(p[0]))
            case .maxPool: op = .maxPool(QPool(kernel: Int(p[0]), stride: Int(p[1]), padTop: Int(p[2]), padLeft: Int(p[3]), requant: requant(4)))
            case .avgPool: op = .avgPool(QPool(kernel: Int(p[0]), stride: Int(p[1]), padTop: Int(p[2]), padLeft: Int(p[3]), requant: requant(4)))
            case .globalAvgPool: op = .globalAvgPool(requant(0))
            case .uniform1x1:
                // The 1×1 depthwise conv it stands for, every channel alike (its channels: the output's).
                guard let weight = Int8(exactly: p[1]) else { throw fail(.parameter, "\(label): weight \(p[1]) is outside −128…127") }
                let n = values[i + 1].info.shape.c
                let sIn = values[inputs[0]].info.scale32, sOut = values[i + 1].info.scale32
                guard let scale = QConv.recoverWeightScale(multiplier: p[3], shift: p[4], inputScale: sIn, outputScale: sOut) else {
                    throw fail(.parameter, "\(label): the multiplier is not derived from any float32 weight scale (a uniform 1×1 conv stores none)")
                }
                op = .conv(QConv(inChannels: n, outChannels: n, kernelH: 1, kernelW: 1, strideH: 1, strideW: 1, padTop: 0, padLeft: 0,
                                 groups: n, weights: [Int8](repeating: weight, count: n), bias: [Int32](repeating: p[2], count: n),
                                 multiplier: [Int32](repeating: p[3], count: n), shift: [Int32](repeating: p[4], count: n),
                                 inputZeroPoint: p[0], outputZeroPoint: p[5], actMin: p[6], actMax: p[7],
                                 weightScales: [Float](repeating: scale, count: n)))
            }
            nodes.append(QNode(name: names[i], op: op, inputs: inputs, output: values[i + 1].info))
            at += recordSize
        }
        if at != end { throw fail(.op, "\(end - at) bytes left after the last op record") }
        if nextTensor != tensors.count { throw fail(.tensor, "\(tensors.count - nextTensor) tensors are never used") }
        return nodes
    }
}

/// Little-endian int32 values of `bytes` (whose count is a multiple of 4).
private func int32s(_ bytes: ArraySlice<UInt8>) -> [Int32] {
    bytes.withUnsafeBytes { raw in (0..<(raw.count / 4)).map { Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) } }
}

private func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16, uppercase: true) }

private extension String {
    /// Two-digit uppercase hex of a byte.
    init(format2 byte: UInt8) { self = (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true) }
}
