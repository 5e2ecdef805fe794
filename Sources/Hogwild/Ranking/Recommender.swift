import Kernels

/// Uses a trained model: ranks the items for a user, finds an item's nearest neighbours, and
/// turns the ids and titles a person types into row indices.
///
/// Every ranking is exact (every item is scored, nothing is approximated) and deterministic:
/// equal scores are ordered by the lower item row index first, and NaN scores (a diverged model)
/// rank below every number.
///
/// ```swift
/// let (model, _) = try ModelFile.load("m.hgw")
/// let recommender = Recommender(model: model)
/// let user = try Recommender.userIndex(of: "1", in: model.users)
/// for (item, score) in recommender.topItems(for: user, k: 20, excluding: seen) { … }
/// ```
///
/// The model's tables are only read, so any number of threads may share a recommender, as long
/// as nothing trains the model at the same time.
public struct Recommender: Sendable {
    /// The model whose tables are ranked.
    public let model: EmbeddingModel

    /// A recommender over `model`'s current tables (nothing is copied or precomputed).
    public init(model: EmbeddingModel) {
        self.model = model
    }

    // MARK: - Scores

    /// The model's score of `item` for `user`: the cosine or the dot product of their rows, as
    /// the model's configuration says, or the MLP's output for an MLP model (the score it was
    /// trained on).
    ///
    /// - Precondition: both indices are in range.
    /// - Complexity: O(`dimension`), or O(`hidden · dimension`) for an MLP model.
    public func score(user: Int, item: Int) -> Float {
        precondition(user >= 0 && user < model.users.count, "user \(user) out of range 0..<\(model.users.count)")
        precondition(item >= 0 && item < model.items.count, "item \(item) out of range 0..<\(model.items.count)")
        let cosine = model.configuration.similarity == .cosine
        let dimension = model.itemTable.dimension
        return model.userTable.withUnsafeHandle { users in
            model.itemTable.withUnsafeHandle { items in
                if let network = model.network { return network.score(user: users.row(user), item: items.row(item)) }
                return cosine ? Vector.cosine(users.row(user), items.row(item), count: dimension)
                       : Vector.dot(users.row(user), items.row(item), count: dimension)
            }
        }
    }

    /// The cosine similarity of the rows of items `a` and `b` (0 when either row is zero),
    /// whatever similarity the model was trained with.
    ///
    /// - Precondition: both indices are in range.
    /// - Complexity: O(`dimension`).
    public func itemSimilarity(_ a: Int, _ b: Int) -> Float {
        let count = model.items.count
        precondition(a >= 0 && a < count && b >= 0 && b < count, "item \(a) or \(b) out of range 0..<\(count)")
        let dimension = model.itemTable.dimension
        return model.itemTable.withUnsafeHandle { items in
            Vector.cosine(items.row(a), items.row(b), count: dimension)
        }
    }

    // MARK: - Rankings

    /// The `k` items `user` scores highest (`score(user:item:)`), best first, leaving out the
    /// items in `excluded` — typically the user's training positives, which a recommendation
    /// should not repeat.
    ///
    /// Fewer than `k` items come back when fewer are left after the exclusion. Equal scores are
    /// ordered by the lower item index; NaN scores come last.
    ///
    /// - Parameters:
    ///   - user: a user row index.
    ///   - k: how many items to return, 0 or more.
    ///   - excluded: item row indices never to return; duplicates are harmless.
    /// - Precondition: `user` and every excluded index are in range, `k >= 0`.
    /// - Complexity: O(n·d + n·log k + e) time for n items of dimension d and e excluded
    ///   indices (O(n·h·d + …) through an MLP of h hidden units); O(n + k) memory (an exclusion
    ///   mask and the k best so far, and for an MLP every item's score).
    public func topItems(for user: Int, k: Int, excluding excluded: some Sequence<Int>) -> [(item: Int, score: Float)] {
        precondition(user >= 0 && user < model.users.count, "user \(user) out of range 0..<\(model.users.count)")
        precondition(k >= 0, "k must be 0 or more (got \(k))")
        let count = model.items.count
        var skip = [Bool](repeating: false, count: count)
        for item in excluded {
            precondition(item >= 0 && item < count, "excluded item \(item) out of range 0..<\(count)")
            skip[item] = true
        }
        guard k > 0, count > 0 else { return [] }
        let cosine = model.configuration.similarity == .cosine
        let dimension = model.itemTable.dimension
        var best = TopK(min(k, count))
        if let network = model.network {
            let scores = network.scores(user: user, users: model.userTable, items: model.itemTable)
            for item in 0..<count where !skip[item] { best.offer(item, scores[item]) }
            return best.sorted().map { (item: $0.item, score: $0.score) }
        }
        model.userTable.withUnsafeHandle { users in
            model.itemTable.withUnsafeHandle { items in
                let u = users.row(user)
                for item in 0..<count where !skip[item] {
                    let row = items.row(item)
                    best.offer(item, cosine ? Vector.cosine(u, row, count: dimension) : Vector.dot(u, row, count: dimension))
                }
            }
        }
        return best.sorted().map { (item: $0.item, score: $0.score) }
    }

