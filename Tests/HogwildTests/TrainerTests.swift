import Foundation
import Hogwild
import Testing

/// Multi-worker training races on item rows by design; the ThreadSanitizer run sets HOGWILD_TSAN
/// to leave those tests out (every other test, the multi-threaded evaluator included, stays in).
let underThreadSanitizer = ProcessInfo.processInfo.environment["HOGWILD_TSAN"] != nil

@Suite("Hogwild trainer")
struct HogwildTrainerTests {
    static func setup(_ configure: (inout TrainingConfiguration) -> Void) throws -> (EmbeddingModel, HogwildTrainer, InteractionMatrix, InteractionMatrix) {
        var config = TrainingConfiguration()
        config.dimension = 16
        config.epochs = 8
        config.threads = 1
        configure(&config)
        let users = 120, items = 80
        let (tu, ti) = plantedInteractions(users: users, items: items, clusters: 4, perUser: 12, seed: 1)
        let (su, si) = plantedInteractions(users: users, items: items, clusters: 4, perUser: 3, seed: 2)
        let train = InteractionMatrix(userCount: users, itemCount: items, users: tu, items: ti)
        let test = InteractionMatrix(userCount: users, itemCount: items, users: su, items: si)
        let model = EmbeddingModel(configuration: config, users: idMap(users, prefix: "u"), items: idMap(items, prefix: "i"))
        return (model, try HogwildTrainer(model: model, train: train), train, test)
    }

    @Test(arguments: [(Loss.margin, Similarity.cosine), (.margin, .dot), (.bpr, .dot)])
    func learnsPlantedClusters(loss: Loss, similarity: Similarity) throws {
        let (model, trainer, train, test) = try Self.setup { $0.loss = loss; $0.similarity = similarity; $0.learningRate = similarity == .cosine ? 0.5 : 0.3 }
        let before = AUCEvaluator.evaluate(model: model, train: train, test: test, k: 10, threads: 2)
        var first: EpochStatistics? = nil, last: EpochStatistics? = nil
        for _ in 0..<8 {
            let s = try trainer.trainEpoch()
            first = first ?? s
            last = s
        }
        let after = AUCEvaluator.evaluate(model: model, train: train, test: test, k: 10, threads: 2)
        #expect(abs(before.auc - 0.5) < 0.1)
        #expect(after.auc > 0.9, "\(loss) on \(similarity): AUC \(after.auc)")
        #expect(last!.meanLoss < first!.meanLoss)
        #expect(last!.triplets + last!.skipped == train.nonZeroCount)
        #expect(last!.skipped > 0 && last!.skipped < train.nonZeroCount / 5)  // dense clusters: some negatives are positives
        #expect(model.epochsTrained == 8)
        // The padding beyond `dimension` stays zero.
        let padded = model.itemTable.withUnsafeHandle { h in (16..<h.stride).map { h.row(3)[$0] } }
        #expect(padded.allSatisfy { $0 == 0 })
    }

