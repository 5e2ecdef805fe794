import Foundation

/// The binary model format (all integers little-endian):
///
/// ```
/// "HOGWILD\u{1}"  8 bytes magic
/// version         UInt32: 1 (bilinear matcher), 2 (MLP matcher) or 3 (trained with Adagrad)
/// headerLength    UInt32, then that many bytes of JSON (`ModelFile.Header`)
/// user ids        per user: UInt32 byte length + UTF-8 bytes
/// item ids        likewise
/// user table      users × dim Float32, row-major, no padding
/// item table      items × dim Float32
/// network         MLP matcher only: Wu (hidden × dim), Wi (hidden × dim), b1 (hidden), w2 (hidden),
///                 Float32, row-major, no padding; hidden is the header's `configuration.hidden`
/// accumulators    version 3 only: the Adagrad accumulators, users then items, Float32
/// checksum        UInt64 over every byte before it (`ModelFile.checksum`)
/// ```
///
/// A file takes the lowest version that can hold it: bilinear SGD models are still version 1, so
/// older builds keep reading them (their header decoder ignores the configuration keys added
/// since); an older build given a newer file says which version it is rather than misreading
/// it. Adagrad models written before version 3 existed hold no accumulators: they load with
/// fresh ones (all 1), so resuming them restarts each row's step size.
///
/// Files are written atomically (temporary file, flush, rename): an interrupted save leaves the
/// previous file intact. Loading checks magic, version, sizes and checksum, and each failure is a
/// one-line `HogwildError`.
public enum ModelFile {
    static let magic: [UInt8] = Array("HOGWILD".utf8) + [1]
    /// The newest version this build writes and reads (it reads every version from 1).
    public static let version: UInt32 = 3

    /// The version `save` writes for `model`: the lowest that holds everything it has.
    static func version(for model: EmbeddingModel) -> UInt32 {
        model.adagradAccumulators != nil ? 3 : model.network != nil ? 2 : 1
    }

    /// The JSON header: everything but the ids and tables.
    public struct Header: Codable, Sendable {
        /// The model's hyper-parameters.
        public var configuration: TrainingConfiguration
        /// The number of users (user ids and table rows that follow).
        public var userCount: Int
        /// The number of items.
        public var itemCount: Int
        /// Epochs the tables were trained for.
        public var epochsTrained: Int
        /// The training file the model was trained on, for reports and exports.
        public var trainFile: String?
        /// The test file it was evaluated on, if any.
        public var testFile: String?
        /// The final test evaluation of the saved model, when training had a test set. Files
        /// written before this field existed have no `evaluation` key and load with `nil`; its
        /// `seconds` is stored as 0, so the same training run always gives the same bytes.
        public var evaluation: Evaluation?
        /// The positive threshold the training data was read with, so that commands reading the
        /// same files again (recommend, export) split them the same way.
        public var minRating: Float?
        /// The per-user holdout the training data was read with (for the same reason).
        public var holdout: Int?
        /// For a hybrid model, which side features composed its vectors. The file holds the
        /// composed vectors (own row plus feature mean), not the feature tables, so such a model
        /// scores, recommends and exports like any other but cannot be trained further.
        public var sideFeatures: String?
    }

