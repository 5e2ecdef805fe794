import ArgumentParser
import CJemalloc
import Foundation
import Hogwild

@main
struct HogwildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hogwild",
        abstract: "Train recommender embeddings from implicit feedback with lock-free parallel SGD.",
        discussion: """
            Users and items become rows of two embedding tables, trained so that each user scores \
            the items they interacted with above sampled negatives. Start with:

              hogwild train --data ml-100k

            which trains on MovieLens 100k (ua.base) and reports per-user test ROC AUC, \
            precision@10 and recall@10 on ua.test. Data sets are looked up under $HOGWILD_DATA \
            and ~/.cache/hogwild, and downloaded into the cache on first use; any \
            user,item[,rating] file works too.
            """,
        version: "hogwild 0.1.0 (\(Allocator.description))",
        subcommands: [Train.self, Eval.self, Bench.self, Synth.self, Export.self, Recommend.self, Similar.self, Download.self]
    )

    /// Runs the command line with SIGPIPE ignored: when the reader of standard output goes away
    /// (`hogwild train … --save m.hgw | head`), the remaining lines are dropped instead of the
    /// signal killing a run before it writes its model and report. SIGXFSZ is ignored too, so a
    /// file-size limit (`ulimit -f`) makes the write fail with an error naming the file.
    /// SIGINT, SIGTERM and SIGHUP remove the temporary output files and exit 130, 143, 129.
    static func main() {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)
        OutputSafety.removeTemporariesOnSignals()
        main(nil)
    }
}

/// The allocator in use, as jemalloc reports it.
enum Allocator {
    static var description: String {
        var version: UnsafePointer<CChar>? = nil
        var size = MemoryLayout<UnsafePointer<CChar>?>.size
        guard mallctl("version", &version, &size, nil, 0) == 0, let version else { return "system malloc" }
        return "jemalloc \(String(cString: version).split(separator: "-").first ?? "")"
    }
}

/// Where the program's text goes. Set once by a command before any work starts, read after.
enum Console {
    /// `--quiet`: progress and informational lines are dropped; results stay.
    nonisolated(unsafe) static var quiet = false
    /// `--log-json`: standard output carries only JSON lines; human text goes to standard error.
    nonisolated(unsafe) static var humanToStandardError = false
    /// Whether standard output is a terminal (then progress redraws one line in place).
    static let isTerminal = isatty(STDOUT_FILENO) != 0

    static func write(_ text: String, error: Bool) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { _ = Glibc.write(error ? STDERR_FILENO : STDOUT_FILENO, $0.baseAddress, $0.count) }
    }
}

/// Writes one result line (standard output, or standard error under `--log-json`), unbuffered so
/// progress shows in pipes too.
func say(_ line: String) {
    Console.write(line + "\n", error: Console.humanToStandardError)
}

/// Writes one progress or informational line, unless `--quiet`.
func chat(_ line: String) {
    if !Console.quiet { say(line) }
}

/// Writes one JSON object as a line on standard output (for `--log-json`).
func emitJSON<T: Encodable>(_ value: T) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    if let data = try? encoder.encode(value) { Console.write(String(decoding: data, as: UTF8.self) + "\n", error: false) }
}

/// Formats `value` with `digits` decimals.
func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

/// "12.3 M" style rates.
func millions(_ value: Double) -> String { String(format: "%.2f M", value / 1e6) }

/// Encodes `value` as pretty JSON with sorted keys and writes it atomically.
func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    let data = try encoder.encode(value)
    try FileBytes.writeAtomically(path, text: String(decoding: data, as: UTF8.self) + "\n")
}
