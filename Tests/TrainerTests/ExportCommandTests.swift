import Foundation
import HogwildTestSupport
import Testing

/// `hogwild export`, run as the built executable.
@Suite("hogwild export writes NumPy, TSV, word2vec and projector files")
struct ExportCommandTests {
    /// The lines of a text file (without the final newline's empty line).
    func lines(_ url: URL) throws -> [String] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    /// Trains a small model on `smallRatings()` (30 users, 40 items, 10 positives per user held
    /// out) and saves it as m.hgw with its report in r.json.
    func trainSmall(in dir: URL) throws {
        try writeFile("train.tsv", smallRatings(), in: dir)
        let r = try runHogwild(["train", "--data", "train.tsv", "--epochs", "2", "--dim", "8", "--threads", "1",
                                "--save", "m.hgw", "--report", "r.json"], in: dir)
        try #require(r.terminationReason == .exit && r.status == 0, "training failed: \(r)")
    }

    @Test("every format writes its files from a small trained model")
    func everyFormat() throws {
        try withTemporaryDirectory { dir in
            try trainSmall(in: dir)
            let report = try readJSONObject(dir.appendingPathComponent("r.json"))

            let npy = try runHogwild(["export", "--model", "m.hgw", "--format", "npy", "--out", "out/npy"], in: dir)
            try #require(npy.terminationReason == .exit && npy.status == 0, "\(npy)")
            #expect(npy.stderr.isEmpty, "\(npy)")
            let folder = dir.appendingPathComponent("out/npy")
            for (name, rows) in [("users", 30), ("items", 40)] {
                let bytes = try readBytes(folder.appendingPathComponent("\(name).npy"))
                try #require(bytes.count > 10)
                #expect(Array(bytes[0..<8]) == [0x93] + Array("NUMPY".utf8) + [1, 0])
                let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
                #expect((10 + headerLength) % 64 == 0)
                let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
                #expect(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), 8), }"), "\(header)")
                #expect(bytes.count == 10 + headerLength + rows * 8 * 4)
                #expect(try lines(folder.appendingPathComponent("\(name).tsv")).count == rows)
            }
            #expect(try lines(folder.appendingPathComponent("users.tsv"))[0] == "1")
            let manifest = try readJSONObject(folder.appendingPathComponent("manifest.json"))
            #expect(try number(manifest, "auc") == number(report, "auc"), "the manifest's AUC is the training run's")
            #expect(try number(manifest, "precision_at_10") == number(report, "precision_at_10"))
            #expect(try number(manifest, "users_evaluated") == number(report, "users_evaluated"))
            #expect(try number(manifest, "dim") == 8)
            #expect(try number(manifest, "epochs_trained") == 2)
            #expect(try number(manifest, "train_file_bytes") == Double(smallRatings().utf8.count))
            #expect(manifest["similarity"] as? String == "cosine")

            let tsv = try runHogwild(["export", "--model", "m.hgw", "--format", "tsv", "--out", "out/tsv"], in: dir)
            try #require(tsv.status == 0, "\(tsv)")
            let items = try lines(dir.appendingPathComponent("out/tsv/item_vectors.tsv"))
            #expect(items.count == 40 && items[0].split(separator: "\t").count == 9)

            let vec = try runHogwild(["export", "--model", "m.hgw", "--format", "vec", "--out", "out/vec", "--normalize"], in: dir)
            try #require(vec.status == 0, "\(vec)")
            let vectors = try lines(dir.appendingPathComponent("out/vec/users.vec"))
            #expect(vectors.count == 31 && vectors[0] == "30 8")
            for line in vectors.dropFirst() {
                let values = line.split(separator: " ").dropFirst().map { Double(String($0))! }
                let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
                #expect(abs(norm - 1) < 1e-5, "--normalize left a row of norm \(norm)")
            }

            let projector = try runHogwild(["export", "--model", "m.hgw", "--format", "projector", "--out", "out/projector",
                                            "--data", "train.tsv"], in: dir)
            try #require(projector.status == 0, "\(projector)")
            #expect(try lines(dir.appendingPathComponent("out/projector/vectors.tsv")).count == 40)
            let metadata = try lines(dir.appendingPathComponent("out/projector/metadata.tsv"))
            #expect(metadata.count == 41 && metadata[0] == "id\ttitle\tgenres\tpopularity")
            // Popularity counts the training positives, the held-out ones excluded.
            let popularity = metadata.dropFirst().map { Int($0.split(separator: "\t", omittingEmptySubsequences: false)[3])! }
            let positives = smallRatings().split(separator: "\n").filter { Double($0.split(separator: "\t")[2])! >= 4 }.count
            #expect(popularity.reduce(0, +) == positives - 30 * 10)
        }
    }

    @Test("ml-100k: titles, genres and popularity come from u.item and ua.base", .needsMovieLens, .tags(.movieLens))
    func movieLens() throws {
        _ = try MovieLens.require()
        try withTemporaryDirectory { dir in
            let r = try runHogwild(["train", "--data", "ml-100k", "--epochs", "2", "--save", "m.hgw"], in: dir)
            try #require(r.terminationReason == .exit && r.status == 0, "\(r)")
            let npy = try runHogwild(["export", "--model", "m.hgw", "--format", "npy", "--out", "npy", "--data", "ml-100k"], in: dir)
            try #require(npy.status == 0, "\(npy)")
            let items = try lines(dir.appendingPathComponent("npy/items.tsv"))
            #expect(items.count == 1682 && items[0] == "1\tToy Story (1995)")
            let manifest = try readJSONObject(dir.appendingPathComponent("npy/manifest.json"))
            #expect(try number(manifest, "users_evaluated") == 934)
            #expect(try number(manifest, "train_file_bytes") > 1_000_000)

            let p = try runHogwild(["export", "--model", "m.hgw", "--format", "projector", "--out", "p", "--data", "ml-100k"], in: dir)
            try #require(p.status == 0, "\(p)")
            let metadata = try lines(dir.appendingPathComponent("p/metadata.tsv"))
            #expect(metadata.count == 1683)
            // Toy Story has 275 ratings ≥ 4 in ua.base.
            #expect(metadata[1] == "1\tToy Story (1995)\tAnimation|Children's|Comedy\t275")
            #expect(metadata.contains { $0.hasPrefix("543\tMisérables, Les (1995)\t") }, "latin-1 titles are decoded")
        }
    }

