import Foundation
import QuantCore
import Models

/// What int8 quantization cost a model: float vs int8 accuracy on the same images, how often the
/// two agree, which classes the disagreements move between, and the per-layer error.
/// Accuracies are percentages.
public struct AccuracyReport: Sendable, Codable, Equatable {
    public var model: String
    public var dataset: String
    public var calibrationMethod: String
    public var calibrationImages: Int
    public var evaluationImages: Int
    public var numClasses: Int
    public var floatTop1: Double
    public var floatTop5: Double
    public var int8Top1: Double
    public var int8Top5: Double
    /// Share of images whose int8 top-1 class equals the float top-1 class.
    public var agreementTop1: Double
    /// Images whose int8 top-1 class differs from the float one.
    public var disagreements: Int
    /// Disagreements where float was right and int8 is wrong.
    public var correctToWrong: Int
    /// Disagreements where float was wrong and int8 is right.
    public var wrongToCorrect: Int
    /// The most frequent (float class → int8 class) moves, most frequent first.
    public var confusion: [Confusion]
    /// Class names in label order as the evaluation data or the model named them ([] when unknown;
    /// a name may be missing for the last classes).
    public var classNames: [String]
    /// Top-1 of float and int8 for each class that has evaluation images, by class index.
    public var perClass: [ClassAccuracy]
    /// Every image whose int8 top-1 class differs from the float one, in evaluation order.
    public var changed: [ChangedImage]
    /// Per-layer error, by value id.
    public var layers: [LayerError]
    /// Names of the layers with the lowest SQNR, worst first.
    public var worstLayers: [String]
    /// Free-form additions (an MCU fit table in Markdown, ...).
    public var extras: [String: String]
    /// Size of the int8 model blob and of its activation arena, in bytes (nil: not exported).
    public var blobBytes: Int?
    public var arenaBytes: Int?
    /// How the activation ranges were chosen (nil: not recorded).
    public var calibration: CalibrationSettings?
    /// What is needed to reproduce the run: command line, tool version, input digests.
    public var run: RunInfo?

    /// Float and int8 top-1 on the images of one class.
    public struct ClassAccuracy: Sendable, Codable, Equatable {
        public var classIndex: Int
        public var name: String?
        /// Evaluation images labelled with this class.
        public var images: Int
        /// Percentages of those images that float / int8 classify correctly.
        public var floatTop1: Double
        public var int8Top1: Double
    }

    /// One image whose class changed between float and int8.
    public struct ChangedImage: Sendable, Codable, Equatable {
        /// Position in the evaluation set (0-based, in the order the set was read).
        public var index: Int
        /// File name inside the evaluation folder, when the data set is a folder of files.
        public var file: String?
        public var label: Int
        public var floatClass: Int
        public var int8Class: Int
    }
    /// What the model was built and fed with (input size, channels, stem stride, mean/std, ...),
    /// each with where it came from: a flag, the metadata, the tensors, or a convention.
    public var settings: [ModelSetting] = []
    /// What makes these figures doubtful (data that does not fit the model, near-chance accuracy,
    /// very few calibration images, ...), in plain words.
    public var warnings: [String] = []

    /// One (float class → int8 class) move with its number of images.
    public struct Confusion: Sendable, Codable, Equatable {
        public var floatClass: Int
        public var int8Class: Int
        public var floatName: String?
        public var int8Name: String?
        public var count: Int
        public init(floatClass: Int, int8Class: Int, floatName: String?, int8Name: String?, count: Int) {
            self.floatClass = floatClass; self.int8Class = int8Class
            self.floatName = floatName; self.int8Name = int8Name; self.count = count
        }
    }

    /// The name of class `c`, when known and not empty.
    public func className(_ c: Int) -> String? { c >= 0 && c < classNames.count && !classNames[c].isEmpty ? classNames[c] : nil }

    /// Disagreements where both float and int8 are wrong.
    public var wrongToWrong: Int { disagreements - correctToWrong - wrongToCorrect }

