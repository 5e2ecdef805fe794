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
    /// The reader once numbered them by bytes and the id map by `String`, so a record pointed
    /// past the map's last row (found by fuzz-ratings). Ids are bytes now, in the reader and in
    /// `IDMap` alike; bytes that are not UTF-8 are refused, since text is how ids are saved.
    @Test func idsAreUTF8AndSpellingsStayApart() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        // Bytes that are not UTF-8 would read back from a saved model as one id: refused.
        var u = IDMap(), i = IDMap()
        let invalid = file(folder, "invalid.tsv", Array("0\tu".utf8) + [0xE5] + Array("\n1\tu".utf8) + [0xA5] + [0x0A])
        let error = #expect(throws: HogwildError.self) { try RatingsReader.read(invalid, users: &u, items: &i) }
        #expect(error?.description == "\(invalid):1: item id 'u\\xE5' is not UTF-8 text; save the file as UTF-8")
        // Two spellings of one character are two ids, and a saved model keeps them apart.
        var users = IDMap(), items = IDMap()
        let records = try RatingsReader.read(file(folder, "nfc.csv", Array("caf\u{E9},1\ncafe\u{301},2\n".utf8)), users: &users, items: &items)
        #expect(users.count == 2 && items.count == 2 && records.users == [0, 1] && records.items == [0, 1])
        #expect(try IDMap(ids: users.ids) == users)
        // The same through a map that already holds one spelling (a second file, or a model's ids).
        var seeded = IDMap(), seededItems = IDMap()
        seeded.intern("caf\u{E9}")
        let more = try RatingsReader.read(file(folder, "seeded.csv", Array("cafe\u{301},1\n".utf8)), users: &seeded, items: &seededItems)
        #expect(seeded.count == 2 && more.users == [1])
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
        #expect(error?.description == "'\(path)' is truncated: its header counts 0 users and 0 items and an MLP of 4096 hidden units, more than the file holds")
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
