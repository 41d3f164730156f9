/// `fuzz`: the in-process fuzz harness of every file reader (README.md in this folder).
/// Each generated input must end in a successful parse or a thrown `ToolkitError`; a crash or trap
/// is reported by a signal handler, a hang (> `--timeout` seconds on one input) by a watchdog
/// thread, and any other error type is counted as a failure. Deterministic: input `i` of reader
/// `r` depends only on (`--seed`, `r`, `i`), so one input can be replayed and dumped alone.
import Foundation
import QuantCore

#if canImport(Glibc)
import Glibc
#endif

struct Options {
    var seconds: Double?
    var inputs = 1_000_000
    var from = 0
    var readers: [String] = []
    var seed: UInt64 = 1
    var timeout = 10.0
    var maxRSSMB = 200
    var dump: String?
}

func usage() -> Never {
    print("""
    usage: fuzz [--seconds S | --inputs N] [--reader NAME[,NAME…]] [--seed N] [--from I] [--timeout S] [--max-rss MB] [--dump DIR]
      --seconds S    time budget for the whole run, split evenly between the readers
      --inputs N     inputs per reader (default 1000000; ignored with --seconds)
      --reader       only these readers (default: all; names are listed in the report)
      --seed N       run seed (default 1); --from I starts at input I (with --inputs 1: replay one input)
      --timeout S    an input taking longer is a hang: the run aborts naming it (default 10)
      --max-rss MB   exit status 1 if the peak resident memory exceeds this (default 200)
      --dump DIR     write every generated input to DIR/<reader>-<i>.bin (for replaying a few)
    """)
    exit(2)
}

func parseOptions() -> Options {
    var o = Options()
    var args = CommandLine.arguments.dropFirst()
    func value() -> String {
        guard let v = args.popFirst() else { usage() }
        return v
    }
    while let a = args.popFirst() {
        switch a {
        case "--seconds": o.seconds = Double(value()) ?? { usage() }()
        case "--inputs": o.inputs = Int(value()) ?? { usage() }()
        case "--from": o.from = Int(value()) ?? { usage() }()
        case "--reader": o.readers += value().split(separator: ",").map(String.init)
        case "--seed": o.seed = UInt64(value()) ?? { usage() }()
        case "--timeout": o.timeout = Double(value()) ?? { usage() }()
        case "--max-rss": o.maxRSSMB = Int(value()) ?? { usage() }()
        case "--dump": o.dump = value()
        default: usage()
        }
    }
    return o
}

/// Writes a line to standard output at once (unbuffered: the lines before a crash are kept).
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

/// Monotonic nanoseconds.
func nowNs() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// Peak resident set size of the process so far, in bytes (Linux reports kilobytes).
func peakRSS() -> Int {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return usage.ru_maxrss * 1024
}

// MARK: crash and hang reporting

/// What is running, for the signal handler (plain globals: a handler may not lock or allocate).
nonisolated(unsafe) var currentReader: UnsafeMutablePointer<CChar>? = nil
nonisolated(unsafe) var currentIteration = 0
nonisolated(unsafe) var runSeed: UInt64 = 1
nonisolated(unsafe) let numberBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 32)

/// Writes `text` to stderr without allocating.
func rawWrite(_ text: StaticString) { _ = write(2, text.utf8Start, text.utf8CodeUnitCount) }
func rawWrite(_ text: UnsafeMutablePointer<CChar>?) { if let t = text { _ = write(2, t, strlen(t)) } }
func rawWrite(_ n: UInt64) {
    var v = n, k = 32
    repeat { k -= 1; numberBuffer[k] = UInt8(48 + v % 10); v /= 10 } while v > 0
    _ = write(2, numberBuffer + k, 32 - k)
}

/// Names the reader and input that crashed, then lets the signal kill the process.
let crashHandler: @convention(c) (Int32) -> Void = { sig in
    rawWrite("\nfuzz: CRASH (signal "); rawWrite(UInt64(sig)); rawWrite(") in reader ")
    rawWrite(currentReader); rawWrite(" at input "); rawWrite(UInt64(currentIteration))
    rawWrite(" — replay: fuzz --reader "); rawWrite(currentReader); rawWrite(" --seed "); rawWrite(runSeed)
    rawWrite(" --from "); rawWrite(UInt64(currentIteration)); rawWrite(" --inputs 1 --dump /tmp/fuzz-crash\n")
    signal(sig, SIG_DFL)
    raise(sig)
}

