import Foundation
import Hogwild
import Testing

/// The README's "Using the library" example, kept compiling and passing here.
@Suite("README library example")
struct LibraryUsageTests {
    @Test func readmeExampleRuns() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let exportFolder = "\(folder.path)/embeddings"

        // --- README example starts ---
        // Data: a catalogue name, a file of user,item[,rating] lines, or generated data.
        let source = try DataCatalog.resolve("synthetic", test: nil, environment: ProcessInfo.processInfo.environment)
        let data = try Dataset.load(source, minRating: 4, holdout: 5, seed: 1)

        var config = TrainingConfiguration()  // full softmax on cosine, dim 64: the tuned defaults
        config.threads = 2
        let model = EmbeddingModel(configuration: config, users: data.users, items: data.items)
        let trainer = try HogwildTrainer(model: model, train: data.train, seen: data.seen)  // seen: rated below minRating
        for _ in 0..<config.epochs {
            let epoch = try trainer.trainEpoch()
            print("epoch \(epoch.epoch): loss \(epoch.meanLoss), \(Int(epoch.tripletsPerSecond)) triplets/s")
        }

        let quality = AUCEvaluator.evaluate(model: model, train: data.train, test: data.test, threads: 2)
        print("AUC \(quality.auc), P@10 \(quality.precisionAtK)")

        // Score: the top 10 unseen items for the user with id "42".
        let recommender = Recommender(model: model)
        let user = try Recommender.userIndex(of: "42", in: data.users)
        let top = recommender.topItems(for: user, k: 10, excluding: data.train.items(of: user).map(Int.init))
        print(top.map { data.items.id(at: $0.item) })

        // Keep and export: a model file, and users.npy / items.npy for numpy.
        try ModelFile.save(model, to: "\(folder.path)/model.hgw", source: source, evaluation: quality)
        try EmbeddingExport.export(model, format: .npy, to: exportFolder)
        // --- README example ends ---

        #expect(quality.auc > 0.85)
        #expect(top.count == 10 && Set(top.map(\.item)).isDisjoint(with: data.train.items(of: user).map(Int.init)))
        #expect(FileManager.default.fileExists(atPath: "\(exportFolder)/items.npy"))
    }
}
