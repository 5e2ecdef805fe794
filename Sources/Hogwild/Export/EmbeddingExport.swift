import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a model's embedding tables in formats other tools read: NumPy arrays, StarSpace-style
/// TSV, word2vec/fastText text vectors and TensorBoard Embedding Projector files.
///
/// Every file is written atomically (`FileBytes.writeAtomically`), so an interrupted export
/// leaves each file either complete or as it was. The formats' file names are distinct, so
/// exports of different formats into one folder never replace each other's files. Ids are written
/// unchanged, so they stay distinct: an id a format cannot hold (a tab or line break in a
/// tab-separated file, whitespace in a word2vec file) is refused before anything is written.
/// Rows are written in the model's row order;
/// floats in the text formats are printed with Swift's shortest round-tripping representation
/// (`Float.description`), so parsing them gives back the exact stored values.
///
/// ```swift
/// let (model, header) = try ModelFile.load("m.hgw")
/// try EmbeddingExport.export(model, header: header, format: .npy, to: "exported")
/// ```
public enum EmbeddingExport {
    /// An output format.
    public enum Format: String, CaseIterable, Sendable {
        /// `users.npy`, `items.npy` (NumPy 1.0, `<f4`, C order, shape (n, dim)), the row ids in
        /// `users.tsv` / `items.tsv` (line r = row r's id, then the item's title when known) and
        /// `manifest.json` (hyper-parameters, training files, final test metrics).
        case npy
        /// StarSpace-style `id<TAB>v1<TAB>v2…` lines: `user_vectors.tsv`, `item_vectors.tsv`
        /// (not `users.tsv`, which an `npy` export in the same folder needs).
        case tsv
        /// word2vec / fastText text vectors: `users.vec`, `items.vec`, each a `count dim` line
        /// followed by `id v1 v2 …` lines (ids holding whitespace, or empty, are refused).
        case vec
        /// TensorBoard Embedding Projector files for the items: `vectors.tsv` (tab-separated
        /// values, no ids) and `metadata.tsv` (`id  title  genres  popularity`, with a header).
        case projector

        /// The names of the files this format writes, in writing order.
        public var files: [String] {
            switch self {
            case .npy: ["users.npy", "items.npy", "users.tsv", "items.tsv", "manifest.json"]
            case .tsv: ["user_vectors.tsv", "item_vectors.tsv"]
            case .vec: ["users.vec", "items.vec"]
            case .projector: ["vectors.tsv", "metadata.tsv"]
            }
        }
    }

    /// What is known about an item besides its id (from MovieLens' `u.item` or `movies.csv`).
    public struct ItemInfo: Sendable, Equatable {
        /// The title as the file gives it (MovieLens: with the year, e.g. "Toy Story (1995)").
        public var title: String
        /// Genre names in file order; empty when the item has none.
        public var genres: [String]

        /// An item's metadata.
        public init(title: String, genres: [String]) {
            self.title = title
            self.genres = genres
        }
    }

    /// Everything an export may use beyond the model itself.
    public struct Options: Sendable {
        /// Scale every row to unit L2 norm on output (zero rows stay zero). For cosine models this
        /// makes inner-product nearest-neighbour indexes return cosine neighbours.
        public var normalize: Bool
        /// Per item row (the model's item order): title and genres, `nil` when unknown. Used by
        /// `npy` (titles in `items.tsv`) and `projector` (`metadata.tsv`).
        public var itemInfo: [ItemInfo?]?
        /// Per item row: the number of training positives. Used by `projector`.
        public var popularity: [Int]?

        /// Options; the defaults write the raw rows with no item metadata.
        public init(normalize: Bool = false, itemInfo: [ItemInfo?]? = nil, popularity: [Int]? = nil) {
            self.normalize = normalize
            self.itemInfo = itemInfo
            self.popularity = popularity
        }
    }

