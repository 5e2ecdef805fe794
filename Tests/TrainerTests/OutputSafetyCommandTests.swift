import Foundation
import Testing

/// The names in `directory` that are temporary output files (`NAME.tmp-PID`).
private func temporaries(in directory: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".tmp-") }
}

/// Writes the small ratings as a training file and a test file (`a.tsv`, `b.tsv`).
private func writeTrainAndTest(in dir: URL) throws {
    let lines = smallRatings().split(separator: "\n")
    try writeFile("a.tsv", lines.enumerated().filter { $0.offset % 5 != 0 }.map { $0.element }.joined(separator: "\n") + "\n", in: dir)
    try writeFile("b.tsv", lines.enumerated().filter { $0.offset % 5 == 0 }.map { $0.element }.joined(separator: "\n") + "\n", in: dir)
}

@Suite("train checks its outputs before it starts; signals leave no temporary files", .serialized)
struct OutputSafetyCommandTests {
    @Test("an output over an input of the run (any spelling, a hard link) is refused before loading; the input is untouched")
    func outputsOverInputs() throws {
        try withTemporaryDirectory { dir in
            try writeTrainAndTest(in: dir)
            try writeFile("genres.csv", "1,drama\n2,comedy\n", in: dir)
            try #require(link(dir.appendingPathComponent("b.tsv").path, dir.appendingPathComponent("b-link.tsv").path) == 0)
            let base = ["train", "--data", "a.tsv", "--test", "b.tsv", "--dim", "4", "--threads", "1"]
            let model = try runHogwild(base + ["--epochs", "1", "--save", "m.hgw"], in: dir)
            try #require(model.status == 0, "\(model)")
            let before = try ["a.tsv", "b.tsv", "genres.csv", "m.hgw"].map { try readBytes(dir.appendingPathComponent($0)) }
            let cases: [(flags: [String], phrases: [String])] = [
                (["--save", "a.tsv"], ["refusing to write 'a.tsv'", "this run's training file"]),
                (["--save", "./a.tsv"], ["'./a.tsv'", "this run's training file 'a.tsv'"]),
                (["--report", "b-link.tsv"], ["'b-link.tsv'", "this run's test file 'b.tsv'"]),
                (["--report-html", "b.tsv"], ["'b.tsv'", "this run's test file"]),
                (["--loss", "softmax", "--item-features", "genres.csv", "--save", "genres.csv"], ["'genres.csv'", "item feature file"]),
                (["--resume", "m.hgw", "--report", "m.hgw"], ["'m.hgw'", "this run's model to resume"]),
            ]
            for (flags, phrases) in cases {
                let r = try runHogwild(base + flags, in: dir)
                expectOneLineError(r, containing: phrases)
                #expect(!r.stdout.contains("data "), "the data was loaded before the output was checked: \(r)")
            }
            let after = try ["a.tsv", "b.tsv", "genres.csv", "m.hgw"].map { try readBytes(dir.appendingPathComponent($0)) }
            #expect(after == before)
            #expect(try temporaries(in: dir).isEmpty)
            // bench's reports too.
            expectOneLineError(try runHogwild(["bench", "--data", "a.tsv", "--threads", "1", "--report", "./a.tsv"], in: dir),
                               containing: ["'./a.tsv'", "this run's training file 'a.tsv'"])
            #expect(try readBytes(dir.appendingPathComponent("a.tsv")) == before[0])
            // Resuming into the same model file is the checkpoint workflow, and allowed.
            let resumed = try runHogwild(base + ["--epochs", "2", "--resume", "m.hgw", "--save", "./m.hgw"], in: dir)
            #expect(resumed.status == 0, "\(resumed)")
        }
    }

