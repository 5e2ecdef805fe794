import Foundation
import Testing

/// The text reader and the evaluation guard seen from the command line: what is printed about
/// skipped headers and left-out test positives, streams, and refusals in one line.
@Suite("hogwild reads awkward files and refuses to evaluate nothing")
struct ReaderCommandTests {
    static let quick = ["--epochs", "1", "--dim", "8", "--threads", "1"]

    @Test("a test file equal to the training file is refused before training")
    func testEqualsTrain() throws {
        try withTemporaryDirectory { dir in
            try writeFile("train.tsv", smallRatings(), in: dir)
            let r = try runHogwild(["train", "--data", "train.tsv", "--test", "train.tsv"] + Self.quick, in: dir)
            expectOneLineError(r, containing: ["nothing to evaluate", "train.tsv", "is the test file the training file?"])
            #expect(!r.stdout.contains("epoch") && !r.stdout.contains("AUC"), "\(r)")
        }
    }

    @Test("eval on nothing to evaluate is refused")
    func evalOnNothing() throws {
        try withTemporaryDirectory { dir in
            try writeFile("train.tsv", smallRatings(), in: dir)
            let trained = try runHogwild(["train", "--data", "train.tsv", "--save", "m.hgw"] + Self.quick, in: dir)
            try #require(trained.terminationReason == .exit && trained.status == 0, "training failed: \(trained)")
            let r = try runHogwild(["eval", "--model", "m.hgw", "--data", "train.tsv", "--test", "train.tsv"], in: dir)
            expectOneLineError(r, containing: ["nothing to evaluate"])
        }
    }

    @Test("unseen test users and items are left out, in one line, and kept on request")
    func unseenTestPositives() throws {
        try withTemporaryDirectory { dir in
            try writeFile("train.tsv", smallRatings(users: 30, items: 40), in: dir)
            // Users 1–3 and 31 (unseen), items 1 and 41 (unseen); all positives.
            try writeFile("test.tsv", "1\t1\t5\n2\t41\t5\n3\t1\t4\n31\t1\t5\n31\t41\t5\n", in: dir)
            let r = try runHogwild(["train", "--data", "train.tsv", "--test", "test.tsv"] + Self.quick, in: dir)
            try #require(r.terminationReason == .exit && r.status == 0, "\(r)")
            #expect(r.stdout.contains("note     left out 3 of 5 test positives, of 1 user and 1 item never seen in training"), "\(r)")
            // Users 1 and 3 are left: user 1's item 1 may be a training positive, so count them from the file.
            let trainPositives = Set(smallRatings().split(separator: "\n").compactMap { line -> String? in
                let f = line.split(separator: "\t")
                return Int(f[2])! >= 4 ? "\(f[0])-\(f[1])" : nil
            })
            let evaluable = ["1-1", "3-1"].filter { !trainPositives.contains($0) }.count
            #expect(r.stdout.contains("(\(evaluable) users,"), "\(r)")
            let kept = try runHogwild(["train", "--data", "train.tsv", "--test", "test.tsv", "--keep-unseen-test"] + Self.quick, in: dir)
            try #require(kept.terminationReason == .exit && kept.status == 0, "\(kept)")
            #expect(!kept.stdout.contains("left out") && kept.stdout.contains("(\(evaluable + 2) users,"), "\(kept)")
        }
    }

    @Test("a two-column header is skipped and said; BOM and CR-only files read")
    func headerBOMAndCarriageReturns() throws {
        try withTemporaryDirectory { dir in
            try writeFile("h.csv", "customer_id,product_id\nc1,p1\nc1,p2\nc2,p1\nc3,p3\n", in: dir)
            let h = try runHogwild(["train", "--data", "h.csv", "--holdout", "0"] + Self.quick, in: dir)
            try #require(h.terminationReason == .exit && h.status == 0, "\(h)")
            #expect(h.stdout.contains("note     'h.csv' line 1 taken for a header and skipped: customer_id,product_id"), "\(h)")
            #expect(h.stdout.contains("h.csv: 3 users, 3 items, 4 train"), "\(h)")
            let cr = smallRatings().replacingOccurrences(of: "\n", with: "\r")
            try writeFile("mac.tsv", bytes: [0xEF, 0xBB, 0xBF] + Array(cr.utf8), in: dir)
            let m = try runHogwild(["train", "--data", "mac.tsv"] + Self.quick, in: dir)
            try #require(m.terminationReason == .exit && m.status == 0, "\(m)")
            #expect(m.stdout.contains("mac.tsv: 30 users, 40 items"), "\(m)")
        }
    }

    @Test("a pipe on standard input is read; an empty one is refused by name")
    func standardInput() throws {
        try withTemporaryDirectory { dir in
            let process = try hogwildProcess(["train", "--data", "/dev/stdin", "--holdout", "0"] + Self.quick, in: dir)
            let input = Pipe(), output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = Data(smallRatings().utf8)
            let writer = input.fileHandleForWriting
            DispatchQueue.global().async {
                writer.write(data)
                try? writer.close()
            }
            let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(stdout)")
            #expect(stdout.contains("/dev/stdin: 30 users, 40 items"), "\(stdout)")
            let empty = try runHogwild(["train", "--data", "/dev/stdin"] + Self.quick, in: dir)
            expectOneLineError(empty, containing: ["'/dev/stdin' is empty"])
        }
    }

    @Test("ids and values in errors are escaped and cut short")
    func escapedBoundedErrors() throws {
        try withTemporaryDirectory { dir in
            try writeFile("esc.tsv", "1\t2\t5\n1\t3\t\u{1B}]0;pwned\u{07}\u{1B}[2J\n", in: dir)
            let e = try runHogwild(["train", "--data", "esc.tsv"] + Self.quick, in: dir)
            expectOneLineError(e, containing: ["esc.tsv:2: rating '\\x1B]0;pwned\\x07\\x1B[2J' is not a number"])
            #expect(!e.stderr.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
            try writeFile("long.csv", "1,2,3\n1,3," + String(repeating: "9x", count: 5_000_000) + "\n", in: dir)
            let l = try runHogwild(["train", "--data", "long.csv"] + Self.quick, in: dir)
            expectOneLineError(l, containing: ["long.csv:2: rating '9x9x", "… (10000000 bytes)' is not a number"])
            #expect(l.stderr.count < 200, "\(l.stderr.count) characters on stderr")
            // A long first line taken for a header is quoted as briefly in the error that follows.
            try writeFile("header.csv", "1," + String(repeating: "x", count: 10_000_000) + ",zz\n", in: dir)
            let h = try runHogwild(["train", "--data", "header.csv"] + Self.quick, in: dir)
            expectOneLineError(h, containing: ["'header.csv' has no interaction lines", "… (10000005 bytes)"])
            #expect(h.stderr.count < 200, "\(h.stderr.count) characters on stderr")
        }
    }
}
