import Foundation

/// Side features of users or items: for each entity (a row of a model's id map), the sorted,
/// distinct ids of its features, and each feature's name.
///
/// A hybrid model (`SideFeatures`) composes an entity's vector from its own embedding and the
/// mean of its features' embeddings, so entities that share features share part of their vector,
/// and an item never seen in training still gets a vector from its features (cold start).
///
/// The readers map ids through the model's `IDMap`: ids the map does not hold are ignored and
/// counted in `unknownIDs`; a malformed line is a one-line `HogwildError` naming file and line.
public struct FeatureMatrix: Sendable {
    /// Entity × feature incidence, in the CSR form the trainer's inner loop reads (entities are
    /// the rows, features the columns).
    public let incidence: InteractionMatrix
    /// Feature names by feature id.
    public let names: [String]
    /// Records of the source whose id is not in the id map (ignored).
    public let unknownIDs: Int
    /// Where the features came from, for logs (e.g. "genres from …/u.item").
    public let origin: String

    /// Builds the matrix from (entity row, feature name) assignments; feature ids are given in
    /// order of first appearance, and repeated assignments count once.
    ///
    /// - Precondition: every entity is in `0..<entityCount`.
    /// - Complexity: O(n log n) for n assignments.
    public init(entityCount: Int, assignments: [(entity: Int32, feature: String)], unknownIDs: Int = 0, origin: String) {
        var ids: [String: Int32] = [:], names: [String] = []
        var entities: [Int32] = [], features: [Int32] = []
        entities.reserveCapacity(assignments.count)
        features.reserveCapacity(assignments.count)
        for (entity, name) in assignments {
            precondition(entity >= 0 && Int(entity) < entityCount, "entity \(entity) out of range")
            let id: Int32
            if let known = ids[name] {
                id = known
            } else {
                id = Int32(names.count)
                ids[name] = id
                names.append(name)
            }
            entities.append(entity)
            features.append(id)
        }
        incidence = InteractionMatrix(userCount: entityCount, itemCount: names.count, users: entities, items: features)
        self.names = names
        self.unknownIDs = unknownIDs
        self.origin = origin
    }

    /// The number of entities (rows).
    public var entityCount: Int { incidence.userCount }
    /// The number of distinct features.
    public var featureCount: Int { names.count }

    /// The sorted feature ids of `entity`.
    public func features(of entity: Int) -> [Int32] { incidence.items(of: entity) }

    /// The number of entities with at least one feature.
    public var entitiesWithFeatures: Int {
        incidence.withUnsafeHandle { csr in (0..<entityCount).reduce(0) { $0 + (csr.row($1).isEmpty ? 0 : 1) } }
    }

    /// One line for logs: origin, sizes and ignored ids.
    public var summary: String {
        let ignored = unknownIDs > 0 ? ", \(unknownIDs) unknown id\(unknownIDs == 1 ? "" : "s") ignored" : ""
        return "\(origin): \(featureCount) features, \(entitiesWithFeatures) of \(entityCount) with features\(ignored)"
    }
}

extension FeatureMatrix {
    /// Item genres from the MovieLens metadata next to `trainFile` — ml-100k's `u.item` genre
    /// flags or ml-latest-small's `movies.csv` (where "(no genres listed)" is none) — read by
    /// `EmbeddingExport.itemTable(nextTo:)`.
    ///
    /// An item gets one feature per genre, `genre:<name>`, and one for its exact combination,
    /// `genres:<name>|<name>…` (in file order): a feature cross, so that, say, animated children's
    /// comedies get a vector of their own beside the mean of "animation", "children's" and
    /// "comedy". On ml-100k's cold-start protocol the cross lifts the cold-start AUC by about
    /// 0.05 (perf/results/hybrid-ml-100k.csv). An item without genres has no features.
    ///
    /// - Throws: when the folder holds neither file, or the file is malformed.
    public static func itemGenres(nextTo trainFile: String, items: IDMap) throws -> FeatureMatrix {
        guard let (file, table) = try EmbeddingExport.itemTable(nextTo: trainFile) else {
            throw HogwildError("no u.item or movies.csv next to '\(trainFile)' to read genres from")
        }
        return itemGenres(table, file: file, items: items)
    }

