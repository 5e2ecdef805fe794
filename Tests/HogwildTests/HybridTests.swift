import HogwildTestSupport
import Foundation
import Hogwild
import Testing

@Suite("Side-feature readers")
struct FeatureReaderTests {
    /// The feature names of every entity, sorted, for comparisons that ignore feature ids.
    static func names(_ m: FeatureMatrix) -> [[String]] {
        (0..<m.entityCount).map { e in m.features(of: e).map { m.names[Int($0)] }.sorted() }
    }

    @Test func movieLens100kGenresWithTheirCombination() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        _ = try folder.file("u.item", """
            1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0
            2|GoldenEye (1995)|01-Jan-1995||http://y|0|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0|1|0|0
            3|Nothing (1995)|01-Jan-1995||http://z|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0
            9|Not rated (1995)|01-Jan-1995||http://w|0|0|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0

            """)
        let train = try folder.file("ua.base", "1\t1\t5\t0\n")
        var items = IDMap()
        for id in ["2", "1", "3", "7"] { items.intern(id) }
        let m = try FeatureMatrix.itemGenres(nextTo: train, items: items)
        #expect(Self.names(m) == [
            ["genre:Action", "genre:Adventure", "genre:Thriller", "genres:Action|Adventure|Thriller"],
            ["genre:Animation", "genre:Children's", "genre:Comedy", "genres:Animation|Children's|Comedy"],
            [], [],
        ])
        #expect(m.unknownIDs == 1)  // item 9 is not in the map
        #expect(m.entitiesWithFeatures == 2 && m.featureCount == 8)
        #expect(m.origin.hasSuffix("/u.item"))
    }

    @Test func moviesCSVGenres() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        _ = try folder.file("movies.csv", """
            movieId,title,genres
            1,Toy Story (1995),Adventure|Animation
            11,"American President, The (1995)",Comedy|Drama|Romance
            9,Nothing (2000),(no genres listed)

            """)
        var items = IDMap()
        for id in ["9", "11", "1"] { items.intern(id) }
        let m = try FeatureMatrix.itemGenres(nextTo: "\(folder.path)/ratings.csv", items: items)
        #expect(Self.names(m) == [
            [],
            ["genre:Comedy", "genre:Drama", "genre:Romance", "genres:Comedy|Drama|Romance"],
            ["genre:Adventure", "genre:Animation", "genres:Adventure|Animation"],
        ])
        let empty = try TemporaryFolder()
        defer { empty.cleanup() }
        let error = #expect(throws: HogwildError.self) { try FeatureMatrix.itemGenres(nextTo: "\(empty.path)/r.csv", items: items) }
        #expect(error?.description.contains("no u.item or movies.csv") == true)
    }

    @Test(arguments: [(0, "<18"), (17, "<18"), (18, "18-24"), (24, "18-24"), (25, "25-34"), (34, "25-34"), (35, "35-44"),
                      (44, "35-44"), (45, "45-49"), (49, "45-49"), (50, "50-55"), (55, "50-55"), (56, "56+"), (73, "56+")])
    func ageBuckets(age: Int, bucket: String) {
        #expect(FeatureMatrix.ageBucket(age) == bucket)
    }

    @Test func userDemographics() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = try folder.file("u.user", "1|24|M|technician|85711\n2|53|F|other|94043\n5|33|F|other|15213\n\n")
        var users = IDMap()
        for id in ["2", "1", "3"] { users.intern(id) }
        let m = try FeatureMatrix.readUserDemographics(path, users: users)
        #expect(Self.names(m) == [
            ["age:50-55", "gender:F", "occupation:other"],
            ["age:18-24", "gender:M", "occupation:technician"],
            [],
        ])
        #expect(m.unknownIDs == 1 && m.featureCount == 6)

        for (text, problem) in [("1|24|M|technician|1\n2|x|F|other|2\n", "u.user:2: age 'x' is not a whole number"),
                                ("1|24|M\n", "u.user:1: expected 'id|age|gender|occupation|zip'"),
                                ("1|24||writer|0\n", "u.user:1: expected")] {
            let bad = try folder.file("u.user", text)
            let error = #expect(throws: HogwildError.self) { try FeatureMatrix.readUserDemographics(bad, users: users) }
            #expect(error?.description.hasSuffix(problem) == true || error?.description.contains(problem) == true,
                    "\(error?.description ?? "-") should say \(problem)")
            #expect(error?.description.contains("\n") == false)
        }
    }

    @Test func genericFiles() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        var items = IDMap()
        for id in ["a", "b", "c"] { items.intern(id) }
        // A header (its id is unknown), tabs and commas, spaces, a repeat, an unknown id, a blank line.
        let path = try folder.file("f.tsv", "item\tfeature\nb\tred\na, blue \n\nb\tred\nzz\tred\nb\tlarge\n")
        let m = try FeatureMatrix.read(path, ids: items)
        #expect(Self.names(m) == [["blue"], ["large", "red"], []])
        #expect(m.unknownIDs == 1 && m.featureCount == 3)

        for (text, problem) in [("a,red\nb\n", "f.csv:2: expected 'id,feature' or 'id<TAB>feature' (1 field)"),
                                ("a,red,3\n", "f.csv:1: expected 'id,feature' or 'id<TAB>feature' (3 fields)"),
                                ("a,\n", "f.csv:1: expected"), ("\n,red\n", "f.csv:2: expected")] {
            let bad = try folder.file("f.csv", text)
            let error = #expect(throws: HogwildError.self) { try FeatureMatrix.read(bad, ids: items) }
            #expect(error?.description.contains(problem) == true, "\(error?.description ?? "-") should say \(problem)")
        }
        let missing = #expect(throws: HogwildError.self) { try FeatureMatrix.read("\(folder.path)/none.csv", ids: items) }
        #expect(missing?.description.contains("none.csv") == true)
    }

    @Test(.needsMovieLens, .tags(.movieLens)) func realMovieLens100kFeatures() throws {
        let root = try MovieLens.require()
        let dataset = try Dataset.load(DataCatalog.resolve("ml-100k", test: nil, environment: ["HOGWILD_DATA": root]),
                                       minRating: 4, holdout: 10, seed: 1)
        let genres = try FeatureMatrix.itemGenres(nextTo: dataset.source.trainFile, items: dataset.items)
        #expect(genres.entitiesWithFeatures == 1682 && genres.unknownIDs == 0)
        #expect(genres.names.filter { $0.hasPrefix("genre:") }.count == 19)
        let toyStory = Int(try #require(dataset.items.index(of: "1")))
        #expect(genres.features(of: toyStory).map { genres.names[Int($0)] }.sorted()
                == ["genre:Animation", "genre:Children's", "genre:Comedy", "genres:Animation|Children's|Comedy"])
        let demographics = try FeatureMatrix.readUserDemographics("\(root)/ml-100k/u.user", users: dataset.users)
        #expect(demographics.entitiesWithFeatures == 943 && demographics.unknownIDs == 0)
        // 7 age buckets (all occur), 2 genders, 21 occupations.
        #expect(demographics.featureCount == 30)
        #expect((0..<943).allSatisfy { demographics.features(of: $0).count == 3 })
    }
}

