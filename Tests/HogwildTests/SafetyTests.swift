import Foundation
@testable import Hogwild
import Testing

/// Nothing non-finite is trained on, saved or loaded; huge cutoffs and counts never trap;
/// degenerate data is an error; the memory estimate refuses what cannot fit.
@Suite("Divergence, huge k, degenerate data and the memory estimate")
struct SafetyTests {
    /// Whether a row is sound by an independent reference: every entry finite and the sum of
    /// squares, in Double, within Float's range.
    static func rowIsSound(_ row: [Float]) -> Bool {
        row.allSatisfy(\.isFinite) && row.reduce(0.0) { $0 + Double($1) * Double($1) } <= Double(Float.greatestFiniteMagnitude)
    }

    /// A trainer of a fresh 8-dimensional `loss` model (one thread, 3 epochs at `learningRate`)
    /// on 40 users × 60 items of planted clusters.
    static func plantedTrainer(_ loss: Loss, learningRate: Float? = nil) throws -> (EmbeddingModel, HogwildTrainer) {
        var config = TrainingConfiguration(loss: loss)
        config.dimension = 8
        config.threads = 1
        config.epochs = 3
        config.learningRate = learningRate ?? config.learningRate
        let (u, i) = plantedInteractions(users: 40, items: 60, clusters: 4, perUser: 8, seed: 3)
        let model = EmbeddingModel(configuration: config, users: idMap(40, prefix: "u"), items: idMap(60, prefix: "i"))
        return (model, try HogwildTrainer(model: model, train: InteractionMatrix(userCount: 40, itemCount: 60, users: u, items: i)))
    }

    @Test("a table's first unsound row: NaN, infinity, or a finite row whose square overflows; sound rows whose total overflows pass")
    func firstNonFiniteRow() {
        let table = EmbeddingTable(rowCount: 6, dimension: 5)
        for r in 0..<6 { table.setRow(r, (0..<5).map { Float(r + $0) / 7 }) }
        #expect(table.firstNonFiniteRow() == nil)
        // Each row's square is 2.25e38 (finite), the table's total 1.35e39 is not.
        for r in 0..<6 { table.setRow(r, [1.5e19, 0, 0, 0, 0]) }
        #expect((0..<6).allSatisfy { Self.rowIsSound(table.row($0)) })
        #expect(table.firstNonFiniteRow() == nil)
        for (row, values) in [(4, [Float(2e19), 0, 0, 0, 0]), (2, [0, .nan, 0, 0, 0]), (1, [0, 0, 0, 0, -.infinity])] {
            let t = EmbeddingTable(rowCount: 6, dimension: 5)
            t.setRow(row, values)
            #expect(!Self.rowIsSound(t.row(row)))
            #expect(t.firstNonFiniteRow() == row, "\(values)")
        }
    }

    @Test("a diverging learning rate stops training after the epoch with one line naming the epoch and --lr, for every loss",
          arguments: [Loss.fullSoftmax, .margin, .warp, .softmax])
    func divergenceStopsTraining(loss: Loss) throws {
        let learningRate: Float = loss == .fullSoftmax ? 1e20 : 3.4e38
        let (model, trainer) = try Self.plantedTrainer(loss, learningRate: learningRate)
        let error = #expect(throws: HogwildError.self) { for _ in 0..<3 { try trainer.trainEpoch() } }
        let text = error?.description ?? ""
        #expect(text.contains("diverged in epoch \(model.epochsTrained)") && text.contains("--lr \(learningRate)"), "\(text)")
        #expect(!text.contains("\n"))
        // Some row is broken by the independent reference, so the stop was no false alarm.
        let rows = (0..<40).map { model.userTable.row($0) } + (0..<60).map { model.itemTable.row($0) }
        #expect(rows.contains { !Self.rowIsSound($0) })
    }

    @Test("a sane learning rate trains without a divergence error (the check does not fire on sound tables)")
    func saneRunPasses() throws {
        let (model, trainer) = try Self.plantedTrainer(.fullSoftmax)
        for _ in 0..<3 { try trainer.trainEpoch() }
        #expect((0..<60).allSatisfy { Self.rowIsSound(model.itemTable.row($0)) })
    }

