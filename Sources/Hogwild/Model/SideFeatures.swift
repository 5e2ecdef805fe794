import Kernels

/// The feature half of a hybrid model: which features each user and item has, and one trainable
/// embedding per feature.
///
/// An entity's effective vector is its own row plus the mean of its features' rows,
/// `v = e + (1/|F|)·Σ_{f∈F} x_f` (an entity without features is its own row alone), in the spirit
/// of LightFM. Users and items with shared features thereby share part of their vectors, and an
/// item no one interacted with in training is still placed by its features — cold start.
///
/// The own rows stay in the `EmbeddingModel` the trainer updates; the feature rows live here.
/// `HogwildTrainer(model:train:features:)` trains both by the same triplet step, and
/// `composedModel(_:)` materialises the effective vectors as a plain `EmbeddingModel`, which the
/// evaluator, recommender, exports and model files use unchanged.
public final class SideFeatures: @unchecked Sendable {
    /// Item features (rows: the model's items); no rows have features when none were given.
    public let items: FeatureMatrix
    /// User features (rows: the model's users); likewise.
    public let users: FeatureMatrix
    /// One row per item feature.
    public let itemTable: EmbeddingTable
    /// One row per user feature.
    public let userTable: EmbeddingTable

    /// Feature embeddings for `model`, drawn like its own rows (`N(0, (initScale/√dim)²)`) from
    /// the configuration's seed.
    ///
    /// - Parameters:
    ///   - model: the model whose own rows these features complement.
    ///   - items: item features, one row per model item, or `nil` for none.
    ///   - users: user features, one row per model user, or `nil` for none.
    ///   - ownRowScale: the own rows (in `model`, in place) of entities that have features are
    ///     multiplied by this (0 by default: such an entity starts at its features' mean). A
    ///     zero own row adds no noise to an item that training never reaches, so a cold item's
    ///     vector is its features'.
    /// - Throws: when a matrix does not have one row per user or item of `model`.
    public init(model: EmbeddingModel, items: FeatureMatrix?, users: FeatureMatrix?, ownRowScale: Float = 0) throws {
        let config = model.configuration
        if let items, items.entityCount != model.items.count {
            throw HogwildError("item features cover \(items.entityCount) items; the model has \(model.items.count)")
        }
        if let users, users.entityCount != model.users.count {
            throw HogwildError("user features cover \(users.entityCount) users; the model has \(model.users.count)")
        }
        self.items = items ?? FeatureMatrix(entityCount: model.items.count, assignments: [], origin: "none")
        self.users = users ?? FeatureMatrix(entityCount: model.users.count, assignments: [], origin: "none")
        itemTable = EmbeddingTable(rowCount: self.items.featureCount, dimension: config.dimension)
        userTable = EmbeddingTable(rowCount: self.users.featureCount, dimension: config.dimension)
        let std = config.initScale / Float(config.dimension).squareRoot()
        itemTable.randomize(seed: RandomSource.mix(config.seed ^ 0x6966_6561_7473), standardDeviation: std)  // "ifeats"
        userTable.randomize(seed: RandomSource.mix(config.seed ^ 0x7566_6561_7473), standardDeviation: std)  // "ufeats"
        Self.scaleRows(model.itemTable, having: self.items, by: ownRowScale)
        Self.scaleRows(model.userTable, having: self.users, by: ownRowScale)
    }

    /// Whether any item or user has a feature.
    public var isEmpty: Bool { items.featureCount == 0 && users.featureCount == 0 }

    /// A plain model whose rows are `own`'s effective vectors: own row plus feature mean.
    /// Configuration, id maps and epoch count are `own`'s.
    ///
    /// - Complexity: O((users + items) · dim + feature assignments · dim).
    public func composedModel(_ own: EmbeddingModel) -> EmbeddingModel {
        let dimension = own.configuration.dimension
        let userRows = EmbeddingTable(rowCount: own.users.count, dimension: dimension)
        let itemRows = EmbeddingTable(rowCount: own.items.count, dimension: dimension)
        Self.compose(into: userRows, own: own.userTable, features: users, table: userTable)
        Self.compose(into: itemRows, own: own.itemTable, features: items, table: itemTable)
        return EmbeddingModel(configuration: own.configuration, users: own.users, items: own.items,
                              userTable: userRows, itemTable: itemRows, epochsTrained: own.epochsTrained)
    }

    /// `destination[r] = own[r] + mean of table[f] over r's features`, for every row.
    static func compose(into destination: EmbeddingTable, own: EmbeddingTable, features: FeatureMatrix, table: EmbeddingTable) {
        destination.withUnsafeHandle { out in
            own.withUnsafeHandle { ownRows in
                table.withUnsafeHandle { featureRows in
                    features.incidence.withUnsafeHandle { csr in
                        for r in 0..<destination.rowCount {
                            composeRow(out.row(r), own: ownRows.row(r), features: csr.row(r), table: featureRows, count: out.stride)
                        }
                    }
                }
            }
        }
    }

    /// Writes one effective vector: `destination = own + (1/|F|)·Σ_{f∈F} table[f]`.
    @inline(__always)
    static func composeRow(_ destination: UnsafeMutablePointer<Float>, own: UnsafeMutablePointer<Float>,
                           features: UnsafeBufferPointer<Int32>, table: EmbeddingTable.UnsafeHandle, count: Int) {
        Vector.copy(own, to: destination, count: count)
        let n = features.count
        guard n > 0 else { return }
        let weight = 1 / Float(n)
        var k = 0
        while k < n {
            Vector.axpy(weight, table.row(Int(features[k])), destination, count: count)
            k &+= 1
        }
    }

    /// Multiplies the rows of the entities that have features by `factor`.
    private static func scaleRows(_ table: EmbeddingTable, having features: FeatureMatrix, by factor: Float) {
        guard factor != 1 else { return }
        table.withUnsafeHandle { rows in
            features.incidence.withUnsafeHandle { csr in
                for r in 0..<table.rowCount where !csr.row(r).isEmpty { Vector.scale(factor, rows.row(r), count: rows.stride) }
            }
        }
    }
}