@Suite("Hybrid model")
struct HybridModelTests {
    /// One user with features {a, b}; item 0 (the positive) with {g, h}, item 1 with {h, k}: the
    /// negative shares h with the positive. Every row is set from `seed`, own rows included.
    static func tinyModel(_ configure: (inout TrainingConfiguration) -> Void, seed: UInt64) throws
        -> (EmbeddingModel, SideFeatures, InteractionMatrix) {
        var config = TrainingConfiguration(loss: .margin)
        config.dimension = 5  // padded to a 16-float stride: the padding must stay zero
        config.epochs = 1
        config.threads = 1
        config.negatives = .uniform
        configure(&config)
        let model = EmbeddingModel(configuration: config, users: idMap(1, prefix: "u"), items: idMap(2, prefix: "i"))
        let users = FeatureMatrix(entityCount: 1, assignments: [(0, "a"), (0, "b")], origin: "test")
        let items = FeatureMatrix(entityCount: 2, assignments: [(0, "g"), (0, "h"), (1, "h"), (1, "k")], origin: "test")
        let features = try SideFeatures(model: model, items: items, users: users)
        var rng = TestRandom(seed)
        for table in [model.userTable, model.itemTable, features.userTable, features.itemTable] {
            for r in 0..<table.rowCount { table.setRow(r, rng.vector(5)) }
        }
        let train = InteractionMatrix(userCount: 1, itemCount: 2, users: [0], items: [0])
        return (model, features, train)
    }

    enum Objective: CaseIterable { case cosineMargin, dotMargin, dotBPR }