    @Test("the epoch-end check covers the feature rows of a hybrid model and the loss")
    func featureRowsAndLoss() throws {
        var config = TrainingConfiguration(loss: .margin)
        config.dimension = 5
        let model = EmbeddingModel(configuration: config, users: idMap(2, prefix: "u"), items: idMap(3, prefix: "i"))
        let items = FeatureMatrix(entityCount: 3, assignments: [(0, "g"), (1, "h"), (2, "h")], origin: "test")
        let features = try SideFeatures(model: model, items: items, users: nil)
        let train = InteractionMatrix(userCount: 2, itemCount: 3, users: [0, 1], items: [1, 2])
        let trainer = try HogwildTrainer(model: model, train: train, features: features)
        #expect(throws: Never.self) { try trainer.checkFinite(epoch: 1, loss: 0.5) }
        let loss = #expect(throws: HogwildError.self) { try trainer.checkFinite(epoch: 2, loss: .infinity) }
        #expect(loss?.description.contains("epoch 2") == true && loss?.description.contains("the loss") == true)
        features.itemTable.setRow(1, [0, 0, 3e19, 0, 0])
        let row = #expect(throws: HogwildError.self) { try trainer.checkFinite(epoch: 3, loss: 0.5) }
        #expect(row?.description.contains("item feature row 1") == true, "\(row?.description ?? "-")")
    }

