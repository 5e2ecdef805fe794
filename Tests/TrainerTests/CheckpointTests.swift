import Foundation
import HogwildTestSupport
import Testing

@Suite("Checkpoints survive SIGKILL and resume", .serialized)
struct CheckpointTests {
    @Test("killing train while it checkpoints never leaves an unreadable model; resuming matches an uninterrupted run", .needsMovieLens, .tags(.movieLens))
    func killLoopThenResume() throws {
        _ = try MovieLens.require()
        try withTemporaryDirectory { dir in
            let common = ["--data", "ml-100k", "--threads", "1", "--seed", "5", "--epochs", "20", "--quiet"]
            let full = try runHogwild(["train"] + common + ["--report", "full.json"], in: dir)
            try #require(full.status == 0, "\(full)")
            let fullAUC = try number(try readJSONObject(dir.appendingPathComponent("full.json")), "auc")

            // Kill at varied moments after a checkpoint was written; from the second round on, the
            // kills land while an existing file is being replaced by the next checkpoint.
            let checkpoint = dir.appendingPathComponent("ck.hgw")
            for delay in [0.0, 0.01, 0.03, 0.07, 0.15] {
                _ = try runAndSignal(["train"] + common + ["--checkpoint-every", "1", "--save", "ck.hgw"], in: dir,
                                     after: delay, once: checkpoint, signal: SIGKILL)
                let check = try runHogwild(["eval", "--model", "ck.hgw", "--data", "ml-100k"], in: dir)
                #expect(check.status == 0, "checkpoint unreadable after a kill \(delay) s after a checkpoint: \(check)")
            }
            let stale = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }
            #expect(stale.count <= 1, "stale temporaries are cleaned by the next save: \(stale)")

            let resumed = try runHogwild(["train", "--resume", "ck.hgw"] + common + ["--save", "ck.hgw", "--report", "resumed.json"], in: dir)
            try #require(resumed.status == 0, "\(resumed)")
            let report = try readJSONObject(dir.appendingPathComponent("resumed.json"))
            let resumedAUC = try number(report, "auc")
            #expect(try number(report, "epochs") == 20)
            // One thread: the resumed run takes exactly the uninterrupted run's steps.
            #expect(resumedAUC == fullAUC, "resumed \(resumedAUC) vs uninterrupted \(fullAUC)")
        }
    }

    @Test("a reader that leaves early (| head) does not kill the run before it saves its model")
    func closedPipeDoesNotLoseTheModel() throws {
        try withTemporaryDirectory { dir in
            let shell = Process()
            shell.executableURL = URL(fileURLWithPath: "/bin/bash")
            // head exits after one byte; the epoch lines and the save come after that.
            shell.arguments = ["-c", "set -o pipefail; \"$0\" train --data synthetic --epochs 3 --save m.hgw | head -c 1 > /dev/null",
                               try hogwildExecutable().path]
            shell.currentDirectoryURL = dir
            try shell.run()
            shell.waitUntilExit()
            #expect(shell.terminationStatus == 0, "hogwild's exit status in the pipeline: \(shell.terminationStatus) (141: killed by SIGPIPE)")
            let check = try runHogwild(["eval", "--model", "m.hgw", "--data", "synthetic"], in: dir)
            #expect(check.status == 0, "\(check)")
        }
    }

    @Test("--log-json prints one JSON object per epoch and one result on standard output", .needsMovieLens, .tags(.movieLens))
    func logJSON() throws {
        _ = try MovieLens.require()
        try withTemporaryDirectory { dir in
            let r = try runHogwild(["train", "--data", "ml-100k", "--epochs", "3", "--threads", "1", "--log-json"], in: dir)
            try #require(r.status == 0, "\(r)")
            let lines = r.stdout.split(separator: "\n")
            #expect(lines.count == 4)
            let objects = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(objects.prefix(3).map { $0?["event"] as? String } == ["epoch", "epoch", "epoch"])
            #expect(objects.last??["event"] as? String == "result")
            #expect((objects.last??["auc"] as? Double ?? 0) > 0.8)
            #expect(r.stderr.contains("data     ml-100k"))  // human text moved to standard error
        }
    }

    @Test("--quiet drops progress, keeps results", .needsMovieLens, .tags(.movieLens))
    func quiet() throws {
        _ = try MovieLens.require()
        try withTemporaryDirectory { dir in
            let r = try runHogwild(["train", "--data", "ml-100k", "--epochs", "2", "--threads", "1", "--quiet"], in: dir)
            try #require(r.status == 0, "\(r)")
            #expect(!r.stdout.contains("epoch   1/") && !r.stdout.contains("data "))
            #expect(r.stdout.contains("test     AUC"))
        }
    }

    @Test("on a terminal the epoch line is redrawn in place; in a pipe it is plain lines", .needsMovieLens, .tags(.movieLens))
    func progressLineOnlyOnATerminal() throws {
        _ = try MovieLens.require()
        try withTemporaryDirectory { dir in
            let binary = try hogwildExecutable().path
            // util-linux `script` runs the command on a pseudo-terminal and copies what it printed.
            let terminal = Process()
            terminal.executableURL = URL(fileURLWithPath: "/usr/bin/script")
            terminal.arguments = ["-q", "-e", "-c", "\(binary) train --data ml-100k --epochs 3 --threads 1", "/dev/null"]
            terminal.currentDirectoryURL = dir
            var environment = ProcessInfo.processInfo.environment
            if let root = MovieLens.root { environment["HOGWILD_DATA"] = root }
            terminal.environment = environment
            let out = Pipe()
            terminal.standardOutput = out
            terminal.standardInput = FileHandle.nullDevice
            try terminal.run()
            let shown = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            terminal.waitUntilExit()
            try #require(terminal.terminationStatus == 0, "\(shown)")
            #expect(shown.contains("\r\u{1B}[2Kepoch 3/3") && shown.contains("ETA"), "\(shown)")
            let piped = try runHogwild(["train", "--data", "ml-100k", "--epochs", "3", "--threads", "1"], in: dir)
            #expect(!piped.stdout.contains("\u{1B}") && piped.stdout.contains("epoch   3/3"))
        }
    }
}