    @Test("--help describes every format")
    func help() throws {
        try withTemporaryDirectory { dir in
            let r = try runHogwild(["help", "export"], in: dir)
            #expect(r.status == 0, "\(r)")
            for word in ["npy", "tsv", "vec", "projector", "--normalize", "--data", "manifest.json", "numpy.load"] {
                #expect(r.stdout.contains(word), "help lacks \(word): \(r)")
            }
        }
    }

    @Test("formats share a folder without replacing each other's files; an id a format cannot hold is refused in one line")
    func formatsShareAFolderAndKeepIDs() throws {
        try withTemporaryDirectory { dir in
            try trainSmall(in: dir)
            for format in ["npy", "tsv", "vec", "projector"] {
                let r = try runHogwild(["export", "--model", "m.hgw", "--format", format, "--out", "out"], in: dir)
                try #require(r.status == 0, "\(r)")
            }
            // npy's id file is still one id per line, not the tsv export's vectors.
            #expect(try lines(dir.appendingPathComponent("out/users.tsv")) == (1...30).map(String.init))
            #expect(try lines(dir.appendingPathComponent("out/user_vectors.tsv")).map { $0.split(separator: "\t").count } == Array(repeating: 9, count: 30))

            // "a b" would have become "a_b" in word2vec's whitespace-separated lines: the same id as another user's.
            // Item 4, rated low, leaves every test positive something to be ranked against.
            try writeFile("spaced.tsv", "1\t1\t5\n1\t2\t5\n1\t4\t1\na b\t1\t5\na b\t3\t5\na_b\t2\t5\na_b\t3\t5\n", in: dir)
            try writeFile("spaced-test.tsv", "1\t3\t5\na b\t2\t5\na_b\t1\t5\n", in: dir)
            let trained = try runHogwild(["train", "--data", "spaced.tsv", "--test", "spaced-test.tsv", "--epochs", "1", "--dim", "4",
                                          "--k", "2", "--save", "s.hgw"], in: dir)
            try #require(trained.status == 0, "\(trained)")
            expectOneLineError(try runHogwild(["export", "--model", "s.hgw", "--format", "vec", "--out", "spaced"], in: dir),
                               containing: ["'spaced/users.vec'", "model row 1, 'a b', holds whitespace"])
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("spaced").path))
            let tsv = try runHogwild(["export", "--model", "s.hgw", "--format", "tsv", "--out", "spaced"], in: dir)
            try #require(tsv.status == 0, "\(tsv)")
            #expect(try lines(dir.appendingPathComponent("spaced/user_vectors.tsv")).map { $0.split(separator: "\t")[0] } == ["1", "a b", "a_b"])
        }
    }

    @Test("bad exports fail with one line")
    func badInput() throws {
        try withTemporaryDirectory { dir in
            try trainSmall(in: dir)
            try writeFile("taken", "a file", in: dir)
            expectOneLineError(try runHogwild(["export", "--model", "m.hgw", "--format", "npy", "--out", "taken"], in: dir),
                               containing: ["taken", "is a file"])
            expectOneLineError(try runHogwild(["export", "--model", "missing.hgw", "--format", "tsv", "--out", "o"], in: dir),
                               containing: ["missing.hgw"])
            expectOneLineError(try runHogwild(["export", "--model", "train.tsv", "--format", "tsv", "--out", "o"], in: dir),
                               containing: ["train.tsv", "not a Hogwild model"])
            // An unknown format is an argument-parser usage error (with its usage lines).
            let unknown = try runHogwild(["export", "--model", "m.hgw", "--format", "csv", "--out", "o"], in: dir)
            #expect(unknown.status != 0 && unknown.stderrLines.first?.contains("'csv' is invalid") == true, "\(unknown)")
            expectOneLineError(try runHogwild(["export", "--model", "m.hgw", "--format", "vec", "--out", "o", "--data", "train.tsv"], in: dir),
                               containing: ["--data"])
            // The model file itself is an input: an export never writes over it.
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("models"), withIntermediateDirectories: false)
            try FileManager.default.copyItem(at: dir.appendingPathComponent("m.hgw"), to: dir.appendingPathComponent("models/items.vec"))
            expectOneLineError(try runHogwild(["export", "--model", "models/items.vec", "--format", "vec", "--out", "models"], in: dir),
                               containing: ["refusing to write 'models/items.vec'", "this run's model file"])
            #expect(try readBytes(dir.appendingPathComponent("models/items.vec")) == readBytes(dir.appendingPathComponent("m.hgw")))
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("models/users.vec").path), "a refused export wrote a file")
            try writeFile("other.tsv", "1\t999\t5\n", in: dir)
            expectOneLineError(try runHogwild(["export", "--model", "m.hgw", "--format", "projector", "--out", "o",
                                               "--data", "other.tsv"], in: dir),
                               containing: ["other.tsv:1:"])
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("o").path),
                    "a failed export created its folder")
        }
    }
}
