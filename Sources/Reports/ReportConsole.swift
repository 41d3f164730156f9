import Foundation

extension AccuracyReport {
    /// The compact table the command line prints after an evaluation.
    public func consoleTable() -> String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
        var t = "\(model) on \(dataset): \(calibrationMethod) calibration (\(calibrationImages) images), "
        t += "\(evaluationImages) evaluation images\n"
        t += pad("", 11) + lpad("top-1", 9) + lpad("top-5", 9) + "\n"
        t += pad("float", 11) + lpad(Fmt.pct(floatTop1), 9) + lpad(Fmt.pct(floatTop5), 9) + "\n"
        t += pad("int8", 11) + lpad(Fmt.pct(int8Top1), 9) + lpad(Fmt.pct(int8Top5), 9) + "\n"
        t += pad("change", 11) + lpad(Fmt.delta(int8Top1 - floatTop1), 9) + lpad(Fmt.delta(int8Top5 - floatTop5), 9) + "\n"
        t += pad("agreement", 11) + lpad(Fmt.pct(agreementTop1), 9)
        t += "  (\(disagreements) differ: \(correctToWrong) correct→wrong, \(wrongToCorrect) wrong→correct)\n"
        let worst = AccuracyReport.lowestSQNR(layers, worstLayers.count)
        if !worst.isEmpty {
            t += "lowest SQNR: " + worst.map { "\($0.name) \(Fmt.dB($0.sqnrDB)) dB" }.joined(separator: ", ") + "\n"
        }
        for w in warnings { t += "warning: \(w)\n" }
        return t
    }
}