    /// The triplet objective on composed vectors, in Double, from the formulas: loss plus
    /// `λ/2·(|u|²+|p|²+|n|²)` of the composed vectors.
    static func objective(_ o: Objective, _ u: [Double], _ p: [Double], _ n: [Double], margin: Double, l2: Double) -> (loss: Double, total: Double) {
        func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        func cosine(_ a: [Double], _ b: [Double]) -> Double { dot(a, b) / (dot(a, a) * dot(b, b)).squareRoot() }
        let loss: Double
        switch o {
        case .cosineMargin: loss = max(0, margin - cosine(u, p) + cosine(u, n))
        case .dotMargin: loss = max(0, margin - dot(u, p) + dot(u, n))
        case .dotBPR: loss = log1p(exp(-(dot(u, p) - dot(u, n))))
        }
        return (loss, loss + l2 / 2 * (dot(u, u) + dot(p, p) + dot(n, n)))
    }

    /// `θ − lr·∇L(θ)`, the gradient by central finite differences over every entry of every row.
    static func gradientStep(_ theta: [[Double]], lr: Double, _ total: ([[Double]]) -> Double) -> [[Double]] {
        let step = 1e-6
        var expected = theta
        for r in theta.indices {
            for c in theta[r].indices {
                var plus = theta, minus = theta
                plus[r][c] += step
                minus[r][c] -= step
                expected[r][c] -= lr * (total(plus) - total(minus)) / (2 * step)
            }
        }
        return expected
    }

