import CRuntime
import QuantCore

/// Runs `blob` with the C runtime (Targets/runtime, built by SwiftPM as `CRuntime`) on `count`
/// images of raw uint8 HWC pixels (flat, `count × input size` bytes), the way firmware would:
/// `q8_model_init`, `q8_input_from_pixels`, `q8_run` with an arena of exactly `q8_arena_size`
/// bytes. Returns each image's int8 logits. Throws a `ToolkitError` with the C status name when
/// the blob is refused or a run fails, or when `images` has the wrong size.
public func runC(blob: [UInt8], images: [UInt8], count: Int) throws -> [[Int8]] {
    try blob.withUnsafeBufferPointer { b -> [[Int8]] in
        var model = q8_model()
        let status = q8_model_init(&model, b.baseAddress, b.count)
        guard status == Q8_OK else { throw ToolkitError("blob", "C runtime refused it: \(statusName(status))") }
        let inputSize = q8_input_size(&model), classes = q8_num_classes(&model)
        guard count >= 0, images.count == count * inputSize else {
            throw ToolkitError("images", "\(images.count) bytes is not \(count) images of \(inputSize) bytes")
        }
        var arena = [UInt8](repeating: 0, count: max(1, q8_arena_size(&model)))
        var input = [Int8](repeating: 0, count: inputSize)
        var results: [[Int8]] = []
        var converted = Q8_OK
        for i in 0..<count {
            images.withUnsafeBufferPointer { px in
                input.withUnsafeMutableBufferPointer { converted = q8_input_from_pixels(&model, px.baseAddress.map { $0 + i * inputSize }, inputSize, $0.baseAddress) }
            }
            guard converted == Q8_OK else { throw ToolkitError("blob", "q8_input_from_pixels: \(statusName(converted))") }
            var logits = [Int8](repeating: 0, count: classes)
            let s = arena.withUnsafeMutableBufferPointer { a in
                q8_run(&model, input, &logits, a.baseAddress, q8_arena_size(&model))
            }
            guard s == Q8_OK else { throw ToolkitError("blob", "C runtime failed on image \(i): \(statusName(s))") }
            results.append(logits)
        }
        return results
    }
}

/// The C loader's figure of the kernel scratch rule for `blob` (`q8_model.scratch_need`), or nil
/// when it refuses the blob.
func cScratchRule(_ blob: [UInt8]) -> Int? {
    blob.withUnsafeBufferPointer { b in
        var model = q8_model()
        return q8_model_init(&model, b.baseAddress, b.count) == Q8_OK ? Int(model.scratch_need) : nil
    }
}

/// What `q8_input_from_pixels` returns for `blob` (its loader's status when it refuses the blob).
func cPixelStatus(_ blob: [UInt8]) -> q8_status {
    blob.withUnsafeBufferPointer { b in
        var model = q8_model()
        let status = q8_model_init(&model, b.baseAddress, b.count)
        guard status == Q8_OK else { return status }
        let pixels = [UInt8](repeating: 7, count: q8_input_size(&model))
        var input = [Int8](repeating: 0, count: pixels.count)
        return q8_input_from_pixels(&model, pixels, pixels.count, &input)
    }
}

/// The C loader's verdict on `blob`.
func cLoadStatus(_ blob: [UInt8]) -> q8_status {
    blob.withUnsafeBufferPointer { b in
        var model = q8_model()
        return q8_model_init(&model, b.baseAddress, b.count)
    }
}

/// The C runtime's output for one int8 input, with an arena of `arenaBytes` (default: exactly
/// what the model asks for). Returns the status and the logits.
func runCInt8(blob: [UInt8], input: [Int8], arenaBytes: Int? = nil) -> (q8_status, [Int8]) {
    blob.withUnsafeBufferPointer { b -> (q8_status, [Int8]) in
        var model = q8_model()
        let status = q8_model_init(&model, b.baseAddress, b.count)
        guard status == Q8_OK else { return (status, []) }
        var arena = [UInt8](repeating: 0xA5, count: max(1, arenaBytes ?? q8_arena_size(&model)))
        var logits = [Int8](repeating: 0, count: q8_num_classes(&model))
        let s = arena.withUnsafeMutableBufferPointer { a in
            q8_run(&model, input, &logits, a.baseAddress, arenaBytes ?? q8_arena_size(&model))
        }
        return (s, logits)
    }
}

/// "Q8_ERR_CRC" etc.
func statusName(_ s: q8_status) -> String { String(cString: q8_status_name(s)) }
