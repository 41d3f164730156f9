import QuantCore

/// Where every value lives during a run. Values whose lifetimes do not overlap share a slot
/// (a value dies after the last node that reads it; the model output never dies), so a worker
/// needs a few slots instead of one buffer per value. A node's output never shares a slot with
/// one of its inputs.
struct BufferPlan {
    /// Slot index of every value (0 = input, i + 1 = node i).
    let slotOfValue: [Int]
    /// Size in bytes of every slot.
    let slotSizes: [Int]

    init(model: QModel) {
        let values = model.nodes.count + 1
        var lastUse = Array(0..<values).map { $0 - 1 }
        for (i, node) in model.nodes.enumerated() {
            for v in node.inputs { lastUse[v] = max(lastUse[v], i) }
        }
        lastUse[model.outputValue] = Int.max

        var slotOf = [Int](repeating: -1, count: values)
        var sizes: [Int] = []
        var free: [Int] = []
        func assign(_ v: Int) {
            let need = model.info(v).shape.count
            // Best fit among free slots; otherwise grow the largest free slot; otherwise a new one.
            if let best = free.filter({ sizes[$0] >= need }).min(by: { sizes[$0] < sizes[$1] })
                ?? free.max(by: { sizes[$0] < sizes[$1] }) {
                free.removeAll { $0 == best }
                sizes[best] = max(sizes[best], need)
                slotOf[v] = best
            } else {
                sizes.append(need)
                slotOf[v] = sizes.count - 1
            }
        }
        assign(0)
        if lastUse[0] < 0 { free.append(slotOf[0]) }
        for (i, node) in model.nodes.enumerated() {
            assign(i + 1)
            for v in Set(node.inputs + [i + 1]) where lastUse[v] == i { free.append(slotOf[v]) }
        }
        slotOfValue = slotOf
        slotSizes = sizes
    }
}
