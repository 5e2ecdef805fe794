import HogwildTestSupport
import Foundation
import Hogwild
import Testing

/// `s(u,i) = Σ_h w2[h]·relu(b1[h] + Σ_k Wu[h,k]·u[k] + Wi[h,k]·i[k])` in `Double`, from the
/// network's values and the tables' rows: an independent re-computation of every MLP score.
func bruteForceMLPScores(_ model: EmbeddingModel) -> [[Double]] {
    let network = model.network!
    let d = network.dimension, hidden = network.hidden
    let wu = network.values(.userWeights).map(Double.init), wi = network.values(.itemWeights).map(Double.init)
    let b1 = network.values(.hiddenBias).map(Double.init), w2 = network.values(.outputWeights).map(Double.init)
    let items = (0..<model.items.count).map { model.itemTable.row($0).map(Double.init) }
    return (0..<model.users.count).map { u in
        let user = model.userTable.row(u).map(Double.init)
        return items.map { item in
            (0..<hidden).reduce(0.0) { sum, h in
                var z = b1[h]
                for k in 0..<d { z += wu[h * d + k] * user[k] + wi[h * d + k] * item[k] }
                return sum + w2[h] * max(0, z)
            }
        }
    }
}

@Suite("MLP matcher: scoring, model files, training")
struct DeepMatcherTests {
    static func mlpModel(users: Int, items: Int, dimension: Int, hidden: Int, seed: UInt64,
                         configure: (inout TrainingConfiguration) -> Void = { _ in }) -> EmbeddingModel {
        var config = TrainingConfiguration(loss: .margin)
        config.matcher = .mlp
        config.dimension = dimension
        config.hidden = hidden
        config.seed = seed
        configure(&config)
        let model = EmbeddingModel(configuration: config, users: idMap(users, prefix: "u"), items: idMap(items, prefix: "i"))
        // A non-zero hidden bias, so the test covers it (training starts it at 0).
        var rng = TestRandom(seed)
        model.network!.setValues(.hiddenBias, rng.vector(hidden, scale: 0.3))
        return model
    }

    /// The evaluator's MLP scoring against brute-force Double scores and pairwise AUC, for
    /// hidden sizes below, at and across the lane width, with 1 and 3 threads.
    @Test(arguments: [(7, 5), (16, 16), (9, 37)])
    func evaluatorMatchesBruteForce(dimension: Int, hidden: Int) {
        let users = 30, items = 40
        let model = Self.mlpModel(users: users, items: items, dimension: dimension, hidden: hidden, seed: UInt64(hidden))
        var rng = TestRandom(11)
        var tu: [Int32] = [], ti: [Int32] = [], su: [Int32] = [], si: [Int32] = []
        for u in 0..<users {
            for _ in 0..<rng.below(8) { tu.append(Int32(u)); ti.append(Int32(rng.below(items))) }
            if u % 4 != 0 { for _ in 0..<(1 + rng.below(3)) { su.append(Int32(u)); si.append(Int32(rng.below(items))) } }
        }
        let train = InteractionMatrix(userCount: users, itemCount: items, users: tu, items: ti)
        let test = InteractionMatrix(userCount: users, itemCount: items, users: su, items: si)
        let scores = bruteForceMLPScores(model)
        var aucSum = 0.0, hitSum = 0.0, evaluated = 0
        for u in 0..<users {
            let row = scores[u].map { Float($0) }
            let excluded = Set(train.items(of: u).map(Int.init)), positives = Set(test.items(of: u).map(Int.init))
            guard let auc = bruteForceAUC(scores: row, excluded: excluded, positives: positives) else { continue }
            aucSum += auc
            hitSum += Double(bruteForceHits(scores: row, excluded: excluded, positives: positives, k: 5))
            evaluated += 1
        }
        for threads in [1, 3] {
            let e = AUCEvaluator.evaluate(model: model, train: train, test: test, k: 5, threads: threads)
            #expect(e.usersEvaluated == evaluated)
            // Float vs Double scores may swap a near-tie; 1e-3 allows one such swap.
            #expect(abs(e.auc - aucSum / Double(evaluated)) <= 1e-3, "AUC \(e.auc) vs \(aucSum / Double(evaluated))")
            #expect(abs(e.precisionAtK - hitSum / 5 / Double(evaluated)) <= 1e-2)
        }
        // The recommender scores through the same network.
        let recommender = Recommender(model: model)
        for (u, i) in [(0, 0), (3, 17), (29, 39)] {
            #expect(abs(Double(recommender.score(user: u, item: i)) - scores[u][i]) <= 1e-5 * max(1, abs(scores[u][i])))
        }
        let seen = train.items(of: 2).map(Int.init)
        let top = recommender.topItems(for: 2, k: 5, excluding: seen).map(\.item)
        let expected = (0..<items).filter { !seen.contains($0) }.sorted { scores[2][$0] > scores[2][$1] }.prefix(5)
        #expect(top == Array(expected))
    }

