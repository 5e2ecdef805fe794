import Foundation
import Hogwild
import Testing

/// Inputs the fuzz targets in perf/fuzz found to break a reader, each kept as a test.
@Suite("Reader bugs found by fuzzing")
struct FuzzRegressionTests {
    /// Writes `bytes` (not necessarily UTF-8) to a new file in `folder`.
    private func file(_ folder: TemporaryFolder, _ name: String, _ bytes: [UInt8]) -> String {
        let path = "\(folder.path)/\(name)"
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    /// Two ids whose bytes differ but whose `String`s are equal: invalid UTF-8 bytes (both
    /// decode to U+FFFD) or canonically equivalent spellings (é as one scalar or as e + U+0301).
    /// The reader numbered them by bytes, the id map by `String`, so a record pointed past the
    /// map's last row (found by fuzz-ratings). Now they are a one-line error naming both ids.
    @Test func idsThatDecodeToTheSameStringAreAnError() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let cases: [(String, [UInt8], String)] = [
            ("invalid.tsv", Array("0\tu".utf8) + [0xE5] + Array("\n1\tu".utf8) + [0xA5] + [0x0A], "item ids 'u\\xE5' and 'u\\xA5'"),
            ("nfc.csv", Array("caf\u{E9},1\ncafe\u{301},2\n".utf8), "user ids 'caf\\xC3\\xA9' and 'cafe\\xCC\\x81'"),
        ]
        for (name, bytes, message) in cases {
            var users = IDMap(), items = IDMap()
            let path = file(folder, name, bytes)
            let error = #expect(throws: HogwildError.self, "\(name)") { try RatingsReader.read(path, users: &users, items: &items) }
            let text = error?.description ?? ""
            #expect(text.hasPrefix("'\(path)': ") && text.contains(message) && !text.contains("\n"), "\(text)")
        }
        // The same through a map that already holds one spelling (a second file, or a model's ids).
        var users = IDMap(), items = IDMap()
        users.intern("caf\u{E9}")
        let path = file(folder, "seeded.csv", Array("cafe\u{301},1\n".utf8))
        #expect(throws: HogwildError.self) { try RatingsReader.read(path, users: &users, items: &items) }
        // Distinct valid ids are unaffected, whatever their script.
        var u = IDMap(), i = IDMap()
        let fine = file(folder, "fine.csv", Array("caf\u{E9},\u{65E5}\ncafe,\u{6708}\n".utf8))
        let records = try RatingsReader.read(fine, users: &u, items: &i)
        #expect(u.ids == ["caf\u{E9}", "cafe"] && i.ids == ["\u{65E5}", "\u{6708}"] && records.users == [0, 1])
    }
}

extension FuzzRegressionTests {
    /// A model file whose header (checksum valid) claims the largest MLP network, 65536 × 4096,
    /// made the loader allocate and clear 2 GiB before finding that the file holds 48 bytes of
    /// it (found by fuzz-model as an out-of-memory). Now it is refused before allocating.
    @Test func anMLPNetworkTheFileCannotHoldIsRefusedBeforeAllocating() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        var config = TrainingConfiguration(loss: .margin)
        config.matcher = .mlp
        config.dimension = 2
        config.hidden = 2
        let path = "\(folder.path)/m.hgw"
        try ModelFile.save(EmbeddingModel(configuration: config, users: IDMap(), items: IDMap()), to: path)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(try ModelFile.load(path).model.network?.hidden == 2)
        let bad = try ModelFileHeaderTests.rewrite(good) { $0.configuration.dimension = 65_536; $0.configuration.hidden = 4096 }
        try bad.write(to: URL(fileURLWithPath: path))
        let before = peakResidentBytes()
        let error = #expect(throws: HogwildError.self) { try ModelFile.load(path) }
        // Wu and Wi (hidden × dim each), b1 and w2 (hidden each), as 32-bit floats.
        #expect(error?.description == "'\(path)' is truncated: its header's MLP network (hidden 4096 × dim 65536) takes \((2 * 4096 * 65_536 + 2 * 4096) * 4) bytes, more than the file holds")
        // The 2 GiB the network would take were never touched (other tests running alongside
        // stay far below this margin).
        #expect(peakResidentBytes() - before < 1 << 30)
    }

    /// The process's peak resident set so far, in bytes.
    private func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }
}
