import Foundation
import XCTest
import QuantCore
@testable import ModelIO

/// Loading the real `.pth` checkpoints in ../shared/models.
final class TorchCheckpointTests: XCTestCase {
    func testZipPthMatchesSafetensorsTwinBitForBit() throws {
        let pth = try loadCheckpoint(SharedData.path("models/mobilenet_v1_025-cifar10.pth"))
        let twin = try loadCheckpoint(SharedData.path("models/mobilenet_v1_025-cifar10.safetensors"))
        XCTAssertEqual(pth.format, "torch-zip")
        XCTAssertEqual(twin.format, "safetensors")
        // The safetensors export dropped BatchNorm's num_batches_tracked counters; everything else is shared.
        let counters = pth.names.filter { $0.hasSuffix("num_batches_tracked") }
        XCTAssertEqual(counters.map { pth.dtypes[$0] }, counters.map { _ in "I64" })
        XCTAssertEqual(pth.names.filter { !counters.contains($0) }.sorted(), twin.names.sorted())
        XCTAssertGreaterThan(twin.names.count, 50)
        for name in twin.names {
            let a = try XCTUnwrap(pth.tensors[name], name)
            let b = try XCTUnwrap(twin.tensors[name], name)
            XCTAssertEqual(a.shape, b.shape, name)
            XCTAssertEqual(a.values.map(\.bitPattern), b.values.map(\.bitPattern), name)
            XCTAssertEqual(pth.dtypes[name], twin.dtypes[name], name)
        }
    }

    func testLegacyEfficientNetLoads() throws {
        let checkpoint = try loadCheckpoint(SharedData.path("models/efficientnet-lite0-57934424.pth"))
        XCTAssertEqual(checkpoint.format, "torch-legacy")
        XCTAssertEqual(checkpoint.tensors["_conv_stem.weight"]?.shape, [32, 3, 3, 3])
        XCTAssertEqual(checkpoint.tensors["_fc.weight"]?.shape, [1000, 1280])
        XCTAssertEqual(checkpoint.names.first, "_conv_stem.weight")
        XCTAssertEqual(checkpoint.names.count, Set(checkpoint.names).count)
        XCTAssertEqual(checkpoint.tensors.count, checkpoint.names.count)
        // The stem weight is stored channels-last (strides 1, 32, 288, 96); the summary is PyTorch-shaped.
        XCTAssertTrue(checkpoint.summary().contains("_conv_stem.weight"))
        // 16 MBConv blocks, each with a depthwise conv.
        XCTAssertEqual(checkpoint.names.filter { $0.hasSuffix("_depthwise_conv.weight") }.count, 16)
    }
}
