import XCTest
import CRuntime
import QuantCore
import IntEngine
@testable import Export
import TestSupport

/// The one validator (`validateModel`, QuantCore) and the C loader (`q8_model_init`) accept and
/// refuse the same models, for the same kind of reason; the IntEngine and the Swift blob reader,
/// which use the validator, agree too.
final class ValidatorAgreementTests: XCTestCase {
    /// The C status each `BlobProblem` prefix of a model rule stands for.
    let kinds: [String: q8_status] = [
        BlobProblem.op.rawValue: Q8_ERR_BAD_OP, BlobProblem.tensor.rawValue: Q8_ERR_TENSOR,
        BlobProblem.shape.rawValue: Q8_ERR_SHAPE, BlobProblem.parameter.rawValue: Q8_ERR_PARAM,
        BlobProblem.header.rawValue: Q8_ERR_HEADER,
    ]

    /// The verdicts on one model: nil = accepted, else the Swift error message / the C status.
    struct Verdicts {
        var swift: String?
        var engine: String?
        var reader: String?
        var c: q8_status
    }

    func verdicts(_ model: QModel) throws -> Verdicts {
        let file = "model '\(model.name)'"
        var v = Verdicts(swift: nil, engine: nil, reader: nil, c: Q8_OK)
        do { try validateModel(model, file: file) } catch let e as ToolkitError { v.swift = e.message }
        do { _ = try IntEngine(model: model) } catch let e as ToolkitError { v.engine = e.message }
        let bytes = try encodeBlob(model, file: file)
        do { _ = try readBlob(bytes, path: "m.q8") } catch let e as ToolkitError { v.reader = e.message }
        v.c = cLoadStatus(bytes)
        return v
    }

    /// Valid random models: all four accept. Each mutated one: all four decide alike, and a
    /// refusal has the same kind in Swift and C. At least 1,000 of each.
    func testSwiftAndCAcceptTheSameModels() throws {
        var rng = TestRandom(seed: 2026)
        var accepted = 0, refused = 0, mutated = 0
        var kindsSeen = Set<String>()
        while accepted < 1000 || refused < 1000 {
            let size = rng.int(16...24)
            let good = TestModels.everyOp(seed: rng.next(), size: size, int4: rng.bool())
            if accepted < 1000 {
                let v = try verdicts(good)
                XCTAssertNil(v.swift, "valid model refused: \(v.swift ?? "")")
                XCTAssertNil(v.engine); XCTAssertNil(v.reader)
                XCTAssertEqual(statusName(v.c), statusName(Q8_OK))
                accepted += 1
            }
            var bad = good
            let what = mutate(&bad, &rng)
            mutated += 1
            let v = try verdicts(bad)
            XCTAssertEqual(v.swift == nil, v.c == Q8_OK, "\(what): Swift says \(v.swift ?? "ok"), C says \(statusName(v.c))")
            XCTAssertEqual(v.engine, v.swift, "\(what): the IntEngine decides otherwise")
            if let message = v.swift {
                refused += 1
                let kind = try XCTUnwrap(kinds.keys.first { message.hasPrefix($0) }, "\(what): unknown kind in '\(message)'")
                kindsSeen.insert(kind)
                XCTAssertEqual(statusName(v.c), statusName(kinds[kind]!), "\(what): Swift says '\(message)'")
                XCTAssertNotNil(v.reader, "\(what): the blob reader accepts what the validator refuses")
            } else if let message = v.reader {
                // A valid model whose mutated integers are no longer the ones derived from its
                // float32 scales: only the Swift reader checks that (the C runtime never derives).
                XCTAssertTrue(message.contains("derived from"), "\(what): the blob reader refuses a valid model: \(message)")
            }
            if mutated > 20_000 { return XCTFail("too few refused models: \(refused) of \(mutated)") }
        }
        XCTAssertEqual(kindsSeen.count, 4, "kinds seen: \(kindsSeen.sorted())")
    }