    /// Exports `model` into `directory` (created, with its parents, when missing) in `format`.
    ///
    /// - Parameters:
    ///   - model: the model whose tables are written.
    ///   - header: the model file's header, for the `npy` manifest (training files, final
    ///     metrics); without it those keys are left out.
    ///   - format: what to write (see `Format.files`).
    ///   - directory: the output folder.
    ///   - options: normalisation and item metadata.
    /// - Returns: the paths written, in order.
    /// - Throws: `HogwildError` when the folder cannot be created (or is a file), a file cannot be
    ///   written or may not be replaced (see `OutputSafety`), an id cannot be held by `format`
    ///   (see `checkIDs`), or `options` has per-item arrays of the wrong length. Bad ids, paths
    ///   and arrays are found before anything is written.
    @discardableResult
    public static func export(_ model: EmbeddingModel, header: ModelFile.Header? = nil, format: Format,
                              to directory: String, options: Options = Options()) throws -> [String] {
        let itemCount = model.items.count
        if let info = options.itemInfo, info.count != itemCount {
            throw HogwildError("item metadata has \(info.count) entries for \(itemCount) items")
        }
        if let popularity = options.popularity, popularity.count != itemCount {
            throw HogwildError("item popularity has \(popularity.count) entries for \(itemCount) items")
        }
        let path = { (name: String) in directory.hasSuffix("/") ? directory + name : "\(directory)/\(name)" }
        // Every id is checked before the first file is written, so a refused export writes nothing.
        let idFiles: [(IDMap, IDSeparators, String)] = switch format {
        case .npy: [(model.users, .tabSeparated, "users.tsv"), (model.items, .tabSeparated, "items.tsv")]
        case .tsv: [(model.users, .tabSeparated, "user_vectors.tsv"), (model.items, .tabSeparated, "item_vectors.tsv")]
        case .vec: [(model.users, .whitespaceSeparated, "users.vec"), (model.items, .whitespaceSeparated, "items.vec")]
        case .projector: [(model.items, .tabSeparated, "metadata.tsv")]
        }
        for (ids, separators, name) in idFiles { try checkIDs(ids, separators, file: path(name)) }
        try makeDirectory(directory)
        // So are the paths (no special file, no input of the run): a refusal writes no file either.
        for name in format.files { _ = try OutputSafety.checkedTarget(path(name)) }
        let normalize = options.normalize
        switch format {
        case .npy:
            try writeNPY(model.userTable, normalize: normalize, to: path("users.npy"))
            try writeNPY(model.itemTable, normalize: normalize, to: path("items.npy"))
            try writeIDs(model.users, to: path("users.tsv"))
            try writeIDs(model.items, titles: options.itemInfo?.map { $0?.title }, to: path("items.tsv"))
            let m = manifest(model, header: header, normalized: normalize)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let json = try encoder.encode(m)
            try FileBytes.writeAtomically(path("manifest.json"), text: String(decoding: json, as: UTF8.self) + "\n")
        case .tsv:
            try writeTSV(model.userTable, ids: model.users, normalize: normalize, to: path("user_vectors.tsv"))
            try writeTSV(model.itemTable, ids: model.items, normalize: normalize, to: path("item_vectors.tsv"))
        case .vec:
            try writeVec(model.userTable, ids: model.users, normalize: normalize, to: path("users.vec"))
            try writeVec(model.itemTable, ids: model.items, normalize: normalize, to: path("items.vec"))
        case .projector:
            try writeProjectorVectors(model.itemTable, normalize: normalize, to: path("vectors.tsv"))
            try writeProjectorMetadata(ids: model.items, info: options.itemInfo, popularity: options.popularity,
                                       to: path("metadata.tsv"))
        }
        return format.files.map(path)
    }

    // MARK: - NumPy

