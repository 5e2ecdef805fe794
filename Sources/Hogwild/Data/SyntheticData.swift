import Dispatch

/// What `SyntheticData.generate` makes.
///
/// The defaults are a medium-sized set; `builtIn` is the small one `--data synthetic` uses.
public struct SyntheticSpec: Sendable, Equatable, Codable {
    /// Users (rows).
    public var users = 10_000
    /// Items (columns).
    public var items = 2_000
    /// Target number of distinct interactions (duplicates are redrawn, a few rounds at most, so
    /// users whose clusters are too small for their activity end up with fewer).
    public var interactions = 500_000
    /// Planted taste clusters; every item belongs to one.
    public var clusters = 32
    /// Clusters each user draws from.
    public var clustersPerUser = 3
    /// Item popularity ∝ 1/rank^zipf.
    public var zipf = 1.0
    /// σ of the log-normal number of interactions per user.
    public var activitySigma = 1.0
    /// Share of interactions drawn from global popularity instead of the user's clusters.
    public var noise = 0.1
    /// Positives held out per user (who has more than that) as the test set.
    public var holdout = 2
    /// Seeds everything: the same spec always gives the same data.
    public var seed: UInt64 = 1

    /// The default spec.
    public init() {}

    /// The built-in `--data synthetic` set: small enough to train in a moment, with structure to learn.
    public static var builtIn: SyntheticSpec {
        var s = SyntheticSpec()
        s.users = 3_000
        s.items = 1_500
        s.interactions = 150_000
        s.clusters = 24
        s.holdout = 5
        return s
    }

    /// The most distinct interactions the generator can make: every user at its cap
    /// (`SyntheticData.perUserCap(items:)`).
    public var maximumInteractions: Int { users * SyntheticData.perUserCap(items: items) }

    /// Checks every value; call before `SyntheticData.generate`, which assumes a valid spec.
    ///
    /// - Throws: `HogwildError` for the first bad value; the message names the CLI flag.
    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws { if !ok { throw HogwildError(message) } }
        try check(users >= 1 && users <= Int(Int32.max), "--users must be between 1 and \(Int32.max) (got \(users))")
        try check(items >= 2 && items <= Int(Int32.max), "--items must be between 2 and \(Int32.max) (got \(items))")
        try check(interactions >= users, "--interactions must be at least --users (got \(interactions))")
        try check(interactions <= maximumInteractions,
                  "--interactions \(interactions) cannot be made: each of the \(users) users interacts with at most a quarter of the \(items) items (\(SyntheticData.perUserCap(items: items))), so at most \(maximumInteractions); raise --users or --items")
        try check(clusters >= 1 && clusters <= items, "--clusters must be between 1 and --items (got \(clusters))")
        try check(clustersPerUser >= 1 && clustersPerUser <= clusters, "--clusters-per-user must be between 1 and --clusters")
        try check(zipf.isFinite && zipf >= 0, "--zipf must be a finite number ≥ 0 (got \(zipf))")
        try check(activitySigma.isFinite && activitySigma >= 0, "--activity-sigma must be a finite number ≥ 0")
        try check(noise.isFinite && noise >= 0 && noise <= 1, "--noise must be between 0 and 1 (got \(noise))")
        try check(holdout >= 0, "--holdout must be 0 or more (got \(holdout))")
    }
}

/// Planted-structure implicit feedback at any scale: users draw items from a few taste clusters
/// (the planted factors: a user's mixture over clusters, an item's cluster), within a cluster by
/// Zipf popularity, plus a share of globally popular noise; activity per user is log-normal.
///
/// Generation is parallel over blocks of users, each user with its own generator stream, so the
/// output depends on the spec alone — not on the thread count.
public enum SyntheticData {
    /// The most items one user interacts with: a quarter of the catalogue (at least 1), so that
    /// every user leaves most items to rank.
    public static func perUserCap(items: Int) -> Int { max(1, items / 4) }

