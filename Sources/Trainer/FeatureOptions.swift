import ArgumentParser
import Foundation
import Hogwild

/// `train`'s side features (a hybrid model) and the cold-start protocol.
struct FeatureOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Item features: 'genres' (u.item or movies.csv next to the data set's training file) or a file of 'item,feature' lines.",
        discussion: "An item's vector is then its own embedding plus the mean of its features' embeddings, so items never seen in training are placed by their features.",
        valueName: "genres|file"))
    var itemFeatures: String?

    @Option(help: ArgumentHelp(
        "User features: 'demographics' (age bucket, gender and occupation from u.user next to the training file) or a file of 'user,feature' lines.",
        valueName: "demographics|file"))
    var userFeatures: String?

    @Option(help: ArgumentHelp(
        "Cold-start protocol: hold this share of the items (seeded) out of training entirely and report the AUC of ranking them for each user (0: off).",
        valueName: "fraction"))
    var coldItems = 0.0

    @Option(help: ArgumentHelp(
        "With side features: the initial own embeddings of users and items that have features are scaled by this (0: they start at their features' mean).",
        valueName: "x"))
    var ownInitScale: Float = 0

    func validate() throws {
        guard coldItems.isFinite && coldItems >= 0 && coldItems < 1 else {
            throw HogwildError("--cold-items must be a fraction in [0, 1) (got \(coldItems))")
        }
        if itemFeatures?.isEmpty == true { throw HogwildError("--item-features needs 'genres' or a file name") }
        if userFeatures?.isEmpty == true { throw HogwildError("--user-features needs 'demographics' or a file name") }
        guard ownInitScale.isFinite && ownInitScale >= 0 else {
            throw HogwildError("--own-init-scale must be a finite number ≥ 0 (got \(ownInitScale))")
        }
    }

    /// Whether side features were asked for.
    var hybrid: Bool { itemFeatures != nil || userFeatures != nil }

    /// Whether the run needs a loss that samples its negatives: the full softmax neither takes
    /// side features nor can hold cold items out.
    var needsSampledLoss: Bool { hybrid || coldItems > 0 }

    /// One line naming the features, recorded in the model file.
    var description: String {
        [itemFeatures.map { "items: \($0)" }, userFeatures.map { "users: \($0)" }].compactMap { $0 }.joined(separator: "; ")
    }

    /// The side features for a fresh `model` of `dataset`, or `nil` when none were asked for.
    /// Scales the own rows of entities with features by `--own-init-scale`.
    func sideFeatures(for model: EmbeddingModel, dataset: Dataset) throws -> SideFeatures? {
        guard hybrid else { return nil }
        let trainFile = dataset.source.trainFile
        let folder = (trainFile as NSString).deletingLastPathComponent
        let items = try itemFeatures.map { spec in
            if spec == "genres" {
                guard dataset.source.synthetic == nil else { throw HogwildError("--item-features genres needs a MovieLens data set, not generated data") }
                return try FeatureMatrix.itemGenres(nextTo: trainFile, items: dataset.items)
            }
            return try FeatureMatrix.read(spec, ids: dataset.items)
        }
        let users = try userFeatures.map { spec in
            if spec == "demographics" {
                let file = folder.isEmpty ? "u.user" : "\(folder)/u.user"
                guard dataset.source.synthetic == nil, access(file, R_OK) == 0 else {
                    throw HogwildError("--user-features demographics needs ml-100k's u.user next to the training file (looked for '\(file)')")
                }
                return try FeatureMatrix.readUserDemographics(file, users: dataset.users)
            }
            return try FeatureMatrix.read(spec, ids: dataset.users)
        }
        return try SideFeatures(model: model, items: items, users: users, ownRowScale: ownInitScale)
    }
}