    /// The genre features of `itemGenres(nextTo:items:)` from an item table read from `file`.
    static func itemGenres(_ table: [String: EmbeddingExport.ItemInfo], file: String, items: IDMap) -> FeatureMatrix {
        var assignments: [(entity: Int32, feature: String)] = [], unknown = 0
        // Sorted, so feature ids do not depend on dictionary order.
        for id in table.keys.sorted(by: { (Int($0) ?? .max, $0) < (Int($1) ?? .max, $1) }) {
            guard let row = items.index(of: id) else { unknown += 1; continue }
            let genres = table[id]!.genres
            guard !genres.isEmpty else { continue }
            for genre in genres { assignments.append((row, "genre:" + genre)) }
            assignments.append((row, "genres:" + genres.joined(separator: "|")))
        }
        return FeatureMatrix(entityCount: items.count, assignments: assignments, unknownIDs: unknown, origin: "genres from \(file)")
    }

    /// The age buckets of MovieLens 1M's demographics, applied to ml-100k's exact ages.
    public static func ageBucket(_ age: Int) -> String {
        switch age {
        case ..<18: "<18"
        case 18...24: "18-24"
        case 25...34: "25-34"
        case 35...44: "35-44"
        case 45...49: "45-49"
        case 50...55: "50-55"
        default: "56+"
        }
    }

    /// User demographics from ml-100k's `u.user` (`id|age|gender|occupation|zip`): three features
    /// per user, `age:<bucket>` (`ageBucket`), `gender:<g>` and `occupation:<o>`. The zip code is
    /// not used (too sparse to share).
    ///
    /// - Throws: a `file:line` error for a line with fewer than four fields, an empty field or a
    ///   non-integer age.
    public static func readUserDemographics(_ path: String, users: IDMap) throws -> FeatureMatrix {
        try readUserDemographics(FileBytes.read(path), path: path, users: users)
    }

    /// `readUserDemographics(_:users:)` on contents in memory (`FileBytes.read`'s result); `path`
    /// names them in errors.
    static func readUserDemographics(_ contents: (bytes: [UInt8], count: Int), path: String, users: IDMap) throws -> FeatureMatrix {
        var assignments: [(entity: Int32, feature: String)] = [], unknown = 0
        for (number, line) in EmbeddingExport.textLines(contents, latin1: true) where !line.isEmpty {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 4, !fields[0].isEmpty, !fields[2].isEmpty, !fields[3].isEmpty else {
                throw HogwildError.at(path, line: number, "expected 'id|age|gender|occupation|zip'")
            }
            guard let age = Int(fields[1]), age >= 0 else {
                throw HogwildError.at(path, line: number, "age '\(fields[1])' is not a whole number")
            }
            guard let row = users.index(of: fields[0]) else { unknown += 1; continue }
            assignments.append((row, "age:" + ageBucket(age)))
            assignments.append((row, "gender:" + fields[2]))
            assignments.append((row, "occupation:" + fields[3]))
        }
        return FeatureMatrix(entityCount: users.count, assignments: assignments, unknownIDs: unknown,
                             origin: "demographics from \(path)")
    }

    /// A generic feature file: one `id<TAB>feature` or `id,feature` line per (entity, feature)
    /// pair, UTF-8; an entity with several features has several lines. Blank lines are skipped,
    /// fields are trimmed of spaces, and a first line whose id is not in the map is taken for a
    /// header and skipped.
    ///
    /// - Throws: a `file:line` error for a line that is not exactly two non-empty fields.
    public static func read(_ path: String, ids: IDMap) throws -> FeatureMatrix {
        try read(FileBytes.read(path), path: path, ids: ids)
    }

    /// `read(_:ids:)` on contents in memory (`FileBytes.read`'s result); `path` names them in errors.
    static func read(_ contents: (bytes: [UInt8], count: Int), path: String, ids: IDMap) throws -> FeatureMatrix {
        var assignments: [(entity: Int32, feature: String)] = [], unknown = 0, first = true
        for (number, line) in EmbeddingExport.textLines(contents, latin1: false)
        where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            defer { first = false }
            let separator: Character = line.contains("\t") ? "\t" : ","
            let fields = line.split(separator: separator, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == 2, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw HogwildError.at(path, line: number, "expected 'id,feature' or 'id<TAB>feature' (\(fields.count) field\(fields.count == 1 ? "" : "s"))")
            }
            guard let row = ids.index(of: fields[0]) else {
                if !first { unknown += 1 }
                continue
            }
            assignments.append((row, fields[1]))
        }
        return FeatureMatrix(entityCount: ids.count, assignments: assignments, unknownIDs: unknown, origin: "features from \(path)")
    }
}
