import Foundation
import ModelIO
import QuantCore

/// Optional overrides of a model's hyper-parameters (the command line's flags). Any field left
/// `nil` comes from the checkpoint's metadata, else from its tensor shapes, else from the
/// conventions of the data set the class count and channel count point to (see `buildGraph`).
public struct ModelOptions: Sendable {
    /// Architecture, short (`v3small`) or full (`mobilenet_v3_small`) name.
    public var arch: String?
    public var numClasses: Int?
    public var inChannels: Int?
    /// Input height and width (square).
    public var inputSize: Int?
    /// Stride of the first convolution (1 for the CIFAR / Fashion-MNIST models).
    public var stemStride: Int?
    public var widthMult: Double?
    /// ShuffleNetV1 group count.
    public var groups: Int?
    /// Normalization applied to `pixel / 255`, one value per input channel.
    public var mean: [Float]?
    public var std: [Float]?
    /// A tensor-name prefix to remove (`module.`, `state_dict.`; "" for none); nil: found from the names.
    public var prefix: String?

    public init(arch: String? = nil, numClasses: Int? = nil, inChannels: Int? = nil, inputSize: Int? = nil,
                stemStride: Int? = nil, widthMult: Double? = nil, groups: Int? = nil, mean: [Float]? = nil,
                std: [Float]? = nil) {
        self.arch = arch; self.numClasses = numClasses; self.inChannels = inChannels; self.inputSize = inputSize
        self.stemStride = stemStride; self.widthMult = widthMult; self.groups = groups; self.mean = mean; self.std = std
    }
}

/// The architectures the builders know, by their full names.
public let knownArchitectures = [
    "mobilenet_v1", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "shufflenet_v1", "shufflenet_v2",
    "efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2", "efficientnet_lite3", "efficientnet_lite4",
    "efficientnet_lite",
]

/// The full architecture name for a short or full one (`v1`, `v2`, `v3small`, `v3large`,
/// `shufflenet1`, `shufflenet2`, `effnet-lite0` … `effnet-lite4`, `effnet-lite` (any member of the
/// family), `mobilenet_v3_small`, ...; case, `-` and `_` are not significant), or nil if it names no
/// known architecture.
public func canonicalArch(_ shortName: String) -> String? {
    let key = shortName.lowercased().filter { $0 != "_" && $0 != "-" && $0 != " " }
    let aliases: [String: String] = [
        "v1": "mobilenet_v1", "mobilenetv1": "mobilenet_v1", "mobilenetv1025": "mobilenet_v1",
        "v2": "mobilenet_v2", "mobilenetv2": "mobilenet_v2",
        "v3small": "mobilenet_v3_small", "mobilenetv3small": "mobilenet_v3_small",
        "v3large": "mobilenet_v3_large", "mobilenetv3large": "mobilenet_v3_large",
        "shufflenet1": "shufflenet_v1", "shufflenetv1": "shufflenet_v1", "shufflenetv1g3": "shufflenet_v1",
        "shufflenet2": "shufflenet_v2", "shufflenetv2": "shufflenet_v2", "shufflenetv2x10": "shufflenet_v2",
        "shufflenetv2x05": "shufflenet_v2",
    ]
    for family in ["effnetlite", "efficientnetlite"] where key.hasPrefix(family) {
        let variant = key.dropFirst(family.count)
        if variant.isEmpty { return "efficientnet_lite" }
        if variant.count == 1, let n = Int(variant), (0...4).contains(n) { return "efficientnet_lite\(n)" }
    }
    return aliases[key]
}

/// Builds the float graph of a checkpoint. Each hyper-parameter comes from `options` if given,
/// else from the safetensors metadata, else from the tensor shapes (architecture from the key
/// layout, class count from the classifier, input channels from the stem, widths from the
/// layers), else from the conventions of the reference models: 1000 classes means ImageNet
/// (224×224, stem stride 2, ImageNet mean/std; EfficientNet-Lite: (pixel − 127) / 128), otherwise
/// CIFAR-10 (32×32, 3 channels) or Fashion-MNIST (28×28, 1 channel) with stem stride 1 and their
/// mean/std. Missing, unexpected or misshapen tensors are errors naming the key and both shapes.
public func buildGraph(_ checkpoint: Checkpoint, name: String, options: ModelOptions = .init()) throws -> Graph {
    let (checkpoint, layoutNotes) = try normalizeKeyLayout(checkpoint, forced: options.prefix)
    let dict = StateDict(checkpoint)
    let (arch, archSource) = try resolveArch(checkpoint, options)
    let hp = try HyperParameters(checkpoint, arch: arch, options: options)
    var graph = try buildArchitecture(dict, arch: arch, hp)
    try dict.checkAllUsed(arch: arch)
    graph.notes = layoutNotes + graph.notes
    graph.name = name
    graph.classNames = hp.classNames
    graph.settings = [ModelSetting("architecture", arch, archSource)] + hp.settings
    return graph
}