    /// Writes `model` to `path` atomically, with the data it came from and its final
    /// `evaluation` (wall time dropped) in the header when given.
    ///
    /// - Throws: `HogwildError` when the file cannot be written (the old file is then intact).
    /// - Complexity: O(ids + (users + items) · dimension).
    public static func save(_ model: EmbeddingModel, to path: String, source: DataSource? = nil,
                            evaluation: Evaluation? = nil, minRating: Float? = nil, holdout: Int? = nil,
                            sideFeatures: String? = nil) throws {
        var stored = evaluation
        stored?.seconds = 0
        let header = Header(configuration: model.configuration, userCount: model.users.count,
                            itemCount: model.items.count, epochsTrained: model.epochsTrained,
                            trainFile: source?.trainFile, testFile: source?.testFile, evaluation: stored,
                            minRating: minRating, holdout: holdout, sideFeatures: sideFeatures)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]  // the same model always gives the same bytes
        let json = try encoder.encode(header)
        try FileBytes.writeAtomically(path) { sink in
            var hash = Checksum()
            func emit(_ bytes: UnsafeRawBufferPointer) throws {
                hash.update(bytes)
                try sink.write(bytes)
            }
            func emit<T: FixedWidthInteger>(_ value: T) throws {
                try withUnsafeBytes(of: value.littleEndian) { try emit($0) }
            }
            try magic.withUnsafeBytes { try emit($0) }
            try emit(ModelFile.version(for: model))
            try emit(UInt32(json.count))
            try json.withUnsafeBytes { try emit($0) }
            for ids in [model.users.ids, model.items.ids] {
                for id in ids {
                    let utf8 = Array(id.utf8)
                    try emit(UInt32(utf8.count))
                    try utf8.withUnsafeBytes { try emit($0) }
                }
            }
            for table in [model.userTable, model.itemTable] {
                try table.withUnsafeHandle { handle in
                    for r in 0..<table.rowCount {
                        try emit(UnsafeRawBufferPointer(start: handle.row(r), count: table.dimension * 4))
                    }
                }
            }
            if let network = model.network {
                for part in DeepMatcher.Part.allCases {
                    try network.values(part).withUnsafeBytes { try emit($0) }
                }
            }
            if let accumulators = model.adagradAccumulators {
                try accumulators.withUnsafeBufferPointer { try emit(UnsafeRawBufferPointer($0)) }
            }
            try emit(hash.value)
        }
    }

    /// Reads a model written by `save` (any version from 1 to `version`).
    ///
    /// - Throws: `HogwildError` (one line naming the file) for a file that cannot be read, bad
    ///   magic bytes, an unknown version, a checksum mismatch, an invalid header (a field out of
    ///   range, checked before anything is allocated for it) or body, or numbers that are not
    ///   finite (`EmbeddingModel.nonFinitePart`).
    /// - Complexity: O(file size).
    public static func load(_ path: String) throws -> (model: EmbeddingModel, header: Header) {
        let (bytes, size) = try FileBytes.read(path)
        return try load(bytes: bytes, count: size, path: path)
    }

    /// Parses the first `size` of `bytes` as `load(_:)` does (which calls it; the fuzz targets in
    /// perf/fuzz call it directly). `path` only names the source in errors.
    static func load(bytes: [UInt8], count size: Int, path: String) throws -> (model: EmbeddingModel, header: Header) {
        var reader = ByteReader(bytes: bytes, count: size, path: path)
        guard size >= magic.count, Array(bytes[0..<magic.count]) == magic else {
            throw HogwildError("'\(path)' is not a Hogwild model file (bad magic bytes)")
        }
        reader.offset = magic.count
        let version: UInt32 = try reader.integer()
        guard version >= 1 && version <= ModelFile.version else {
            throw HogwildError("'\(path)' is a version \(version) model; this build reads versions 1 to \(ModelFile.version)")
        }
        guard size >= magic.count + 12 else { throw reader.truncated() }
        let stored = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: size - 8, as: UInt64.self) }.littleEndian
        var hash = Checksum()
        bytes.withUnsafeBytes { hash.update(UnsafeRawBufferPointer(rebasing: $0[0..<(size - 8)])) }
        guard hash.value == stored else {
            throw HogwildError("'\(path)' is corrupted or truncated (checksum mismatch)")
        }
        let headerLength: UInt32 = try reader.integer()
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(try reader.bytes(Int(headerLength))))
        } catch let error as HogwildError {
            throw error
        } catch {
            throw HogwildError("'\(path)' has an unreadable header")
        }
        let config = header.configuration
        do { try config.validate() } catch { throw HogwildError("'\(path)' has an invalid header: \(error)") }
        try header.checkRanges(path)
        // Version 1 is bilinear, 2 the MLP; 3 holds Adagrad accumulators, for either matcher.
        let layoutMatches = version == 3 ? config.optimizer == .adagrad : (config.matcher == .mlp) == (version == 2)
        guard layoutMatches else {
            throw HogwildError("'\(path)' has an invalid header: a version \(version) file cannot hold a \(config.matcher.rawValue) model trained with \(config.optimizer.rawValue)")
        }
        // Every user and item takes at least its 4-byte id length and its row, and the network
        // its weights: counts the rest of the file cannot hold are refused before anything is
        // allocated for them.
        let perEntity = 4 + config.dimension * 4
        let networkBytes = config.matcher == .mlp ? 4 * (2 * config.hidden * config.dimension + 2 * config.hidden) : 0
        let remaining = size - 8 - reader.offset - networkBytes
        guard remaining >= 0, header.userCount <= remaining / perEntity, header.itemCount <= remaining / perEntity - header.userCount else {
            throw HogwildError("'\(path)' is truncated: its header counts \(header.userCount) users and \(header.itemCount) items\(networkBytes > 0 ? " and an MLP of \(config.hidden) hidden units" : ""), more than the file holds")
        }
        func readIDs(_ count: Int) throws -> IDMap {
            var ids = [String]()
            ids.reserveCapacity(count)
            for _ in 0..<count {
                let length: UInt32 = try reader.integer()
                ids.append(String(decoding: try reader.bytes(Int(length)), as: UTF8.self))
            }
            do { return try IDMap(ids: ids) } catch { throw HogwildError("'\(path)': \(error)") }
        }
        let users = try readIDs(header.userCount)
        let items = try readIDs(header.itemCount)
        func readTable(_ rows: Int) throws -> EmbeddingTable {
            let rowBytes = config.dimension * 4
            guard reader.offset + rows * rowBytes <= size - 8 else { throw reader.truncated() }
            let table = EmbeddingTable(rowCount: rows, dimension: config.dimension)
            table.withUnsafeHandle { handle in
                bytes.withUnsafeBytes { raw in
                    for r in 0..<rows {
                        UnsafeMutableRawPointer(handle.row(r))
                            .copyMemory(from: raw.baseAddress! + reader.offset + r * rowBytes, byteCount: rowBytes)
                    }
                }
            }
            reader.offset += rows * rowBytes
            return table
        }
        let userTable = try readTable(header.userCount)
        let itemTable = try readTable(header.itemCount)
        var network: DeepMatcher? = nil
        if config.matcher == .mlp {
            // The header check above has held the network's size against the file's.
            let loaded = DeepMatcher(dimension: config.dimension, hidden: config.hidden)
            for part in DeepMatcher.Part.allCases {
                let count = loaded.valueCount(part)
                guard reader.offset + count * 4 <= size - 8 else { throw reader.truncated() }
                let values = bytes.withUnsafeBytes { raw in
                    (0..<count).map { raw.loadUnaligned(fromByteOffset: reader.offset + 4 * $0, as: Float.self) }
                }
                loaded.setValues(part, values)
                reader.offset += count * 4
            }
            network = loaded
        }
        var accumulators: AlignedBuffer<Float>? = nil
        if version == 3 {
            let count = header.userCount + header.itemCount
            guard reader.offset + count * 4 <= size - 8 else { throw reader.truncated() }
            let loaded = AlignedBuffer<Float>(count: count)
            loaded.withUnsafeMutableBufferPointer { destination in
                bytes.withUnsafeBytes { raw in
                    UnsafeMutableRawPointer(destination.baseAddress!)
                        .copyMemory(from: raw.baseAddress! + reader.offset, byteCount: count * 4)
                }
            }
            reader.offset += count * 4
            accumulators = loaded
        }
        guard reader.offset == size - 8 else {
            throw HogwildError("'\(path)' has \(size - 8 - reader.offset) unexpected bytes before its checksum")
        }
        let model = EmbeddingModel(configuration: config, users: users, items: items,
                                   userTable: userTable, itemTable: itemTable, network: network,
                                   adagradAccumulators: accumulators, epochsTrained: header.epochsTrained)
        // A model saved by a diverged run (or forged) would score NaN or tie every item.
        if let part = model.nonFinitePart() {
            throw HogwildError("'\(path)' holds numbers that are not finite (\(part), or its squared norm overflows): the run that wrote it diverged; retrain with a lower --lr")
        }
        return (model, header)
    }

    /// A 64-bit multiply–xor checksum over 8-byte words, a zero-padded tail and the length. Any
    /// change to a single word changes it, because every step is a bijection of the running state.
    struct Checksum {
        private var state: UInt64 = 0xCBF2_9CE4_8422_2325
        private var pending: [UInt8] = []
        private var length: UInt64 = 0

        mutating func update(_ bytes: UnsafeRawBufferPointer) {
            length &+= UInt64(bytes.count)
            var k = 0
            while !pending.isEmpty && k < bytes.count {
                pending.append(bytes[k])
                k += 1
                if pending.count == 8 {
                    Checksum.mix(&state, pending.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
                    pending.removeAll(keepingCapacity: true)
                }
            }
            while k + 8 <= bytes.count {
                Checksum.mix(&state, bytes.loadUnaligned(fromByteOffset: k, as: UInt64.self))
                k += 8
            }
            if k < bytes.count { pending.append(contentsOf: bytes[k...]) }
        }

        /// The checksum of everything so far.
        var value: UInt64 {
            var s = state
            if !pending.isEmpty {
                var tail: UInt64 = 0
                for (shift, byte) in pending.enumerated() { tail |= UInt64(byte) << (8 * UInt64(shift)) }
                Checksum.mix(&s, tail)
            }
            Checksum.mix(&s, length)
            return s
        }

        private static func mix(_ s: inout UInt64, _ word: UInt64) {
            s = (s ^ word) &* 0x0000_0100_0000_01B3
            s ^= s >> 29
        }
    }
}

