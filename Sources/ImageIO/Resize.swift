import QuantCore

/// Resizes `image` to `width`×`height` with a triangle ("bilinear") filter on pixel centres,
/// widened by the scale factor when shrinking so that every source pixel contributes
/// (antialiasing, as Pillow's `Image.resize(..., BILINEAR)` does; computed in floating point,
/// so results can differ from Pillow's fixed-point ones by a level). Channels are unchanged.
public func resizeBilinear(_ image: DecodedImage, width: Int, height: Int) -> DecodedImage {
    if width == image.width && height == image.height { return image }
    let c = image.channels
    let horizontal = resampleWeights(from: image.width, to: width)
    let vertical = resampleWeights(from: image.height, to: height)
    // Horizontal pass: height stays, width changes.
    var middle = [Float](repeating: 0, count: image.height * width * c)
    for y in 0..<image.height {
        let row = y * image.width * c
        for x in 0..<width {
            let w = horizontal[x]
            for ch in 0..<c {
                var sum: Float = 0
                for (k, weight) in w.weights.enumerated() { sum += weight * Float(image.pixels[row + (w.first + k) * c + ch]) }
                middle[(y * width + x) * c + ch] = sum
            }
        }
    }
    // Vertical pass.
    var pixels = [UInt8](repeating: 0, count: height * width * c)
    for y in 0..<height {
        let w = vertical[y]
        for i in 0..<(width * c) {
            var sum: Float = 0
            for (k, weight) in w.weights.enumerated() { sum += weight * middle[(w.first + k) * width * c + i] }
            pixels[y * width * c + i] = UInt8(max(0, min(255, sum.rounded())))
        }
    }
    return DecodedImage(width: width, height: height, channels: c, pixels: pixels)
}

/// For each of `outSize` output positions along one axis: the first contributing input index
/// and the normalised triangle-filter weights of the inputs from there on.
func resampleWeights(from inSize: Int, to outSize: Int) -> [(first: Int, weights: [Float])] {
    let scale = Double(inSize) / Double(outSize)
    let support = max(scale, 1)   // filter radius in input pixels
    return (0..<outSize).map { i in
        let centre = (Double(i) + 0.5) * scale
        let lo = max(0, Int((centre - support + 0.5).rounded(.down)))
        let hi = min(inSize, Int((centre + support + 0.5).rounded(.down)))
        var weights = (lo..<max(hi, lo + 1)).map { j -> Double in
            max(0, 1 - abs((Double(j) + 0.5 - centre) / support))
        }
        let total = weights.reduce(0, +)
        if total > 0 { weights = weights.map { $0 / total } } else { weights = [1] }
        return (min(lo, inSize - 1), weights.map { Float($0) })
    }
}

/// The centred `width`×`height` window of `image` (the top-left corner rounded down when the
/// margins are odd). Errors when the image is smaller than the window.
public func centerCrop(_ image: DecodedImage, width: Int, height: Int, path: String = "<image>") throws -> DecodedImage {
    guard width <= image.width, height <= image.height, width > 0, height > 0 else {
        throw ToolkitError(path, "cannot crop \(width)x\(height) from a \(image.width)x\(image.height) image")
    }
    if width == image.width && height == image.height { return image }
    let left = (image.width - width) / 2, top = (image.height - height) / 2
    let c = image.channels
    var pixels: [UInt8] = []
    pixels.reserveCapacity(width * height * c)
    for y in top..<(top + height) {
        let start = (y * image.width + left) * c
        pixels += image.pixels[start..<(start + width * c)]
    }
    return DecodedImage(width: width, height: height, channels: c, pixels: pixels)
}

/// Scales `image` so that it covers `width`×`height` (the shorter side, relative to the target's
/// aspect, becomes the target's), then crops the centre: the usual "resize + centre crop".
public func resizeAndCenterCrop(_ image: DecodedImage, width: Int, height: Int, path: String = "<image>") throws -> DecodedImage {
    if width == image.width && height == image.height { return image }
    let scale = max(Double(width) / Double(image.width), Double(height) / Double(image.height))
    let w = max(width, Int((Double(image.width) * scale).rounded()))
    let h = max(height, Int((Double(image.height) * scale).rounded()))
    return try centerCrop(resizeBilinear(image, width: w, height: h), width: width, height: height, path: path)
}

/// Converts between channel layouts: gray → RGB replicates, RGB → gray uses ITU-R BT.601 luma
/// with Pillow's fixed-point weights ((19595 R + 38470 G + 7471 B + 2^15) >> 16), and alpha is
/// dropped (gray+alpha → gray, RGBA → RGB). `channels` must be 1 or 3.
public func convertChannels(_ image: DecodedImage, to channels: Int, path: String = "<image>") throws -> DecodedImage {
    guard channels == 1 || channels == 3 else { throw ToolkitError(path, "can only convert to 1 (gray) or 3 (RGB) channels, not \(channels)") }
    guard (1...4).contains(image.channels) else { throw ToolkitError(path, "cannot convert a \(image.channels)-channel image") }
    if image.channels == channels { return image }
    let n = image.width * image.height, src = image.channels
    var pixels = [UInt8](repeating: 0, count: n * channels)
    for i in 0..<n {
        let p = i * src
        if src <= 2 {   // gray or gray+alpha
            for ch in 0..<channels { pixels[i * channels + ch] = image.pixels[p] }
        } else if channels == 3 {   // RGBA → RGB
            pixels[i * 3] = image.pixels[p]
            pixels[i * 3 + 1] = image.pixels[p + 1]
            pixels[i * 3 + 2] = image.pixels[p + 2]
        } else {   // RGB(A) → gray
            let luma = 19595 * Int(image.pixels[p]) + 38470 * Int(image.pixels[p + 1]) + 7471 * Int(image.pixels[p + 2])
            pixels[i] = UInt8((luma + (1 << 15)) >> 16)
        }
    }
    return DecodedImage(width: image.width, height: image.height, channels: channels, pixels: pixels)
}