    /// Generates train and test positives, with dense ids (row `u` is user `"u"`).
    ///
    /// - Precondition: `spec` is valid (`SyntheticSpec.validate()`).
    ///
    /// - Complexity: O(interactions · log(interactions per user)) time, ~2 × 4 bytes per
    ///   interaction of memory at the peak.
    public static func generate(_ spec: SyntheticSpec, threads: Int) -> (train: InteractionMatrix, test: InteractionMatrix) {
        var rng = RandomSource(seed: spec.seed)
        // Popularity: a random rank per item, weight 1/(rank+1)^s; cluster: uniform at random.
        var rank = Array(0..<spec.items)
        rank.shuffle(using: &rng)
        let weight = rank.map { 1 / Double($0 + 1).pow(spec.zipf) }
        let cluster = (0..<spec.items).map { _ in rng.next(below: spec.clusters) }
        var grouped = [[Int32]](repeating: [], count: spec.clusters)
        for i in 0..<spec.items { grouped[cluster[i]].append(Int32(i)) }
        let members = grouped
        let global = AliasTable(weights: weight)
        let perCluster = members.map { m in AliasTable(weights: m.map { weight[Int($0)] }) }

        // Activity: log-normal, scaled to the target total, at least 1 and at most items/4.
        let activity = (0..<spec.users).map { u -> Double in
            var r = RandomSource.stream(seed: spec.seed, epoch: -1, worker: u)
            return (spec.activitySigma * Double(r.nextGaussian())).exp()
        }
        let scale = Double(spec.interactions) / activity.reduce(0, +)
        let cap = perUserCap(items: spec.items)

        let blockSize = 4096
        let blocks = (spec.users + blockSize - 1) / blockSize
        final class Block: @unchecked Sendable {
            var train: [Int32] = [], trainCounts: [Int] = [], test: [Int32] = [], testCounts: [Int] = []
        }
        let results = (0..<blocks).map { _ in Block() }
        let workers = max(1, min(threads, blocks))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var b = worker
            var drawn: [Int32] = []
            while b < blocks {
                let block = results[b]
                for u in (b * blockSize)..<min(spec.users, (b + 1) * blockSize) {
                    var r = RandomSource.stream(seed: spec.seed, epoch: 0, worker: u)
                    let count = min(cap, max(1, Int((activity[u] * scale).rounded())))
                    var tastes: [Int] = [], tasteWeights: [Double] = []
                    for _ in 0..<spec.clustersPerUser {
                        tastes.append(r.next(below: spec.clusters))
                        tasteWeights.append(Double(r.nextUnitFloat()) + 0.05)
                    }
                    let taste = AliasTable(weights: tasteWeights)
                    // Draw, merge duplicates, and draw again for the shortfall (a few rounds at most).
                    var unique: [Int32] = []
                    var round = 0
                    while unique.count < count && round < 8 {
                        drawn.removeAll(keepingCapacity: true)
                        drawn += unique
                        for _ in 0..<(count - unique.count) {
                            if Double(r.nextUnitFloat()) < spec.noise {
                                drawn.append(Int32(global.sample(&r)))
                            } else {
                                let c = tastes[taste.sample(&r)]
                                drawn.append(members[c][perCluster[c].sample(&r)])
                            }
                        }
                        drawn.sort()
                        unique.removeAll(keepingCapacity: true)
                        for item in drawn where unique.last != item { unique.append(item) }
                        round += 1
                    }
                    var held: [Int32] = []
                    if unique.count > spec.holdout {
                        for j in 0..<spec.holdout {
                            unique.swapAt(j, j + r.next(below: unique.count - j))
                            held.append(unique[j])
                        }
                        unique.removeFirst(spec.holdout)
                        unique.sort()
                        held.sort()
                    }
                    block.train += unique
                    block.trainCounts.append(unique.count)
                    block.test += held
                    block.testCounts.append(held.count)
                }
                b += workers
            }
        }
        func assemble(_ columns: KeyPath<Block, [Int32]>, _ counts: KeyPath<Block, [Int]>) -> InteractionMatrix {
            let total = results.reduce(0) { $0 + $1[keyPath: columns].count }
            let offsets = AlignedBuffer<Int>(count: spec.users + 1)
            let items = AlignedBuffer<Int32>(count: total)
            offsets.withUnsafeMutableBufferPointer { o in
                items.withUnsafeMutableBufferPointer { c in
                    var u = 0, k = 0
                    for block in results {
                        for n in block[keyPath: counts] { o[u + 1] = o[u] + n; u += 1 }
                        for item in block[keyPath: columns] { c[k] = item; k += 1 }
                    }
                }
            }
            // The generator's own output: sorted, distinct, in range by construction.
            return try! InteractionMatrix(userCount: spec.users, itemCount: spec.items, offsets: offsets, columns: items,
                                          describe: "synthetic")
        }
        return (assemble(\.train, \.trainCounts), assemble(\.test, \.testCounts))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
extension Double {
    fileprivate func pow(_ e: Double) -> Double { Glibc.pow(self, e) }
    fileprivate func exp() -> Double { Glibc.exp(self) }
}
