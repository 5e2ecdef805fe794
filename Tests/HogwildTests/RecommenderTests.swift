import HogwildTestSupport
import Foundation
import Hogwild
import Testing

/// `Recommender` against brute-force sorting and a `Double` reference on small random models.
@Suite("Recommender: top-k items and item neighbours")
struct RecommenderTests {
    /// A random model of `users` × `items` rows of dimension `dimension`, Gaussian entries.
    static func model(users: Int = 6, items: Int = 57, dimension: Int = 13, similarity: Similarity,
                      seed: UInt64 = 5) -> EmbeddingModel {
        var config = TrainingConfiguration(loss: .margin)
        config.dimension = dimension
        config.similarity = similarity
        config.seed = seed
        if similarity == .dot { config.learningRate = 0.02 }
        return EmbeddingModel(configuration: config, users: idMap(users, prefix: "u"), items: idMap(items, prefix: "i"))
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        let na = dot(a, a).squareRoot(), nb = dot(b, b).squareRoot()
        return na == 0 || nb == 0 ? 0 : dot(a, b) / (na * nb)
    }

    /// The reference score of `item` for `user` in `model`.
    static func reference(_ model: EmbeddingModel, user: Int, item: Int) -> Double {
        let u = model.userTable.row(user), i = model.itemTable.row(item)
        return model.configuration.similarity == .cosine ? cosine(u, i) : dot(u, i)
    }

    /// Sorts `candidates` by `score` descending, then index ascending, and keeps `k`.
    static func bruteForce(_ candidates: [Int], k: Int, score: (Int) -> Float) -> [Int] {
        Array(candidates.sorted { score($0) != score($1) ? score($0) > score($1) : $0 < $1 }.prefix(k))
    }

