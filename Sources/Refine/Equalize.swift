import QuantCore
import Models
import FloatEngine
import ImageIO

/// A convolution whose output feeds one depthwise convolution (possibly through a channel
/// shuffle): scaling its output channels by positive factors and dividing the depthwise
/// convolution's channels by the same factors computes the same function.
public struct EqualizablePair: Sendable {
    /// The producing convolution (fused activation none or ReLU, which commute with a positive
    /// scale) and the depthwise convolution that reads it.
    public var producer: Int, consumer: Int
    /// `channelMap[c]`: the consumer's channel that the producer's channel `c` becomes.
    public var channelMap: [Int]
}

/// Every convolution → (shuffle →) depthwise convolution chain of `graph` in which each value has
/// that one reader and the producer's activation is none or ReLU (ReLU6 and other functions would
/// change under the scale).
public func equalizablePairs(_ graph: Graph) -> [EqualizablePair] {
    var readers = [[Int]](repeating: [], count: graph.nodes.count + 1)
    for (i, node) in graph.nodes.enumerated() { for v in node.inputs { readers[v].append(i) } }
    let output = graph.nodes.count
    var pairs: [EqualizablePair] = []
    for (p, node) in graph.nodes.enumerated() {
        guard case .conv(let conv) = node.op, conv.activation != .relu6, p + 1 != output, readers[p + 1].count == 1 else { continue }
        var next = readers[p + 1][0]
        var map = Array(0..<conv.outChannels)
        if case .shuffle(let g) = graph.nodes[next].op {
            guard next + 1 != output, readers[next + 1].count == 1 else { continue }
            let per = conv.outChannels / g
            for i in 0..<g { for j in 0..<per { map[i * per + j] = j * g + i } }  // ChannelOps.shuffle
            next = readers[next + 1][0]
        }
        guard case .conv(let dw) = graph.nodes[next].op, dw.groups == dw.inChannels, dw.outChannels == dw.inChannels,
              dw.inChannels == conv.outChannels, dw.padValue == nil else { continue }
        pairs.append(EqualizablePair(producer: p, consumer: next, channelMap: map))
    }
    return pairs
}

/// Activation equalization: the int8 grid of an activation is one per tensor, so a channel
/// whose values span a small part of the tensor's range gets few of its 256 levels. For every
/// `equalizablePairs` chain, each producer channel is scaled by the power of two that brings
/// its largest |value| on `images` closest to (at most) the largest channel's, and the depthwise
/// consumer's channel is divided by it. Powers of two keep the float graph's every output
/// bit-identical (barring underflow), and per-channel weight scales follow the weights exactly,
/// so only the grid between the two layers changes: every channel then spans more than half of
/// it. Channels that never leave 0 keep factor 1. Returns the graph, how many pairs there are
/// (`equalizablePairs`) and how many of them changed.
public func equalizeRanges(_ folded: Graph, images: ImageSet, threads: Int) -> (graph: Graph, pairs: Int, changed: Int) {
    let pairs = equalizablePairs(folded)
    guard !pairs.isEmpty, images.count > 0 else { return (folded, pairs.count, 0) }
    let watched = Dictionary(uniqueKeysWithValues: pairs.map { ($0.producer + 1, folded.shape($0.producer + 1).c) })
    let engine = FloatEngine(graph: folded)
    let perWorker = parallelSlices(count: images.count, threads: threads) { _, range -> [Int: [Float]] in
        var peak = watched.mapValues { [Float](repeating: 0, count: $0) }
        for i in range {
            images.image(i).withUnsafeBufferPointer { px in
                _ = engine.run(pixels: px) { v, buf in
                    guard let c = watched[v] else { return }
                    peak[v]!.withUnsafeMutableBufferPointer { m in
                        for (j, x) in buf.enumerated() { m[j % c] = max(m[j % c], abs(x)) }
                    }
                }
            }
        }
        return peak
    }
    var g = folded
    var changed = 0
    for pair in pairs {
        let v = pair.producer + 1
        let peak = (0..<watched[v]!).map { c in perWorker.map { $0[v]![c] }.max() ?? 0 }
        guard let top = peak.max(), top > 0, top.isFinite else { continue }
        // 2^floor(log2(top / peak)): the channel's peak lands in (top / 2, top].
        let factors = peak.map { m -> Float in
            guard m > 0, m.isFinite else { return 1 }
            return Float(sign: .plus, exponent: min(20, max(0, Int((Double(top) / Double(m)).exponent))), significand: 1)
        }
        guard factors.contains(where: { $0 != 1 }),
              case .conv(var producer) = g.nodes[pair.producer].op, case .conv(var consumer) = g.nodes[pair.consumer].op else { continue }
        let perOut = producer.weight.count / producer.outChannels
        for c in 0..<producer.outChannels where factors[c] != 1 {
            for j in 0..<perOut { producer.weight[c * perOut + j] *= factors[c] }
            if producer.bias != nil { producer.bias![c] *= factors[c] }
            let d = pair.channelMap[c], kk = consumer.kernel * consumer.kernel
            for j in 0..<kk { consumer.weight[d * kk + j] /= factors[c] }
        }
        g.nodes[pair.producer].op = .conv(producer)
        g.nodes[pair.consumer].op = .conv(consumer)
        changed += 1
    }
    return (g, pairs.count, changed)
}