    /// The `k` items `user` scores highest, best first, excluding nothing.
    ///
    /// - Precondition: `user` is in range, `k >= 0`.
    /// - Complexity: as `topItems(for:k:excluding:)`.
    public func topItems(for user: Int, k: Int) -> [(item: Int, score: Float)] {
        topItems(for: user, k: k, excluding: EmptyCollection<Int>())
    }

    /// The `k` items whose rows have the highest cosine similarity to `item`'s row, most
    /// similar first, `item` itself left out.
    ///
    /// Neighbours are always by cosine, also for dot-product and MLP models: the dot product of
    /// two item rows would favour long (often popular) rows over close ones, and the MLP scores
    /// (user, item) pairs, not item pairs. Equal similarities are ordered
    /// by the lower item index; NaN similarities come last. Fewer than `k` items come back when
    /// the model has fewer than `k + 1` items.
    ///
    /// - Precondition: `item` is in range, `k >= 0`.
    /// - Complexity: O(n·d + n·log k) time for n items of dimension d; O(k) memory.
    public func similarItems(to item: Int, k: Int) -> [(item: Int, similarity: Float)] {
        let count = model.items.count
        precondition(item >= 0 && item < count, "item \(item) out of range 0..<\(count)")
        precondition(k >= 0, "k must be 0 or more (got \(k))")
        guard k > 0, count > 1 else { return [] }
        let dimension = model.itemTable.dimension
        var best = TopK(min(k, count - 1))
        model.itemTable.withUnsafeHandle { items in
            let query = items.row(item)
            for other in 0..<count where other != item {
                best.offer(other, Vector.cosine(query, items.row(other), count: dimension))
            }
        }
        return best.sorted().map { (item: $0.item, similarity: $0.score) }
    }

    // MARK: - Looking up what a person typed

    /// The row index of user id `id`.
    ///
    /// - Throws: `HogwildError` "user id 'x' is not in the model (943 users)".
    /// - Complexity: O(1) expected.
    public static func userIndex(of id: String, in users: IDMap) throws -> Int {
        guard let index = users.index(of: id) else {
            throw HogwildError("user id '\(oneLine(id))' is not in the model (\(users.count) user\(users.count == 1 ? "" : "s"))")
        }
        return Int(index)
    }

