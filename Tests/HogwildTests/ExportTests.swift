import Foundation
import HogwildTestSupport
import Hogwild
import Testing

/// A parsed NumPy .npy file: the header text (dictionary and padding), shape and float32 data.
struct ParsedNPY {
    var headerLength: Int
    var dictionary: String
    var rows: Int
    var columns: Int
    var values: [Float]

    /// Parses an NPY 1.0 `<f4` 2-D file independently of the writer.
    init(_ bytes: [UInt8]) throws {
        try #require(bytes.count >= 10)
        try #require(Array(bytes[0..<6]) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59], "bad magic")
        try #require(bytes[6] == 1 && bytes[7] == 0, "not version 1.0")
        headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        try #require(10 + headerLength <= bytes.count)
        dictionary = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        let shapeStart = try #require(dictionary.range(of: "'shape': ("))
        let shapeEnd = try #require(dictionary[shapeStart.upperBound...].firstIndex(of: ")"))
        let dims = dictionary[shapeStart.upperBound..<shapeEnd].split(separator: ",").map {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        try #require(dims.count == 2 && dims.allSatisfy { $0 != nil }, "shape is not 2-D: \(dictionary)")
        rows = dims[0]!
        columns = dims[1]!
        let data = Array(bytes[(10 + headerLength)...])
        try #require(data.count == rows * columns * 4, "\(data.count) data bytes for shape (\(rows), \(columns))")
        values = (0..<(rows * columns)).map { k in
            let bits = UInt32(data[4 * k]) | UInt32(data[4 * k + 1]) << 8 | UInt32(data[4 * k + 2]) << 16 | UInt32(data[4 * k + 3]) << 24
            return Float(bitPattern: bits)
        }
    }

    func row(_ r: Int) -> [Float] { Array(values[(r * columns)..<((r + 1) * columns)]) }
}

func fileBytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

func fileLines(_ path: String) throws -> [String] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    #expect(text.hasSuffix("\n"), "\(path) does not end with a newline")
    return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
}

func norm(_ row: [Float]) -> Double { row.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() }

@Suite("Embedding export")
struct ExportTests {
    /// 5 users ("ü0"…) and 9 items ("item 0"…, with spaces) of dimension 7; item 4 is all zeros.
    static func model(similarity: Similarity = .cosine) -> EmbeddingModel {
        var config = TrainingConfiguration(loss: .margin)
        config.dimension = 7
        config.seed = 3
        config.similarity = similarity
        if similarity == .dot { config.learningRate = 0.02 }
        let model = EmbeddingModel(configuration: config, users: idMap(5, prefix: "ü"), items: idMap(9, prefix: "item "))
        model.itemTable.setRow(4, [Float](repeating: 0, count: 7))
        return model
    }

