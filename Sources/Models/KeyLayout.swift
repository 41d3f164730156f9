import ModelIO
import QuantCore

/// One tensor name per architecture family that only its layout has, at the top of the state dict
/// (the stem or the first block); a checkpoint whose names hold one of them after some prefix is
/// that layout under the prefix.
let layoutSignatures: [(arch: String, key: String)] = [
    ("efficientnet_lite0", "_conv_stem.weight"), ("mobilenet_v1", "features.1.dw.0.weight"),
    ("mobilenet_v2", "features.1.conv.0.0.weight"), ("mobilenet_v3_small", "features.1.block.0.0.weight"),
    ("shufflenet_v2", "stage2.0.branch1.0.weight"), ("shufflenet_v1", "stage2.0.conv1.weight"),
]

/// Brings a checkpoint's tensor names to the layout the builders read, the way people save
/// checkpoints: wrappers such as `{'state_dict': …}`, `{'model': …}`, `{'model_state_dict': …}`
/// (flattened to a `state_dict.` … name prefix by the reader) and prefixes such as DataParallel's
/// `module.`, `model.` or `backbone.` are removed; tensors outside the chosen prefix (an
/// optimizer's state, an EMA copy) are left out. With `forced` (`--prefix`), exactly that prefix
/// is removed ("" keeps the names as they are). Returns the checkpoint and a note for each change.
public func normalizeKeyLayout(_ checkpoint: Checkpoint, forced: String? = nil) throws -> (Checkpoint, [String]) {
    let names = checkpoint.names.isEmpty ? checkpoint.tensors.keys.sorted() : checkpoint.names
    let prefix: String
    if let forced {
        guard forced.isEmpty || names.contains(where: { $0.hasPrefix(forced) }) else {
            throw ToolkitError(checkpoint.path, "--prefix `\(forced)`: no tensor name starts with it (the first are "
                               + names.prefix(3).map { "`\($0)`" }.joined(separator: ", ") + ")")
        }
        prefix = forced
    } else {
        if layoutSignatures.contains(where: { checkpoint.tensors[$0.key] != nil }) { return (checkpoint, []) }
        // Every prefix under which a known layout's signature appears, with its tensor count.
        var candidates: [String] = []
        for name in names {
            for (_, key) in layoutSignatures where name.count > key.count && name.hasSuffix("." + key) {
                let p = String(name.dropLast(key.count))
                if !candidates.contains(p) { candidates.append(p) }
            }
        }
        let counted = candidates.map { p in (p, names.filter { $0.hasPrefix(p) }.count) }
        guard let best = counted.max(by: { $0.1 < $1.1 }) else { return (checkpoint, []) }  // the first of the largest
        prefix = best.0
    }
    if prefix.isEmpty { return (checkpoint, []) }
    var out = checkpoint
    out.names = names.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    out.tensors = [:]
    out.dtypes = [:]
    for name in names where name.hasPrefix(prefix) {
        let short = String(name.dropFirst(prefix.count))
        out.tensors[short] = checkpoint.tensors[name]
        out.dtypes[short] = checkpoint.dtypes[name]
    }
    var note = "tensor names: `\(prefix)` removed (\(describePrefix(prefix)))" + (forced != nil ? ", as --prefix asked" : "")
    let left = names.count - out.names.count
    if left > 0 {
        let outside = names.filter { !$0.hasPrefix(prefix) }
        note += "; \(left) tensor\(left == 1 ? "" : "s") outside it left out (\(outside.prefix(2).map { "`\($0)`" }.joined(separator: ", "))\(left > 2 ? ", …" : ""))"
    }
    return (out, [note + (forced == nil ? "; --prefix P chooses another" : "")])
}

/// What a prefix's parts are: a checkpoint dict's entry, DataParallel's `module.`, or a sub-module.
func describePrefix(_ prefix: String) -> String {
    let wrappers: Set<String> = ["state_dict", "model_state_dict", "model", "net", "network", "weights", "params",
                                 "model_ema", "ema", "state", "student", "teacher"]
    return prefix.split(separator: ".").map { part -> String in
        if part == "module" { return "DataParallel's `module.`" }
        if wrappers.contains(String(part)) { return "the checkpoint's `\(part)` entry" }
        return "the sub-module `\(part).`"
    }.joined(separator: " + ")
}

/// The error for a checkpoint whose names fit no known layout: each architecture is tried, and
/// the one that reads the most tensors before it stops (or, if none reads any, whose top-level
/// names the checkpoint shares most) is named, with where it stopped and the checkpoint's first names.
func unknownLayoutError(_ checkpoint: Checkpoint, options: ModelOptions) -> ToolkitError {
    let names = checkpoint.names.isEmpty ? checkpoint.tensors.keys.sorted() : checkpoint.names
    let tops = Set(names.map { $0.split(separator: ".").first.map(String.init) ?? $0 })
    let archs = ["mobilenet_v1", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "shufflenet_v1", "shufflenet_v2", "efficientnet_lite0"]
    var best: (arch: String, read: Int, shared: Int, stop: String, unread: [String])?
    for arch in archs {
        let dict = StateDict(checkpoint)
        var stop = "all tensors fit"
        do {
            let hp = try HyperParameters(checkpoint, arch: arch, options: options)
            _ = try buildArchitecture(dict, arch: arch, hp)
            try dict.checkAllUsed(arch: arch)
        } catch let e as ToolkitError {
            stop = e.message
        } catch {
            stop = "\(error)"
        }
        let expected = Set(dict.expectedKeys.map { $0.split(separator: ".").first.map(String.init) ?? $0 })
            .union(layoutSignatures.filter { $0.arch == arch }.map { String($0.key.split(separator: ".")[0]) })
        let shared = tops.intersection(expected).count
        if best == nil || dict.readCount > best!.read || (dict.readCount == best!.read && shared > best!.shared) {
            best = (arch, dict.readCount, shared, stop, names.filter { !dict.wasRead($0) })
        }
    }
    // The checkpoint's name nearest to the key the closest builder missed (longest common start).
    var counterpart = ""
    if let best, let open = best.stop.firstIndex(of: "`"), let close = best.stop[best.stop.index(after: open)...].firstIndex(of: "`") {
        let missing = String(best.stop[best.stop.index(after: open)..<close])
        let common = { (a: String) in zip(a, missing).prefix { $0 == $1 }.count }
        if let near = best.unread.max(by: { common($0) < common($1) }), common(near) > 0 {
            counterpart = "; the nearest name the checkpoint has is `\(near)`"
        }
    }
    let first = names.prefix(4).map { "`\($0)`" }.joined(separator: ", ")
    guard let best else { return ToolkitError(checkpoint.path, "cannot tell the architecture from the tensor names") }
    return ToolkitError(checkpoint.path, "cannot tell the architecture from the tensor names (the first are \(first)\(names.count > 4 ? ", …" : "")); "
                        + "the closest known layout is \(best.arch), which read \(best.read) tensor\(best.read == 1 ? "" : "s") and then stopped: \(best.stop)\(counterpart). "
                        + "Rename the tensors to that layout, give --prefix if they sit under a prefix, or name the architecture "
                        + "(known: \(knownArchitectures.joined(separator: ", ")))")
}
