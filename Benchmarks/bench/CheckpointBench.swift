import Foundation
import ModelIO
import QuantCore

/// Prints how long `loadCheckpoint` takes on the legacy EfficientNet-Lite0 `.pth` and on the
/// MobileNetV3-Small Fashion-MNIST safetensors file (median of 5 runs each, after one warm-up).
public func benchCheckpointLoad() {
    let files = ["models/efficientnet-lite0-57934424.pth", "models/mobilenet_v3_small-fashion.safetensors"]
    for file in files {
        let path = SharedData.path(file)
        do {
            var times: [Double] = []
            var checkpoint = try loadCheckpoint(path)
            for _ in 0..<5 {
                let start = DispatchTime.now().uptimeNanoseconds
                checkpoint = try loadCheckpoint(path)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            times.sort()
            let elements = checkpoint.tensors.values.reduce(0) { $0 + $1.count }
            print(String(format: "checkpoint load  %@: %.1f ms median of 5 (%d tensors, %d values, %@)",
                         file, times[times.count / 2], checkpoint.names.count, elements, checkpoint.format))
        } catch {
            print("checkpoint load  \(file): \(error)")
        }
    }
}
