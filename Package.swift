// swift-tools-version:6.0
// int8 quantization and embedded-deployment toolkit. No package dependencies, by design:
// everything is Swift + Foundation + the C99 runtime in Targets/.
import PackageDescription
import Foundation

// The modules that compute are optimized in debug builds too, so that the plain
// `swift run quantize v3small --calib Calibration/` takes minutes, not hours (range search and
// bias correction re-run the int8 model many times). Integer results do not depend on it.
let debugOptimized: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]
let optimized: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))] + debugOptimized
// IntEngine's kernels rely on the host's vector instructions (16-bit multiply-adds, AVX-512 VNNI
// where present); the generic x86-64 baseline is ~3x slower. Release builds target the build machine.
let hostCPU: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "native"], .when(configuration: .release))]
// FloatEngine's GEMM has an AVX2 register blocking, compiled in only when the build machine has AVX2.
let hasAVX2 = ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "").contains(" avx2")
let floatCPU: [SwiftSetting] = hostCPU + (hasAVX2 ? [.define("AVX2", .when(configuration: .release))] : [])

let package = Package(
    name: "Int8Toolkit",
    products: [
        .executable(name: "quantize", targets: ["quantize"]),
    ],
    targets: [
        .target(name: "QuantCore", exclude: ["README.md"], swiftSettings: debugOptimized),
        .target(name: "ModelIO", dependencies: ["QuantCore"], exclude: ["README.md"]),
        .target(name: "ImageIO", dependencies: ["QuantCore"], exclude: ["README.md"], swiftSettings: debugOptimized),
        .target(name: "Models", dependencies: ["QuantCore", "ModelIO"], exclude: ["README.md"], swiftSettings: debugOptimized),
        .target(name: "FloatEngine", dependencies: ["QuantCore", "Models"], exclude: ["README.md"], swiftSettings: optimized + floatCPU),
        .target(name: "Calibration", dependencies: ["QuantCore"], exclude: ["README.md"], swiftSettings: debugOptimized),
        .target(name: "Quantizer", dependencies: ["QuantCore", "Models"], exclude: ["README.md"], swiftSettings: debugOptimized),
        // AVX-512 VNNI kernels in C (intrinsics, chosen at run time by CPU check); optimized in debug builds too.
        .target(name: "IntKernels", exclude: ["README.md"], cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "IntEngine", dependencies: ["QuantCore", "IntKernels"], exclude: ["README.md"], swiftSettings: optimized + hostCPU),
        .target(name: "Reports", dependencies: ["QuantCore", "Models"], exclude: ["README.md"], swiftSettings: debugOptimized),
        .target(name: "Export", dependencies: ["QuantCore", "ModelIO"], exclude: ["README.md"]),
        .target(name: "CRuntime", path: "Targets/runtime"),
        .target(name: "Refine", dependencies: [
            "QuantCore", "ImageIO", "Models", "FloatEngine", "Calibration", "Quantizer", "IntEngine", "Reports",
        ], exclude: ["README.md"], swiftSettings: debugOptimized),
        // Fit a flash / SRAM budget: the budget, the int4 layer choice, the RAM check, the fit report.
        .target(name: "Fit", dependencies: [
            "QuantCore", "ImageIO", "Models", "Calibration", "Quantizer", "IntEngine", "Export", "Refine",
        ], exclude: ["README.md"], swiftSettings: debugOptimized),
        .target(name: "Pipeline", dependencies: [
            "QuantCore", "ModelIO", "ImageIO", "Models", "FloatEngine", "Calibration", "Quantizer",
            "IntEngine", "Reports", "Export", "Refine", "Fit",
        ], exclude: ["README.md"], swiftSettings: debugOptimized),
        .executableTarget(name: "quantize", dependencies: ["Pipeline", "QuantCore", "ModelIO", "ImageIO", "Models", "Calibration", "Export", "Fit"],
                          exclude: ["README.md"]),
        .executableTarget(name: "bench", dependencies: [
            "Pipeline", "Refine", "QuantCore", "ModelIO", "ImageIO", "Models", "FloatEngine", "Calibration",
            "IntEngine", "Reports", "Export", "TestSupport", "Fit", "CRuntime",
        ], path: "Benchmarks/bench"),
        .executableTarget(name: "fuzz", dependencies: ["QuantCore", "ModelIO", "ImageIO", "Models", "Export", "TestSupport"],
                          path: "Fuzz", exclude: ["README.md"]),
        // Test-only code shared by the test targets, the fuzzer and the benchmarks (the one test
        // generator, the protobuf/ONNX encoder, the synthetic quantized models): in no product.
        .target(name: "TestSupport", dependencies: ["QuantCore"], path: "Tests/TestSupport", exclude: ["README.md"]),
        .testTarget(name: "QuantCoreTests", dependencies: ["QuantCore", "TestSupport"]),
        .testTarget(name: "ModelIOTests", dependencies: ["ModelIO", "QuantCore"], exclude: ["Fixtures"]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO", "QuantCore"], exclude: ["Fixtures"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "ModelIO", "ImageIO", "FloatEngine", "QuantCore", "TestSupport"]),
        .testTarget(name: "IntEngineTests", dependencies: ["IntEngine", "IntKernels", "QuantCore", "TestSupport"]),
        .testTarget(name: "QuantizerTests", dependencies: [
            "Pipeline", "Refine", "Quantizer", "IntEngine", "Models", "ModelIO", "ImageIO", "FloatEngine", "Reports", "QuantCore",
            "TestSupport", "Fit", "Export",
        ]),
        .testTarget(name: "ExportTests", dependencies: [
            "Export", "CRuntime", "IntEngine", "QuantCore", "Pipeline", "Refine", "Models", "ImageIO", "Reports", "TestSupport", "ModelIO",
        ]),
        .testTarget(name: "CalibrationReportsTests", dependencies: ["Calibration", "Reports", "QuantCore", "Models", "TestSupport"]),
        // Runs the built `quantize` executable (the command line's own behaviour).
        .testTarget(name: "CLITests", dependencies: ["quantize"], exclude: ["Fixtures"]),
    ]
)
