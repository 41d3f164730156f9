import Foundation
import QuantCore
import ImageIO
import Models

/// Fewer calibration images than this get a warning: ranges and bias correction from a handful
/// of images do not represent the data.
public let fewCalibrationImages = 32

/// How to give evaluation images labels (for error messages).
let howToLabel = "put the images in one sub-folder per class (named after the class or its index), or list them in a "
    + "labels.csv with columns file,label (label = class index) in the folder; an IDX images file needs its "
    + "*-labels-idx1-ubyte file beside it"

/// Evaluation needs a label for every image: accuracy on unlabelled images would be a made-up number.
public func requireLabels(_ set: ImageSet, path: String) throws {
    let unlabelled = set.labels.indices.filter { set.labels[$0] < 0 }
    if unlabelled.count == set.count {
        throw ToolkitError(path, "the evaluation images have no labels, so accuracy cannot be measured: \(howToLabel)")
    }
    if let first = unlabelled.first {
        throw ToolkitError(path, "\(unlabelled.count) of \(set.count) evaluation images have no label (first: \(set.names[first])): \(howToLabel)")
    }
}

/// Warnings about a data set that does not look like what the model takes: other channel counts,
/// labels beyond the model's classes, a class list of another size or in another order, and (for
/// calibration) very few images. `role` is "calibration" or "evaluation".
public func dataWarnings(_ set: ImageSet, graph: Graph, role: String) -> [String] {
    var warnings = set.warnings
    let what = "the \(role) images (\(set.source))"
    let modelChannels = graph.preprocessing.channels
    let other = set.sourceChannels.filter { $0 != modelChannels }
    if !other.isEmpty {
        warnings.append("\(what) are \(other.map(channelWord).joined(separator: " and ")) but the model takes "
                        + "\(channelWord(modelChannels)) input: they were converted; is this the kind of data the model was trained on?")
    }
    if role == "calibration" && set.count < fewCalibrationImages {
        warnings.append("calibration on only \(set.count) image\(set.count == 1 ? "" : "s"): activation ranges and bias "
                        + "correction from so few do not represent the data; use a few hundred")
    }
    let labelled = set.labels.filter { $0 >= 0 }
    if let top = labelled.max(), top >= graph.numClasses {
        let beyond = labelled.filter { $0 >= graph.numClasses }.count
        warnings.append("\(what): \(beyond) image\(beyond == 1 ? " has a label" : "s have labels") of \(graph.numClasses) or more "
                        + "(up to \(top)) but the model has \(graph.numClasses) classes; they can never be classified right")
    }
    let dataNames = set.classNames.filter { !$0.isEmpty }
    if !dataNames.isEmpty && set.classNames.count != graph.numClasses && (labelled.max() ?? -1) < graph.numClasses {
        warnings.append("\(what) name \(set.classNames.count) classes but the model has \(graph.numClasses)")
    }
    if let mismatch = classNameMismatch(set.classNames, graph.classNames) { warnings.append("\(what): \(mismatch)") }
    return warnings
}

/// Whether the data's class names contradict the model's: a name that is another label's in the
/// model, or a data set's class list that is a different known data set's.
func classNameMismatch(_ data: [String], _ model: [String]) -> String? {
    guard !data.isEmpty, !model.isEmpty else { return nil }
    let key = { (s: String) in s.lowercased().filter { $0.isLetter || $0.isNumber } }
    var modelIndex: [String: Int] = [:]
    for (i, n) in model.enumerated() { modelIndex[key(n)] = modelIndex[key(n)] ?? i }
    for (label, name) in data.enumerated() where !name.isEmpty {
        if let other = modelIndex[key(name)], other != label {
            return "class \(label) is `\(name)` in the data but class \(other) in the model (`\(model[label < model.count ? label : other])` is the model's class \(label < model.count ? label : other)): the labels are in another order"
        }
    }
    let known: [(String, [String])] = [("CIFAR-10", cifar10ClassNames), ("Fashion-MNIST", fashionMNISTClassNames)]
    if let (name, list) = known.first(where: { $0.1.map(key) == data.map(key) }), list.map(key) != model.map(key) {
        let modelSet = known.first { $0.1.map(key) == model.map(key) }?.0
        return "their classes are \(name)'s (\(list.prefix(3).joined(separator: ", ")), …) but the model's are "
            + (modelSet.map { "\($0)'s" } ?? "others") + " (\(model.prefix(3).joined(separator: ", ")), …)"
    }
    return nil
}

/// A float top-1 this close to guessing means the labels or the preprocessing do not fit the model.
public func chanceWarning(floatTop1: Double, classes: Int) -> String? {
    let chance = 100 / Double(max(classes, 1))
    guard classes > 1, floatTop1 < 2 * chance else { return nil }
    return String(format: "the float model's top-1 %.2f%% is near chance (%.2f%% for %d classes): the labels, the class order "
                  + "or the preprocessing probably do not fit this model, and the int8 figures say nothing", floatTop1, chance, classes)
}

/// `gray` / `RGB` / `N-channel`.
func channelWord(_ c: Int) -> String { c == 1 ? "gray" : c == 3 ? "RGB" : "\(c)-channel" }