    @Test func modelFilesRoundTripTheNetwork() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let model = Self.mlpModel(users: 6, items: 9, dimension: 7, hidden: 19, seed: 4)
        let path = "\(folder.path)/mlp.hgw"
        try ModelFile.save(model, to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(bytes[8] == 2, "an MLP model is a version 2 file")
        let (loaded, header) = try ModelFile.load(path)
        #expect(header.configuration == model.configuration && loaded.configuration.matcher == .mlp)
        let network = try #require(loaded.network)
        for part in DeepMatcher.Part.allCases { #expect(network.values(part) == model.network!.values(part), "\(part)") }
        for r in 0..<9 { #expect(loaded.itemTable.row(r) == model.itemTable.row(r)) }
        #expect(bruteForceMLPScores(loaded) == bruteForceMLPScores(model))

        // Bilinear models stay version 1 files.
        let bilinear = EmbeddingModel(configuration: TrainingConfiguration(loss: .margin), users: idMap(2, prefix: "u"), items: idMap(3, prefix: "i"))
        try ModelFile.save(bilinear, to: "\(folder.path)/bilinear.hgw")
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(folder.path)/bilinear.hgw"))[8] == 1)
        #expect(try ModelFile.load("\(folder.path)/bilinear.hgw").model.network == nil)

        // Damage anywhere, the network section included, is a one-line error.
        var flipped = bytes
        flipped[bytes.count - 20] ^= 0x01  // inside w2
        for (damaged, message) in [(flipped, "checksum"), (bytes.prefix(bytes.count - 12), "checksum")] {
            try damaged.write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: HogwildError.self) { try ModelFile.load(path) }
            #expect(error?.description.contains(message) == true, "\(error?.description ?? "-")")
        }
    }

    static func plantedSetup(_ configure: (inout TrainingConfiguration) -> Void) throws
        -> (EmbeddingModel, HogwildTrainer, InteractionMatrix, InteractionMatrix) {
        let users = 120, items = 80
        let (tu, ti) = plantedInteractions(users: users, items: items, clusters: 4, perUser: 12, seed: 1)
        let (su, si) = plantedInteractions(users: users, items: items, clusters: 4, perUser: 3, seed: 2)
        let train = InteractionMatrix(userCount: users, itemCount: items, users: tu, items: ti)
        let test = InteractionMatrix(userCount: users, itemCount: items, users: su, items: si)
        var config = TrainingConfiguration(loss: .margin)
        config.matcher = .mlp
        config.dimension = 16
        config.hidden = 24
        config.epochs = 10
        config.threads = 1
        config.learningRate = 0.05
        config.margin = 1
        configure(&config)
        let model = EmbeddingModel(configuration: config, users: idMap(users, prefix: "u"), items: idMap(items, prefix: "i"))
        return (model, try HogwildTrainer(model: model, train: train), train, test)
    }

    @Test(arguments: [Loss.margin, .bpr])
    func learnsPlantedClustersReproducibly(loss: Loss) throws {
        // BPR's gradient is σ(−Δ) ≤ 1 where the hinge's is 1: a larger step.
        let configure = { (c: inout TrainingConfiguration) in c.loss = loss; c.seed = 3; c.learningRate = loss == .bpr ? 0.15 : 0.05 }
        let (model, trainer, train, test) = try Self.plantedSetup(configure)
        let (twin, twinTrainer, _, _) = try Self.plantedSetup(configure)
        let network = try #require(model.network)
        let before = AUCEvaluator.evaluate(model: model, train: train, test: test, k: 10, threads: 2)
        let initialWeights = network.values(.itemWeights)
        var stats: [EpochStatistics] = []
        for _ in 0..<10 {
            stats.append(try trainer.trainEpoch())
            try twinTrainer.trainEpoch()
        }
        let after = AUCEvaluator.evaluate(model: model, train: train, test: test, k: 10, threads: 2)
        #expect(abs(before.auc - 0.5) < 0.15)
        #expect(after.auc > 0.9, "\(loss): AUC \(after.auc)")
        #expect(stats.last!.meanLoss < stats.first!.meanLoss)
        #expect(stats.last!.triplets + stats.last!.skipped == train.nonZeroCount)
        #expect(network.values(.itemWeights) != initialWeights)  // the network trains, not just the rows
        // One worker and a seed: bit for bit.
        for part in DeepMatcher.Part.allCases { #expect(network.values(part) == twin.network!.values(part)) }
        for r in 0..<model.itemTable.rowCount { #expect(model.itemTable.row(r) == twin.itemTable.row(r)) }
        // Row padding stays zero.
        let padded = model.itemTable.withUnsafeHandle { h in (16..<h.stride).map { h.row(5)[$0] } }
        #expect(padded.allSatisfy { $0 == 0 })
    }

    @Test(.enabled(if: !underThreadSanitizer, "Hogwild item-row (and shared dense-weight) races are intended"),
          arguments: [DenseWeightSharing.averaged, .shared])
    func severalWorkersTrainAsWell(sharing: DenseWeightSharing) throws {
        // Averaging 3 copies moves the dense weights a third as far per triplet: twice the epochs.
        let (model, trainer, train, test) = try Self.plantedSetup {
            $0.threads = 3; $0.denseWeights = sharing; $0.averageEvery = 100; $0.epochs = 20
        }
        for _ in 0..<20 { try trainer.trainEpoch() }
        let after = AUCEvaluator.evaluate(model: model, train: train, test: test, k: 10, threads: 3)
        #expect(after.auc > 0.9, "\(sharing): AUC \(after.auc)")
    }

    @Test func invalidMLPConfigurationsAreRejected() {
        var c = TrainingConfiguration(loss: .margin)
        c.matcher = .mlp
        c.loss = .bpr  // BPR needs no similarity with the MLP
        #expect(throws: Never.self) { try c.validate() }
        c.loss = .warp
        #expect(throws: HogwildError.self) { try c.validate() }
        c = TrainingConfiguration(loss: .margin); c.matcher = .mlp; c.hidden = 0
        #expect(throws: HogwildError.self) { try c.validate() }
        c = TrainingConfiguration(loss: .margin); c.matcher = .mlp; c.averageEvery = 0
        #expect(throws: HogwildError.self) { try c.validate() }
    }
}