/// Runs the builder of `arch` on `dict`.
func buildArchitecture(_ dict: StateDict, arch: String, _ hp: HyperParameters) throws -> Graph {
    switch arch {
    case "mobilenet_v1": return try buildMobileNetV1(dict, hp)
    case "mobilenet_v2": return try buildMobileNetV2(dict, hp)
    case "mobilenet_v3_small", "mobilenet_v3_large": return try buildMobileNetV3(dict, hp, large: arch == "mobilenet_v3_large")
    case "shufflenet_v1": return try buildShuffleNetV1(dict, hp)
    case "shufflenet_v2": return try buildShuffleNetV2(dict, hp)
    default: return try buildEfficientNetLite(dict, hp)
    }
}

/// The architecture: `options.arch`, else metadata `arch`, else recognized from the key layout.
private func resolveArch(_ checkpoint: Checkpoint, _ options: ModelOptions) throws -> (String, String) {
    let source = options.arch != nil ? "command line" : checkpoint.metadata["arch"] != nil ? "metadata arch" : "tensor names"
    return (try resolveArchName(checkpoint, options), source)
}

private func resolveArchName(_ checkpoint: Checkpoint, _ options: ModelOptions) throws -> String {
    let keys = checkpoint.tensors
    /// A Lite checkpoint is named after the variant its blocks match (`efficientnet_lite` if none).
    func liteName() -> String { liteVariant(StateDict(checkpoint))?.name ?? "efficientnet_lite" }
    if let given = options.arch ?? checkpoint.metadata["arch"] {
        guard let arch = canonicalArch(given) else {
            throw ToolkitError(checkpoint.path, "unknown architecture `\(given)` (known: \(knownArchitectures.joined(separator: ", ")))")
        }
        guard isEfficientNetLite(arch), keys["_conv_stem.weight"] != nil else { return arch }
        let detected = liteName()
        if arch != "efficientnet_lite" && detected != "efficientnet_lite" && detected != arch {
            throw ToolkitError(checkpoint.path, "the checkpoint's blocks are those of \(detected), not \(arch)")
        }
        return arch == "efficientnet_lite" ? detected : arch
    }
    if keys["_conv_stem.weight"] != nil { return liteName() }
    if keys["features.1.dw.0.weight"] != nil { return "mobilenet_v1" }
    if keys["features.1.conv.0.0.weight"] != nil { return "mobilenet_v2" }
    if keys["features.1.block.0.0.weight"] != nil {
        return keys["features.1.block.1.fc1.weight"] != nil ? "mobilenet_v3_small" : "mobilenet_v3_large"
    }
    if keys["stage2.0.branch1.0.weight"] != nil { return "shufflenet_v2" }
    if keys["stage2.0.conv1.weight"] != nil { return "shufflenet_v1" }
    throw unknownLayoutError(checkpoint, options: options)
}

/// The resolved hyper-parameters every builder reads.
struct HyperParameters {
    var arch: String
    var numClasses: Int
    /// Whether the class count was given by the user (a mismatch with the classifier is then the user's error).
    var numClassesGiven: Bool
    var inChannels: Int
    var inputSize: Int
    var stemStride: Int
    /// Width multiplier if stated (options or metadata); builders infer it from shapes otherwise.
    var widthMult: Double?
    var groups: Int?
    var mean: [Float], std: [Float]
    /// Class names in label order when known, else [].
    var classNames: [String] = []
    /// Each setting with where it came from (see `ModelSetting`).
    var settings: [ModelSetting] = []
    let path: String