    /// The NPY format 1.0 header of a little-endian float32, C-order array of shape
    /// (`rows`, `columns`): the magic `\x93NUMPY`, version 1.0, the header length as a
    /// little-endian `UInt16`, then the dictionary
    /// `{'descr': '<f4', 'fortran_order': False, 'shape': (rows, columns), }` padded with spaces
    /// and a final `\n` so the whole header is a multiple of 64 bytes — byte for byte what
    /// `numpy.save` writes.
    public static func npyHeader(rows: Int, columns: Int) -> [UInt8] {
        let dictionary = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        let prefix = 6 + 2 + 2
        let textLength = dictionary.utf8.count + 1  // with the final newline
        let padding = 64 - (prefix + textLength) % 64
        let headerLength = UInt16(textLength + padding)
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        bytes.append(UInt8(headerLength & 0xFF))
        bytes.append(UInt8(headerLength >> 8))
        bytes += Array(dictionary.utf8)
        bytes += [UInt8](repeating: 0x20, count: padding)
        bytes.append(0x0A)
        return bytes
    }

    /// Writes `table` as an NPY 1.0 file of shape (rows, dimension), dtype `<f4`, C order.
    ///
    /// - Throws: `HogwildError` when the file cannot be written (it is then left as it was).
    public static func writeNPY(_ table: EmbeddingTable, normalize: Bool = false, to path: String) throws {
        try FileBytes.writeAtomically(path) { sink in
            try sink.write(npyHeader(rows: table.rowCount, columns: table.dimension))
            var row = [Float](repeating: 0, count: table.dimension)
            var bytes = [UInt8](repeating: 0, count: table.dimension * 4)
            for r in 0..<table.rowCount {
                copyRow(table, r, into: &row, normalize: normalize)
                for (c, value) in row.enumerated() {
                    let bits = value.bitPattern
                    bytes[4 * c] = UInt8(truncatingIfNeeded: bits)
                    bytes[4 * c + 1] = UInt8(truncatingIfNeeded: bits >> 8)
                    bytes[4 * c + 2] = UInt8(truncatingIfNeeded: bits >> 16)
                    bytes[4 * c + 3] = UInt8(truncatingIfNeeded: bits >> 24)
                }
                try sink.write(bytes)
            }
        }
    }

    /// Writes one id per line, in row order (line r is row r's id), with `titles[r]` as a second
    /// tab-separated field when given and non-nil. Tabs and line breaks in titles become spaces.
    ///
    /// - Precondition: `titles`, when given, has one entry per id.
    /// - Throws: `HogwildError` when an id holds a tab or line break, or the file cannot be
    ///   written (it is then left as it was).
    public static func writeIDs(_ ids: IDMap, titles: [String?]? = nil, to path: String) throws {
        try checkIDs(ids, .tabSeparated, file: path)
        try writeLines(path) { emit in
            for r in 0..<ids.count {
                var line = ids.id(at: r)
                if let title = titles?[r] { line += "\t" + tsvField(title) }
                try emit(line)
            }
        }
    }

    // MARK: - Text formats

    /// Writes StarSpace-style lines `id<TAB>v1<TAB>v2…`, one per row, no header.
    ///
    /// - Precondition: `ids` has one id per row of `table`.
    /// - Throws: `HogwildError` when an id holds a tab or line break, or the file cannot be
    ///   written (it is then left as it was).
    public static func writeTSV(_ table: EmbeddingTable, ids: IDMap, normalize: Bool = false, to path: String) throws {
        precondition(ids.count == table.rowCount)
        try checkIDs(ids, .tabSeparated, file: path)
        try writeRows(table, normalize: normalize, to: path, separator: 0x09) { ids.id(at: $0) }
    }

    /// Writes word2vec / fastText text vectors: a `count dim` line, then `id v1 v2 …` per row,
    /// space-separated. Loadable by gensim's `KeyedVectors.load_word2vec_format(path, binary=False)`.
    ///
    /// - Precondition: `ids` has one id per row of `table`.
    /// - Throws: `HogwildError` when an id is empty or holds whitespace (the format splits on
    ///   it), or the file cannot be written (it is then left as it was).
    public static func writeVec(_ table: EmbeddingTable, ids: IDMap, normalize: Bool = false, to path: String) throws {
        precondition(ids.count == table.rowCount)
        try checkIDs(ids, .whitespaceSeparated, file: path)
        try writeRows(table, normalize: normalize, to: path, separator: 0x20,
                      firstLine: "\(table.rowCount) \(table.dimension)") { ids.id(at: $0) }
    }

