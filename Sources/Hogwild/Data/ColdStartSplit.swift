/// The cold-start protocol: a seeded share of the items is held out of training entirely, and a
/// model is judged on how it ranks those items, which it has never seen interacted with.
///
/// Every interaction of a held-out ("cold") item leaves both the training and the test set; the
/// items stay in the id maps, so the model has rows for them. A collaborative model's cold rows
/// are never trained (the trainer must never draw them as negatives: pass `coldItems` as
/// `HogwildTrainer(…excludedNegatives:)`), so it ranks them at chance; a hybrid model places them
/// by their features.
///
/// **Cold-start AUC.** For each user, only the cold items are ranked: the positives are the
/// user's positives among them in the original training *and* test sets, the negatives are the
/// other cold items; the mean per-user AUC over users with at least one of each. It is computed
/// by `AUCEvaluator` with every warm item excluded from every user's candidates.
public struct ColdStartSplit: Sendable {
    /// The held-out item rows, sorted.
    public let coldItems: [Int32]
    /// The data set without any interaction of a cold item; same id maps and source.
    public let dataset: Dataset
    /// Each user's positives among the cold items (from the original train and test sets).
    public let coldPositives: InteractionMatrix
    /// Every warm item for every user: what the cold ranking leaves out.
    let warmItems: InteractionMatrix

    /// Holds out `round(fraction · items)` items of `dataset` (at least 1, leaving at least 2),
    /// chosen uniformly with `seed`.
    ///
    /// - Throws: when `fraction` is not in (0, 1), the data set has fewer than 3 items, or more
    ///   than 250 million user × item pairs (the exclusion lists would not fit in memory).
    /// - Complexity: O(pairs + users · items): the exclusion lists hold every warm item per user.
    public init(_ dataset: Dataset, fraction: Double, seed: UInt64) throws {
        guard fraction.isFinite, fraction > 0, fraction < 1 else {
            throw HogwildError("--cold-items must be a fraction between 0 and 1 (got \(fraction))")
        }
        let itemCount = dataset.items.count, userCount = dataset.users.count
        guard itemCount >= 3 else { throw HogwildError("cold-start evaluation needs at least 3 items (found \(itemCount))") }
        // The cold ranking excludes every warm item for every user, as explicit lists.
        guard Double(userCount) * Double(itemCount) <= 2.5e8 else {
            throw HogwildError("--cold-items ranks the held-out items for every user: \(userCount) users × \(itemCount) items is too large (at most 250 million pairs)")
        }
        let count = min(max(Int((fraction * Double(itemCount)).rounded()), 1), itemCount - 2)
        var order = (0..<itemCount).map(Int32.init)
        var rng = RandomSource(seed: seed ^ 0x636F_6C64_6974_656D)  // "colditem"
        for j in 0..<count { order.swapAt(j, j + rng.next(below: itemCount - j)) }
        coldItems = order.prefix(count).sorted()
        var isCold = [Bool](repeating: false, count: itemCount)
        for item in coldItems { isCold[Int(item)] = true }

        // Splits a matrix's pairs into warm and cold ones.
        func split(_ m: InteractionMatrix) -> (warm: (users: [Int32], items: [Int32]), cold: (users: [Int32], items: [Int32])) {
            var warm: ([Int32], [Int32]) = ([], []), cold: ([Int32], [Int32]) = ([], [])
            m.withUnsafeHandle { csr in
                for u in 0..<userCount {
                    for item in csr.row(u) {
                        if isCold[Int(item)] { cold.0.append(Int32(u)); cold.1.append(item) } else { warm.0.append(Int32(u)); warm.1.append(item) }
                    }
                }
            }
            return (warm, cold)
        }
        let train = split(dataset.train), test = split(dataset.test)
        let matrix = { (pairs: (users: [Int32], items: [Int32])) in
            InteractionMatrix(userCount: userCount, itemCount: itemCount, users: pairs.users, items: pairs.items)
        }
        self.dataset = Dataset(source: dataset.source, users: dataset.users, items: dataset.items,
                               train: matrix(train.warm), test: matrix(test.warm),
                               split: "\(dataset.split), \(count) cold items (\(fraction) of \(itemCount), seed \(seed)) held out of both")
        coldPositives = matrix((train.cold.users + test.cold.users, train.cold.items + test.cold.items))
        let warm = (0..<itemCount).filter { !isCold[$0] }.map(Int32.init)
        var excludedUsers: [Int32] = [], excludedItems: [Int32] = []
        excludedUsers.reserveCapacity(userCount * warm.count)
        excludedItems.reserveCapacity(userCount * warm.count)
        for u in 0..<userCount {
            excludedUsers.append(contentsOf: repeatElement(Int32(u), count: warm.count))
            excludedItems.append(contentsOf: warm)
        }
        warmItems = InteractionMatrix(userCount: userCount, itemCount: itemCount, users: excludedUsers, items: excludedItems)
    }

    /// `positives` plus every cold item for every user: as the exclusions of an evaluation, they
    /// leave the warm items alone as candidates (the warm test of the protocol).
    ///
    /// - Complexity: O(pairs + users · cold items).
    public func excludingColdItems(_ positives: InteractionMatrix) -> InteractionMatrix {
        var users: [Int32] = [], items: [Int32] = []
        positives.withUnsafeHandle { csr in
            for u in 0..<positives.userCount {
                for item in csr.row(u) { users.append(Int32(u)); items.append(item) }
                users.append(contentsOf: repeatElement(Int32(u), count: coldItems.count))
                items.append(contentsOf: coldItems)
            }
        }
        return InteractionMatrix(userCount: positives.userCount, itemCount: positives.itemCount, users: users, items: items)
    }

    /// The cold-start figures of `model` (whose ids must be the data set's): AUC and top-k metrics
    /// of each user's ranking of the cold items alone (see the type's description).
    public func evaluate(_ model: EmbeddingModel, k: Int = 10, threads: Int) -> Evaluation {
        AUCEvaluator.evaluate(model: model, train: warmItems, test: coldPositives, k: k, threads: threads)
    }
}