    @Test(arguments: [Similarity.cosine, .dot])
    func warpLearnsPlantedClustersAndIsReproducible(similarity: Similarity) throws {
        let configure = { (c: inout TrainingConfiguration) in
            c.loss = .warp; c.similarity = similarity; c.margin = similarity == .cosine ? 0.6 : 1
            c.learningRate = 0.05; c.maxSampled = 20; c.seed = 4
        }
        let (model, trainer, train, test) = try Self.setup(configure)
        let (twin, twinTrainer, _, _) = try Self.setup(configure)
        var stats: [EpochStatistics] = []
        for _ in 0..<8 { stats.append(try trainer.trainEpoch()); try twinTrainer.trainEpoch() }
        let after = AUCEvaluator.evaluate(model: model, train: train, test: test, k: 10, threads: 2)
        #expect(after.auc > 0.9, "WARP on \(similarity): AUC \(after.auc)")
        // Violations get rarer as the ranking improves, so fewer pairs update.
        #expect(stats.last!.violationRate < stats.first!.violationRate)
        #expect(stats.allSatisfy { $0.triplets == train.nonZeroCount && $0.meanLoss.isFinite })
        for r in 0..<model.itemTable.rowCount { #expect(model.itemTable.row(r) == twin.itemTable.row(r)) }
    }

    @Test func oneWorkerIsReproducibleBitForBit() throws {
        let (a, ta, _, _) = try Self.setup { $0.seed = 7 }
        let (b, tb, _, _) = try Self.setup { $0.seed = 7 }
        let (c, tc, _, _) = try Self.setup { $0.seed = 8 }
        for _ in 0..<3 { try ta.trainEpoch(); try tb.trainEpoch(); try tc.trainEpoch() }
        for r in 0..<a.itemTable.rowCount { #expect(a.itemTable.row(r) == b.itemTable.row(r)) }
        for r in 0..<a.userTable.rowCount { #expect(a.userTable.row(r) == b.userTable.row(r)) }
        #expect(a.itemTable.row(0) != c.itemTable.row(0))
    }

    @Test(.enabled(if: !underThreadSanitizer, "Hogwild item-row races are intended"))
    func severalWorkersTrainAsWell() throws {
        let (model, trainer, train, test) = try Self.setup { $0.threads = 3; $0.learningRate = 0.5 }
        for _ in 0..<8 { try trainer.trainEpoch() }
        let after = AUCEvaluator.evaluate(model: model, train: train, test: test, k: 10, threads: 3)
        #expect(after.auc > 0.9)
    }

    @Test func divergenceIsAnErrorNotNaN() throws {
        let (_, trainer, _, _) = try Self.setup { $0.loss = .margin; $0.similarity = .dot; $0.learningRate = 1e30; $0.initScale = 1e10 }
        #expect(throws: HogwildError.self) { for _ in 0..<5 { try trainer.trainEpoch() } }
    }

    @Test func invalidConfigurationsAreRejected() {
        var c = TrainingConfiguration()
        c.learningRate = .nan
        #expect(throws: HogwildError.self) { try c.validate() }
        c = TrainingConfiguration(); c.dimension = 0
        #expect(throws: HogwildError.self) { try c.validate() }
        c = TrainingConfiguration(); c.threads = 0
        #expect(throws: HogwildError.self) { try c.validate() }
        c = TrainingConfiguration(); c.loss = .bpr; c.similarity = .cosine
        #expect(throws: HogwildError.self) { try c.validate() }
    }
}

@Suite("Model files")
struct ModelFileTests {
    @Test func roundTripAndDamage() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        var config = TrainingConfiguration()
        config.dimension = 7
        config.seed = 3
        let model = EmbeddingModel(configuration: config, users: idMap(5, prefix: "ü"), items: idMap(9, prefix: "item "))
        let path = "\(folder.path)/m.hgw"
        try ModelFile.save(model, to: path)
        let (loaded, header) = try ModelFile.load(path)
        #expect(loaded.configuration == config && header.userCount == 5 && header.itemCount == 9)
        #expect(loaded.users == model.users && loaded.items == model.items)
        for r in 0..<9 { #expect(loaded.itemTable.row(r) == model.itemTable.row(r)) }
        for r in 0..<5 { #expect(loaded.userTable.row(r) == model.userTable.row(r)) }

        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        var flipped = good
        flipped[good.count / 2] ^= 0x10
        var wrongVersion = good
        wrongVersion[8] = 9
        let cases: [(Data, String)] = [
            (flipped, "checksum"), (good.prefix(good.count / 2), "checksum"), (good.prefix(10), "truncated"),
            (Data("not a model at all".utf8), "not a Hogwild model"), (wrongVersion, "version 9"), (Data(), "not a Hogwild model"),
        ]
        for (bytes, message) in cases {
            try bytes.write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: HogwildError.self) { try ModelFile.load(path) }
            #expect(error?.description.contains(message) == true, "\(error?.description ?? "-") should mention \(message)")
        }
    }

    @Test func failedSaveLeavesThePreviousFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = try folder.file("keep.txt", "previous")
        let error = #expect(throws: HogwildError.self) {
            try FileBytes.writeAtomically(path) { sink in
                try sink.write(Array("partial".utf8))
                throw HogwildError("simulated failure")
            }
        }
        #expect(error?.description == "simulated failure")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "previous")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["keep.txt"])
    }
}