    /// Writes the projector's `vectors.tsv`: one row per line, tab-separated values, no ids.
    ///
    /// - Throws: `HogwildError` when the file cannot be written (it is then left as it was).
    public static func writeProjectorVectors(_ table: EmbeddingTable, normalize: Bool = false, to path: String) throws {
        try writeRows(table, normalize: normalize, to: path, separator: 0x09, label: nil)
    }

    /// Writes the projector's `metadata.tsv`: the header `id  title  genres  popularity` (tabs),
    /// then one line per item in row order; genres are joined with `|`; unknown fields are empty.
    ///
    /// - Precondition: `info` and `popularity`, when given, have one entry per id.
    /// - Throws: `HogwildError` when an id holds a tab or line break, or the file cannot be
    ///   written (it is then left as it was).
    public static func writeProjectorMetadata(ids: IDMap, info: [ItemInfo?]?, popularity: [Int]?, to path: String) throws {
        try checkIDs(ids, .tabSeparated, file: path)
        try writeLines(path) { emit in
            try emit("id\ttitle\tgenres\tpopularity")
            for r in 0..<ids.count {
                let item = info?[r] ?? nil
                let fields = [item?.title ?? "", item?.genres.joined(separator: "|") ?? "", popularity.map { String($0[r]) } ?? ""]
                try emit(([ids.id(at: r)] + fields.map(tsvField)).joined(separator: "\t"))
            }
        }
    }

