import Foundation
@testable import Hogwild
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The kind of file at `path` itself (`lstat`: a link is a link), or `nil` when there is none.
private func fileKind(_ path: String) -> mode_t? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return info.st_mode & S_IFMT
}

private func temporaries(in folder: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains(".tmp-") }.sorted()
}

private func inode(_ path: String) -> ino_t? {
    var info = stat()
    return stat(path, &info) == 0 ? info.st_ino : nil
}

@Suite("Outputs never replace special files or the run's inputs")
struct OutputSafetyTests {
    @Test func refusesWhatIsNotARegularFileAndLeavesItAsItWas() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let directory = "\(folder.path)/a folder", fifo = "\(folder.path)/fifo"
        let device = "\(folder.path)/null-link", dangling = "\(folder.path)/dangling"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        try #require(mkfifo(fifo, 0o644) == 0)
        try #require(symlink("/dev/null", device) == 0)
        try #require(symlink("\(folder.path)/nothing-here", dangling) == 0)
        let cases: [(path: String, kind: mode_t, reason: String)] = [
            (directory, S_IFDIR, "it is a directory, not a regular file"),
            (fifo, S_IFIFO, "it is a FIFO (named pipe), not a regular file"),
            (device, S_IFLNK, "it is a symbolic link to a character device, not a regular file"),
            (dangling, S_IFLNK, "it is a symbolic link to a missing file"),
        ]
        for (path, kind, reason) in cases {
            let error = #expect(throws: HogwildError.self) { try FileBytes.writeAtomically(path, text: "replaced") }
            #expect(error?.description == "refusing to write '\(path)': \(reason)")
            #expect(fileKind(path) == kind, "\(path) was replaced")
        }
        var info = stat()
        #expect(stat(device, &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR, "the link no longer leads to a device")
        #expect(try temporaries(in: folder.path).isEmpty)
    }

    @Test func aSymbolicLinkToARegularFileIsWrittenThrough() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let target = try folder.file("target.hgw", "old")
        let link = "\(folder.path)/latest.hgw"
        try #require(symlink("target.hgw", link) == 0)
        try FileBytes.writeAtomically(link, text: "new")
        #expect(fileKind(link) == S_IFLNK)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "target.hgw")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "new")
        #expect(try temporaries(in: folder.path).isEmpty)
    }

    @Test func anInputIsRefusedUnderAnyOfItsNames() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let input = try folder.file("train.tsv", "1\t1\n")
        let hardLink = "\(folder.path)/other-name.tsv"
        try #require(link(input, hardLink) == 0)
        // Protection lasts for the process: keep the inode allocated, so that no other test's
        // file can get its number after this folder is removed.
        _ = open(input, O_RDONLY)
        OutputSafety.protectInputs([(input, "training file")])
        for path in [input, "\(folder.path)/./train.tsv", hardLink] {
            let error = #expect(throws: HogwildError.self) { try FileBytes.writeAtomically(path, text: "replaced") }
            let named = path == input ? "" : " '\(input)'"
            #expect(error?.description == "refusing to write '\(path)': it is this run's training file\(named)")
        }
        #expect(try String(contentsOfFile: input, encoding: .utf8) == "1\t1\n")
        try FileBytes.writeAtomically("\(folder.path)/model.hgw", text: "a new file beside it")
        #expect(try temporaries(in: folder.path).isEmpty)
    }

    @Test func prepareCreatesTheTemporariesTheWritesThenUse() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let model = "\(folder.path)/m.hgw", report = "\(folder.path)/r.json"
        try OutputSafety.prepare([model, report])
        let pid = getpid()
        #expect(try temporaries(in: folder.path) == ["m.hgw.tmp-\(pid)", "r.json.tmp-\(pid)"])
        let prepared = try #require(inode("\(model).tmp-\(pid)"))
        try FileBytes.writeAtomically(model, text: "model")
        #expect(inode(model) == prepared, "the write went through another file than the prepared one")
        #expect(try String(contentsOfFile: model, encoding: .utf8) == "model")
        try FileBytes.writeAtomically(report, text: "{}")
        #expect(try temporaries(in: folder.path).isEmpty)
    }

    @Test func prepareFailsOnABadPathAndLeavesNothingCreated() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let good = "\(folder.path)/m.hgw"
        var error = #expect(throws: HogwildError.self) { try OutputSafety.prepare([good, "\(folder.path)/no/such/r.json"]) }
        #expect(error?.description == "cannot write '\(folder.path)/no/such/r.json': its folder does not exist")
        error = #expect(throws: HogwildError.self) { try OutputSafety.prepare([good, "\(folder.path)/./m.hgw"]) }
        #expect(error?.description == "'\(good)' and '\(folder.path)/./m.hgw' are the same file: give each output its own")
        let existing = try folder.file("r.json", "{}")
        try #require(link(existing, "\(folder.path)/r2.json") == 0)
        error = #expect(throws: HogwildError.self) { try OutputSafety.prepare([existing, "\(folder.path)/r2.json"]) }
        #expect(error?.description.hasSuffix("are the same file: give each output its own") == true)
        #expect(try temporaries(in: folder.path).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: good))
    }

    @Test func messagesEscapeControlCharactersAndStayShort() {
        #expect(OutputSafety.quoted("a\tb\r\n\u{1B}[31m\\") == #"'a\x09b\x0D\x0A\x1B[31m\\'"#)
        let long = OutputSafety.quoted(String(repeating: "x", count: 10_000))
        #expect(long == "'" + String(repeating: "x", count: 80) + "… (10000 bytes)'")
    }

    // MARK: - Export

    private static func model(users: [String], items: [String]) -> EmbeddingModel {
        var config = TrainingConfiguration(loss: .margin)
        config.dimension = 3
        var u = IDMap(), i = IDMap()
        users.forEach { u.intern($0) }
        items.forEach { i.intern($0) }
        return EmbeddingModel(configuration: config, users: u, items: i)
    }

    @Test func exportRefusesIDsAFormatCannotHoldBeforeWritingAnything() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let out = "\(folder.path)/out"
        // Row 1 would become "a b" (tsv: tab to space) or "a_b" (vec: space to '_'), colliding with another id.
        let tabbed = Self.model(users: ["u0", "a\tb", "a b"], items: ["i0", "i1"])
        for format in [EmbeddingExport.Format.npy, .tsv] {
            let error = #expect(throws: HogwildError.self) { try EmbeddingExport.export(tabbed, format: format, to: out) }
            let file = format == .npy ? "users.tsv" : "user_vectors.tsv"
            #expect(error?.description == #"cannot write '\#(out)/\#(file)': the id of model row 1, 'a\x09b', holds a tab or line break, which a tab-separated file cannot hold"#)
        }
        let returned = Self.model(users: ["u0"], items: ["i0", "x\r", "x"])
        var error = #expect(throws: HogwildError.self) { try EmbeddingExport.export(returned, format: .projector, to: out) }
        #expect(error?.description.contains(#"row 1, 'x\x0D', holds a tab or line break"#) == true, "\(error?.description ?? "-")")
        let spaced = Self.model(users: ["u0"], items: ["a_b", "a b"])
        error = #expect(throws: HogwildError.self) { try EmbeddingExport.export(spaced, format: .vec, to: out) }
        #expect(error?.description == "cannot write '\(out)/items.vec': the id of model row 1, 'a b', holds whitespace, which a word2vec file cannot hold (export as npy or tsv)")
        let empty = Self.model(users: [""], items: ["i0"])
        error = #expect(throws: HogwildError.self) { try EmbeddingExport.export(empty, format: .vec, to: out) }
        #expect(error?.description.contains("row 0, '', is empty") == true, "\(error?.description ?? "-")")
        #expect(!FileManager.default.fileExists(atPath: out), "a refused export created its folder")
        // The formats that can hold an id keep it unchanged.
        try EmbeddingExport.export(spaced, format: .tsv, to: out)
        #expect(try fileLines("\(out)/item_vectors.tsv").map { $0.split(separator: "\t")[0] } == ["a_b", "a b"])
    }

    @Test func exportChecksEveryPathBeforeWritingAny() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        // manifest.json is the npy export's last file.
        try FileManager.default.createDirectory(atPath: "\(folder.path)/manifest.json", withIntermediateDirectories: false)
        let model = Self.model(users: ["u0"], items: ["i0"])
        let error = #expect(throws: HogwildError.self) { try EmbeddingExport.export(model, format: .npy, to: folder.path) }
        #expect(error?.description == "refusing to write '\(folder.path)/manifest.json': it is a directory, not a regular file")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["manifest.json"])
    }

    @Test func formatsNeverShareAFileName() throws {
        let formats = EmbeddingExport.Format.allCases
        for (n, a) in formats.enumerated() {
            for b in formats[(n + 1)...] {
                #expect(Set(a.files).isDisjoint(with: b.files), "\(a) and \(b) both write \(Set(a.files).intersection(b.files))")
            }
        }
        // All four into one folder: each export's files are as it wrote them.
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let model = Self.model(users: ["u0", "u1"], items: ["i0", "i1", "i2"])
        var contents: [String: [UInt8]] = [:]
        for format in formats {
            for path in try EmbeddingExport.export(model, format: format, to: folder.path) { contents[path] = try fileBytes(path) }
        }
        #expect(contents.count == formats.map(\.files.count).reduce(0, +))
        for (path, bytes) in contents { #expect(try fileBytes(path) == bytes, "\(path) was overwritten by a later export") }
    }
}