    @Test("scores are the model's cosine or dot, as a Double reference computes them", arguments: Similarity.allCases)
    func scoresMatchReference(similarity: Similarity) {
        for dimension in [1, 13, 16, 64, 70] {
            let model = Self.model(dimension: dimension, similarity: similarity)
            let recommender = Recommender(model: model)
            for user in 0..<model.users.count {
                for item in 0..<model.items.count {
                    let expected = Self.reference(model, user: user, item: item)
                    let got = Double(recommender.score(user: user, item: item))
                    #expect(abs(got - expected) <= 1e-5 * max(1, abs(expected)),
                            "dim \(dimension) user \(user) item \(item): \(got) vs \(expected)")
                }
            }
        }
    }

    @Test("top-k equals a full sort of the remaining items, excluded items never appear", arguments: Similarity.allCases)
    func topItemsMatchBruteForce(similarity: Similarity) {
        let model = Self.model(similarity: similarity)
        let recommender = Recommender(model: model)
        let n = model.items.count
        var rng = TestRandom(11)
        for user in 0..<model.users.count {
            for (excludedShare, k) in [(0.0, 1), (0.0, 10), (0.3, 5), (0.5, 20), (0.9, 10), (0.2, n), (0.2, 3 * n), (1.0, 4)] {
                let excluded = (0..<n).filter { _ in rng.unit() < excludedShare }
                // Duplicates and any order are accepted.
                var given = excluded + excluded.prefix(3)
                for j in given.indices.reversed() where j > 0 { given.swapAt(j, rng.below(j + 1)) }
                let got = recommender.topItems(for: user, k: k, excluding: given)
                let candidates = (0..<n).filter { !excluded.contains($0) }
                let expected = Self.bruteForce(candidates, k: k) { recommender.score(user: user, item: $0) }
                #expect(got.map(\.item) == expected, "user \(user), k \(k), \(excluded.count) excluded")
                #expect(got.count == min(k, candidates.count))
                #expect(Set(got.map(\.item)).isDisjoint(with: excluded))
                for entry in got {
                    #expect(entry.score == recommender.score(user: user, item: entry.item))
                }
                // Independently of the Float kernels: the ranking agrees with the Double reference
                // up to rounding, and nothing left out beats the last item returned.
                let reference = got.map { Self.reference(model, user: user, item: $0.item) }
                for (a, b) in zip(reference, reference.dropFirst()) { #expect(a >= b - 1e-5) }
                if let last = reference.last {
                    let returned = Set(got.map(\.item))
                    for item in candidates where !returned.contains(item) {
                        #expect(Self.reference(model, user: user, item: item) <= last + 1e-5)
                    }
                }
            }
        }
        #expect(recommender.topItems(for: 0, k: 0, excluding: [1, 2]).isEmpty)
        #expect(recommender.topItems(for: 2, k: 7).map(\.item)
                == Self.bruteForce(Array(0..<n), k: 7) { recommender.score(user: 2, item: $0) })
    }

    @Test("similar items: cosine neighbours by brute force, never the item itself, for dot models too", arguments: Similarity.allCases)
    func similarItemsMatchBruteForce(similarity: Similarity) {
        let model = Self.model(similarity: similarity)
        model.itemTable.setRow(17, [Float](repeating: 0, count: model.configuration.dimension))  // a zero row
        let recommender = Recommender(model: model)
        let n = model.items.count
        for item in 0..<n {
            for k in [1, 5, n - 1, n + 10] {
                let got = recommender.similarItems(to: item, k: k)
                let expected = Self.bruteForce((0..<n).filter { $0 != item }, k: k) { recommender.itemSimilarity(item, $0) }
                #expect(got.map(\.item) == expected, "item \(item), k \(k)")
                #expect(!got.contains { $0.item == item })
                #expect(got.count == min(k, n - 1))
                for entry in got {
                    let reference = Self.cosine(model.itemTable.row(item), model.itemTable.row(entry.item))
                    #expect(abs(Double(entry.similarity) - reference) <= 1e-5, "item \(item) ~ \(entry.item)")
                }
            }
        }
        // The zero row is at cosine 0 from everything, itself included.
        #expect(recommender.similarItems(to: 17, k: n).allSatisfy { $0.similarity == 0 })
        #expect(recommender.similarItems(to: 3, k: 0).isEmpty)
    }

    @Test("equal scores are ordered by the lower index; NaN scores rank last")
    func tiesAndNaN() {
        let model = Self.model(users: 2, items: 30, dimension: 13, similarity: .cosine)
        let shared = model.itemTable.row(0).map { $0 + 1 }
        for item in [20, 3, 9] { model.itemTable.setRow(item, shared) }
        model.userTable.setRow(0, shared)
        let recommender = Recommender(model: model)
        let top = recommender.topItems(for: 0, k: 3)
        #expect(top.map(\.item) == [3, 9, 20], "\(top)")
        #expect(top[0].score == top[1].score && top[1].score == top[2].score)
        #expect(recommender.topItems(for: 0, k: 2, excluding: [3]).map(\.item) == [9, 20])
        #expect(recommender.similarItems(to: 9, k: 2).map(\.item) == [3, 20])

        model.itemTable.setRow(5, [Float](repeating: .nan, count: 13))
        let all = recommender.topItems(for: 1, k: 30)
        #expect(all.count == 30 && all.last?.item == 5, "\(all.map(\.item))")
        #expect(recommender.similarItems(to: 0, k: 29).last?.item == 5)
        #expect(!recommender.topItems(for: 1, k: 28, excluding: [0]).contains { $0.item == 5 })
    }

    // MARK: - Looking up ids and titles

    static let titled: (items: IDMap, info: [EmbeddingExport.ItemInfo?]) = {
        let ids = ["50", "172", "181", "101", "246", "268", "7", "8"]
        let titles: [String?] = ["Star Wars (1977)", "Empire Strikes Back, The (1980)", "Return of the Jedi (1983)",
                                 "Heavy Metal (1981)", "Chasing Amy (1997)", "Chasing Amy (1997)", "101 Dalmatians (1996)", nil]
        return (try! IDMap(ids: ids), titles.map { $0.map { EmbeddingExport.ItemInfo(title: $0, genres: []) } })
    }()

    @Test("user ids: known ids give their row, unknown ones a one-line error with the user count")
    func userLookup() throws {
        let users = try IDMap(ids: ["1", "2", "x y"])
        #expect(try Recommender.userIndex(of: "2", in: users) == 1)
        #expect(try Recommender.userIndex(of: "x y", in: users) == 2)
        #expect(throws: HogwildError("user id '3' is not in the model (3 users)")) {
            try Recommender.userIndex(of: "3", in: users)
        }
        #expect(throws: HogwildError("user id 'a b' is not in the model (3 users)")) {
            try Recommender.userIndex(of: "a\nb", in: users)
        }
    }

    @Test("items by id, exact title, title ignoring case, or a unique part of a title")
    func itemLookup() throws {
        let (items, info) = Self.titled
        func find(_ query: String) throws -> Int { try Recommender.itemIndex(of: query, in: items, info: info) }
        #expect(try find("172") == 1)
        #expect(try find("101") == 3, "an id wins over a title containing it")
        #expect(try find("Star Wars (1977)") == 0)
        #expect(try find("return of the jedi (1983)") == 2)
        #expect(try find("jedi") == 2)
        #expect(try find("EMPIRE STRIKES") == 1)
        #expect(try find("Dalmatians") == 6)
        #expect(try find("268") == 5, "a shared title's items are reachable by id")
        #expect(try Recommender.itemIndex(of: "8", in: items) == 7, "ids work without titles")
    }

    @Test("unknown and ambiguous items give one-line errors naming the candidates")
    func itemLookupErrors() throws {
        let (items, info) = Self.titled
        func message(_ query: String, info: [EmbeddingExport.ItemInfo?]? = Self.titled.info) -> String {
            do {
                let index = try Recommender.itemIndex(of: query, in: items, info: info)
                return "found \(index)"
            } catch {
                return "\(error)"
            }
        }
        #expect(message("Chasing Amy (1997)")
                == "'Chasing Amy (1997)' is ambiguous: 2 items match by title: 246 Chasing Amy (1997); 268 Chasing Amy (1997); give an item id or the exact title")
        let partial = message("(19")
        #expect(partial.hasPrefix("'(19' is ambiguous: 7 items match by title containing it (ignoring case): 50 Star Wars (1977); 172 Empire"), "\(partial)")
        #expect(partial.contains("; … (2 more); give an item id or the exact title"), "\(partial)")
        #expect(!partial.contains("\n"))
        #expect(message("Solaris") == "item 'Solaris' is not in the model: no item id, title or part of a title matches (8 items)")
        #expect(message("", info: info) == "item '' is not in the model: no item id, title or part of a title matches (8 items)")
        #expect(message("Star Wars", info: nil) == "item id 'Star Wars' is not in the model (8 items; no titles are known, so give an item id)")
    }
}
