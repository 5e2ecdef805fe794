import Foundation
import Hogwild
import Testing

@Suite("Synthetic data and the binary interaction format")
struct ScaleDataTests {
    static func small() -> SyntheticSpec {
        var s = SyntheticSpec()
        s.users = 700
        s.items = 300
        s.interactions = 12_000
        s.clusters = 6
        s.holdout = 2
        s.seed = 5
        return s
    }

    @Test func generatorIsDeterministicAcrossThreadCounts() {
        let (a, ta) = SyntheticData.generate(Self.small(), threads: 1)
        let (b, tb) = SyntheticData.generate(Self.small(), threads: 3)
        var other = Self.small()
        other.seed = 6
        let (c, _) = SyntheticData.generate(other, threads: 1)
        var differs = false
        for u in 0..<a.userCount {
            #expect(a.items(of: u) == b.items(of: u))
            #expect(ta.items(of: u) == tb.items(of: u))
            #expect(Set(a.items(of: u)).isDisjoint(with: ta.items(of: u)))
            differs = differs || a.items(of: u) != c.items(of: u)
        }
        #expect(differs)
        // With clusters roomy enough for every user's activity, distinct interactions reach the
        // target (duplicates are redrawn), within 2 %.
        var roomy = Self.small()
        roomy.items = 3_000
        let (r, tr) = SyntheticData.generate(roomy, threads: 2)
        let total = r.nonZeroCount + tr.nonZeroCount
        #expect(abs(Double(total) / 12_000 - 1) < 0.02, "\(total)")
    }

    @Test func plantedClustersAreLearnable() throws {
        let (train, test) = SyntheticData.generate(Self.small(), threads: 2)
        var config = TrainingConfiguration(loss: .margin)
        config.dimension = 16
        config.epochs = 10
        let model = EmbeddingModel(configuration: config, users: IDMap(denseCount: 700), items: IDMap(denseCount: 300))
        let trainer = try HogwildTrainer(model: model, train: train)
        for _ in 0..<10 { try trainer.trainEpoch() }
        let e = AUCEvaluator.evaluate(model: model, train: train, test: test, threads: 2)
        #expect(e.auc > 0.8, "AUC \(e.auc)")
        let sampled = AUCEvaluator.evaluate(model: model, train: train, test: test, threads: 2, sampleUsers: 50, seed: 3)
        #expect(sampled.usersEvaluated == 50)
        #expect(abs(sampled.auc - e.auc) < 0.1)
    }

    @Test func binaryFileRoundTripsAndRejectsDamage() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let (train, test) = SyntheticData.generate(Self.small(), threads: 2)
        let path = "\(folder.path)/d.hgwi"
        try InteractionFile.write(train: train, test: test, to: path)
        #expect(InteractionFile.isInteractionFile(path))
        let d = try Dataset.load(DataSource(name: "d", trainFile: path), minRating: 4, holdout: 10, seed: 1)
        #expect(d.users.count == 700 && d.items.count == 300 && d.users.isDense)
        for u in 0..<700 {
            #expect(d.train.items(of: u) == train.items(of: u))
            #expect(d.test.items(of: u) == test.items(of: u))
        }
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        // The first train item index sits right after the header and the 701 train offsets.
        var outOfRange = good
        let firstItem = 48 + 701 * 8
        outOfRange.replaceSubrange(firstItem..<(firstItem + 4), with: [0xFF, 0xFF, 0x00, 0x00])
        let cases: [(Data, String)] = [
            (good.prefix(good.count - 3), "truncated"), (good + [0, 0], "unexpected trailing bytes"),
            (good.prefix(20), "truncated"), (outOfRange, "out of range"),
        ]
        for (bytes, message) in cases {
            try bytes.write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: HogwildError.self) { try InteractionFile.read(path) }
            #expect(error?.description.contains(message) == true, "\(error?.description ?? "-") should mention \(message)")
        }
    }

    @Test func denseIDMapsBehaveLikeNamedOnes() throws {
        var dense = IDMap(denseCount: 3)
        #expect(dense.count == 3 && dense.id(at: 2) == "2" && dense.index(of: "1") == 1)
        #expect(dense.index(of: "3") == nil && dense.index(of: "01") == nil && dense.index(of: "x") == nil)
        #expect(dense.intern("2") == 2 && dense.isDense)
        #expect(dense.intern("new") == 3 && !dense.isDense)
        #expect(dense.ids == ["0", "1", "2", "new"])
        #expect(try IDMap(ids: ["0", "1", "2", "new"]) == dense)
        let spelled = try IDMap(ids: ["0", "1"])
        #expect(IDMap(denseCount: 4).isIdentity && spelled.isIdentity && !dense.isIdentity)
        // A model trained on dense ids reads back with named maps; the dense data must still match.
        let (train, test) = SyntheticData.generate(Self.small(), threads: 1)
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try InteractionFile.write(train: train, test: test, to: "\(folder.path)/d.hgwi")
        let model = EmbeddingModel(configuration: TrainingConfiguration(loss: .margin), users: IDMap(denseCount: 700), items: IDMap(denseCount: 300))
        try ModelFile.save(model, to: "\(folder.path)/m.hgw")
        let (loaded, _) = try ModelFile.load("\(folder.path)/m.hgw")
        let d = try Dataset.load(DataSource(name: "d", trainFile: "\(folder.path)/d.hgwi"), minRating: 4, holdout: 0, seed: 1,
                                 ids: (loaded.users, loaded.items))
        #expect(d.users.count == 700)
    }
}

@Suite("Alias table and popularity-weighted negatives")
struct AliasTableTests {
    @Test func drawsMatchTheWeights() {
        let weights: [Double] = [5, 0, 1, 3, 0.5, 10, 0.5]
        let table = AliasTable(weights: weights)
        var rng = RandomSource(seed: 9)
        var counts = [Int](repeating: 0, count: weights.count)
        let draws = 400_000
        for _ in 0..<draws { counts[table.sample(&rng)] += 1 }
        let total = weights.reduce(0, +)
        for (i, w) in weights.enumerated() {
            let expected = Double(draws) * w / total
            // 5 standard deviations of a binomial count; a zero weight is never drawn.
            let tolerance = 5 * (expected * (1 - w / total)).squareRoot() + (w == 0 ? 0 : 1)
            #expect(abs(Double(counts[i]) - expected) <= tolerance, "outcome \(i): \(counts[i]) vs \(expected)")
        }
    }

    @Test func popularityWeightedNegativesTrain() throws {
        let (train, test) = SyntheticData.generate(ScaleDataTests.small(), threads: 1)
        var config = TrainingConfiguration(loss: .margin)
        config.dimension = 16
        config.negativeExponent = 0.5
        let model = EmbeddingModel(configuration: config, users: IDMap(denseCount: 700), items: IDMap(denseCount: 300))
        let trainer = try HogwildTrainer(model: model, train: train)
        for _ in 0..<10 { try trainer.trainEpoch() }
        #expect(AUCEvaluator.evaluate(model: model, train: train, test: test, threads: 1).auc > 0.75)
        var bad = TrainingConfiguration()
        bad.negativeExponent = .nan
        #expect(throws: HogwildError.self) { try bad.validate() }
    }
}