    /// Changes one thing of one op (or value) to a random, often out-of-range, value.
    func mutate(_ m: inout QModel, _ rng: inout TestRandom) -> String {
        let i = rng.int(0...(m.nodes.count - 1))
        let node = m.nodes[i]
        func wild() -> Int32 { [Int32(rng.int(-3...3)), Int32(rng.int(-40...40)), Int32(rng.int(-300...300)),
                                Int32(rng.int(20...26)), Int32.max, Int32.min, Int32(rng.int(4_210_740...4_210_760))][rng.int(0...6)] }
        switch rng.int(0...9) {
        case 0:
            m.nodes[i].output.zeroPoint = wild()
            return "op \(i) output zero point"
        case 1:
            if rng.bool() { m.nodes[i].inputs = node.inputs.map { _ in rng.int(-1...(m.nodes.count + 1)) } }
            else { m.nodes[i].inputs += [rng.int(0...i)] }
            return "op \(i) inputs"
        case 2:
            let s = node.output.shape
            m.nodes[i].output.shape = [Shape3(s.h + 1, s.w, s.c), Shape3(s.h, s.w, s.c * 2), Shape3(s.h, max(1, s.w - 1), s.c)][rng.int(0...2)]
            return "op \(i) output shape"
        default:
            break
        }
        switch node.op {
        case .conv(var c):
            switch rng.int(0...9) {
            case 0: c.kernelH = Int(wild())
            case 1: c.strideW = Int(wild())
            case 2: c.padTop = Int(wild())
            case 3: c.groups = Int(wild())
            case 4: c.multiplier[rng.int(0...(c.outChannels - 1))] = wild()
            case 5: c.shift[rng.int(0...(c.outChannels - 1))] = wild()
            case 6: c.inputZeroPoint = wild()
            case 7: (c.actMin, c.actMax) = (wild(), wild())
            case 8: c.bias[rng.int(0...(c.outChannels - 1))] = [Int32.max, Int32.min, Int32.max - 1000, wild()][rng.int(0...3)]
            default:
                // Two int4 weights fewer, so the packed tensor is a byte shorter too.
                if rng.bool() { c.weights.removeLast(c.weightBits == 4 ? 2 : 1) } else { c.padValue = [Int8](repeating: 1, count: rng.int(0...9)) }
            }
            m.nodes[i].op = .conv(c)
        case .add(var a):
            switch rng.int(0...3) {
            case 0: a.leftShift = wild()
            case 1: a.input2Shift = wild()
            case 2: a.input1Multiplier = wild()
            default: a.input2ZeroPoint = wild()
            }
            m.nodes[i].op = .add(a)
        case .mul(var p):
            if rng.bool() { p.shift = wild() } else { p.gateZeroPoint = wild() }
            m.nodes[i].op = .mul(p)
        case .hardSwish(var h):
            switch rng.int(0...3) {
            case 0: h.outputExponent = wild()
            case 1: h.reluishExponent = wild()
            case 2: h.outputMultiplier = wild()
            default: h.inputZeroPoint = wild()
            }
            m.nodes[i].op = .hardSwish(h)
        case .lookup(var l):
            if rng.bool() { l.table.removeLast() } else { l.table.append(0) }
            m.nodes[i].op = .lookup(l)
        case .requantize(var r):
            if rng.bool() { r.shift = wild() } else { (r.actMin, r.actMax) = (wild(), wild()) }
            m.nodes[i].op = .requantize(r)
        case .split(let start, let count):
            m.nodes[i].op = rng.bool() ? .split(start: Int(wild()), count: count) : .split(start: start, count: Int(wild()))
        case .shuffle:
            m.nodes[i].op = .shuffle(groups: Int(wild()))
        case .maxPool(var p):
            if rng.bool() { p.kernel = Int(wild()) } else { p.padLeft = Int(wild()) }
            m.nodes[i].op = .maxPool(p)
        case .avgPool(var p):
            if rng.bool() { p.stride = Int(wild()) } else { p.requant.multiplier = wild() }
            m.nodes[i].op = .avgPool(p)
        case .globalAvgPool(var r):
            r.inputZeroPoint = wild()
            m.nodes[i].op = .globalAvgPool(r)
        case .concat:
            m.nodes[i].inputs = node.inputs.dropLast()
        }
        return "op \(i) (\(node.op.name)) parameters"
    }
}
