import Foundation
import HogwildTestSupport
import Testing

// Helpers for the end-to-end tests: they run the built `hogwild` executable as a subprocess.

/// What one run of `hogwild` produced.
struct RunResult: CustomStringConvertible {
    var arguments: [String]
    var terminationReason: Process.TerminationReason
    var status: Int32
    var stdout: String
    var stderr: String

    /// The non-empty lines of standard error.
    var stderrLines: [Substring] {
        stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            .split(separator: "\n", omittingEmptySubsequences: true)
    }

    var description: String {
        let reason = terminationReason == .exit ? "exit" : "signal"
        return "hogwild \(arguments.joined(separator: " ")) → \(reason) \(status)\n--- stdout ---\n\(stdout)--- stderr ---\n\(stderr)"
    }
}

enum SupportError: Error, CustomStringConvertible {
    case binaryNotFound([String])
    var description: String {
        switch self {
        case .binaryNotFound(let looked):
            "the hogwild executable was not found next to the test binary; looked in: \(looked.joined(separator: ", ")). Run the tests with `swift test`, which builds it."
        }
    }
}

/// The built `hogwild` executable: `$HOGWILD_BIN` when set (`make test` points it at the release
/// build: the CLI tests train on ml-100k, and debug SIMD code is ~40× slower), else the one in the
/// directory of the running test binary (resolved from /proc/self/exe), or in a folder above
/// `Bundle.main.bundleURL`.
func hogwildExecutable() throws -> URL {
    if let path = ProcessInfo.processInfo.environment["HOGWILD_BIN"], !path.isEmpty {
        guard FileManager.default.isExecutableFile(atPath: path) else { throw SupportError.binaryNotFound([path]) }
        return URL(fileURLWithPath: path)
    }
    var candidates: [URL] = []
    let selfExe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    candidates.append(selfExe.deletingLastPathComponent())
    var folder = Bundle.main.bundleURL.resolvingSymlinksInPath()
    for _ in 0..<4 {
        candidates.append(folder)
        folder = folder.deletingLastPathComponent()
    }
    for dir in candidates {
        let binary = dir.appendingPathComponent("hogwild")
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: binary.path, isDirectory: &isDirectory), !isDirectory.boolValue,
           FileManager.default.isExecutableFile(atPath: binary.path) {
            return binary
        }
    }
    throw SupportError.binaryNotFound(candidates.map(\.path))
}

/// Collects a pipe's bytes on another thread.
private final class PipeDrain: @unchecked Sendable {
    private var data = Data()
    private let group = DispatchGroup()

    init(_ handle: FileHandle) {
        group.enter()
        DispatchQueue.global().async {
            self.data = handle.readDataToEndOfFile()
            self.group.leave()
        }
    }

    /// Waits for end-of-file and returns everything read.
    func finish() -> Data {
        group.wait()
        return data
    }
}

/// A not-yet-started `hogwild arguments` process in `directory`, with this process's environment
/// (HOGWILD_DATA set to the folder holding ml-100k, `MovieLens.root`, HOGWILD_OFFLINE=1 so that no test ever reaches for the network)
/// and then `overrides`; with `fileSizeLimit`, run under `ulimit -f` that many KiB (through bash).
func hogwildProcess(_ arguments: [String], in directory: URL, environment overrides: [String: String] = [:],
                    fileSizeLimit: Int? = nil) throws -> Process {
    let process = Process()
    if let fileSizeLimit {
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "ulimit -f \(fileSizeLimit) && exec \"$0\" \"$@\"", try hogwildExecutable().path] + arguments
    } else {
        process.executableURL = try hogwildExecutable()
        process.arguments = arguments
    }
    process.currentDirectoryURL = directory
    var environment = ProcessInfo.processInfo.environment
    if let root = MovieLens.root { environment["HOGWILD_DATA"] = root }
    environment["HOGWILD_OFFLINE"] = "1"
    environment.merge(overrides) { $1 }
    process.environment = environment
    return process
}