    /// One training triplet of a hybrid model against `θ − lr·∇L(θ)`, where θ is every own and
    /// feature row, L composes the vectors in Double and ∇ is a central finite difference.
    @Test(arguments: Objective.allCases, [0, 0.05])
    func hybridStepIsTheGradientStepOnOwnAndFeatureRows(objective: Objective, l2: Float) throws {
        let lr = 0.1, margin = objective == .cosineMargin ? 2.5 : 50  // margins that every triplet violates
        let (model, features, train) = try Self.tinyModel({ c in
            c.learningRate = Float(lr); c.l2 = l2; c.margin = Float(margin)
            c.loss = objective == .dotBPR ? .bpr : .margin
            c.similarity = objective == .cosineMargin ? .cosine : .dot
        }, seed: 11)
        // θ: own user, own items 0 and 1, user features a b, item features g h k (feature ids in
        // order of first appearance).
        let tables = [model.userTable, model.itemTable, features.userTable, features.itemTable]
        var theta: [[Double]] = tables.flatMap { t in (0..<t.rowCount).map { t.row($0).map(Double.init) } }
        #expect(theta.count == 1 + 2 + 2 + 3)
        func composed(_ θ: [[Double]]) -> (u: [Double], p: [Double], n: [Double]) {
            let mean = { (rows: [[Double]]) in (0..<5).map { c in rows.reduce(0) { $0 + $1[c] } / Double(rows.count) } }
            let add = { (a: [Double], b: [Double]) in zip(a, b).map(+) }
            let (eu, ep, en, a, b, g, h, k) = (θ[0], θ[1], θ[2], θ[3], θ[4], θ[5], θ[6], θ[7])
            return (add(eu, mean([a, b])), add(ep, mean([g, h])), add(en, mean([h, k])))
        }
        func total(_ θ: [[Double]]) -> Double {
            let (u, p, n) = composed(θ)
            return Self.objective(objective, u, p, n, margin: margin, l2: Double(l2)).total
        }
        let expected = Self.gradientStep(theta, lr: lr, total)
        let (u, p, n) = composed(theta)
        let lossBefore = Self.objective(objective, u, p, n, margin: margin, l2: 0).loss

        let trainer = try HogwildTrainer(model: model, train: train, features: features)
        let stats = try trainer.trainEpoch()
        #expect(stats.triplets == 1)
        #expect(abs(stats.meanLoss - lossBefore) <= 1e-4 * max(1, lossBefore), "loss \(stats.meanLoss) vs \(lossBefore)")
        theta = tables.flatMap { t in (0..<t.rowCount).map { t.row($0).map(Double.init) } }
        for r in theta.indices {
            for c in 0..<5 {
                #expect(abs(theta[r][c] - expected[r][c]) <= 2e-5 * max(1, abs(expected[r][c])),
                        "\(objective) l2 \(l2): row \(r)[\(c)] is \(theta[r][c]), expected \(expected[r][c])")
            }
        }
        for t in tables {
            let padding = t.withUnsafeHandle { h in (0..<t.rowCount).flatMap { r in (5..<h.stride).map { h.row(r)[$0] } } }
            #expect(padding.allSatisfy { $0 == 0 })
        }
    }

    /// The softmax loss through a hybrid model: one step against `θ − lr·∇L(θ)` as above, with
    /// the positive and one negative (item 1). A draw of the positive skips the pair, so epochs
    /// run (at a constant rate) until one trains.
    @Test(arguments: [Similarity.cosine, .dot])
    func hybridSoftmaxStepIsTheGradientStepOnOwnAndFeatureRows(similarity: Similarity) throws {
        let lr = 0.1, temperature = 0.5
        let (model, features, train) = try Self.tinyModel({ c in
            c.learningRate = Float(lr); c.finalLearningRateFraction = 1; c.loss = .softmax; c.similarity = similarity
            c.negativeCandidates = 1; c.temperature = Float(temperature); c.epochs = 100
        }, seed: 12)
        let tables = [model.userTable, model.itemTable, features.userTable, features.itemTable]
        let read = { tables.flatMap { t in (0..<t.rowCount).map { t.row($0).map(Double.init) } } }
        func total(_ θ: [[Double]]) -> Double {
            let mean = { (rows: [[Double]]) in (0..<5).map { c in rows.reduce(0) { $0 + $1[c] } / Double(rows.count) } }
            let add = { (a: [Double], b: [Double]) in zip(a, b).map(+) }
            let u = add(θ[0], mean([θ[3], θ[4]])), p = add(θ[1], mean([θ[5], θ[6]])), n = add(θ[2], mean([θ[6], θ[7]]))
            func s(_ a: [Double], _ b: [Double]) -> Double {
                let d = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
                guard similarity == .cosine else { return d }
                return d / (a.reduce(0) { $0 + $1 * $1 } * b.reduce(0) { $0 + $1 * $1 }).squareRoot()
            }
            let zp = s(u, p) / temperature, zn = s(u, n) / temperature
            return log(exp(zp) + exp(zn)) - zp
        }
        let trainer = try HogwildTrainer(model: model, train: train, features: features)
        var theta = read()
        var trained = false
        for _ in 0..<30 {
            theta = read()
            if try trainer.trainEpoch().triplets == 1 { trained = true; break }
            #expect(read() == theta, "a skipped pair moved a row")
        }
        try #require(trained, "30 epochs drew only the positive")
        let expected = Self.gradientStep(theta, lr: lr, total)
        let after = read()
        for r in theta.indices {
            for c in 0..<5 {
                #expect(abs(after[r][c] - expected[r][c]) <= 2e-5 * max(1, abs(expected[r][c])),
                        "softmax on \(similarity): row \(r)[\(c)] is \(after[r][c]), expected \(expected[r][c])")
            }
        }
    }

    @Test func composedModelAddsTheFeatureMean() throws {
        let (model, features, _) = try Self.tinyModel({ _ in }, seed: 3)
        let composed = features.composedModel(model)
        let f = { (t: EmbeddingTable, r: Int) in t.row(r).map(Double.init) }
        let mean2 = { (a: [Double], b: [Double]) in zip(a, b).map { ($0 + $1) / 2 } }
        let expected = [
            zip(f(model.userTable, 0), mean2(f(features.userTable, 0), f(features.userTable, 1))).map(+),
            zip(f(model.itemTable, 0), mean2(f(features.itemTable, 0), f(features.itemTable, 1))).map(+),
            zip(f(model.itemTable, 1), mean2(f(features.itemTable, 1), f(features.itemTable, 2))).map(+),
        ]
        let got = [f(composed.userTable, 0), f(composed.itemTable, 0), f(composed.itemTable, 1)]
        for (g, e) in zip(got, expected) { #expect(zip(g, e).allSatisfy { abs($0 - $1) <= 1e-6 }, "\(g) vs \(e)") }
        #expect(composed.users == model.users && composed.items == model.items && composed.configuration == model.configuration)
    }

    @Test func ownRowsOfEntitiesWithFeaturesStartScaled() throws {
        var config = TrainingConfiguration(loss: .margin)
        config.dimension = 8
        let items = FeatureMatrix(entityCount: 3, assignments: [(1, "x")], origin: "test")
        for scale: Float in [0, 0.5] {
            let model = EmbeddingModel(configuration: config, users: idMap(2, prefix: "u"), items: idMap(3, prefix: "i"))
            let before = (0..<3).map { model.itemTable.row($0) }
            let features = try SideFeatures(model: model, items: items, users: nil, ownRowScale: scale)
            #expect(model.itemTable.row(0) == before[0] && model.itemTable.row(2) == before[2])
            #expect(model.itemTable.row(1) == before[1].map { $0 * scale })
            #expect(features.itemTable.rowCount == 1 && features.userTable.rowCount == 0)
        }
        let model = EmbeddingModel(configuration: config, users: idMap(2, prefix: "u"), items: idMap(4, prefix: "i"))
        #expect(throws: HogwildError.self) { try SideFeatures(model: model, items: items, users: nil) }
        config.loss = .warp
        let warp = EmbeddingModel(configuration: config, users: idMap(2, prefix: "u"), items: idMap(3, prefix: "i"))
        let features = try SideFeatures(model: warp, items: items, users: nil)
        let train = InteractionMatrix(userCount: 2, itemCount: 3, users: [0, 1], items: [0, 2])
        let error = #expect(throws: HogwildError.self) { try HogwildTrainer(model: warp, train: train, features: features) }
        #expect(error?.description.contains("warp") == true)
    }

    /// Planted clusters of items, each with its cluster as its only feature. A fifth of the items
    /// is held out of training: a hybrid model ranks them for their cluster's users, a
    /// collaborative one cannot; and training never touches a held-out item's own row.
    @Test(arguments: [(Similarity.cosine, Loss.margin, 1), (.dot, .bpr, 1), (.cosine, .softmax, 1), (.cosine, .margin, 8)])
    func coldItemsArePlacedByTheirFeatures(similarity: Similarity, loss: Loss, candidates: Int) throws {
        try coldItemsArePlacedByTheirFeatures(similarity: similarity, loss: loss, candidates: candidates, threads: 1)
    }

    func coldItemsArePlacedByTheirFeatures(similarity: Similarity, loss: Loss, candidates: Int, threads: Int) throws {
        let users = 120, items = 100, clusters = 4
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let (tu, ti) = plantedInteractions(users: users, items: items, clusters: clusters, perUser: 15, seed: 9)
        let lines = zip(tu, ti).map { "u\($0)\ti\($1)\t5" }
        let train = try folder.file("train.tsv", lines.joined(separator: "\n") + "\n")
        let dataset = try Dataset.load(DataSource(name: "planted", trainFile: train), minRating: 4, holdout: 0, seed: 1)
        let cold = try ColdStartSplit(dataset, fraction: 0.2, seed: 5)
        let assignments = (0..<dataset.items.count).map { row in
            let item = Int(dataset.items.id(at: row).dropFirst())!
            return (entity: Int32(row), feature: "cluster \(item / (items / clusters))")
        }
        let itemFeatures = FeatureMatrix(entityCount: dataset.items.count, assignments: assignments, origin: "test")
        var aucs: [Bool: Double] = [:]
        for hybrid in [false, true] {
            var config = TrainingConfiguration(loss: .margin)
            config.dimension = 16
            config.epochs = 6
            config.threads = threads
            config.similarity = similarity
            config.loss = loss
            config.negativeCandidates = candidates
            if similarity == .dot { config.learningRate = 0.1; config.initScale = 0.1 }
            if loss == .softmax { config.temperature = 0.25; config.learningRate = 0.2 }
            let model = EmbeddingModel(configuration: config, users: dataset.users, items: dataset.items)
            let features = hybrid ? try SideFeatures(model: model, items: itemFeatures, users: nil) : nil
            let coldRows = cold.coldItems.map { model.itemTable.row(Int($0)) }
            let trainer = try HogwildTrainer(model: model, train: cold.dataset.train, features: features, excludedNegatives: cold.coldItems)
            for _ in 0..<config.epochs { try trainer.trainEpoch() }
            #expect(cold.coldItems.map { model.itemTable.row(Int($0)) } == coldRows, "a held-out item's own row was trained")
            aucs[hybrid] = cold.evaluate(features?.composedModel(model) ?? model, threads: 2).auc
        }
        #expect(abs(aucs[false]! - 0.5) < 0.1, "\(loss), \(candidates) candidates: collaborative cold AUC \(aucs[false]!)")
        // A cold item's vector is its cluster's, so same-cluster cold items tie: that caps the AUC at ≈ 0.93.
        #expect(aucs[true]! > 0.9, "\(loss), \(candidates) candidates: hybrid cold AUC \(aucs[true]!)")
    }

    /// Several workers share the feature rows without locks — the intended Hogwild race, so
    /// the ThreadSanitizer run leaves this out.
    @Test(.enabled(if: !underThreadSanitizer, "Hogwild feature-row races are intended"))
    func severalWorkersTrainAHybridModel() throws {
        try coldItemsArePlacedByTheirFeatures(similarity: .cosine, loss: .margin, candidates: 1, threads: 3)
    }
}