    /// Keys of the stem weight and the classifier weight per architecture (for shape inference).
    private static func stemKey(_ arch: String) -> String? { isEfficientNetLite(arch) ? "_conv_stem.weight" : stemKeys[arch] }
    private static func classifierKey(_ arch: String) -> String? { isEfficientNetLite(arch) ? "_fc.weight" : classifierKeys[arch] }
    private static let stemKeys = [
        "mobilenet_v1": "features.0.0.weight", "mobilenet_v2": "features.0.0.weight",
        "mobilenet_v3_small": "features.0.0.weight", "mobilenet_v3_large": "features.0.0.weight",
        "shufflenet_v1": "conv1.0.weight", "shufflenet_v2": "conv1.0.weight",
    ]
    private static let classifierKeys = [
        "mobilenet_v1": "classifier.weight", "mobilenet_v2": "classifier.1.weight",
        "mobilenet_v3_small": "classifier.3.weight", "mobilenet_v3_large": "classifier.3.weight",
        "shufflenet_v1": "fc.weight", "shufflenet_v2": "fc.weight",
    ]

    init(_ checkpoint: Checkpoint, arch: String, options: ModelOptions) throws {
        let meta = checkpoint.metadata
        path = checkpoint.path
        self.arch = arch
        func metaInt(_ key: String) throws -> Int? {
            guard let text = meta[key] else { return nil }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw ToolkitError(checkpoint.path, "metadata `\(key)` is not an integer: `\(text)`")
            }
            return value
        }
        let stemShape = HyperParameters.stemKey(arch).flatMap { checkpoint.tensors[$0]?.shape }
        let classifierShape = HyperParameters.classifierKey(arch).flatMap { checkpoint.tensors[$0]?.shape }