    /// `text` with tabs and line breaks replaced by spaces, safe as one TSV field.
    static func tsvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "\t" || $0.isNewline }) else { return text }
        return String(text.map { $0 == "\t" || $0.isNewline ? " " : $0 })
    }

    /// The separators of the text formats' lines, which ids must not hold.
    enum IDSeparators {
        /// Tab-separated lines: no tab or line break (any `Character.isNewline`, as
        /// `str.splitlines` splits on them all).
        case tabSeparated
        /// word2vec lines, split on whitespace: no whitespace, and not empty.
        case whitespaceSeparated
    }

    /// Refuses an id that `separators` would split or merge: ids are exported unchanged (a
    /// replaced character could make two ids one), so one that cannot be held stops the export.
    ///
    /// - Throws: `HogwildError` naming `file`, the id (escaped, cut short) and its model row
    ///   (0-based, the row of the exported arrays).
    static func checkIDs(_ ids: IDMap, _ separators: IDSeparators, file: String) throws {
        for r in 0..<ids.count {
            let id = ids.id(at: r)
            switch separators {
            case .tabSeparated where id.contains(where: { $0 == "\t" || $0.isNewline }):
                throw HogwildError("cannot write \(OutputSafety.quoted(file)): the id of model row \(r), \(OutputSafety.quoted(id)), holds a tab or line break, which a tab-separated file cannot hold")
            case .whitespaceSeparated where id.isEmpty || id.contains(where: \.isWhitespace):
                throw HogwildError("cannot write \(OutputSafety.quoted(file)): the id of model row \(r), \(OutputSafety.quoted(id)), \(id.isEmpty ? "is empty" : "holds whitespace"), which a word2vec file cannot hold (export as npy or tsv)")
            default:
                continue
            }
        }
    }

    /// Streams `table`'s rows as text lines: `label(r)` (when given), then the values, all joined
    /// by `separator`.
    private static func writeRows(_ table: EmbeddingTable, normalize: Bool, to path: String, separator: UInt8,
                                  firstLine: String? = nil, label: ((Int) -> String)?) throws {
        try FileBytes.writeAtomically(path) { sink in
            var line: [UInt8] = []
            line.reserveCapacity(1 << 16)
            if let firstLine { line += Array(firstLine.utf8); line.append(0x0A) }
            var row = [Float](repeating: 0, count: table.dimension)
            for r in 0..<table.rowCount {
                copyRow(table, r, into: &row, normalize: normalize)
                var first = true
                if let label { line += Array(label(r).utf8); first = false }
                for value in row {
                    if !first { line.append(separator) }
                    first = false
                    line += value.description.utf8
                }
                line.append(0x0A)
                if line.count >= 1 << 16 { try sink.write(line); line.removeAll(keepingCapacity: true) }
            }
            try sink.write(line)
        }
    }

    /// Writes the lines `body` emits, each followed by `\n`, atomically to `path`.
    private static func writeLines(_ path: String, _ body: (_ emit: (String) throws -> Void) throws -> Void) throws {
        try FileBytes.writeAtomically(path) { sink in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 16)
            try body { line in
                buffer += line.utf8
                buffer.append(0x0A)
                if buffer.count >= 1 << 16 { try sink.write(buffer); buffer.removeAll(keepingCapacity: true) }
            }
            try sink.write(buffer)
        }
    }

    /// Copies row `r`'s `dimension` values into `row`, scaled to unit L2 norm when `normalize`
    /// (the norm is accumulated in `Double`; a zero row stays zero).
    static func copyRow(_ table: EmbeddingTable, _ r: Int, into row: inout [Float], normalize: Bool) {
        table.withUnsafeHandle { handle in
            let source = handle.row(r)
            for c in 0..<table.dimension { row[c] = source[c] }
        }
        guard normalize else { return }
        var sum = 0.0
        for value in row { sum += Double(value) * Double(value) }
        guard sum > 0, sum.isFinite else { return }
        let inverse = 1 / sum.squareRoot()
        for c in row.indices { row[c] = Float(Double(row[c]) * inverse) }
    }

    /// Creates `directory` and any missing parents; an existing folder is fine.
    static func makeDirectory(_ directory: String) throws {
        func isFolder(_ path: String) -> Bool? {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            return (info.st_mode & S_IFMT) == S_IFDIR
        }
        guard !directory.isEmpty else { throw HogwildError("the output folder name is empty") }
        if let folder = isFolder(directory) {
            if folder { return }
            throw HogwildError("cannot export to '\(directory)': it is a file, not a folder")
        }
        var prefix = directory.hasPrefix("/") ? "/" : ""
        for component in directory.split(separator: "/") {
            prefix += component
            if isFolder(prefix) == nil && mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw HogwildError("cannot create folder '\(prefix)': \(FileBytes.errorText())")
            }
            if isFolder(prefix) == false {
                throw HogwildError("cannot create folder '\(directory)': '\(prefix)' is a file")
            }
            prefix += "/"
        }
    }

    // MARK: - Manifest

    /// The `manifest.json` of an `npy` export: the model's hyper-parameters, the files it was
    /// trained on (with their sizes when they exist), and its final test metrics when the model
    /// file has them. Keys are snake_case; unknown values are left out.
    public struct Manifest: Codable, Sendable, Equatable {
        /// Always `"npy"`.
        public var format = "npy"
        /// The arrays' NumPy dtype: `"<f4"`, little-endian float32.
        public var dtype = "<f4"
        /// Rows of `users.npy`.
        public var users: Int
        /// Rows of `items.npy`.
        public var items: Int
        /// Columns of both arrays: the embedding dimension.
        public var dim: Int
        /// The configuration's `similarity`.
        public var similarity: Similarity
        /// The configuration's `loss`.
        public var loss: Loss
        /// The configuration's `margin` (recorded whatever the loss).
        public var margin: Float
        /// The configuration's initial `learningRate`.
        public var learningRate: Float
        /// The configuration's `finalLearningRateFraction`.
        public var finalLearningRateFraction: Float
        /// The configuration's `l2`.
        public var l2: Float
        /// The configuration's `negatives`.
        public var negatives: NegativeSampling
        /// Epochs the model was trained for.
        public var epochsTrained: Int
        /// The configuration's `seed`.
        public var seed: UInt64
        /// Whether the exported rows were scaled to unit norm.
        public var normalized: Bool
        /// The training file named in the model file's header.
        public var trainFile: String?
        /// The test file named in the model file's header.
        public var testFile: String?
        /// The training file's size at export time, when it is a regular file.
        public var trainFileBytes: Int?
        /// The test file's size at export time, when it is a regular file.
        public var testFileBytes: Int?
        /// The final test AUC stored in the model file.
        public var auc: Double?
        /// The final test precision@10: set only when the stored evaluation used k = 10.
        public var precisionAt10: Double?
        /// The final test recall@10: set only when the stored evaluation used k = 10.
        public var recallAt10: Double?
        /// The cutoff of the stored top-k metrics.
        public var k: Int?
        /// The final test precision@k.
        public var precisionAtK: Double?
        /// The final test recall@k.
        public var recallAtK: Double?
        /// The users the final test evaluation covered.
        public var usersEvaluated: Int?

        enum CodingKeys: String, CodingKey {
            case format, dtype, users, items, dim, similarity, loss, margin, l2, negatives, seed, normalized, auc, k
            case learningRate = "learning_rate"
            case finalLearningRateFraction = "final_learning_rate_fraction"
            case epochsTrained = "epochs_trained"
            case trainFile = "train_file"
            case testFile = "test_file"
            case trainFileBytes = "train_file_bytes"
            case testFileBytes = "test_file_bytes"
            case precisionAt10 = "precision_at_10"
            case recallAt10 = "recall_at_10"
            case precisionAtK = "precision_at_k"
            case recallAtK = "recall_at_k"
            case usersEvaluated = "users_evaluated"
        }
    }

    /// The manifest for `model` (see `Manifest`): configuration values from the model; files and
    /// metrics from `header` when given. Reads the training and test files' sizes from disk.
    public static func manifest(_ model: EmbeddingModel, header: ModelFile.Header?, normalized: Bool) -> Manifest {
        let c = model.configuration
        var m = Manifest(users: model.users.count, items: model.items.count, dim: c.dimension, similarity: c.similarity,
                         loss: c.loss, margin: c.margin, learningRate: c.learningRate,
                         finalLearningRateFraction: c.finalLearningRateFraction, l2: c.l2, negatives: c.negatives,
                         epochsTrained: model.epochsTrained, seed: c.seed, normalized: normalized)
        m.trainFile = header?.trainFile
        m.testFile = header?.testFile
        m.trainFileBytes = header?.trainFile.flatMap(fileSize)
        m.testFileBytes = header?.testFile.flatMap(fileSize)
        if let e = header?.evaluation {
            m.auc = e.auc
            m.k = e.k
            m.precisionAtK = e.precisionAtK
            m.recallAtK = e.recallAtK
            m.usersEvaluated = e.usersEvaluated
            if e.k == 10 {
                m.precisionAt10 = e.precisionAtK
                m.recallAt10 = e.recallAtK
            }
        }
        return m
    }

    /// The size in bytes of the regular file at `path`, or `nil` when there is none.
    static func fileSize(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(info.st_size)
    }

    // MARK: - Item metadata

    /// Titles and genres for `items`, from the MovieLens metadata next to `trainFile`: ml-100k's
    /// `u.item` (with genre names from `u.genre`) or ml-latest-small's `movies.csv`.
    ///
    /// - Returns: the file read and one entry per item row (`nil` for items it does not list),
    ///   or `nil` when the folder holds neither file.
    /// - Throws: `HogwildError` when the file found cannot be read or is malformed.
    public static func itemInfo(nextTo trainFile: String, items: IDMap) throws -> (file: String, info: [ItemInfo?])? {
        guard let (file, table) = try itemTable(nextTo: trainFile) else { return nil }
        return (file, (0..<items.count).map { table[items.id(at: $0)] })
    }

    /// Titles and genres by item id from the MovieLens metadata next to `trainFile` (as
    /// `itemInfo(nextTo:items:)`, before mapping to rows), or `nil` when the folder holds neither
    /// `u.item` nor `movies.csv`.
    ///
    /// - Throws: `HogwildError` when the file found cannot be read or is malformed.
    public static func itemTable(nextTo trainFile: String) throws -> (file: String, table: [String: ItemInfo])? {
        let folder = (trainFile as NSString).deletingLastPathComponent
        let base = folder.isEmpty ? "" : folder.hasSuffix("/") ? folder : folder + "/"
        if fileSize(base + "u.item") != nil {
            let file = base + "u.item", genreFile = base + "u.genre"
            let genres = fileSize(genreFile) != nil ? try readGenres(genreFile) : movieLens100kGenres
            return (file, try readMovieLens100kItems(file, genres: genres))
        }
        if fileSize(base + "movies.csv") != nil {
            let file = base + "movies.csv"
            return (file, try readMoviesCSV(file))
        }
        return nil
    }

    /// ml-100k's genre names in flag order, used when `u.genre` is missing.
    public static let movieLens100kGenres = [
        "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
        "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
    ]

    /// Reads ml-100k's `u.genre` (`name|index` lines, latin-1): the genre names by index (an
    /// index the file skips gets an empty name).
    ///
    /// - Throws: a `file:line` `HogwildError` for a line that is not `name|index` with an index
    ///   below 1000, or when the file cannot be read.
    public static func readGenres(_ path: String) throws -> [String] {
        try readGenres(FileBytes.read(path), path: path)
    }

    /// `readGenres(_:)` on contents in memory (`FileBytes.read`'s result); `path` names them in errors.
    static func readGenres(_ contents: (bytes: [UInt8], count: Int), path: String) throws -> [String] {
        var names: [Int: String] = [:]
        for (number, line) in textLines(contents, latin1: true) where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false)
            guard fields.count == 2, let index = Int(fields[1].trimmingCharacters(in: .whitespaces)), index >= 0, index < 1000 else {
                throw HogwildError.at(path, line: number, "expected 'name|index'")
            }
            names[index] = String(fields[0])
        }
        let count = (names.keys.max() ?? -1) + 1
        return (0..<count).map { names[$0] ?? "" }
    }

    /// Reads ml-100k's `u.item` (latin-1, `id|title|date|video date|url|` then one 0/1 flag per
    /// genre): titles and genres by item id. A flag past the end of `genres` is named
    /// `genre <index>`.
    ///
    /// - Throws: a `file:line` `HogwildError` for a line with fewer than two fields or an empty
    ///   id, or when the file cannot be read.
    public static func readMovieLens100kItems(_ path: String, genres: [String]) throws -> [String: ItemInfo] {
        try readMovieLens100kItems(FileBytes.read(path), path: path, genres: genres)
    }

    /// `readMovieLens100kItems(_:genres:)` on contents in memory; `path` names them in errors.
    static func readMovieLens100kItems(_ contents: (bytes: [UInt8], count: Int), path: String,
                                       genres: [String]) throws -> [String: ItemInfo] {
        var table: [String: ItemInfo] = [:]
        for (number, line) in textLines(contents, latin1: true) where !line.isEmpty {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false)
            guard fields.count >= 2, !fields[0].isEmpty else {
                throw HogwildError.at(path, line: number, "expected 'id|title|date|video date|url|genre flags…'")
            }
            var itemGenres: [String] = []
            if fields.count > 5 {
                for (g, flag) in fields[5...].enumerated() where flag.trimmingCharacters(in: .whitespaces) == "1" {
                    itemGenres.append(g < genres.count ? genres[g] : "genre \(g)")
                }
            }
            table[String(fields[0])] = ItemInfo(title: String(fields[1]), genres: itemGenres)
        }
        return table
    }

    /// Reads ml-latest-small's `movies.csv` (UTF-8 CSV with a `movieId,title,genres` header,
    /// quoted titles, `|`-separated genres): titles and genres by movie id. The genre
    /// "(no genres listed)" becomes an empty list.
    ///
    /// - Throws: a `file:line` `HogwildError` for a record with fewer than two fields or an empty
    ///   id, or an unterminated quoted field, or when the file cannot be read.
    public static func readMoviesCSV(_ path: String) throws -> [String: ItemInfo] {
        try readMoviesCSV(FileBytes.read(path), path: path)
    }

    /// `readMoviesCSV(_:)` on contents in memory; `path` names them in errors.
    static func readMoviesCSV(_ contents: (bytes: [UInt8], count: Int), path: String) throws -> [String: ItemInfo] {
        let (bytes, count) = contents
        let text = String(decoding: bytes[0..<count], as: UTF8.self)
        var table: [String: ItemInfo] = [:]
        for (number, fields) in try csvRecords(text, path: path) {
            if number == 1 && fields.first?.lowercased() == "movieid" { continue }
            if fields.count == 1 && fields[0].isEmpty { continue }
            guard fields.count >= 2, !fields[0].isEmpty else {
                throw HogwildError.at(path, line: number, "expected 'movieId,title,genres'")
            }
            var genres = fields.count > 2 ? fields[2].split(separator: "|").map(String.init) : []
            if genres == ["(no genres listed)"] { genres = [] }
            table[fields[0]] = ItemInfo(title: fields[1], genres: genres)
        }
        return table
    }

    /// Splits RFC 4180 CSV text into records (with the line number each starts on): fields
    /// separated by commas, optionally double-quoted, `""` inside quotes for a quote; quoted
    /// fields may span lines.
    static func csvRecords(_ text: String, path: String) throws -> [(line: Int, fields: [String])] {
        var records: [(Int, [String])] = []
        var fields: [String] = [], field = "", quoted = false, atFieldStart = true
        var line = 1, recordLine = 1
        var scalars = Array(text.unicodeScalars)[...]
        func endRecord() {
            fields.append(field)
            records.append((recordLine, fields))
            fields = []; field = ""; atFieldStart = true
        }
        while let c = scalars.popFirst() {
            if quoted {
                if c == "\"" {
                    if scalars.first == "\"" { scalars.removeFirst(); field.unicodeScalars.append("\"") } else { quoted = false }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where atFieldStart:
                quoted = true
                atFieldStart = false
            case ",":
                fields.append(field); field = ""; atFieldStart = true
            case "\r" where scalars.first == "\n":
                break
            case "\n":
                endRecord()
                line += 1
                recordLine = line
            default:
                field.unicodeScalars.append(c)
                atFieldStart = false
            }
        }
        if quoted { throw HogwildError.at(path, line: recordLine, "unterminated quoted field") }
        if !field.isEmpty || !fields.isEmpty { endRecord() }
        return records
    }

    /// The lines of a text file's contents (`FileBytes.read`'s result), numbered from 1, without
    /// line terminators (`\n` or `\r\n`), decoded as latin-1 (each byte one Unicode scalar, as
    /// MovieLens 100k's files need) or UTF-8.
    static func textLines(_ contents: (bytes: [UInt8], count: Int), latin1: Bool) -> [(Int, String)] {
        let (bytes, count) = contents
        var lines: [(Int, String)] = []
        var start = 0
        while start < count {
            var end = start
            while end < count && bytes[end] != 0x0A { end += 1 }
            var stop = end
            if stop > start && bytes[stop - 1] == 0x0D { stop -= 1 }
            if latin1 {
                var text = String.UnicodeScalarView()
                for b in bytes[start..<stop] { text.append(Unicode.Scalar(b)) }
                lines.append((lines.count + 1, String(text)))
            } else {
                lines.append((lines.count + 1, String(decoding: bytes[start..<stop], as: UTF8.self)))
            }
            start = end + 1
        }
        return lines
    }

    /// The number of training positives of each item (the column counts of `train`).
    public static func popularity(_ train: InteractionMatrix) -> [Int] {
        var counts = [Int](repeating: 0, count: train.itemCount)
        train.withUnsafeHandle { csr in
            for u in 0..<train.userCount {
                for item in csr.row(u) { counts[Int(item)] += 1 }
            }
        }
        return counts
    }
}