    /// Builds the report from the logits of the same images (one row per image, same order as
    /// `labels`). `classNames` may be empty or shorter than the class count (names are optional).
    /// Throws when the counts of rows, labels or classes do not line up.
    /// `imageFiles`, when not empty, names each image's file (one per row).
    public static func make(floatLogits: [[Float]], int8Logits: [[Int8]], labels: [Int], classNames: [String] = [],
                            imageFiles: [String] = [], model: String, dataset: String, calibrationMethod: String, calibrationImages: Int,
                            layers: [LayerError] = [], extras: [String: String] = [:],
                            worstCount: Int = 5, confusionCount: Int = 10) throws -> AccuracyReport {
        let n = floatLogits.count
        guard n > 0 else { throw ToolkitError("accuracy report", "no evaluation images") }
        guard int8Logits.count == n, labels.count == n else {
            throw ToolkitError("accuracy report", "\(n) float logit rows, \(int8Logits.count) int8 rows and \(labels.count) labels must match")
        }
        let classes = floatLogits[0].count
        guard classes > 0 else { throw ToolkitError("accuracy report", "logit rows are empty") }
        for i in 0..<n where floatLogits[i].count != classes || int8Logits[i].count != classes {
            throw ToolkitError("accuracy report", "image \(i): \(floatLogits[i].count) float and \(int8Logits[i].count) int8 logits, expected \(classes)")
        }
        func name(_ c: Int) -> String? { c < classNames.count ? classNames[c] : nil }

        var f1 = 0, f5 = 0, q1 = 0, q5 = 0, agree = 0, c2w = 0, w2c = 0
        var moves: [Pair: Int] = [:]
        var changed: [ChangedImage] = []
        var perClass = [(images: Int, float: Int, int8: Int)](repeating: (0, 0, 0), count: classes)
        for i in 0..<n {
            let label = labels[i]
            let ft = topK(floatLogits[i], 5), qt = topK(int8Logits[i], 5)
            let fTop = ft[0], qTop = qt[0]
            if fTop == label { f1 += 1 }
            if qTop == label { q1 += 1 }
            if ft.contains(label) { f5 += 1 }
            if qt.contains(label) { q5 += 1 }
            if label >= 0 && label < classes {
                perClass[label].images += 1
                if fTop == label { perClass[label].float += 1 }
                if qTop == label { perClass[label].int8 += 1 }
            }
            if fTop == qTop {
                agree += 1
            } else {
                moves[Pair(from: fTop, to: qTop), default: 0] += 1
                changed.append(ChangedImage(index: i, file: i < imageFiles.count ? imageFiles[i] : nil,
                                            label: label, floatClass: fTop, int8Class: qTop))
                if fTop == label { c2w += 1 }
                if qTop == label { w2c += 1 }
            }
        }
        let confusion = moves.sorted { a, b in
            a.value != b.value ? a.value > b.value : (a.key.from, a.key.to) < (b.key.from, b.key.to)
        }.prefix(confusionCount).map {
            Confusion(floatClass: $0.key.from, int8Class: $0.key.to, floatName: name($0.key.from), int8Name: name($0.key.to), count: $0.value)
        }
        func percent(_ k: Int) -> Double { 100 * Double(k) / Double(n) }
        return AccuracyReport(
            model: model, dataset: dataset, calibrationMethod: calibrationMethod, calibrationImages: calibrationImages,
            evaluationImages: n, numClasses: classes,
            floatTop1: percent(f1), floatTop5: percent(f5), int8Top1: percent(q1), int8Top5: percent(q5),
            agreementTop1: percent(agree), disagreements: n - agree, correctToWrong: c2w, wrongToCorrect: w2c,
            confusion: Array(confusion), classNames: classNames,
            perClass: perClass.enumerated().filter { $0.element.images > 0 }.map { c, k in
                ClassAccuracy(classIndex: c, name: name(c), images: k.images,
                              floatTop1: 100 * Double(k.float) / Double(k.images), int8Top1: 100 * Double(k.int8) / Double(k.images))
            },
            changed: changed, layers: layers,
            worstLayers: lowestSQNR(layers, worstCount).map(\.name), extras: extras)
    }

    /// The `k` layers with the lowest SQNR, worst first (ties keep network order).
    static func lowestSQNR(_ layers: [LayerError], _ k: Int) -> [LayerError] {
        Array(layers.enumerated().sorted { a, b in
            a.element.sqnrDB != b.element.sqnrDB ? a.element.sqnrDB < b.element.sqnrDB : a.offset < b.offset
        }.prefix(Swift.max(k, 0)).map(\.element))
    }

    /// The `k` layers that lose the most SQNR by themselves (largest `sqnrDropDB`), worst first.
    static func largestDrops(_ layers: [LayerError], _ k: Int) -> [LayerError] {
        Array(layers.enumerated().compactMap { e in e.element.sqnrDropDB.map { (e.offset, e.element, $0) } }
            .sorted { a, b in a.2 != b.2 ? a.2 > b.2 : a.0 < b.0 }
            .prefix(Swift.max(k, 0)).map(\.1))
    }
}

/// A (float class, int8 class) pair.
private struct Pair: Hashable {
    var from: Int, to: Int
}