        /// The first present value of `candidates`, recording its source as setting `name`.
        var found: [ModelSetting] = []
        func pick<T>(_ name: String, _ candidates: [(T?, String)], _ show: (T) -> String) -> T? {
            for (value, source) in candidates { if let value { found.append(ModelSetting(name, show(value), source)); return value } }
            return nil
        }
        numClassesGiven = options.numClasses != nil
        guard let classes = try pick("classes", [(options.numClasses, "--classes"), (metaInt("num_classes"), "metadata num_classes"),
                                                 (classifierShape?.first, "classifier shape")], String.init) else {
            throw ToolkitError(path, "missing classifier tensor `\(HyperParameters.classifierKey(arch) ?? "")`")
        }
        numClasses = classes
        guard let channels = try pick("input channels", [(options.inChannels, "--in-channels"), (metaInt("in_channels"), "metadata in_channels"),
                                                         (stemShape.flatMap({ $0.count == 4 ? $0[1] : nil }), "stem shape")], String.init) else {
            throw ToolkitError(path, "missing stem tensor `\(HyperParameters.stemKey(arch) ?? "")`")
        }
        inChannels = channels
        let imagenet = classes == 1000
        let dataset = meta["dataset"]
        // What the class and channel counts suggest the model was trained on, when nothing says it.
        let guess = imagenet ? "convention: 1000 classes = ImageNet" : channels == 1 ? "convention: 1 channel = Fashion-MNIST-like"
                                                                     : "convention: CIFAR-10-like"
        // EfficientNet-Lite variants were trained at their own sizes (Lite0 224 … Lite4 300).
        let liteSize = liteVariants.first { $0.name == arch }?.inputSize
        let defaultSize = imagenet ? 224 : channels == 1 ? 28 : 32
        inputSize = try pick("input size", [(options.inputSize, "--input-size"), (metaInt("input_size"), "metadata input_size"),
                                            (liteSize, "convention: \(arch) input size"), (defaultSize, guess)], { "\($0)x\($0)" }) ?? defaultSize
        stemStride = try pick("stem stride", [(options.stemStride, "--stem-stride"), (metaInt("stem_stride"), "metadata stem_stride"),
                                              (imagenet ? 2 : 1, guess)], String.init) ?? 1
        if let w = options.widthMult {
            widthMult = w
        } else if let text = meta["width_mult"] {
            guard let w = Double(text) else { throw ToolkitError(path, "metadata `width_mult` is not a number: `\(text)`") }
            widthMult = w
        }
        groups = try options.groups ?? metaInt("groups")
        let (defaultMean, defaultStd, normalization) = HyperParameters.defaultNormalization(arch: arch, imagenet: imagenet, channels: channels)
        let list: ([Float]) -> String = { "[" + $0.map { String(format: "%g", $0) }.joined(separator: ", ") + "]" }
        mean = try pick("mean", [(options.mean, "--mean"), (metadataFloats(meta, "mean", path: path), "metadata mean"), (defaultMean, normalization)], list) ?? defaultMean
        std = try pick("std", [(options.std, "--std"), (metadataFloats(meta, "std", path: path), "metadata std"), (defaultStd, normalization)], list) ?? defaultStd
        settings = found
        if let names = meta["class_names"] ?? meta["classes"] {
            classNames = HyperParameters.nameList(names)
            settings.append(ModelSetting("class names", HyperParameters.preview(classNames), meta["class_names"] != nil ? "metadata class_names" : "metadata classes"))
        } else if let dataset, let names = datasetClassNames(dataset), names.count == classes {
            classNames = names
            settings.append(ModelSetting("class names", HyperParameters.preview(names), "metadata dataset = \(dataset)"))
        } else if dataset == nil, imagenet {
            classNames = imagenetWnids
            settings.append(ModelSetting("class names", HyperParameters.preview(imagenetWnids), "convention: 1000 classes = ImageNet synsets"))
        }
        try validate()
    }

    /// Mean / std of the data set the model was evidently trained on, and which convention that is.
    private static func defaultNormalization(arch: String, imagenet: Bool, channels: Int) -> ([Float], [Float], String) {
        if isEfficientNetLite(arch) {
            return ([Float](repeating: 127 / 255, count: channels), [Float](repeating: 128 / 255, count: channels), "convention: EfficientNet-Lite, (pixel − 127) / 128")
        }
        if imagenet && channels == 3 { return ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225], "convention: ImageNet mean/std (1000 classes)") }
        if channels == 3 { return ([0.4914, 0.4822, 0.4465], [0.247, 0.2435, 0.2616], "convention: CIFAR-10 mean/std (3 channels)") }
        return ([Float](repeating: 0.286, count: channels), [Float](repeating: 0.353, count: channels), "convention: Fashion-MNIST mean/std")
    }

    /// Names from a JSON array (`["cat", "dog"]`) or a comma-separated list.
    static func nameList(_ text: String) -> [String] {
        if let data = text.data(using: .utf8), let names = try? JSONSerialization.jsonObject(with: data) as? [String] { return names }
        return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The first few names and the count.
    static func preview(_ names: [String]) -> String {
        names.prefix(3).joined(separator: ", ") + (names.count > 3 ? ", … (\(names.count))" : "")
    }

    /// Checks the settings; mean / std by the rule the graph-file importers use
    /// (`normalization`): one value stands for every channel, else one per channel.
    private mutating func validate() throws {
        guard numClasses >= 1 else { throw ToolkitError(path, "class count must be positive, got \(numClasses)") }
        guard (1...64).contains(inChannels) else { throw ToolkitError(path, "input channels must be in 1...64, got \(inChannels)") }
        guard (8...4096).contains(inputSize) else { throw ToolkitError(path, "input size must be in 8...4096, got \(inputSize)") }
        guard (1...4).contains(stemStride) else { throw ToolkitError(path, "stem stride must be in 1...4, got \(stemStride)") }
        if let w = widthMult, !(w > 0 && w <= 4) { throw ToolkitError(path, "width multiplier must be in (0, 4], got \(w)") }
        if let g = groups, !(1...16).contains(g) { throw ToolkitError(path, "group count must be in 1...16, got \(g)") }
        (mean, std) = try normalization(mean: mean, std: std, channels: inChannels, path: path)
    }

    var preprocessing: Preprocessing {
        Preprocessing(height: inputSize, width: inputSize, channels: inChannels, mean: mean, std: std)
    }

    var inputShape: Shape3 { Shape3(inputSize, inputSize, inChannels) }

    /// Checks the classifier `key` (`[classes, features]`) against the class count before it is read,
    /// so that a user's wrong `--num-classes` is reported as such.
    func checkClassifier(_ dict: StateDict, _ key: String) throws {
        guard numClassesGiven, let found = dict.shape(key), found.count == 2, found[0] != numClasses else { return }
        throw ToolkitError(path, "the model was asked for \(numClasses) classes but its classifier `\(key)` has shape \(format(found)) (\(found[0]) classes)")
    }
}

/// Whether `arch` names the EfficientNet-Lite family or one of its members.
func isEfficientNetLite(_ arch: String) -> Bool { arch.hasPrefix("efficientnet_lite") }

/// torchvision's `_make_divisible`: the nearest multiple of `divisor` (at least `divisor`) that
/// does not go more than 10% below `value`.
func makeDivisible(_ value: Double, _ divisor: Int = 8) -> Int {
    var result = max(divisor, Int(value + Double(divisor) / 2) / divisor * divisor)
    if Double(result) < 0.9 * value { result += divisor }
    return result
}