    /// The row index of the item `query` names, tried in this order:
    ///
    /// 1. an item id (ids win over titles: on ml-100k "101" is item 101, not "101 Dalmatians");
    /// 2. an exact title;
    /// 3. a title equal to `query` ignoring case;
    /// 4. a title containing `query` ignoring case.
    ///
    /// The first step with exactly one match decides; a step with several matches is an error
    /// listing up to five of them (ml-100k has a few titles that two ids share).
    ///
    /// - Parameters:
    ///   - query: what the person typed: an item id or (part of) a title.
    ///   - items: the model's item ids.
    ///   - info: titles by item row (as `EmbeddingExport.itemInfo(nextTo:items:)` reads them), or
    ///     `nil` when no titles are known: then only ids are accepted.
    /// - Precondition: `info`, when given, has one entry per item.
    /// - Throws: `HogwildError` (one line) when nothing matches or the match is ambiguous.
    /// - Complexity: O(1) expected for an id; O(Σ title lengths) otherwise.
    public static func itemIndex(of query: String, in items: IDMap,
                                 info: [EmbeddingExport.ItemInfo?]? = nil) throws -> Int {
        if let index = items.index(of: query) { return Int(index) }
        let shown = oneLine(query)
        let size = "\(items.count) item\(items.count == 1 ? "" : "s")"
        guard let info else {
            throw HogwildError("item id '\(shown)' is not in the model (\(size); no titles are known, so give an item id)")
        }
        precondition(info.count == items.count, "\(info.count) titles for \(items.count) items")
        let titled = info.indices.compactMap { row in info[row].map { (row: row, title: $0.title) } }
        let lowered = query.lowercased()
        let steps: [(what: String, matches: (String) -> Bool)] = [
            ("title", { $0 == query }),
            ("title (ignoring case)", { $0.lowercased() == lowered }),
            ("title containing it (ignoring case)", { !lowered.isEmpty && $0.lowercased().contains(lowered) }),
        ]
        for step in steps {
            let found = titled.filter { step.matches($0.title) }
            if found.count == 1 { return found[0].row }
            if found.count > 1 {
                let listed = found.prefix(5).map { "\(oneLine(items.id(at: $0.row))) \(oneLine($0.title))" }
                let more = found.count > 5 ? "; … (\(found.count - 5) more)" : ""
                throw HogwildError("'\(shown)' is ambiguous: \(found.count) items match by \(step.what): "
                    + listed.joined(separator: "; ") + more + "; give an item id or the exact title")
            }
        }
        throw HogwildError("item '\(shown)' is not in the model: no item id, title or part of a title matches (\(size))")
    }

    /// `text` with line breaks and tabs replaced by spaces, fit for a one-line message.
    static func oneLine(_ text: String) -> String {
        guard text.contains(where: { $0.isNewline || $0 == "\t" }) else { return text }
        return String(text.map { $0.isNewline || $0 == "\t" ? " " : $0 })
    }
}

/// The `k` best (item, score) pairs offered so far, by score descending then item ascending.
///
/// A binary heap whose root is the worst pair kept, so a pair that does not beat it costs one
/// comparison: O(log k) per accepted pair, O(1) per rejected one.
struct TopK {
    struct Entry {
        var item: Int
        var score: Float
    }

    let k: Int
    private(set) var heap: [Entry] = []

    init(_ k: Int) {
        precondition(k >= 1)
        self.k = k
        heap.reserveCapacity(k)
    }

    /// `score` with NaN mapped below every number, so rankings stay total.
    @inline(__always)
    static func key(_ score: Float) -> Float { score.isNaN ? -.infinity : score }

    /// Whether `a` ranks above `b`: a higher score, or an equal one and a lower item index.
    @inline(__always)
    static func ranksAbove(_ a: Entry, _ b: Entry) -> Bool {
        let ka = key(a.score), kb = key(b.score)
        return ka != kb ? ka > kb : a.item < b.item
    }

    /// Keeps `item` if it is among the `k` best so far.
    mutating func offer(_ item: Int, _ score: Float) {
        let entry = Entry(item: item, score: score)
        if heap.count < k {
            heap.append(entry)
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard TopK.ranksAbove(heap[parent], heap[child]) else { break }
                heap.swapAt(parent, child)
                child = parent
            }
        } else if TopK.ranksAbove(entry, heap[0]) {
            heap[0] = entry
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var worst = parent
                if left < heap.count && TopK.ranksAbove(heap[worst], heap[left]) { worst = left }
                if right < heap.count && TopK.ranksAbove(heap[worst], heap[right]) { worst = right }
                if worst == parent { break }
                heap.swapAt(parent, worst)
                parent = worst
            }
        }
    }

    /// The kept pairs, best first.
    ///
    /// - Complexity: O(k log k).
    func sorted() -> [Entry] { heap.sorted(by: TopK.ranksAbove) }
}