/// Runs `hogwild arguments` in `directory` with this process's environment (as for
/// `hogwildProcess`, with its `fileSizeLimit`) and `environment`'s overrides, and returns its exit
/// and output. A run longer than `timeout` seconds is killed.
func runHogwild(_ arguments: [String], in directory: URL, environment: [String: String] = [:],
                timeout: Double = 120, fileSizeLimit: Int? = nil) throws -> RunResult {
    let process = try hogwildProcess(arguments, in: directory, environment: environment, fileSizeLimit: fileSizeLimit)
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Read both pipes to the end before waiting, concurrently, so neither can fill up and block the child.
    let errDrain = PipeDrain(err.fileHandleForReading)
    let killer = DispatchWorkItem { [process] in if process.isRunning { process.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = errDrain.finish()
    process.waitUntilExit()
    killer.cancel()
    return RunResult(arguments: arguments, terminationReason: process.terminationReason,
                     status: process.terminationStatus,
                     stdout: String(decoding: outData, as: UTF8.self),
                     stderr: String(decoding: errData, as: UTF8.self))
}

/// Runs hogwild, waits until `file` has been (re)written by it, then sends it `signal` `delay`
/// seconds later — so the signal lands mid-run whatever the machine's (or the sanitizer's)
/// speed — and waits for it to end (killing it after a minute). Returns the ended process and
/// whether it was still running when signalled.
func runAndSignal(_ arguments: [String], in directory: URL, after delay: Double, once file: URL,
                  signal: Int32) throws -> (process: Process, signalled: Bool) {
    func stamp() -> Date? { try? FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date }
    let before = stamp()
    let process = try hogwildProcess(arguments, in: directory)
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(120)
    while process.isRunning && stamp() == before && Date() < deadline { Thread.sleep(forTimeInterval: 0.002) }
    Thread.sleep(forTimeInterval: delay)
    let signalled = process.isRunning && kill(process.processIdentifier, signal) == 0
    let patience = Date().addingTimeInterval(60)
    while process.isRunning && Date() < patience { Thread.sleep(forTimeInterval: 0.01) }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    return (process, signalled)
}

/// Calls `body` with a fresh temporary directory, removed afterwards.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("hogwild-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}

/// Writes `text` to `name` in `directory` and returns the file's URL.
@discardableResult
func writeFile(_ name: String, _ text: String, in directory: URL) throws -> URL {
    let url = directory.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url
}

/// Writes `bytes` to `name` in `directory` and returns the file's URL.
@discardableResult
func writeFile(_ name: String, bytes: [UInt8], in directory: URL) throws -> URL {
    let url = directory.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url
}

/// The bytes of a file.
func readBytes(_ url: URL) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: url))
}

/// A small deterministic MovieLens-style file: `users` × `items` grid, about 60% of the pairs
/// present, as tab-separated "user\titem\trating\ttimestamp" lines with 1-based numeric ids.
/// Every user and item occurs; most ratings are positives (≥ 4).
func smallRatings(users: Int = 30, items: Int = 40) -> String {
    var lines: [String] = []
    for u in 0..<users {
        for i in 0..<items where (u * 7 + i * 3) % 5 < 3 {
            let rating = (u + 2 * i) % 4 == 0 ? 2 : 4 + (u + i) % 2
            lines.append("\(u + 1)\t\(i + 1)\t\(rating)\t\(880_000_000 + u * items + i)")
        }
    }
    return lines.joined(separator: "\n") + "\n"
}

/// Checks the shape every bad-input failure must have: a normal exit with a non-zero status and
/// exactly one non-empty line on standard error containing each of `phrases`.
func expectOneLineError(_ result: RunResult, containing phrases: [String],
                        sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.terminationReason == .exit, "terminated by a signal, not an exit: \(result)",
            sourceLocation: sourceLocation)
    #expect(result.status != 0, "exit status 0 for bad input: \(result)", sourceLocation: sourceLocation)
    let lines = result.stderrLines
    #expect(lines.count == 1, "expected exactly one line on stderr, got \(lines.count): \(result)",
            sourceLocation: sourceLocation)
    let line = lines.first.map(String.init) ?? ""
    for phrase in phrases {
        #expect(line.contains(phrase), "stderr line does not contain \"\(phrase)\": \(result)",
                sourceLocation: sourceLocation)
    }
}

/// The JSON object in `url`.
func readJSONObject(_ url: URL, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
    return try #require(object as? [String: Any], "\(url.lastPathComponent) is not a JSON object",
                        sourceLocation: sourceLocation)
}

/// A number in a JSON object, or a failure naming the key.
func number(_ object: [String: Any], _ key: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Double {
    let value = try #require(object[key], "report has no \"\(key)\"", sourceLocation: sourceLocation)
    let n = try #require(value as? NSNumber, "report's \"\(key)\" is not a number: \(value)", sourceLocation: sourceLocation)
    return n.doubleValue
}