    @Test("ModelFile.load refuses a model holding NaN or a row whose square overflows, naming the file")
    func loadRefusesNonFiniteModels() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        var config = TrainingConfiguration(loss: .margin)
        config.dimension = 3
        for (table, values) in [("item", [Float.nan, 0, 0]), ("user", [Float(1e20), 0, 0])] {
            let model = EmbeddingModel(configuration: config, users: idMap(4, prefix: "u"), items: idMap(5, prefix: "i"))
            (table == "item" ? model.itemTable : model.userTable).setRow(2, values)
            let path = "\(folder.path)/\(table).hgw"
            try ModelFile.save(model, to: path)
            let error = #expect(throws: HogwildError.self) { try ModelFile.load(path) }
            #expect(error?.description.contains("'\(path)'") == true && error?.description.contains("\(table) row 2") == true,
                    "\(error?.description ?? "-")")
        }
    }

    @Test("a huge k ranks the whole catalogue instead of trapping")
    func hugeK() throws {
        let huge = 4_611_686_018_427_387_903
        let scores: [Float] = [0.9, 0.1, 0.5, 0.7, 0.3]
        // Candidates 1, 2, 3, 4 (item 0 is excluded); positives 3 (0.7) and 1 (0.1): 0.7 beats
        // both negatives, 0.1 neither, so AUC 2/4; both positives are in the top k.
        let m = try #require(AUCEvaluator.rankMetrics(scores: scores, excluded: [0], positives: [1, 3], k: huge))
        #expect(m.auc == 0.5 && m.hits == 2 && m.positives == 2)
        var config = TrainingConfiguration(loss: .margin)
        config.dimension = 4
        let model = EmbeddingModel(configuration: config, users: idMap(3, prefix: "u"), items: idMap(7, prefix: "i"))
        let recommender = Recommender(model: model)
        #expect(recommender.topItems(for: 1, k: huge, excluding: [2]).map(\.item).sorted() == [0, 1, 3, 4, 5, 6])
        #expect(recommender.similarItems(to: 3, k: huge).map(\.item).sorted() == [0, 1, 2, 4, 5, 6])
        #expect(throws: HogwildError.self) { try AUCEvaluator.checkCutoff(huge, itemCount: 1682) }
        #expect(throws: Never.self) { try AUCEvaluator.checkCutoff(1682, itemCount: 1682) }
    }

    @Test("no positive at --min-rating names the ratings found; a rating Float cannot hold is a file:line error")
    func degenerateRatings() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = try folder.file("r.tsv", "1\t1\t2\n1\t2\t5\n2\t1\t3.5\n")
        let error = #expect(throws: HogwildError.self) {
            try Dataset.load(DataSource(name: "r", trainFile: path), minRating: 6, holdout: 0, seed: 1)
        }
        #expect(error?.description.contains("from 2.0 to 5.0") == true && error?.description.contains("--min-rating 6") == true,
                "\(error?.description ?? "-")")
        #expect(try Dataset.load(DataSource(name: "r", trainFile: path), minRating: 5, holdout: 0, seed: 1).train.nonZeroCount == 1)
        // A negative holdout (a forged model header's, say) is an error, not a trap.
        #expect(throws: HogwildError.self) { try Dataset.load(DataSource(name: "r", trainFile: path), minRating: 1, holdout: -1, seed: 1) }
        let huge = try folder.file("huge.tsv", "1\t1\t5\n1\t2\t1e40\n")
        var users = IDMap(), items = IDMap()
        let tooLarge = #expect(throws: HogwildError.self) { try RatingsReader.read(huge, users: &users, items: &items) }
        #expect(tooLarge?.description.contains("huge.tsv:2:") == true && tooLarge?.description.contains("out of range") == true,
                "\(tooLarge?.description ?? "-")")
        // The largest Float is still a rating.
        users = IDMap(); items = IDMap()
        let edge = try folder.file("edge.tsv", "1\t1\t3.4e38\n")
        #expect(try RatingsReader.read(edge, users: &users, items: &items).ratings == [3.4e38])
    }

    // MARK: - Binary interaction file headers

    /// A 48-byte interaction file header with the given counts, followed by `body` bytes.
    static func interactionFile(users: UInt64, items: UInt64, train: UInt64, test: UInt64, body: Int) -> Data {
        var bytes = Array("HGWDATA".utf8) + [1]
        for v in [UInt32(1), 0] { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        for v in [users, items, train, test] { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        return Data(bytes + [UInt8](repeating: 0, count: body))
    }

    @Test("interaction file headers out of range or larger than the file are refused before allocating, naming the field")
    func interactionHeaders() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = "\(folder.path)/d.hgwi"
        for (users, items, train, phrase) in [(UInt64(1) << 31, UInt64(3), UInt64(0), "user count"),
                                              (3, 1 << 40, 0, "item count"),
                                              (3, 4, 1 << 40, "train pair count"),
                                              (1 << 30, 4, 0, "truncated")] {
            try Self.interactionFile(users: users, items: items, train: train, test: 0, body: 64).write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: HogwildError.self) { try InteractionFile.read(path) }
            #expect(error?.description.contains(path) == true && error?.description.contains(phrase) == true, "\(error?.description ?? "-")")
        }
        // 2³¹−1 items and no pairs: a consistent file; what it would take to train is refused.
        try Self.interactionFile(users: 1, items: UInt64(Int32.max), train: 0, test: 0, body: 32).write(to: URL(fileURLWithPath: path))
        let header = try InteractionFile.header(path)
        #expect(header == InteractionFile.Header(users: 1, items: Int(Int32.max), trainPairs: 0, testPairs: 0))
        let estimate = MemoryBudget.training(users: header.users, items: header.items, pairs: 0, configuration: TrainingConfiguration())
        #expect(estimate.total > 512 * Double(1 << 30), "2³¹ rows of 64 floats are 512 GiB")
        #expect(throws: HogwildError.self) {
            try MemoryBudget.check(estimate, available: (64 * Double(1 << 30), "a test limit"), what: "training", advice: "less")
        }
    }

    // MARK: - Memory estimate

    @Test("the training estimate counts tables, pairs and one full-softmax workspace per worker, as computed by hand")
    func trainingEstimate() {
        var config = TrainingConfiguration()
        config.dimension = 64
        config.threads = 2
        let e = MemoryBudget.training(users: 943, items: 1682, pairs: 49_906, configuration: config)
        func part(_ prefix: String) -> Double { e.parts.first { $0.name.hasPrefix(prefix) }?.bytes ?? -1 }
        #expect(part("embedding tables") == Double((943 + 1682) * 64 * 4))
        #expect(part("training pairs") == Double(49_906 * 8))
        // Per worker: 32 users' scores over every item, the item sums, 3 × 32 rows and a few.
        #expect(part("full-softmax") == Double(2 * (1682 * 32 + 1682 + 3 * 64 * 32 + 64 + 32) * 4))
        config.threads = 4
        let more = MemoryBudget.training(users: 943, items: 1682, pairs: 49_906, configuration: config)
        #expect(more.total > e.total, "workspaces are per worker")
        var adagrad = TrainingConfiguration(loss: .margin)
        adagrad.optimizer = .adagrad
        let withAdagrad = MemoryBudget.training(users: 10, items: 20, pairs: 5, configuration: adagrad)
        #expect(withAdagrad.parts.first { $0.name == "Adagrad accumulators" }?.bytes == Double(30 * 4))
    }

    @Test("the check refuses in one line with both figures and the override, and passes what fits")
    func check() throws {
        var e = MemoryEstimate()
        e.add("tables", count: 3 * Double(1 << 30), elementBytes: 1)
        e.add("pairs", count: 256 * Double(1 << 20), elementBytes: 1)
        let error = #expect(throws: HogwildError.self) {
            try MemoryBudget.check(e, available: (2 * Double(1 << 30), "cgroup limit"), what: "training", advice: "use a smaller --dim")
        }
        let text = error?.description ?? ""
        #expect(text.contains("3.3 GiB") && text.contains("2.0 GiB") && text.contains("cgroup limit") && text.contains("smaller --dim")
                && text.contains("--ignore-memory-limit") && !text.contains("\n"), "\(text)")
        #expect(throws: Never.self) { try MemoryBudget.check(e, available: (4 * Double(1 << 30), "x"), what: "t", advice: "a") }
        #expect(throws: Never.self) { try MemoryBudget.check(e, available: nil, what: "t", advice: "a") }
    }

    @Test("HOGWILD_MEMORY_LIMIT caps what is available; sizes parse with K, M, G suffixes")
    func fakeLimit() throws {
        #expect(MemoryBudget.parseSize("512M") == Double(512 << 20))
        #expect(MemoryBudget.parseSize("2g") == Double(2 << 30))
        #expect(MemoryBudget.parseSize("1000") == 1000)
        #expect(MemoryBudget.parseSize("lots") == nil && MemoryBudget.parseSize("-5") == nil)
        let limited = try #require(MemoryBudget.available(environment: [MemoryBudget.limitVariable: "64M"]))
        #expect(limited.bytes <= Double(64 << 20) && limited.source == MemoryBudget.limitVariable)
        #expect(MemoryBudget.format(1536) == "2 KiB" && MemoryBudget.format(3.5 * 1_073_741_824) == "3.5 GiB")
    }

    @Test("the cgroup files are found from /proc/self/cgroup, v2 and v1, then at the mount's root")
    func cgroupFiles() {
        let v2 = MemoryBudget.cgroupFiles("0::/user.slice/run-1.scope\n").map(\.limit)
        #expect(v2.first == "/sys/fs/cgroup/user.slice/run-1.scope/memory.max")
        let v1 = MemoryBudget.cgroupFiles("5:devices:/\n4:memory:/process_api/a2\n0::/\n").map(\.usage)
        #expect(v1.first == "/sys/fs/cgroup/memory/process_api/a2/memory.usage_in_bytes")
        #expect(v1.contains("/sys/fs/cgroup/memory.current") && v1.contains("/sys/fs/cgroup/memory/memory.usage_in_bytes"))
        #expect(MemoryBudget.cgroupFiles(nil).count == 2)
    }

    @Test("synth refuses interaction counts its per-user cap cannot reach, and estimates 10¹⁰ beyond this machine")
    func syntheticLimits() throws {
        var spec = SyntheticSpec()
        spec.interactions = 10_000_000_000
        let error = #expect(throws: HogwildError.self) { try spec.validate() }
        #expect(error?.description.contains("at most 5000000") == true, "\(error?.description ?? "-")")  // 10 000 users × 2 000/4
        spec.interactions = 5_000_000
        #expect(throws: Never.self) { try spec.validate() }
        spec.users = 100_000_000
        spec.items = 1_000_000_000
        spec.interactions = 10_000_000_000
        #expect(MemoryBudget.synthetic(spec).total >= 8 * 1e10, "at least the interactions' 4-byte items, twice")
    }
}