    @Test("a bad output path fails in one line before the data is loaded; nothing is left behind")
    func badOutputPaths() throws {
        try withTemporaryDirectory { dir in
            try writeTrainAndTest(in: dir)
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("some_directory"), withIntermediateDirectories: false)
            try #require(mkfifo(dir.appendingPathComponent("fifo").path, 0o644) == 0)
            try #require(symlink("/dev/null", dir.appendingPathComponent("null-link").path) == 0)
            // Root may write into a mode-555 folder; sysfs refuses new files even to root.
            let locked = dir.appendingPathComponent("locked")
            try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: false)
            try #require(chmod(locked.path, 0o555) == 0)
            defer { chmod(locked.path, 0o755) }
            let unwritable = access(locked.path, W_OK) == 0 ? "/sys/m.hgw" : "locked/m.hgw"
            let base = ["train", "--data", "a.tsv", "--test", "b.tsv", "--epochs", "1000000", "--dim", "4", "--threads", "1"]
            let cases: [(flags: [String], phrases: [String])] = [
                (["--save", "nodir/x/m.hgw"], ["cannot write 'nodir/x/m.hgw': its folder does not exist"]),
                (["--save", "some_directory"], ["refusing to write 'some_directory': it is a directory"]),
                (["--report", "fifo"], ["refusing to write 'fifo': it is a FIFO"]),
                (["--report-html", "null-link"], ["refusing to write 'null-link': it is a symbolic link to a character device"]),
                (["--save", unwritable], ["cannot write '\(unwritable)'"]),
                (["--save", "m.hgw", "--report", "./m.hgw"], ["'m.hgw' and './m.hgw' are the same file"]),
                (["--save", "m.hgw", "--report", "r.json", "--report-html", "nodir/r.html"], ["'nodir/r.html'"]),
            ]
            for (flags, phrases) in cases {
                let r = try runHogwild(base + flags, in: dir)
                expectOneLineError(r, containing: phrases)
                #expect(!r.stdout.contains("data ") && !r.stdout.contains("epoch"), "ran before failing: \(r)")
            }
            // A run that fails after its outputs were prepared (here: malformed data) removes their temporaries.
            try writeFile("bad.tsv", "1\n", in: dir)
            expectOneLineError(try runHogwild(["train", "--data", "bad.tsv", "--save", "m.hgw", "--report", "r.json"], in: dir),
                               containing: ["bad.tsv:1"])
            // synth checks its outputs before generating.
            let synth = try runHogwild(["synth", "--format", "csv", "--out", "s.csv", "--test-out", "./s.csv"], in: dir)
            expectOneLineError(synth, containing: ["'s.csv' and './s.csv' are the same file"])
            #expect(!synth.stdout.contains("synth "), "generated before failing: \(synth)")
            #expect(try temporaries(in: dir).isEmpty)
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("m.hgw").path))
            var info = stat()
            #expect(lstat(dir.appendingPathComponent("fifo").path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO)
        }
    }

    @Test("a --save that fails at the end still writes --report, then exits non-zero naming the model file")
    func failedSaveKeepsTheReport() throws {
        try withTemporaryDirectory { dir in
            // A 100 KiB file-size limit: the report (a few KiB) fits, the model (about 1.2 MB) does not.
            let r = try runHogwild(["train", "--data", "synthetic", "--epochs", "1", "--save", "m.hgw", "--report", "r.json", "--quiet"],
                                   in: dir, fileSizeLimit: 100)
            expectOneLineError(r, containing: ["cannot write 'm.hgw'"])
            let report = try readJSONObject(dir.appendingPathComponent("r.json"))
            #expect(try number(report, "auc") > 0.5)
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("m.hgw").path))
            #expect(try temporaries(in: dir).isEmpty)
        }
    }

    @Test("SIGINT and SIGTERM during --checkpoint-every 1: exit 130 / 143, no temporary file left, the last checkpoint loads")
    func signalsDuringCheckpoints() throws {
        try withTemporaryDirectory { dir in
            for (signal, status) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
                // Signalled at varied moments after a checkpoint landed, so some land mid-write.
                for delay in [0.0, 0.01, 0.04, 0.1] {
                    let (process, signalled) = try runAndSignal(["train", "--data", "synthetic", "--epochs", "1000000", "--threads", "1",
                                                                 "--checkpoint-every", "1", "--save", "ck.hgw", "--quiet"],
                                                                in: dir, after: delay, once: dir.appendingPathComponent("ck.hgw"), signal: signal)
                    try #require(signalled, "hogwild ended before it was signalled (status \(process.terminationStatus))")
                    #expect(process.terminationReason == .exit && process.terminationStatus == status,
                            "signal \(signal) after \(delay) s: \(process.terminationReason == .exit ? "exit" : "killed by signal") \(process.terminationStatus)")
                    let left = try temporaries(in: dir)
                    #expect(left.isEmpty, "signal \(signal) after \(delay) s left \(left)")
                    let check = try runHogwild(["eval", "--model", "ck.hgw", "--data", "synthetic"], in: dir)
                    #expect(check.status == 0, "the checkpoint does not load after signal \(signal) after \(delay) s: \(check)")
                }
            }
        }
    }
}