@Suite("Cold-start protocol")
struct ColdStartTests {
    /// A small rated data set with a test file: 25 users, 30 items.
    static func dataset(in folder: TemporaryFolder) throws -> Dataset {
        var rng = TestRandom(21)
        var train = "", test = ""
        for u in 1...25 {
            for i in 1...30 where rng.below(3) == 0 {
                let line = "\(u)\t\(i)\t\(1 + rng.below(5))\t0\n"
                if rng.below(4) == 0 { test += line } else { train += line }
            }
        }
        let source = DataSource(name: "small", trainFile: try folder.file("a.base", train), testFile: try folder.file("a.test", test))
        return try Dataset.load(source, minRating: 4, holdout: 0, seed: 1)
    }

    static func pairs(_ m: InteractionMatrix) -> Set<[Int32]> {
        Set((0..<m.userCount).flatMap { u in m.items(of: u).map { [Int32(u), $0] } })
    }

    @Test func holdsOutWholeItemsBySeed() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let data = try Self.dataset(in: folder)
        let split = try ColdStartSplit(data, fraction: 0.1, seed: 3)
        #expect(split.coldItems.count == Int((0.1 * Double(data.items.count)).rounded()))
        #expect(split.coldItems == split.coldItems.sorted() && Set(split.coldItems).count == split.coldItems.count)
        let cold = Set(split.coldItems)
        let all = Self.pairs(data.train).union(Self.pairs(data.test))
        #expect(Self.pairs(split.dataset.train) == Self.pairs(data.train).filter { !cold.contains($0[1]) })
        #expect(Self.pairs(split.dataset.test) == Self.pairs(data.test).filter { !cold.contains($0[1]) })
        #expect(Self.pairs(split.coldPositives) == all.filter { cold.contains($0[1]) })
        #expect(split.dataset.users == data.users && split.dataset.items == data.items)
        #expect(try ColdStartSplit(data, fraction: 0.1, seed: 3).coldItems == split.coldItems)
        #expect(try ColdStartSplit(data, fraction: 0.1, seed: 4).coldItems != split.coldItems)
        let excluded = split.excludingColdItems(data.train)
        #expect(Self.pairs(excluded) == Self.pairs(data.train).union((0..<data.users.count).flatMap { u in cold.map { [Int32(u), $0] } }))
        for bad in [0, 1, -0.5, .nan] {
            #expect(throws: HogwildError.self) { try ColdStartSplit(data, fraction: bad, seed: 1) }
        }
    }

    /// The cold-start AUC against a brute-force pairwise count over the cold items alone.
    @Test func coldAUCMatchesBruteForce() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let data = try Self.dataset(in: folder)
        let split = try ColdStartSplit(data, fraction: 0.3, seed: 8)
        var config = TrainingConfiguration(loss: .margin)
        config.dimension = 6
        config.seed = 13
        let model = EmbeddingModel(configuration: config, users: data.users, items: data.items)
        let cold = Set(split.coldItems.map(Int.init))
        let warm = Set(0..<data.items.count).subtracting(cold)
        var sum = 0.0, users = 0
        for u in 0..<data.users.count {
            let uv = model.userTable.row(u).map(Double.init)
            let scores: [Float] = (0..<data.items.count).map { i in
                let iv = model.itemTable.row(i).map(Double.init)
                let d = zip(uv, iv).reduce(0) { $0 + $1.0 * $1.1 }
                return Float(d / (iv.reduce(0) { $0 + $1 * $1 } * uv.reduce(0) { $0 + $1 * $1 }).squareRoot())
            }
            let positives = Set((data.train.items(of: u) + data.test.items(of: u)).map(Int.init)).intersection(cold)
            guard let auc = bruteForceAUC(scores: scores, excluded: warm, positives: positives) else { continue }
            sum += auc
            users += 1
        }
        let e = split.evaluate(model, k: 5, threads: 2)
        #expect(users > 10 && e.usersEvaluated == users)
        #expect(abs(e.auc - sum / Double(users)) <= 1e-3, "\(e.auc) vs \(sum / Double(users))")
    }
}
