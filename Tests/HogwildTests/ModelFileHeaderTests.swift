import Foundation
@testable import Hogwild
import Testing

/// Model files whose checksum is right but whose header lies: built here by re-encoding a saved
/// file's header and recomputing the checksum (hence `@testable`, for `ModelFile.Checksum`).
@Suite("Model files with a consistent checksum and a lying header")
struct ModelFileHeaderTests {
    /// A fresh 7-dimensional margin model of 5 users and 9 items.
    static func smallModel(_ optimizer: Optimizer = .sgd) -> EmbeddingModel {
        var config = TrainingConfiguration(loss: .margin)
        config.dimension = 7
        config.optimizer = optimizer
        return EmbeddingModel(configuration: config, users: idMap(5, prefix: "u"), items: idMap(9, prefix: "i"))
    }

    /// `file` with its header replaced by `edit(header)`, and a correct checksum.
    static func rewrite(_ file: Data, _ edit: (inout ModelFile.Header) -> Void) throws -> Data {
        let bytes = [UInt8](file)
        let headerStart = 8 + 4 + 4  // magic, version, header length
        let length = Int(UInt32(littleEndian: bytes[12..<16].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }))
        var header = try JSONDecoder().decode(ModelFile.Header.self, from: Data(bytes[headerStart..<headerStart + length]))
        edit(&header)
        let json = [UInt8](try JSONEncoder().encode(header))
        var out = Array(bytes[0..<12])
        withUnsafeBytes(of: UInt32(json.count).littleEndian) { out += $0 }
        out += json
        out += bytes[(headerStart + length)..<(bytes.count - 8)]
        var hash = ModelFile.Checksum()
        out.withUnsafeBytes { hash.update($0) }
        withUnsafeBytes(of: hash.value.littleEndian) { out += $0 }
        return Data(out)
    }

    @Test func countsTheFileCannotHoldAreAOneLineError() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let model = Self.smallModel()
        let path = "\(folder.path)/m.hgw"
        try ModelFile.save(model, to: path)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        // The rewrite itself keeps a loadable file when nothing changes.
        try rewriteAndLoad(good, path: path) { _ in }
        for (users, items) in [(1 << 40, 9), (5, 1 << 40), (Int.max / 2, Int.max / 2), (6, 9)] {
            let bad = try Self.rewrite(good) { $0.userCount = users; $0.itemCount = items }
            try bad.write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: HogwildError.self) { try ModelFile.load(path) }
            // Counts beyond 32-bit indices are out of range; the others more than the file holds.
            let expected = users > Int(Int32.max) ? "userCount is" : items > Int(Int32.max) ? "itemCount is" : "truncated"
            #expect(error?.description.contains(expected) == true, "\(users) users, \(items) items: \(error?.description ?? "-")")
        }
    }

    @Test("header fields out of range are refused before anything is allocated, naming the file and the field")
    func fieldsOutOfRange() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let model = Self.smallModel()
        let path = "\(folder.path)/m.hgw"
        try ModelFile.save(model, to: path, holdout: 10)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        let cases: [(String, (inout ModelFile.Header) -> Void)] = [
            ("epochsTrained is -1", { $0.epochsTrained = -1 }),
            ("epochsTrained is 4611686018427387904", { $0.epochsTrained = 1 << 62 }),
            ("--epochs must be between 0 and 1000000 (got 4611686018427387904)", { $0.configuration.epochs = 1 << 62 }),
            ("holdout is -3", { $0.holdout = -3 }),
            ("userCount is -1", { $0.userCount = -1 }),
            ("itemCount is 2147483648", { $0.itemCount = 1 << 31 }),
            ("--dim must be between 1 and 65536 (got 0)", { $0.configuration.dimension = 0 }),
            ("--dim must be between 1 and 65536 (got 1048576)", { $0.configuration.dimension = 1 << 20 }),
            ("--threads", { $0.configuration.threads = -2 }),
        ]
        for (field, edit) in cases {
            try Self.rewrite(good, edit).write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: HogwildError.self) { try ModelFile.load(path) }
            let text = error?.description ?? "-"
            #expect(text.contains("'\(path)' has an invalid header") && text.contains(field) && !text.contains("\n"), "\(text)")
        }
        // An MLP whose weights alone need more than the file holds (hidden 4096 × dim 7 × 2).
        try Self.rewrite(good) { $0.configuration.matcher = .mlp; $0.configuration.hidden = 4096 }.write(to: URL(fileURLWithPath: path))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[8] = 2  // the MLP's version, checksum recomputed below
        try Self.rewrite(bytes) { _ in }.write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: HogwildError.self) { try ModelFile.load(path) }
        #expect(error?.description.contains("more than the file holds") == true, "\(error?.description ?? "-")")
        // The untouched file still loads, with its holdout.
        try good.write(to: URL(fileURLWithPath: path))
        #expect(try ModelFile.load(path).header.holdout == 10)
    }

    @Test("a version 3 file must be an Adagrad model, and an Adagrad file without accumulators is no version 3 file")
    func accumulatorsGoWithTheOptimizer() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let model = Self.smallModel(.adagrad)
        let accumulated = (0..<14).map { 1 + Float($0) / 4 }
        model.adagradAccumulators?.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: accumulated) }
        let path = "\(folder.path)/m.hgw"
        try ModelFile.save(model, to: path)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(good[8] == 3)
        #expect(try ModelFile.load(path).model.adagradAccumulators?.array == accumulated)
        // The same bytes claiming SGD: the header no longer fits the layout.
        try Self.rewrite(good) { $0.configuration.optimizer = .sgd }.write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: HogwildError.self) { try ModelFile.load(path) }
        #expect(error?.description.contains("invalid header") == true, "\(error?.description ?? "-")")
        // A version 1 file of an Adagrad model (as builds before version 3 wrote them) loads with
        // fresh accumulators.
        var old = try Self.rewrite(good) { _ in }
        old[8] = 1
        old.removeSubrange((old.count - 8 - 14 * 4)..<(old.count - 8))
        try Self.rewrite(old) { _ in }.write(to: URL(fileURLWithPath: path))
        #expect(try ModelFile.load(path).model.adagradAccumulators?.array == [Float](repeating: 1, count: 14))
    }

    @Test("a configuration saved before --user-weight and --initial-temperature existed decodes as trained then, not as today's default")
    func missingUserWeightDecodesAsZero() throws {
        let today = TrainingConfiguration()
        #expect(today == TrainingConfiguration(loss: .fullSoftmax, similarity: .cosine))
        #expect(today.userWeightExponent == 0.25 && TrainingConfiguration(loss: .margin).userWeightExponent == 0)
        var json = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(today)) as! [String: Any]
        #expect(json["userWeightExponent"] != nil)
        json["userWeightExponent"] = nil
        json["initialTemperature"] = nil
        let old = try JSONDecoder().decode(TrainingConfiguration.self, from: try JSONSerialization.data(withJSONObject: json))
        #expect(old.userWeightExponent == 0)
        #expect(old.initialTemperature == nil, "a constant temperature, as such files were trained")
        #expect(old.temperature == today.temperature && old.learningRate == today.learningRate)
    }

    private func rewriteAndLoad(_ good: Data, path: String, _ edit: (inout ModelFile.Header) -> Void) throws {
        try Self.rewrite(good, edit).write(to: URL(fileURLWithPath: path))
        let (loaded, header) = try ModelFile.load(path)
        #expect(header.userCount == 5 && header.itemCount == 9 && loaded.items.count == 9)
    }
}
