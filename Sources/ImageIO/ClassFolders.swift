import QuantCore

/// Labels for the class sub-folders of an image folder. With the model's class count
/// (`classCount`) the folders must be matched to the model's classes, never just numbered:
/// 1. by name, when the model names its classes and every folder name is one of them (case,
///    spaces and punctuation ignored; `T-shirt/top` also answers to `T-shirt` and `top`);
/// 2. by number, when every folder name is a class index (`0`, `1`, … `classCount − 1`);
/// 3. in sorted name order, only when there are exactly `classCount` folders and no folder name is
///    one of the model's class names (a note says so);
/// anything else is an error saying how to label the images. Without a class count (inspecting a
/// folder), the sorted folders are labels 0…n−1. Returns one label per folder, a note, and a
/// warning when the sorted order had to be trusted although the model names its classes.
func classFolderLabels(_ folders: [String], in folder: String, classNames: [String], classCount: Int?) throws -> (labels: [Int], note: String?, warning: String?) {
    guard let classCount else { return (Array(folders.indices), nil, nil) }
    let howTo = "name each class folder after its class"
        + (classNames.isEmpty ? "" : " (\(classNames.prefix(3).joined(separator: ", ")), …)")
        + " or by its index (0…\(classCount - 1)), or list the images in a labels.csv (columns file,label; label = the class index 0…\(classCount - 1)) in the folder"
    let index = classNameIndex(classNames)
    let byName = folders.map { index[normalizedClassName($0)] }
    let named = byName.compactMap { $0 }.count
    if !classNames.isEmpty && named == folders.count {
        return (byName.map { $0! }, "labels: the \(folders.count) class folder\(folders.count == 1 ? "" : "s") matched to the model's \(classCount) classes by name", nil)
    }
    let numbers = folders.map { Int($0) }
    if numbers.allSatisfy({ $0 != nil && $0! >= 0 && $0! < classCount }) {
        return (numbers.map { $0! }, "labels: the class folders are class indices (folder name = label)", nil)
    }
    if named > 0 {
        let unknown = zip(folders, byName).filter { $0.1 == nil }.map(\.0)
        throw ToolkitError(folder, "\(unknown.count) of \(folders.count) class folders are not the model's class names ("
                           + unknown.prefix(5).joined(separator: ", ") + (unknown.count > 5 ? ", …" : "") + "): " + howTo)
    }
    guard folders.count == classCount else {
        throw ToolkitError(folder, "\(folders.count) class folders for a model of \(classCount) classes, and their names ("
                           + folders.prefix(3).joined(separator: ", ") + (folders.count > 3 ? ", …" : "")
                           + ") are not the model's class names: cannot tell which folder is which class; " + howTo)
    }
    let note = "labels: the \(folders.count) class folders in sorted name order are classes 0…\(classCount - 1)"
    if classNames.isEmpty { return (Array(folders.indices), note + " (the model does not name its classes)", nil) }
    return (Array(folders.indices), note, "the class folders of \(folder) (\(folders.prefix(3).joined(separator: ", ")), …) are not the model's "
            + "class names (\(classNames.prefix(3).joined(separator: ", ")), …); they were taken as classes 0…\(classCount - 1) in sorted order")
}

/// Normalized class name → label; a name with `/` also answers to each of its parts.
func classNameIndex(_ names: [String]) -> [String: Int] {
    var index: [String: Int] = [:]
    for (label, name) in names.enumerated() {
        let parts = name.split(separator: "/").map(String.init)
        for key in [name] + (parts.count > 1 ? parts : []) {
            let k = normalizedClassName(key)
            if !k.isEmpty && index[k] == nil { index[k] = label }
        }
    }
    return index
}

/// A class name without case, spaces or punctuation (`Ankle boot`, `ankle_boot` → `ankleboot`).
func normalizedClassName(_ name: String) -> String {
    String(name.lowercased().filter { $0.isLetter || $0.isNumber })
}
