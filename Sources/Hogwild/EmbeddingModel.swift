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
        epochsTrained = 0
    }

    /// A model with the given tables, and the given network for an MLP configuration (used by
    /// the model file reader).
    public init(configuration: TrainingConfiguration, users: IDMap, items: IDMap,
                userTable: EmbeddingTable, itemTable: EmbeddingTable, network: DeepMatcher? = nil, epochsTrained: Int) {
        precondition(userTable.rowCount == users.count && itemTable.rowCount == items.count)
        precondition((configuration.matcher == .mlp) == (network != nil), "an MLP configuration needs its network, and only it")
        precondition(network.map { $0.dimension == configuration.dimension && $0.hidden == configuration.hidden } ?? true)
        self.configuration = configuration
        self.users = users
        self.items = items
        self.userTable = userTable
        self.itemTable = itemTable
        self.network = network
        self.epochsTrained = epochsTrained
    }
}
