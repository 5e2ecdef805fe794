import Foundation
@testable import Hogwild
import HogwildTestSupport
import Testing

/// Multi-worker training races on item rows by design; the ThreadSanitizer run sets HOGWILD_TSAN
/// to leave those tests out (every other test, the multi-threaded evaluator included, stays in).
let underThreadSanitizer = ProcessInfo.processInfo.environment["HOGWILD_TSAN"] != nil

@Suite("Hogwild trainer")
struct HogwildTrainerTests {
    static func setup(_ configure: (inout TrainingConfiguration) -> Void) throws -> (EmbeddingModel, HogwildTrainer, InteractionMatrix, InteractionMatrix) {
        var config = TrainingConfiguration(loss: .margin)
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

    /// The same 6-epoch run twice (`setup`, one thread): trained through, and stopped after 3.
    static func wholeAndHalf(_ configure: (inout TrainingConfiguration) -> Void) throws
        -> (whole: EmbeddingModel, half: EmbeddingModel, train: InteractionMatrix) {
        let (whole, wholeTrainer, train, _) = try setup(configure)
        for _ in 0..<6 { try wholeTrainer.trainEpoch() }
        let (half, halfTrainer, _, _) = try setup(configure)
        for _ in 0..<3 { try halfTrainer.trainEpoch() }
        return (whole, half, train)
    }

    @Test("a model saved halfway and resumed ends bit for bit where an uninterrupted run ends, in every training path, Adagrad included",
          arguments: resumePaths)
    func resumeMatchesAnUninterruptedRun(loss: Loss, similarity: Similarity, candidates: Int, matcher: Matcher, optimizer: Optimizer) throws {
        let configure = { (c: inout TrainingConfiguration) in
            c = TrainingConfiguration(loss: loss, similarity: similarity)
            c.dimension = 16; c.epochs = 6; c.threads = 1
            c.negativeCandidates = candidates; c.matcher = matcher; c.optimizer = optimizer
            if matcher == .mlp { c.learningRate = 0.005; c.margin = 8; c.initScale = 0.3 }
        }
        let (whole, half, train) = try Self.wholeAndHalf(configure)
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = "\(folder.path)/half.hgw"
        try ModelFile.save(half, to: path)
        let loaded = try ModelFile.load(path).model
        #expect(loaded.adagradAccumulators?.array == half.adagradAccumulators?.array, "the accumulators round-trip exactly")
        let resumed = try HogwildTrainer(model: loaded, train: train)
        for _ in 0..<3 { try resumed.trainEpoch() }
        #expect(loaded.epochsTrained == 6)
        #expect((0..<80).allSatisfy { loaded.itemTable.row($0) == whole.itemTable.row($0) }, "item rows differ from the uninterrupted run")
        #expect((0..<120).allSatisfy { loaded.userTable.row($0) == whole.userTable.row($0) }, "user rows differ from the uninterrupted run")
        #expect(loaded.adagradAccumulators?.array == whole.adagradAccumulators?.array)
        if let network = loaded.network, let reference = whole.network {
            #expect(DeepMatcher.Part.allCases.allSatisfy { network.values($0) == reference.values($0) })
        }
    }

    @Test("Adagrad models are version 3 files; resumed with fresh accumulators (as before they were saved) a run goes elsewhere")
    func adagradAccumulatorsMatter() throws {
        let (whole, half, train) = try Self.wholeAndHalf { $0.optimizer = .adagrad; $0.epochs = 6 }
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try ModelFile.save(half, to: "\(folder.path)/half.hgw")
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(folder.path)/half.hgw"))[8] == 3, "an Adagrad model is a version 3 file")
        #expect(half.adagradAccumulators!.array.contains { $0 > 1.2 }, "three epochs moved the accumulators")
        let restarted = EmbeddingModel(configuration: half.configuration, users: half.users, items: half.items,
                                       userTable: half.userTable, itemTable: half.itemTable, epochsTrained: 3)
        let restartedTrainer = try HogwildTrainer(model: restarted, train: train)
        for _ in 0..<3 { try restartedTrainer.trainEpoch() }
        func mean(_ model: EmbeddingModel) -> Double {
            let values = model.adagradAccumulators!.array
            return values.reduce(0) { $0 + Double($1) } / Double(values.count)
        }
        #expect(mean(restarted) < 0.9 * mean(whole), "restarted \(mean(restarted)) vs uninterrupted \(mean(whole))")
        #expect(!(0..<80).allSatisfy { restarted.itemTable.row($0) == whole.itemTable.row($0) })
    }

    /// Every training path, as (loss, similarity, candidates, matcher).
    static let trainingPaths: [(Loss, Similarity, Int, Matcher)] = [
        (.margin, .cosine, 1, .bilinear), (.margin, .cosine, 4, .bilinear), (.bpr, .dot, 1, .bilinear),
        (.softmax, .cosine, 8, .bilinear), (.warp, .cosine, 1, .bilinear), (.margin, .cosine, 1, .mlp),
        (.fullSoftmax, .cosine, 1, .bilinear),
    ]
    /// Every training path with SGD, and the Adagrad ones.
    static let resumePaths: [(Loss, Similarity, Int, Matcher, Optimizer)] =
        trainingPaths.map { ($0.0, $0.1, $0.2, $0.3, .sgd) } + [(.margin, .cosine, 1, .bilinear, .adagrad), (.softmax, .cosine, 8, .bilinear, .adagrad)]

    @Test("--user-weight scales every pair's step by its user's weight, in every training path", arguments: trainingPaths)
    func userWeightReachesEveryPath(loss: Loss, similarity: Similarity, candidates: Int, matcher: Matcher) throws {
        // Users 0–59 keep 12 positives, users 60–119 only 2: with β = 1 their pairs weigh
        // 7/12 and 7/2 (c = 840 pairs / 120 users = 7).
        let users = 120, items = 80
        let (pu, pi) = plantedInteractions(users: users, items: items, clusters: 4, perUser: 12, seed: 1)
        var kept = [Int: Int](), tu: [Int32] = [], ti: [Int32] = []
        for (u, i) in zip(pu, pi) where u < 60 || kept[Int(u), default: 0] < 2 {
            kept[Int(u), default: 0] += 1
            tu.append(u); ti.append(i)
        }
        let train = InteractionMatrix(userCount: users, itemCount: items, users: tu, items: ti)
        func displacements(beta: Float) throws -> [Double] {
            var config = TrainingConfiguration(loss: loss, similarity: similarity)
            config.dimension = 16; config.epochs = 1; config.threads = 1
            config.negativeCandidates = candidates; config.matcher = matcher; config.userWeightExponent = beta
            if matcher == .mlp { config.learningRate = 0.005; config.margin = 8; config.initScale = 0.3 }
            let model = EmbeddingModel(configuration: config, users: idMap(users, prefix: "u"), items: idMap(items, prefix: "i"))
            let before = (0..<users).map { model.userTable.row($0) }
            try HogwildTrainer(model: model, train: train).trainEpoch()
            return (0..<users).map { u in
                zip(model.userTable.row(u), before[u]).reduce(0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }.squareRoot()
            }
        }
        let plain = try displacements(beta: 0), weighted = try displacements(beta: 1)
        func ratio(_ range: Range<Int>) -> Double { range.reduce(0) { $0 + weighted[$1] } / range.reduce(0) { $0 + plain[$1] } }
        #expect(ratio(60..<120) > 1.5, "light users, \(loss) \(similarity) \(candidates) \(matcher): \(ratio(60..<120))")
        #expect(ratio(0..<60) < 0.85, "heavy users, \(loss) \(similarity) \(candidates) \(matcher): \(ratio(0..<60))")
    }

    @Test("the softmax temperature moves linearly from the initial one to the final one, and training uses it",
          arguments: [Loss.softmax, .fullSoftmax])
    func temperatureSchedule(loss: Loss) throws {
        var config = TrainingConfiguration()
        config.epochs = 5; config.initialTemperature = 0.4; config.temperature = 0.2
        let expected: [Float] = [0.4, 0.35, 0.3, 0.25, 0.2]
        #expect(zip((0..<5).map(config.temperature(atEpoch:)), expected).allSatisfy { abs($0 - $1) < 1e-6 })
        config.initialTemperature = nil
        #expect((0..<5).allSatisfy { config.temperature(atEpoch: $0) == 0.2 })
        config.initialTemperature = 0.4; config.epochs = 1
        #expect(config.temperature(atEpoch: 0) == 0.2, "one epoch trains at the final temperature")

        // Wired into training: a schedule from 0.2 to 0.2 is the constant 0.2 bit for bit, one
        // from 0.4 is not.
        func trainedItems(initial: Float?) throws -> [[Float]] {
            let (model, trainer, _, _) = try Self.setup {
                $0 = TrainingConfiguration(loss: loss); $0.dimension = 16; $0.epochs = 3; $0.threads = 1
                $0.temperature = 0.2; $0.initialTemperature = initial
                if loss == .softmax { $0.negativeCandidates = 8 }
            }
            for _ in 0..<3 { try trainer.trainEpoch() }
            return (0..<80).map { model.itemTable.row($0) }
        }
        let constant = try trainedItems(initial: nil)
        #expect(try trainedItems(initial: 0.2) == constant)
        #expect(try trainedItems(initial: 0.4) != constant)
    }

    @Test("the full softmax trains seen items towards their users in proportion to --seen-weight, and only with it")
    func seenItemsReachTheFullSoftmax() throws {
        let users = 120, items = 80
        let (tu, ti) = plantedInteractions(users: users, items: items, clusters: 4, perUser: 12, seed: 1)
        let train = InteractionMatrix(userCount: users, itemCount: items, users: tu, items: ti)
        // Seen: for every user, 6 random items that are not among its positives.
        var rng = TestRandom(11), su: [Int32] = [], si: [Int32] = []
        for u in 0..<users {
            var picked = Set<Int32>()
            while picked.count < 6 {
                let item = Int32(rng.below(items))
                if !train.items(of: u).contains(item) { picked.insert(item) }
            }
            su += Array(repeating: Int32(u), count: 6); si += picked.sorted()
        }
        let seen = InteractionMatrix(userCount: users, itemCount: items, users: su, items: si)
        func seenCosine(weight: Float, passSeen: Bool = true) throws -> (Double, [Float]) {
            var config = TrainingConfiguration()
            config.dimension = 16; config.epochs = 5; config.threads = 1; config.seenWeight = weight
            let model = EmbeddingModel(configuration: config, users: idMap(users, prefix: "u"), items: idMap(items, prefix: "i"))
            let trainer = try HogwildTrainer(model: model, train: train, seen: passSeen ? seen : nil)
            for _ in 0..<5 { try trainer.trainEpoch() }
            var total = 0.0
            for u in 0..<users {
                let row = model.userTable.row(u).map(Double.init)
                for i in seen.items(of: u) {
                    let item = model.itemTable.row(Int(i)).map(Double.init)
                    let dot = zip(row, item).reduce(0) { $0 + $1.0 * $1.1 }
                    total += dot / (norm(row) * norm(item))
                }
            }
            return (total / Double(seen.nonZeroCount), model.itemTable.row(0))
        }
        func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        let (none, noneRow) = try seenCosine(weight: 0), (some, _) = try seenCosine(weight: 0.3), (more, _) = try seenCosine(weight: 1)
        #expect(none < some && some < more, "mean cosine to seen items: α 0 \(none), 0.3 \(some), 1 \(more)")
        // Without the matrix the weight changes nothing.
        #expect(try seenCosine(weight: 1, passSeen: false).1 == noneRow)
    }

    @Test func userWeightsAveragePairsToOne() {
        // Degrees 1, 4, 16 and 0 with β = 0.5: c = 21 / (1 + 2 + 4) = 3, weights 3, 1.5, 0.75, 0.
        let train = InteractionMatrix(userCount: 4, itemCount: 16, users: [0] + Array(repeating: 1, count: 4) + Array(repeating: 2, count: 16),
                                      items: [0] + (0..<4).map(Int32.init) + (0..<16).map(Int32.init))
        let weights = HogwildTrainer.userWeights(train, exponent: 0.5).array
        #expect(zip(weights, [3, 1.5, 0.75, 0] as [Float]).allSatisfy { abs($0 - $1) < 1e-5 }, "\(weights)")
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

    /// Configurations beyond the plain triplet step: the softmax losses, hard-negative mining, Adagrad.
    enum Variant: String, CaseIterable, CustomTestStringConvertible {
        case softmaxCosine, softmaxDot, softmaxAdagrad, hardestMargin, hardestBPR, marginAdagrad, fullSoftmax
        var testDescription: String { rawValue }
        func configure(_ c: inout TrainingConfiguration) {
            switch self {
            case .softmaxCosine: c.loss = .softmax; c.negativeCandidates = 8; c.temperature = 0.25; c.learningRate = 0.2
            case .softmaxDot: c.loss = .softmax; c.similarity = .dot; c.negativeCandidates = 8; c.temperature = 1; c.learningRate = 0.2; c.initScale = 0.1
            case .softmaxAdagrad: c.loss = .softmax; c.negativeCandidates = 8; c.temperature = 0.25; c.learningRate = 0.5; c.optimizer = .adagrad
            case .hardestMargin: c.negativeCandidates = 8; c.margin = 0.8; c.learningRate = 0.2
            case .hardestBPR: c.loss = .bpr; c.similarity = .dot; c.negativeCandidates = 8; c.learningRate = 0.3
            case .marginAdagrad: c.optimizer = .adagrad; c.learningRate = 1
            case .fullSoftmax: c.loss = .fullSoftmax; c.negatives = .uniform; c.temperature = 0.25; c.learningRate = 0.2
            }
        }
    }

    @Test(arguments: Variant.allCases)
    func everyLossSamplerAndOptimiserLearnsPlantedClusters(variant: Variant) throws {
        let name = variant.rawValue
        let (model, trainer, train, test) = try Self.setup { variant.configure(&$0); $0.seed = 5 }
        let (twin, twinTrainer, _, _) = try Self.setup { variant.configure(&$0); $0.seed = 5 }
        var stats: [EpochStatistics] = []
        for _ in 0..<8 { stats.append(try trainer.trainEpoch()); try twinTrainer.trainEpoch() }
        let after = AUCEvaluator.evaluate(model: model, train: train, test: test, k: 10, threads: 2)
        #expect(after.auc > 0.9, "\(name): AUC \(after.auc)")
        #expect(stats.last!.meanLoss < stats.first!.meanLoss, "\(name): loss \(stats.first!.meanLoss) → \(stats.last!.meanLoss)")
        #expect(stats.allSatisfy { $0.triplets + $0.skipped == train.nonZeroCount && $0.meanLoss.isFinite })
        for r in 0..<model.itemTable.rowCount { #expect(model.itemTable.row(r) == twin.itemTable.row(r)) }
    }

    /// Hard-negative mining must train on the candidate the model scores highest. Users are set
    /// near one direction and an extra item that no user has is set close to it: it outscores
    /// every other item for every user, so with enough candidates it is the negative of nearly
    /// every triplet — it moves far more than any other row, and away from the users.
    @Test(arguments: [Loss.margin, .bpr])
    func hardNegativeMiningTrainsOnTheHighestScoringCandidate(loss: Loss) throws {
        let users = 60, items = 40, dimension = 8
        let (tu, ti) = plantedInteractions(users: users, items: items, clusters: 4, perUser: 6, seed: 3)
        let train = InteractionMatrix(userCount: users, itemCount: items + 1, users: tu, items: ti)
        var config = TrainingConfiguration(loss: .margin)
        config.dimension = dimension; config.epochs = 1; config.threads = 1; config.seed = 2
        config.loss = loss; config.similarity = loss == .bpr ? .dot : .cosine
        config.negativeCandidates = 256; config.learningRate = 0.001; config.margin = 2.5; config.initScale = 1
        let model = EmbeddingModel(configuration: config, users: idMap(users, prefix: "u"), items: idMap(items + 1, prefix: "i"))
        var rng = TestRandom(9)
        // d: a unit vector; e: a unit vector orthogonal to it. Users sit at d + e/2 (plus a little
        // noise), so the cosine gradient that pushes d away from them is consistent (along −e)
        // instead of cancelling out, as it would for users spread evenly around d.
        let d = [Float](repeating: 1 / Float(dimension).squareRoot(), count: dimension)
        let e: [Float] = [1 / Float(2).squareRoot(), -1 / Float(2).squareRoot()] + [Float](repeating: 0, count: dimension - 2)
        for u in 0..<users { model.userTable.setRow(u, (0..<dimension).map { d[$0] + 0.5 * e[$0] + 0.05 * rng.symmetric() }) }
        // Other items orthogonal to d and e, so that their scores stay well below the planted one's.
        for i in 0..<items {
            var row = model.itemTable.row(i)
            for axis in [d, e] {
                let along = zip(row, axis).reduce(0) { $0 + $1.0 * $1.1 }
                row = zip(row, axis).map { $0 - along * $1 }
            }
            model.itemTable.setRow(i, row)
        }
        let planted = items  // the extra item: nobody's positive
        model.itemTable.setRow(planted, d)
        let before = (0...items).map { model.itemTable.row($0) }
        let trainer = try HogwildTrainer(model: model, train: train)
        try trainer.trainEpoch()
        let moved = (0...items).map { i in zip(model.itemTable.row(i), before[i]).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot() }
        let othersMax = moved[0..<items].max()!
        #expect(moved[planted] > 5 * othersMax, "\(loss): the planted item moved \(moved[planted]), others at most \(othersMax)")
        let userDirection = (0..<dimension).map { d[$0] + 0.5 * e[$0] }
        let affinity = { (row: [Float]) in zip(row, userDirection).reduce(0) { $0 + $1.0 * $1.1 } / zip(row, row).reduce(0) { $0 + $1.0 * $1.1 }.squareRoot() }
        #expect(affinity(model.itemTable.row(planted)) < affinity(d), "\(loss): the planted item did not move away from the users")
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
        c = TrainingConfiguration(); c.loss = .warp; c.negativeCandidates = 4
        #expect(throws: HogwildError.self) { try c.validate() }
        c = TrainingConfiguration(); c.negativeCandidates = 0
        #expect(throws: HogwildError.self) { try c.validate() }
        c = TrainingConfiguration(); c.loss = .softmax; c.temperature = 0
        #expect(throws: HogwildError.self) { try c.validate() }
    }
}

@Suite("Model files")
struct ModelFileTests {
    @Test func roundTripAndDamage() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        var config = TrainingConfiguration(loss: .margin)
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