/// The input being parsed and since when; a watchdog thread aborts the run when one takes too long.
final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var reader = "", iteration = 0, started: UInt64 = 0, active = false
    let limitNs: UInt64

    init(seconds: Double) {
        limitNs = UInt64(seconds * 1e9)
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: 0.25)
                lock.lock()
                let late = active && nowNs() - started > limitNs
                let (r, i) = (reader, iteration)
                lock.unlock()
                if late {
                    FileHandle.standardError.write(Data("\nfuzz: HANG: reader \(r), input \(i) took more than \(Double(limitNs) / 1e9) s — replay: fuzz --reader \(r) --seed \(runSeed) --from \(i) --inputs 1 --dump /tmp/fuzz-hang\n".utf8))
                    exit(3)
                }
            }
        }
        thread.start()
    }

    func begin(_ r: String, _ i: Int) {
        lock.lock(); reader = r; iteration = i; started = nowNs(); active = true; lock.unlock()
    }
    func end() { lock.lock(); active = false; lock.unlock() }
}

// MARK: the run

let options = parseOptions()
runSeed = options.seed
for sig in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE] { signal(sig, crashHandler) }
let watchdog = Watchdog(seconds: options.timeout)

let setupStart = nowNs()
var readers: [FuzzReader]
do {
    readers = try allReaders()
} catch {
    say("fuzz: cannot build the seeds: \(error)")
    exit(1)
}
if !options.readers.isEmpty {
    let unknown = options.readers.filter { n in !readers.contains { $0.name == n } }
    guard unknown.isEmpty else {
        say("fuzz: unknown reader(s) \(unknown.joined(separator: ", ")); known: \(readers.map(\.name).joined(separator: ", "))")
        exit(2)
    }
    readers = readers.filter { options.readers.contains($0.name) }
}
if let dir = options.dump { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
say("fuzz: seed \(options.seed), \(readers.count) readers, " + (options.seconds.map { "\($0) s budget" } ?? "\(options.inputs) inputs each")
      + String(format: ", seeds built in %.1f s", Double(nowNs() - setupStart) / 1e9))
say("reader          seeds      inputs          ok      errors  unexpected  crashes  hangs  max ms (input)    peak RSS")

var failures = 0
for reader in readers {
    guard !reader.seeds.isEmpty else {
        say("\(reader.name): no seeds (is ../shared missing?)")
        failures += 1
        continue
    }
    currentReader.map { free($0) }
    currentReader = strdup(reader.name)
    let deadline = options.seconds.map { nowNs() + UInt64($0 / Double(readers.count) * 1e9) }
    var inputs = 0, ok = 0, errors = 0, unexpected = 0
    var maxNs: UInt64 = 0, slowest = 0
    var i = options.from
    while true {
        if let d = deadline {
            if inputs & 63 == 0 && nowNs() >= d { break }
        } else if inputs >= options.inputs {
            break
        }
        var rng = inputRNG(seed: options.seed, reader: reader.name, iteration: i)
        let pool = !reader.bigSeeds.isEmpty && rng.chance(256) ? reader.bigSeeds : reader.seeds
        let seed = pool[rng.below(pool.count)]
        let other = reader.seeds[rng.below(reader.seeds.count)]
        var input = rng.chance(32) ? seed : mutate(seed, other: other, rng: &rng)
        if let repair = reader.repair, rng.chance(2) { input = repair(input) }
        if let dir = options.dump { _ = FileManager.default.createFile(atPath: "\(dir)/\(reader.name)-\(i).bin", contents: Data(input)) }
        currentIteration = i
        watchdog.begin(reader.name, i)
        let t0 = nowNs()
        do {
            try reader.read(input)
            ok += 1
        } catch is ToolkitError {
            errors += 1
        } catch {
            unexpected += 1
            if unexpected <= 5 { say("fuzz: \(reader.name) input \(i): not a ToolkitError: \(type(of: error)): \(error)") }
        }
        let dt = nowNs() - t0
        watchdog.end()
        if dt > maxNs { maxNs = dt; slowest = i }
        inputs += 1
        i += 1
    }
    let rss = peakRSS()
    failures += unexpected
    let line = reader.name.padding(toLength: 14, withPad: " ", startingAt: 0)
        + String(format: "%6d %11d %11d %11d %11d %8d %6d %9.2f (%d) %9.1f MB",
                 reader.seeds.count + reader.bigSeeds.count, inputs, ok, errors, unexpected, 0, 0,
                 Double(maxNs) / 1e6, slowest, Double(rss) / 1048576)
    say(line)
}
let peak = peakRSS()
let overMemory = peak > options.maxRSSMB << 20
say(String(format: "peak RSS %.1f MB (limit %d MB)%@; %d unexpected outcome(s); 0 crashes and 0 hangs (a crash or hang aborts the run with a replay line)",
             Double(peak) / 1048576, options.maxRSSMB, overMemory ? " — OVER THE LIMIT" : "", failures))
exit(failures > 0 || overMemory ? 1 : 0)
