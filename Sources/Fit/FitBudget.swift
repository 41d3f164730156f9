import QuantCore
import ImageIO
import Models
import Calibration
import Export

/// The budget stage (`runQuantize`, Pipeline): the budgets checked first (`checkBudget`), int4
/// layers when the flash needs them (`fitFlash`), then a schedule when the SRAM needs one
/// (`fitSRAM`). A schedule adds its stage table to the blob: when that puts the blob over the
/// limit, the flash step runs again with the limit lowered by those bytes. Returns the model to
/// write, the same model without its schedule (whose logits it must reproduce), and the summary
/// (its `cost` is for the caller to measure).
public func fitBudget(_ budget: Budget, graph: Graph, folded: Graph, base: QModel, calib: ImageSet, file: String,
                      method: CalibrationMethod, rangeSearch: Bool, equalize: Bool = true, threads: Int, progress: Bool,
                      log: (String) -> Void) throws -> (model: QModel, layerByLayer: QModel, summary: FitSummary) {
    try checkBudget(budget, base: base, folded: folded, file: file)
    var margin = 0  // blob bytes the schedule's stage table needs
    while true {
        var model = base
        var flash: FlashFit?
        if let limit = budget.blobLimit, let r = try fitFlash(graph: graph, folded: folded, base: base, calib: calib, limit: limit - margin,
                                                               reserve: budget.flashReserve + margin, file: file, method: method,
                                                               rangeSearch: rangeSearch, equalize: equalize, threads: threads, progress: progress, log: log) {
            model = r.model
            flash = r.fit
            log("converted again: int4 weights in \(r.fit.chosen.count) of \(r.fit.scores.count) layers")
        }
        let layerByLayer = model
        var sram: SRAMFit?
        if let s = budget.sramBytes {  // after the int4 layers: their kernels' scratch counts too
            let r = try fitSRAM(model, budget: s, file: file)
            if r.fit.schedule != "layer by layer" { log("SRAM: \(r.fit.schedule) to fit \(grouped(s)) B") }
            model = r.model
            sram = r.fit
        }
        let bytes = blobSize(model)
        if let limit = budget.blobLimit, bytes > limit {
            let extra = bytes - blobSize(layerByLayer)
            guard margin < extra else {
                throw ToolkitError(file, "does not fit the flash budget with the SRAM schedule: its stage table makes the blob "
                    + "\(grouped(bytes)) B, \(grouped(bytes - limit)) B over the \(grouped(limit)) B limit. Nothing was written")
            }
            margin = extra
            continue
        }
        flash?.limit = budget.blobLimit ?? 0
        flash?.bytes = bytes
        return (model, layerByLayer, FitSummary(budget: budget, flash: flash, blobBytes: bytes, sram: sram))
    }
}
