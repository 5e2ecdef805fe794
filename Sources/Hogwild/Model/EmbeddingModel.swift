/// A trained (or freshly initialised) model: user and item tables over the id maps of the data
/// they were trained on, and the configuration that made them.
///
/// The tables are shared references: training writes them in place, so read them (score,
/// evaluate, save) only while no trainer is running on the model.
public final class EmbeddingModel: @unchecked Sendable {
    /// The hyper-parameters the model was made and trained with.
    public let configuration: TrainingConfiguration
    /// The user ids: row `u` of `userTable` is user `users.id(at: u)`.
    public let users: IDMap
    /// The item ids: row `i` of `itemTable` is item `items.id(at: i)`.
    public let items: IDMap
    /// One row per user, `configuration.dimension` wide.
    public let userTable: EmbeddingTable
    /// One row per item, `configuration.dimension` wide.
    public let itemTable: EmbeddingTable
    /// The MLP scoring (user, item) pairs when `configuration.matcher` is `.mlp`; `nil` for the
    /// bilinear matcher, which scores by the rows' similarity alone.
    public let network: DeepMatcher?
    /// The per-row Adagrad accumulators (`configuration.optimizer == .adagrad`; `nil` for SGD):
    /// one per user row, then one per item row, each 1 plus the row's squared gradients so far
    /// (per coordinate, see `AdagradSlots`). They belong to the model, not to one trainer, and
    /// are saved with it, so that a resumed run goes on with the step sizes it had. Written by
    /// the trainer's workers (item entries race like item rows); read them only between epochs.
    public let adagradAccumulators: AlignedBuffer<Float>?
    /// Epochs of training the tables have had.
    public internal(set) var epochsTrained: Int

    /// A model with rows drawn from `N(0, (initScale/√dim)²)` and, for the MLP matcher, a
    /// He-initialised network (`DeepMatcher.init(dimension:hidden:seed:)`), seeded by the
    /// configuration's seed.
    public init(configuration: TrainingConfiguration, users: IDMap, items: IDMap) {
        self.configuration = configuration
        self.users = users
        self.items = items
        userTable = EmbeddingTable(rowCount: users.count, dimension: configuration.dimension)
        itemTable = EmbeddingTable(rowCount: items.count, dimension: configuration.dimension)
        let std = configuration.initScale / Float(configuration.dimension).squareRoot()
        userTable.randomize(seed: RandomSource.mix(configuration.seed ^ 0x7573_6572), standardDeviation: std)
        itemTable.randomize(seed: RandomSource.mix(configuration.seed ^ 0x6974_656D), standardDeviation: std)
        network = configuration.matcher == .mlp
            ? DeepMatcher(dimension: configuration.dimension, hidden: configuration.hidden,
                          seed: RandomSource.mix(configuration.seed ^ 0x6465_6570))  // "deep"
            : nil
        adagradAccumulators = EmbeddingModel.freshAccumulators(configuration, users.count + items.count)
        epochsTrained = 0
    }

    /// A model with the given tables, the given network for an MLP configuration, and for an
    /// Adagrad configuration the given accumulators (`nil`: fresh ones, all 1). Used by the model
    /// file reader, and to continue a saved model under new settings.
    ///
    /// Preconditions: the tables have a row per id; a network exactly for the MLP matcher;
    /// accumulators only for Adagrad, one per user and item row.
    public init(configuration: TrainingConfiguration, users: IDMap, items: IDMap,
                userTable: EmbeddingTable, itemTable: EmbeddingTable, network: DeepMatcher? = nil,
                adagradAccumulators: AlignedBuffer<Float>? = nil, epochsTrained: Int) {
        precondition(userTable.rowCount == users.count && itemTable.rowCount == items.count)
        precondition((configuration.matcher == .mlp) == (network != nil), "an MLP configuration needs its network, and only it")
        precondition(network.map { $0.dimension == configuration.dimension && $0.hidden == configuration.hidden } ?? true)
        precondition(adagradAccumulators.map { configuration.optimizer == .adagrad && $0.count == users.count + items.count } ?? true,
                     "accumulators need an Adagrad configuration and one entry per user and item")
        self.adagradAccumulators = adagradAccumulators ?? EmbeddingModel.freshAccumulators(configuration, users.count + items.count)
        self.configuration = configuration
        self.users = users
        self.items = items
        self.userTable = userTable
        self.itemTable = itemTable
        self.network = network
        self.epochsTrained = epochsTrained
    }

    /// Accumulators all at 1 for an Adagrad configuration (a row's first step is then `lr`-sized),
    /// `nil` for SGD.
    private static func freshAccumulators(_ configuration: TrainingConfiguration, _ count: Int) -> AlignedBuffer<Float>? {
        guard configuration.optimizer == .adagrad else { return nil }
        let accumulators = AlignedBuffer<Float>(count: count)
        accumulators.withUnsafeMutableBufferPointer { $0.initialize(repeating: 1) }
        return accumulators
    }
}
