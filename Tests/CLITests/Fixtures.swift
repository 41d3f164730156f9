import Foundation

/// Test data built from the shared data sets and checkpoints (never committed copies of them).
enum Fixtures {
    static var shared: String {
        if let env = ProcessInfo.processInfo.environment["INT8_SHARED"], !env.isEmpty { return env }
        return FileManager.default.currentDirectoryPath + "/../shared"
    }

    /// A folder with one sub-folder per `classes` entry of the CIFAR-10 JPEG sample (symbolic links),
    /// sub-folder `rename[c] ?? c`.
    static func cifarClassFolders(_ classes: [String], rename: [String: String] = [:]) throws -> String {
        let fm = FileManager.default
        let dir = try CLI.tempDir()
        for c in classes {
            let sub = dir + "/" + (rename[c] ?? c)
            try fm.createDirectory(atPath: sub, withIntermediateDirectories: true)
            for file in try fm.contentsOfDirectory(atPath: shared + "/datasets/cifar10/jpeg-sample/" + c) {
                try fm.createSymbolicLink(atPath: sub + "/" + file, withDestinationPath: shared + "/datasets/cifar10/jpeg-sample/" + c + "/" + file)
            }
        }
        return dir
    }

    /// The ImageNet sample's evaluation images of the first `count` evaluation classes, in one
    /// folder per WordNet id (as ImageNet's validation set is laid out).
    static func imagenetWnidFolders(count: Int) throws -> String {
        let fm = FileManager.default
        let dir = try CLI.tempDir()
        let csv = try String(contentsOfFile: shared + "/datasets/imagenet-sample/labels.csv", encoding: .utf8)
        var made = 0
        for line in csv.split(separator: "\n").dropFirst() where made < count {
            let f = line.split(separator: ",").map(String.init)  // file,label,wnid,name
            guard let label = Int(f[1]), label % 10 != 0 else { continue }
            try fm.createDirectory(atPath: dir + "/" + f[2], withIntermediateDirectories: true)
            try fm.createSymbolicLink(atPath: dir + "/" + f[2] + "/" + f[0], withDestinationPath: shared + "/datasets/imagenet-sample/val224/" + f[0])
            made += 1
        }
        return dir
    }

    /// A safetensors file's header (JSON object) and data, split.
    static func readSafetensors(_ path: String) throws -> (header: [String: Any], data: Data) {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let n = Int(bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let header = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + n))) as! [String: Any]
        return (header, bytes.subdata(in: (8 + n)..<bytes.count))
    }

    /// Writes a safetensors file with `header` (offsets into `data`) and `data`.
    static func writeSafetensors(_ path: String, header: [String: Any], data: Data) throws {
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (json.count + 8) % 8 != 0 { json.append(0x20) }
        var out = Data()
        for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: UInt64(json.count) >> (8 * UInt64(k)))) }
        out.append(json)
        out.append(data)
        try out.write(to: URL(fileURLWithPath: path))
    }

    /// A copy of a shared safetensors checkpoint with every tensor renamed by `rename` and the
    /// metadata replaced by `metadata` (nil: none at all).
    static func resavedSafetensors(_ model: String, metadata: [String: String]?, rename: (String) -> String = { $0 }) throws -> String {
        let (header, data) = try readSafetensors(shared + "/models/" + model)
        var out: [String: Any] = [:]
        for (key, value) in header where key != "__metadata__" { out[rename(key)] = value }
        if let metadata { out["__metadata__"] = metadata }
        let path = try CLI.tempDir() + "/" + model
        try writeSafetensors(path, header: out, data: data)
        return path
    }
}
