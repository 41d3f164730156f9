import QuantCore

/// Serializes `model` as a blob (Docs/BLOB_FORMAT.md), memory plan and execution schedule included. The same
/// model always gives the same bytes. Throws a `ToolkitError` naming the model when it breaks a
/// rule of the format (shapes, parameter ranges, the accumulator bound) or is too large for it.
public func writeBlob(_ model: QModel) throws -> [UInt8] {
    let file = "model '\(model.name)'"
    try validateModel(model, file: file)
    if let problem = scheduleProblem(model) { throw BlobProblem.plan.error(file, problem) }
    return try encodeBlob(model, file: file)
}

/// The bytes of `model` without validating it first (tests use it to hand the C loader models
/// the validator refuses); throws only when the blob would exceed the format's sizes.
func encodeBlob(_ model: QModel, file: String) throws -> [UInt8] {
    let layout = BlobLayout(model)
    let plan = planMemory(model)
    if layout.totalSize > BlobFormat.maxSize {
        throw BlobProblem.bounds.error(file, "the blob would be \(layout.totalSize) bytes, more than the format's 2^31 − 1")
    }
    if plan.arenaBytes + plan.scratchBytes > BlobFormat.maxSize {
        throw BlobProblem.bounds.error(file, "the arena would be \(plan.arenaBytes) bytes, more than the format's 2^31 − 1")
    }
    let output = model.info(model.outputValue)

    var w = ByteWriter(capacity: layout.totalSize)
    w.append(BlobFormat.magic)
    w.u32(BlobFormat.version(of: model))
    w.u32(UInt32(BlobFormat.headerSize))
    w.u32(UInt32(layout.totalSize))
    w.u32(0)  // CRC, patched last
    w.u32(UInt32(model.nodes.count))
    w.u32(UInt32(model.nodes.count + 1))
    w.u32(UInt32(layout.tensorCount))
    w.u32(UInt32(plan.arenaBytes))
    w.u32(UInt32(plan.scratchBytes))
    w.u32(0)
    w.u32(UInt32(model.outputValue))
    w.u32(UInt32(model.numClasses))
    w.i32(model.input.zeroPoint)
    w.i32(output.zeroPoint)
    w.u32(UInt32(layout.metadataCount))
    w.u64(model.input.scale.bitPattern)
    w.u64(output.scale.bitPattern)
    for v in [layout.valuesOffset, layout.opsOffset, layout.opsSize, layout.tensorsOffset,
              layout.stringsOffset, layout.strings.count, layout.dataOffset, layout.dataSize,
              layout.stagesOffset, layout.stageCount] {
        w.u32(UInt32(v))
    }
    w.pad(to: BlobFormat.headerSize)

    for v in 0...model.nodes.count {
        let info = model.info(v)
        w.u32(UInt32(info.shape.h)); w.u32(UInt32(info.shape.w)); w.u32(UInt32(info.shape.c))
        w.i32(info.zeroPoint)
        w.u64(info.scale.bitPattern)
        w.u32(UInt32(plan.offsets[v]))
        w.u32(0)
    }
    w.pad(to: layout.opsOffset)
    for op in layout.ops { for word in op.words { w.u32(word) } }
    w.pad(to: layout.tensorsOffset)
    var k = 0
    for op in layout.ops {
        for t in op.tensors {
            w.u32(UInt32(layout.tensorOffsets[k])); w.u32(UInt32(t.bytes.count)); w.u32(t.kind.rawValue); w.u32(0)
            k += 1
        }
    }
    w.pad(to: layout.stringsOffset)
    w.append(layout.strings)
    k = 0
    for op in layout.ops {
        for t in op.tensors {
            if layout.tensorOffsets[k] >= w.bytes.count {  // else: an earlier tensor's bytes, shared
                w.pad(to: layout.tensorOffsets[k])
                w.append(t.bytes)
            }
            k += 1
        }
    }
    if layout.stageCount > 0 {
        w.pad(to: layout.stagesOffset)
        for stage in model.schedule.stages {
            w.u32(UInt32(stage.firstNode)); w.u32(UInt32(stage.lastNode)); w.u32(UInt32(stage.bands)); w.u32(0)
        }
    }
    w.pad(to: layout.totalSize)
    w.patchU32(crc32(w.bytes[20...]), at: 16)
    return w.bytes
}
