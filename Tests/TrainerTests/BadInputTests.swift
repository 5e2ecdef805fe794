import Foundation
import Testing

/// Bad files, bad flags and bad models: each must end in a normal non-zero exit with exactly one
/// line on standard error that says what is wrong and where.
@Suite("hogwild rejects bad input with one line")
struct BadInputTests {
    @Test("missing data file names the path")
    func missingFile() throws {
        try withTemporaryDirectory { dir in
            let r = try runHogwild(["train", "--data", "/nonexistent/x.tsv"], in: dir)
            expectOneLineError(r, containing: ["/nonexistent/x.tsv"])
        }
    }

    @Test("empty data file")
    func emptyFile() throws {
        try withTemporaryDirectory { dir in
            try writeFile("empty.tsv", "", in: dir)
            let r = try runHogwild(["train", "--data", "empty.tsv"], in: dir)
            expectOneLineError(r, containing: ["empty.tsv", "is empty"])
        }
    }

    @Test("a line with one field is reported with file and line number")
    func malformedLine() throws {
        try withTemporaryDirectory { dir in
            try writeFile("bad.tsv", "1\t2\t5\t881250949\n3\t4\t4\t881250950\nonlyone\n5\t6\t5\t881250951\n", in: dir)
            let r = try runHogwild(["train", "--data", "bad.tsv"], in: dir)
            expectOneLineError(r, containing: ["bad.tsv:3:"])
        }
    }

    @Test("a non-numeric rating is reported with file, line and 'not a number'")
    func nonNumericRating() throws {
        try withTemporaryDirectory { dir in
            try writeFile("rating.tsv", "1\t1\t5\n1\t2\t4\n1\t2\tabc\n2\t1\t5\n", in: dir)
            let r = try runHogwild(["train", "--data", "rating.tsv"], in: dir)
            expectOneLineError(r, containing: ["rating.tsv:3:", "not a number"])
        }
    }

    @Test("eval rejects test ids the model does not know")
    func idsOutOfRange() throws {
        try withTemporaryDirectory { dir in
            try writeFile("train.tsv", smallRatings(), in: dir)
            let trained = try runHogwild(["train", "--data", "train.tsv", "--epochs", "1", "--dim", "8",
                                          "--threads", "1", "--save", "m.hgw"], in: dir)
            try #require(trained.terminationReason == .exit && trained.status == 0, "training failed: \(trained)")
            // Item 999 is not one of the 40 items of train.tsv.
            try writeFile("test.tsv", "1\t1\t5\t881250949\n2\t2\t5\t881250950\n3\t999\t5\t881250951\n", in: dir)
            let r = try runHogwild(["eval", "--model", "m.hgw", "--data", "train.tsv", "--test", "test.tsv"], in: dir)
            expectOneLineError(r, containing: ["test.tsv:3:", "out of range"])
        }
    }

    @Test("invalid model flags name the flag", arguments: [
        (["--dim", "0"], "--dim"),
        (["--threads", "0"], "--threads"),
        (["--lr", "nan"], "--lr"),
        (["--user-weight=-0.5"], "--user-weight must be between 0 and 2"),
        (["--user-weight", "nan"], "--user-weight must be between 0 and 2"),
        (["--initial-temperature", "0"], "--initial-temperature must be a positive"),
        (["--loss", "margin", "--temperature", "0.5"], "--temperature applies to --loss softmax"),
        (["--candidates", "8"], "--loss full-softmax (the default) scores every item with plain SGD"),
        (["--optimizer", "adagrad"], "--loss full-softmax (the default) scores every item with plain SGD"),
        (["--loss", "full-softmax", "--similarity", "dot"], "--loss full-softmax needs --similarity cosine"),
        (["--loss", "softmax", "--seen-weight", "0.1"], "--seen-weight applies to --loss full-softmax"),
        (["--seen-weight", "2"], "--seen-weight must be between 0 and 1"),
        (["--temperature", "0.01"], "must be at least 0.03 with --loss full-softmax"),
        (["--loss", "full-softmax", "--cold-items", "0.1"], "cannot hold items out (--cold-items)"),
        (["--loss", "full-softmax", "--item-features", "genres"], "need --loss softmax, margin or bpr, not full-softmax"),
        (["--margin", "0.3"], "--margin applies to --loss margin and warp"),
        (["--loss", "margin", "--max-sampled", "5"], "--max-sampled applies to --loss warp"),
        (["--hidden", "16"], "--hidden needs --matcher mlp"),
        (["--matcher", "mlp", "--hidden", "0"], "--hidden must be"),
        (["--matcher", "mlp", "--loss", "warp"], "--loss warp is not supported with --matcher mlp"),
        (["--matcher", "mlp", "--similarity", "dot"], "--similarity applies to --matcher bilinear"),
        (["--matcher", "mlp", "--dense-weights", "shared", "--average-every", "10"], "--average-every needs"),
    ])
    func invalidFlag(flag: [String], name: String) throws {
        try withTemporaryDirectory { dir in
            try writeFile("train.tsv", smallRatings(), in: dir)
            let r = try runHogwild(["train", "--data", "train.tsv", "--epochs", "1"] + flag, in: dir)
            expectOneLineError(r, containing: [name])
        }
    }

    @Test("an unknown data set name")
    func unknownDataSet() throws {
        try withTemporaryDirectory { dir in
            let r = try runHogwild(["train", "--data", "ml-999"], in: dir)
            expectOneLineError(r, containing: ["unknown data set", "ml-999"])
        }
    }

    enum Damage: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case corrupted, truncated, notAModel
        var testDescription: String { rawValue }
    }

    @Test("eval rejects a damaged model file", arguments: Damage.allCases)
    func damagedModel(damage: Damage) throws {
        try withTemporaryDirectory { dir in
            try writeFile("train.tsv", smallRatings(), in: dir)
            let trained = try runHogwild(["train", "--data", "train.tsv", "--epochs", "1", "--dim", "8",
                                          "--threads", "1", "--save", "m.hgw"], in: dir)
            try #require(trained.terminationReason == .exit && trained.status == 0, "training failed: \(trained)")
            // The intact model loads: the failure below comes from the damage alone.
            let intact = try runHogwild(["eval", "--model", "m.hgw", "--data", "train.tsv"], in: dir)
            try #require(intact.terminationReason == .exit && intact.status == 0, "the undamaged model fails: \(intact)")

            var bytes = try readBytes(dir.appendingPathComponent("m.hgw"))
            try #require(bytes.count > 64)
            let expected: String
            switch damage {
            case .corrupted:
                bytes[bytes.count / 2] ^= 0x5A
                expected = "corrupted"
            case .truncated:
                bytes.removeLast(bytes.count - bytes.count / 2)
                expected = "truncated"
            case .notAModel:
                bytes = Array(smallRatings().utf8)
                expected = "not a Hogwild model"
            }
            try writeFile("damaged.hgw", bytes: bytes, in: dir)
            let r = try runHogwild(["eval", "--model", "damaged.hgw", "--data", "train.tsv"], in: dir)
            expectOneLineError(r, containing: ["damaged.hgw", expected])
        }
    }
}
