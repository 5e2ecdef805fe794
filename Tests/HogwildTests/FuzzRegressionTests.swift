import Foundation
import Hogwild
import Testing

/// Inputs the fuzz targets in perf/fuzz found to break a reader, each kept as a test.
@Suite("Reader bugs found by fuzzing")
struct FuzzRegressionTests {
    /// Writes `bytes` (not necessarily UTF-8) to a new file in `folder`.
    private func file(_ folder: TemporaryFolder, _ name: String, _ bytes: [UInt8]) -> String {
        let path = "\(folder.path)/\(name)"
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
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