    @Test func npyHeaderIsByteForByteNumpys() {
        // numpy.save(f, np.zeros((943, 64), '<f4')) writes exactly these 128 header bytes.
        let dictionary = "{'descr': '<f4', 'fortran_order': False, 'shape': (943, 64), }"
        let expected: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, 0x76, 0x00] + Array(dictionary.utf8)
            + [UInt8](repeating: 0x20, count: 128 - 10 - dictionary.utf8.count - 1) + [0x0A]
        let header = EmbeddingExport.npyHeader(rows: 943, columns: 64)
        #expect(header == expected)
        #expect(header.count == 128)
        for (rows, columns) in [(0, 1), (5, 7), (1_000_000, 128), (123_456_789, 65_536)] {
            let h = EmbeddingExport.npyHeader(rows: rows, columns: columns)
            #expect(h.count % 64 == 0, "(\(rows), \(columns)): \(h.count) bytes")
            #expect(Int(h[8]) | Int(h[9]) << 8 == h.count - 10)
            #expect(h.last == 0x0A)
            let text = String(decoding: h[10...], as: UTF8.self)
            #expect(text.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"))
            #expect(text.dropLast().hasSuffix(" "))
        }
    }

    @Test func npyExportRoundTripsEveryBitAndWritesIDsAndManifest() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let model = Self.model()
        let out = "\(folder.path)/new/nested"
        let written = try EmbeddingExport.export(model, format: .npy, to: out)
        #expect(written.map { ($0 as NSString).lastPathComponent } == ["users.npy", "items.npy", "users.tsv", "items.tsv", "manifest.json"])
        for (name, table) in [("users", model.userTable), ("items", model.itemTable)] {
            let npy = try ParsedNPY(fileBytes("\(out)/\(name).npy"))
            #expect(npy.rows == table.rowCount && npy.columns == 7)
            #expect((10 + npy.headerLength) % 64 == 0)
            #expect(npy.dictionary.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (\(table.rowCount), 7), }"))
            for r in 0..<table.rowCount {
                #expect(npy.row(r).map(\.bitPattern) == table.row(r).map(\.bitPattern))
            }
        }
        #expect(try fileLines("\(out)/users.tsv") == (0..<5).map { "ü\($0)" })
        #expect(try fileLines("\(out)/items.tsv") == (0..<9).map { "item \($0)" })
        let manifest = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(out)/manifest.json"))) as? [String: Any])
        #expect(manifest["dim"] as? Int == 7)
        #expect(manifest["similarity"] as? String == "cosine")
        #expect(manifest["seed"] as? Int == 3)
        #expect(manifest["epochs_trained"] as? Int == 0)
        #expect(manifest["normalized"] as? Bool == false)
        #expect(manifest["auc"] == nil && manifest["train_file"] == nil)  // no header given
    }

    @Test func normalizeGivesUnitRowsAndKeepsZeroRows() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let model = Self.model(similarity: .dot)
        try EmbeddingExport.export(model, format: .npy, to: folder.path, options: .init(normalize: true))
        let items = try ParsedNPY(fileBytes("\(folder.path)/items.npy"))
        for r in 0..<9 {
            if r == 4 {
                #expect(items.row(r).allSatisfy { $0 == 0 })
            } else {
                #expect(abs(norm(items.row(r)) - 1) < 1e-6, "row \(r) has norm \(norm(items.row(r)))")
                // Same direction as the model's row.
                let original = model.itemTable.row(r)
                let cosine = zip(original, items.row(r)).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } / norm(original)
                #expect(abs(cosine - 1) < 1e-6)
            }
        }
        let users = try ParsedNPY(fileBytes("\(folder.path)/users.npy"))
        for r in 0..<5 { #expect(abs(norm(users.row(r)) - 1) < 1e-6) }
        // The text formats normalise too.
        try EmbeddingExport.export(model, format: .tsv, to: folder.path, options: .init(normalize: true))
        let line = try fileLines("\(folder.path)/item_vectors.tsv")[0].split(separator: "\t").dropFirst().map { Float(String($0))! }
        #expect(line == items.row(0))
    }

    @Test func tsvAndVecLinesRoundTripTheValues() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let model = Self.model()
        try EmbeddingExport.export(model, format: .tsv, to: folder.path)
        let items = try fileLines("\(folder.path)/item_vectors.tsv")
        #expect(items.count == 9)
        let fields = items[0].split(separator: "\t", omittingEmptySubsequences: false)
        #expect(fields.count == 8 && fields[0] == "item 0")
        #expect(fields.dropFirst().map { Float(String($0))! } == model.itemTable.row(0))
        #expect(try fileLines("\(folder.path)/user_vectors.tsv").count == 5)
        #expect(try fileLines("\(folder.path)/user_vectors.tsv")[2].hasPrefix("ü2\t"))

        // word2vec splits on whitespace: these item ids ("item 2") are refused, ids without it kept.
        #expect(throws: HogwildError.self) { try EmbeddingExport.export(model, format: .vec, to: folder.path) }
        let spaceless = EmbeddingModel(configuration: model.configuration, users: model.users, items: idMap(9, prefix: "item_"),
                                       userTable: model.userTable, itemTable: model.itemTable, epochsTrained: 0)
        try EmbeddingExport.export(spaceless, format: .vec, to: folder.path)
        let vec = try fileLines("\(folder.path)/items.vec")
        #expect(vec.count == 10)
        #expect(vec[0] == "9 7")
        let tokens = vec[3].split(separator: " ", omittingEmptySubsequences: false)
        #expect(tokens.count == 8 && tokens[0] == "item_2")
        #expect(tokens.dropFirst().map { Float(String($0))! } == model.itemTable.row(2))
        let users = try fileLines("\(folder.path)/users.vec")
        #expect(users.count == 6 && users[0] == "5 7" && users[1].hasPrefix("ü0 "))
    }

    @Test func projectorWritesVectorsAndMetadataWithHeader() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let model = Self.model()
        var info = [EmbeddingExport.ItemInfo?](repeating: nil, count: 9)
        info[0] = .init(title: "Toy Story (1995)", genres: ["Animation", "Children's"])
        info[1] = .init(title: "Tab\there", genres: [])
        let popularity = (0..<9).map { $0 * 10 }
        let written = try EmbeddingExport.export(model, format: .projector, to: folder.path,
                                                 options: .init(itemInfo: info, popularity: popularity))
        #expect(written.map { ($0 as NSString).lastPathComponent } == ["vectors.tsv", "metadata.tsv"])
        let vectors = try fileLines("\(folder.path)/vectors.tsv")
        #expect(vectors.count == 9)
        #expect(vectors[5].split(separator: "\t").map { Float(String($0))! } == model.itemTable.row(5))
        let metadata = try fileLines("\(folder.path)/metadata.tsv")
        #expect(metadata.count == 10)
        #expect(metadata[0] == "id\ttitle\tgenres\tpopularity")
        #expect(metadata[1] == "item 0\tToy Story (1995)\tAnimation|Children's\t0")
        #expect(metadata[2] == "item 1\tTab here\t\t10")
        #expect(metadata[3] == "item 2\t\t\t20")
        // Without metadata every field but the id is empty.
        try EmbeddingExport.export(model, format: .projector, to: folder.path)
        #expect(try fileLines("\(folder.path)/metadata.tsv")[9] == "item 8\t\t\t")
    }

    @Test func manifestCarriesTheSavedEvaluationAndTrainingFiles() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let model = Self.model()
        let train = try folder.file("train.csv", "ü0,item 1\nü1,item 2\nü2,item 3\nü3,item 0\nü4,item 5\n")
        let test = InteractionMatrix(userCount: 5, itemCount: 9, users: [0, 1, 2, 3], items: [3, 4, 5, 6])
        let none = InteractionMatrix(userCount: 5, itemCount: 9, users: [], items: [])
        var evaluation = AUCEvaluator.evaluate(model: model, train: none, test: test, k: 10, threads: 1)
        evaluation.seconds = 1.5
        let path = "\(folder.path)/m.hgw"
        try ModelFile.save(model, to: path, source: DataSource(name: "t", trainFile: train, testFile: "\(folder.path)/missing.csv"),
                           evaluation: evaluation)
        let (loaded, header) = try ModelFile.load(path)
        var stored = try #require(header.evaluation)
        #expect(stored.seconds == 0)  // wall time is not stored: same run, same bytes
        stored.seconds = evaluation.seconds
        #expect(stored == evaluation)

        try EmbeddingExport.export(loaded, header: header, format: .npy, to: "\(folder.path)/out")
        let manifest = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(folder.path)/out/manifest.json"))) as? [String: Any])
        #expect((manifest["auc"] as? Double) == evaluation.auc)
        #expect((manifest["precision_at_10"] as? Double) == evaluation.precisionAtK)
        #expect((manifest["recall_at_10"] as? Double) == evaluation.recallAtK)
        #expect((manifest["users_evaluated"] as? Int) == 4)
        #expect(manifest["train_file"] as? String == train)
        #expect(manifest["train_file_bytes"] as? Int == (try fileBytes(train)).count)
        #expect(manifest["test_file"] as? String == "\(folder.path)/missing.csv")
        #expect(manifest["test_file_bytes"] == nil)  // the file does not exist
        for key in ["loss", "margin", "learning_rate", "seed", "dim", "similarity", "epochs_trained"] {
            #expect(manifest[key] != nil, "manifest has no \(key)")
        }
    }

    @Test func headersWithoutOrWithUnreadableEvaluationStillLoad() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = "\(folder.path)/m.hgw"
        try ModelFile.save(Self.model(), to: path)
        let bytes = try fileBytes(path)
        #expect(!String(decoding: bytes.prefix(2000), as: UTF8.self).contains("evaluation"),
                "a model saved without an evaluation must keep the old header")
        #expect(try ModelFile.load(path).header.evaluation == nil)

        let configuration = String(decoding: try JSONEncoder().encode(TrainingConfiguration()), as: UTF8.self)
        let old = #"{"configuration":\#(configuration),"epochsTrained":3,"itemCount":9,"testFile":"b","trainFile":"a","userCount":5}"#
        let header = try JSONDecoder().decode(ModelFile.Header.self, from: Data(old.utf8))
        #expect(header.evaluation == nil && header.epochsTrained == 3 && header.trainFile == "a")
        let odd = #"{"configuration":\#(configuration),"epochsTrained":3,"evaluation":{"auc":"x"},"itemCount":9,"userCount":5}"#
        #expect(try JSONDecoder().decode(ModelFile.Header.self, from: Data(odd.utf8)).evaluation == nil)
    }

    @Test func readsMovieLensItemMetadata() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        // u.item is latin-1: 0xE9 is 'é'.
        var item = Array("1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\r\n".utf8)
        item += Array("2|Mis".utf8) + [0xE9] + Array("rables, Les (1995)|01-Jan-1995||http://y|0|0|0|0|0|0|0|0|1|0|0|0|1|0|0|0|0|0|0\n".utf8)
        try Data(item).write(to: URL(fileURLWithPath: "\(folder.path)/u.item"))
        _ = try folder.file("u.genre", EmbeddingExport.movieLens100kGenres.enumerated().map { "\($1)|\($0)" }.joined(separator: "\n") + "\n\n")
        let train = try folder.file("ua.base", "1\t1\t5\t0\n")
        var items = IDMap()
        for id in ["2", "7", "1"] { items.intern(id) }
        let found = try #require(try EmbeddingExport.itemInfo(nextTo: train, items: items))
        #expect(found.file.hasSuffix("/u.item"))
        #expect(found.info[0] == .init(title: "Misérables, Les (1995)", genres: ["Drama", "Musical"]))
        #expect(found.info[1] == nil)
        #expect(found.info[2] == .init(title: "Toy Story (1995)", genres: ["Animation", "Children's", "Comedy"]))

        let csvFolder = try TemporaryFolder()
        defer { csvFolder.cleanup() }
        _ = try csvFolder.file("movies.csv", """
            movieId,title,genres
            1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy
            11,"American President, The (1995)",Comedy|Drama|Romance
            7789,"11'09""01 - September 11 (2002)",Drama
            9,Nothing (2000),(no genres listed)

            """)
        var csvItems = IDMap()
        for id in ["11", "7789", "9", "1", "5"] { csvItems.intern(id) }
        let csv = try #require(try EmbeddingExport.itemInfo(nextTo: "\(csvFolder.path)/ratings.csv", items: csvItems))
        #expect(csv.info[0] == .init(title: "American President, The (1995)", genres: ["Comedy", "Drama", "Romance"]))
        #expect(csv.info[1] == .init(title: "11'09\"01 - September 11 (2002)", genres: ["Drama"]))
        #expect(csv.info[2] == .init(title: "Nothing (2000)", genres: []))
        #expect(csv.info[3]?.genres.count == 5)
        #expect(csv.info[4] == nil)

        let empty = try TemporaryFolder()
        defer { empty.cleanup() }
        #expect(try EmbeddingExport.itemInfo(nextTo: "\(empty.path)/ratings.csv", items: csvItems) == nil)
    }

    @Test(.needsMovieLens, .tags(.movieLens)) func realMovieLens100kTitles() throws {
        let root = try MovieLens.require()
        let dataset = try Dataset.load(DataCatalog.resolve("ml-100k", test: nil, environment: ["HOGWILD_DATA": root]),
                                       minRating: 4, holdout: 10, seed: 1)
        let found = try #require(try EmbeddingExport.itemInfo(nextTo: dataset.source.trainFile, items: dataset.items))
        #expect(found.info.allSatisfy { $0 != nil })
        let toyStory = try #require(dataset.items.index(of: "1"))
        #expect(found.info[Int(toyStory)] == .init(title: "Toy Story (1995)", genres: ["Animation", "Children's", "Comedy"]))
        let popularity = EmbeddingExport.popularity(dataset.train)
        #expect(popularity.reduce(0, +) == dataset.train.nonZeroCount)
    }

    @Test func badCasesAreOneLineHogwildErrors() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let model = Self.model()
        let file = try folder.file("plain.txt", "x")
        var error = #expect(throws: HogwildError.self) { try EmbeddingExport.export(model, format: .npy, to: file) }
        #expect(error?.description.contains("is a file") == true, "\(error?.description ?? "-")")
        error = #expect(throws: HogwildError.self) { try EmbeddingExport.export(model, format: .tsv, to: "\(file)/below") }
        #expect(error?.description.contains("plain.txt") == true, "\(error?.description ?? "-")")
        error = #expect(throws: HogwildError.self) {
            try EmbeddingExport.export(model, format: .projector, to: folder.path, options: .init(popularity: [1, 2]))
        }
        #expect(error?.description.contains("2 entries for 9 items") == true)
        error = #expect(throws: HogwildError.self) { try ModelFile.load(file) }
        #expect(error?.description.contains("not a Hogwild model") == true)
        _ = try folder.file("u.item", "1|A|x\n")
        _ = try folder.file("u.genre", "Action|one\n")
        error = #expect(throws: HogwildError.self) { try EmbeddingExport.itemInfo(nextTo: "\(folder.path)/ua.base", items: model.items) }
        #expect(error?.description.hasSuffix("u.genre:1: expected 'name|index'") == true, "\(error?.description ?? "-")")
        let quotes = try TemporaryFolder()
        defer { quotes.cleanup() }
        _ = try quotes.file("movies.csv", "movieId,title,genres\n1,\"Open (1995),Drama\n")
        error = #expect(throws: HogwildError.self) { try EmbeddingExport.itemInfo(nextTo: "\(quotes.path)/r.csv", items: model.items) }
        #expect(error?.description.contains("movies.csv:2: unterminated quoted field") == true, "\(error?.description ?? "-")")
        for e in [error].compactMap({ $0 }) { #expect(!e.description.contains("\n")) }
        // Nothing half-written was left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }
}
