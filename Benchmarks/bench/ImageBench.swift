import Foundation
import ImageIO
import QuantCore

/// Prints single-thread JPEG decode throughput (images/s and megapixels/s, best of 3 passes,
/// file reading excluded) over the ImageNet sample (224×224, 4:4:4) and the CIFAR-10 JPEG
/// sample (32×32, 4:2:0), plus gunzip throughput on the Fashion-MNIST test images.
public func benchJPEGDecode() {
    let sets = [("imagenet-sample/val224", "ImageNet 224x224 4:4:4"), ("cifar10/jpeg-sample", "CIFAR-10 32x32 4:2:0")]
    for (folder, label) in sets {
        let root = SharedData.path("datasets/" + folder)
        guard let walker = FileManager.default.enumerator(atPath: root) else {
            print("jpeg decode  \(label): \(root) not found")
            continue
        }
        let files = walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".jpg") }.sorted()
        do {
            let data = try files.map { try readFileBytes(root + "/" + $0) }
            let repeats = max(1, 2000 / max(data.count, 1))   // at least ~2,000 decodes per pass
            var best = Double.infinity, pixels = 0
            for _ in 0..<3 {
                pixels = 0
                let start = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<repeats {
                    for (bytes, name) in zip(data, files) {
                        let image = try decodeJPEG(bytes, path: name)
                        pixels += image.width * image.height
                    }
                }
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            let count = data.count * repeats
            print(String(format: "jpeg decode  %@: %.0f images/s, %.1f megapixels/s (%d decodes in %.3f s, 1 thread)",
                         label, Double(count) / best, Double(pixels) / best / 1e6, count, best))
        } catch {
            print("jpeg decode  \(label): \(error)")
        }
    }
    let gzPath = SharedData.path("datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
    do {
        let gz = try readFileBytes(gzPath)
        var best = Double.infinity, size = 0
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            size = try gunzip(gz, path: gzPath).count
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        print(String(format: "gunzip  Fashion-MNIST t10k images: %.1f ms (%d -> %d bytes, %.0f MB/s out)",
                     best * 1e3, gz.count, size, Double(size) / best / 1e6))
    } catch {
        print("gunzip  \(gzPath): \(error)")
    }
}
