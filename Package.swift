// swift-tools-version:6.0
// int8 quantization and embedded-deployment toolkit. No package dependencies, by design:
// everything is Swift + Foundation + the C99 runtime in Targets/.
import PackageDescription

let release: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
// IntEngine's kernels rely on the host's vector instructions (16-bit multiply-adds, AVX-512 VNNI
// where present); the generic x86-64 baseline is ~3x slower. Release builds target the build machine.
let hostCPU: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "native"], .when(configuration: .release))]

let package = Package(
    name: "Int8Toolkit",
    products: [
        .executable(name: "quantize", targets: ["quantize"]),
    ],
    targets: [
        .target(name: "QuantCore"),
        .target(name: "ModelIO", dependencies: ["QuantCore"]),
        .target(name: "ImageIO", dependencies: ["QuantCore"]),
        .target(name: "Models", dependencies: ["QuantCore", "ModelIO"]),
        .target(name: "FloatEngine", dependencies: ["QuantCore", "Models"], swiftSettings: release),
        .target(name: "Calibration", dependencies: ["QuantCore", "Models", "FloatEngine"]),
        .target(name: "Quantizer", dependencies: ["QuantCore", "Models", "Calibration"]),
        .target(name: "IntEngine", dependencies: ["QuantCore"], swiftSettings: release + hostCPU),
        .target(name: "Reports", dependencies: ["QuantCore", "Models", "FloatEngine", "IntEngine"]),
        .target(name: "Export", dependencies: ["QuantCore"]),
        .target(name: "CRuntime", path: "Targets/runtime"),
        .target(name: "Pipeline", dependencies: [
            "QuantCore", "ModelIO", "ImageIO", "Models", "FloatEngine", "Calibration", "Quantizer",
            "IntEngine", "Reports", "Export",
        ]),
        .executableTarget(name: "quantize", dependencies: ["Pipeline", "QuantCore", "ModelIO", "ImageIO", "Models", "Export"]),
        .executableTarget(name: "bench", dependencies: [
            "Pipeline", "QuantCore", "ModelIO", "ImageIO", "Models", "FloatEngine", "Calibration", "Quantizer",
            "IntEngine", "Reports", "Export", "CRuntime",
        ], path: "Benchmarks/bench"),
        .testTarget(name: "QuantCoreTests", dependencies: ["QuantCore"]),
        .testTarget(name: "ModelIOTests", dependencies: ["ModelIO", "QuantCore"], exclude: ["Fixtures"]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO", "QuantCore"], exclude: ["Fixtures"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "ModelIO", "ImageIO", "FloatEngine", "QuantCore"]),
        .testTarget(name: "IntEngineTests", dependencies: ["IntEngine", "QuantCore"]),
        .testTarget(name: "QuantizerTests", dependencies: [
            "Pipeline", "Quantizer", "Calibration", "IntEngine", "Models", "ModelIO", "ImageIO", "FloatEngine", "Reports", "QuantCore",
        ]),
        .testTarget(name: "ExportTests", dependencies: [
            "Export", "CRuntime", "IntEngine", "QuantCore", "Pipeline", "Models", "ImageIO",
        ]),
        .testTarget(name: "CalibrationReportsTests", dependencies: ["Calibration", "Reports", "QuantCore"]),
    ]
)