/// Bounds-checked little-endian reads that fail as "truncated".
struct ByteReader {
    let bytes: [UInt8]
    let count: Int
    let path: String
    var offset = 0

    init(bytes: [UInt8], count: Int, path: String) {
        self.bytes = bytes
        self.count = count
        self.path = path
    }

    func truncated() -> HogwildError { HogwildError("'\(path)' is truncated") }

    mutating func integer<T: FixedWidthInteger>() throws -> T {
        let width = MemoryLayout<T>.size
        guard offset + width <= count else { throw truncated() }
        let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
        offset += width
        return T(littleEndian: value)
    }

    mutating func bytes(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, offset + n <= count else { throw truncated() }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }
}

extension ModelFile.Header {
    /// Refuses header fields out of their ranges, naming the first: counts the matrices' 32-bit
    /// indices cannot hold, epochs trained outside `0...TrainingConfiguration.maxEpochs` (resuming
    /// replays each one's shuffle), a negative holdout, a threshold that is not finite.
    ///
    /// - Throws: `HogwildError` "'path' has an invalid header: holdout is -3, not between 0 and …".
    func checkRanges(_ path: String) throws {
        func check(_ ok: Bool, _ field: String, _ value: Any, _ range: String) throws {
            guard !ok else { return }
            throw HogwildError("'\(path)' has an invalid header: \(field) is \(value), not \(range)")
        }
        let limit = Int(Int32.max)
        try check(userCount >= 0 && userCount <= limit, "userCount", userCount, "between 0 and \(limit)")
        try check(itemCount >= 0 && itemCount <= limit, "itemCount", itemCount, "between 0 and \(limit)")
        let maxEpochs = TrainingConfiguration.maxEpochs
        try check(epochsTrained >= 0 && epochsTrained <= maxEpochs, "epochsTrained", epochsTrained, "between 0 and \(maxEpochs)")
        try check(holdout.map { $0 >= 0 && $0 <= limit } ?? true, "holdout", holdout ?? 0, "between 0 and \(limit)")
        try check(minRating?.isFinite ?? true, "minRating", minRating ?? 0, "a finite number")
    }

    /// Decodes a header. `evaluation` is informational: a header without it (written before it
    /// existed) or with one this build cannot read loads with `evaluation == nil`. A field added
    /// to `Header` must be decoded here too.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        configuration = try c.decode(TrainingConfiguration.self, forKey: .configuration)
        userCount = try c.decode(Int.self, forKey: .userCount)
        itemCount = try c.decode(Int.self, forKey: .itemCount)
        epochsTrained = try c.decode(Int.self, forKey: .epochsTrained)
        trainFile = try c.decodeIfPresent(String.self, forKey: .trainFile)
        testFile = try c.decodeIfPresent(String.self, forKey: .testFile)
        evaluation = (try? c.decodeIfPresent(Evaluation.self, forKey: .evaluation)) ?? nil
        minRating = try c.decodeIfPresent(Float.self, forKey: .minRating)
        holdout = try c.decodeIfPresent(Int.self, forKey: .holdout)
        sideFeatures = try c.decodeIfPresent(String.self, forKey: .sideFeatures)
    }
}
