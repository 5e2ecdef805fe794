#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a data set comes from: a training file and, optionally, a test file (without one,
/// `Dataset.load` holds out positives per user); or a generated set.
public struct DataSource: Sendable, Equatable {
    /// A short name for reports: the catalogue name or the training file's path.
    public var name: String
    /// The training interactions' path (a text ratings file or a binary interaction file);
    /// `"(generated)"` for a synthetic set.
    public var trainFile: String
    /// The test interactions' path; `nil` makes `Dataset.load` hold out positives per user (a
    /// binary interaction file carries its own test set and takes none).
    public var testFile: String?
    /// When set, the data is generated from this spec and the file names are unused.
    public var synthetic: SyntheticSpec?

    /// A data set read from files.
    public init(name: String, trainFile: String, testFile: String? = nil) {
        self.name = name
        self.trainFile = trainFile
        self.testFile = testFile
    }

    /// A generated data set.
    public init(synthetic spec: SyntheticSpec, name: String = "synthetic") {
        self.name = name
        trainFile = "(generated)"
        synthetic = spec
    }
}

/// The named public data sets `--data` understands, and where they are looked for.
///
/// Search order: `$HOGWILD_DATA/<name>`, then `$XDG_CACHE_HOME/hogwild/<name>` (default
/// `~/.cache/hogwild/<name>`). MovieLens' licence forbids redistributing the files, so they are
/// read where the user put them and never copied into the repository.
public enum DataCatalog {
    struct Entry {
        let name: String
        let trainFile: String
        let testFile: String?
        /// The published `<name>.zip` (a `<name>/` folder inside): its size and SHA-256, which a
        /// download must match.
        let zipBytes: Int
        let zipSHA256: String
    }

    // Sizes and digests of the GroupLens zips as published in tensorflow/datasets,
    // tensorflow_datasets/url_checksums/movie_lens.txt.
    static let entries = [
        Entry(name: "ml-100k", trainFile: "ua.base", testFile: "ua.test",
              zipBytes: 4_924_029, zipSHA256: "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229"),
        Entry(name: "ml-latest-small", trainFile: "ratings.csv", testFile: nil,
              zipBytes: 978_202, zipSHA256: "696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436"),
    ]

    /// The catalogue's names (`synthetic` is not among them).
    public static var names: [String] { entries.map(\.name) }

    /// The folders searched for data set `name`, in order: `$HOGWILD_DATA/<name>` when the
    /// variable is set, then the cache folder's `<name>` (see `cacheFolder(environment:)`).
    public static func searchFolders(for name: String, environment: [String: String]) -> [String] {
        var folders: [String] = []
        if let root = environment["HOGWILD_DATA"], !root.isEmpty { folders.append("\(root)/\(name)") }
        if let cache = cacheFolder(environment: environment) { folders.append("\(cache)/\(name)") }
        return folders
    }

    /// The cache folder downloads go into: `$XDG_CACHE_HOME/hogwild`, else `~/.cache/hogwild`;
    /// `nil` when both variables are unset.
    public static func cacheFolder(environment: [String: String]) -> String? {
        if let cache = environment["XDG_CACHE_HOME"], !cache.isEmpty { return "\(cache)/hogwild" }
        if let home = environment["HOME"], !home.isEmpty { return "\(home)/.cache/hogwild" }
        return nil
    }

    /// The folder holding catalogue entry `entry`'s training file, if any search folder has it.
    static func installedFolder(of entry: Entry, environment: [String: String]) -> String? {
        searchFolders(for: entry.name, environment: environment).first { access("\($0)/\(entry.trainFile)", R_OK) == 0 }
    }

    /// Resolves a `--data` argument: a catalogue name, `synthetic` (a small built-in planted set),
    /// or the path of an interaction file (then `test` is the optional test file's path).
    ///
    /// - Parameters:
    ///   - spec: the `--data` argument.
    ///   - test: the `--test` argument, if any.
    ///   - environment: the process environment (`HOGWILD_DATA`, `XDG_CACHE_HOME`, `HOME`, and
    ///     the download variables).
    ///   - log: the `download` argument: when given, a catalogue data set found in no search
    ///     folder is downloaded into the cache first (see `download(_:environment:log:)`), and
    ///     `log` receives its one progress line. When `nil`, a missing data set is an error.
    /// - Throws: `HogwildError` for an unknown name that is not a file, a catalogue data set that
    ///   is missing (and cannot be downloaded), or `test` given with `synthetic`.
    public static func resolve(_ spec: String, test: String?, environment: [String: String],
                               download log: ((String) -> Void)? = nil) throws -> DataSource {
        if spec == "synthetic" {
            if test != nil { throw HogwildError("--data synthetic makes its own test set; drop --test") }
            return DataSource(synthetic: .builtIn)
        }
        guard let entry = entries.first(where: { $0.name == spec }) else {
            if access(spec, F_OK) == 0 || spec.contains("/") || spec.contains(".") {
                return DataSource(name: spec, trainFile: spec, testFile: test)
            }
            throw HogwildError("unknown data set '\(spec)': not a file, and not one of \((names + ["synthetic"]).joined(separator: ", "))")
        }
        let folder: String
        if let found = installedFolder(of: entry, environment: environment) {
            folder = found
        } else if let log {
            folder = try download(entry.name, environment: environment, log: log)
        } else {
            throw HogwildError("data set '\(entry.name)' not found: looked for \(entry.trainFile) in \(lookedIn(entry, environment)); "
                + "'hogwild download \(entry.name)' fetches it into the cache")
        }
        return DataSource(name: entry.name, trainFile: "\(folder)/\(entry.trainFile)",
                          testFile: test ?? entry.testFile.map { "\(folder)/\($0)" })
    }

    /// The search folders of `entry`, for messages.
    static func lookedIn(_ entry: Entry, _ environment: [String: String]) -> String {
        let folders = searchFolders(for: entry.name, environment: environment)
        return folders.isEmpty ? "(HOGWILD_DATA and HOME are unset)" : folders.joined(separator: " or ")
    }
}

/// Training and test positives over one id space.
///
/// The item universe is every item seen in either file at any rating, so the evaluator ranks a
/// user's test positives against every known item the user has not interacted with positively in
/// training — on ml-100k's ua split: 1,682 items, 943 users, 934 of them with a test positive.
public struct Dataset: Sendable {
    /// Where the data came from.
    public let source: DataSource
    /// The user ids: row `u` of both matrices is user `users.id(at: u)`.
    public let users: IDMap
    /// The item ids: column `i` of both matrices is item `items.id(at: i)`.
    public let items: IDMap
    /// Training positives.
    public let train: InteractionMatrix
    /// Test positives (possibly none).
    public let test: InteractionMatrix
    /// How the test set was made, for reports.
    public let split: String
    /// Training interactions rated below the positive threshold: items the user saw but did
    /// not rate highly enough, never a training positive of the same user. Empty for files
    /// without ratings and for generated or binary sets. `TrainingConfiguration.seenWeight`
    /// trains on them.
    public let seen: InteractionMatrix
    /// Test positives left out by `load` because their user or item never appears in the
    /// training data (all zero when none were, or with `keepUnseenTest`).
    public internal(set) var unseenTest = UnseenTestPositives()
    /// One line each for what loading did to the input beyond reading it — a header line
    /// skipped, unseen test positives left out — for the caller to print.
    public internal(set) var notes: [String] = []

    init(source: DataSource, users: IDMap, items: IDMap, train: InteractionMatrix, test: InteractionMatrix, split: String,
         seen: InteractionMatrix? = nil) {
        self.source = source
        self.users = users
        self.items = items
        self.train = train
        self.test = test
        self.split = split
        self.seen = seen ?? InteractionMatrix(userCount: users.count, itemCount: items.count, users: [], items: [])
    }

    /// Loads `source`: positives are ratings ≥ `minRating` (every line of a file without ratings).
    ///
    /// With a test file, the split is the two files. Without one, `holdout` positives of every
    /// user who has more than `holdout` are moved to the test set, chosen by `seed`.
    ///
    /// Generated sets and binary interaction files bring their own split and dense ids; then
    /// `minRating`, `holdout` and `seed` are unused.
    ///
    /// - Parameters:
    ///   - source: the files (or synthetic spec) to load.
    ///   - minRating: the lowest rating that makes a positive.
    ///   - holdout: positives held out per user when there is no test file.
    ///   - seed: seeds the holdout draw.
    ///   - ids: when given, the id maps of a trained model: ids outside them are errors.
    ///   - threads: workers for reading a large text file or generating a synthetic set.
    ///   - keepUnseenTest: keep test positives whose user or item has no interaction in the
    ///     training data. By default they are left out — such a user's or item's vector was never
    ///     trained, so ranking with it measures the initialisation — and counted in `unseenTest`,
    ///     with a line in `notes`.
    /// - Throws: `HogwildError` for an unreadable or malformed file (naming file and line), an
    ///   id outside `ids`, or a binary file given together with a test file.
    /// - Complexity: O(file sizes + pairs · log(pairs per user)).
    public static func load(_ source: DataSource, minRating: Float, holdout: Int, seed: UInt64,
                            ids: (users: IDMap, items: IDMap)? = nil, threads: Int = 1,
                            keepUnseenTest: Bool = false) throws -> Dataset {
        let data = try split(source, minRating: minRating, holdout: holdout, seed: seed, ids: ids, threads: threads)
        return keepUnseenTest ? data : data.leavingOutUnseenTest()
    }

    /// `load` before unseen test positives are left out.
    private static func split(_ source: DataSource, minRating: Float, holdout: Int, seed: UInt64,
                              ids: (users: IDMap, items: IDMap)?, threads: Int) throws -> Dataset {
        guard holdout >= 0 else { throw HogwildError("--holdout must be 0 or more (got \(holdout))") }
        if let spec = source.synthetic {
            let (train, test) = SyntheticData.generate(spec, threads: threads)
            return try dense(source, train: train, test: test, ids: ids,
                             split: "generated: \(spec.clusters) planted clusters, \(spec.holdout) positives per user held out (seed \(spec.seed))")
        }
        if InteractionFile.isInteractionFile(source.trainFile) {
            if source.testFile != nil { throw HogwildError("'\(source.trainFile)' is a binary interaction file with its own test set; drop --test") }
            let (_, _, train, test) = try InteractionFile.read(source.trainFile)
            return try dense(source, train: train, test: test, ids: ids, split: "binary train / test in \(source.trainFile)")
        }
        var users = ids?.users ?? IDMap(), items = ids?.items ?? IDMap()
        let frozen = ids != nil
        let trainRecords = try RatingsReader.read(source.trainFile, users: &users, items: &items, addNewIDs: !frozen, threads: threads)
        let testRecords = try source.testFile.map {
            try RatingsReader.read($0, users: &users, items: &items, addNewIDs: !frozen, threads: threads)
        }
        let notes = [(source.trainFile, trainRecords.header), (source.testFile ?? "", testRecords?.header)].compactMap { file, header in
            header.map { "'\(file)' line \($0.line) taken for a header and skipped: \($0.text)" }
        }
        let withNotes = { (data: Dataset) -> Dataset in
            var data = data
            data.notes = notes
            return data
        }
        let positives = { (records: RatingRecords) -> (users: [Int32], items: [Int32]) in
            if records.ratings.isEmpty { return (records.users, records.items) }  // every record is one
            var u: [Int32] = [], i: [Int32] = []
            u.reserveCapacity(records.count)
            i.reserveCapacity(records.count)
            for k in 0..<records.count where records.isPositive(k, minRating: minRating) {
                u.append(records.users[k])
                i.append(records.items[k])
            }
            return (u, i)
        }
        let trainPositives = positives(trainRecords)
        if trainPositives.users.isEmpty, let low = trainRecords.ratings.min(), let high = trainRecords.ratings.max() {
            throw HogwildError("'\(source.trainFile)' has no positives: its ratings run from \(low) to \(high), none at or above --min-rating \(minRating)")
        }
        let all = InteractionMatrix(userCount: users.count, itemCount: items.count,
                                    users: trainPositives.users, items: trainPositives.items)
        // Rated below the threshold, and not also a positive (a pair rated twice).
        var seenUsers: [Int32] = [], seenItems: [Int32] = []
        all.withUnsafeHandle { csr in
            // (A file without ratings has only positives.)
            for k in 0..<(trainRecords.ratings.isEmpty ? 0 : trainRecords.count) where !trainRecords.isPositive(k, minRating: minRating) {
                let user = trainRecords.users[k], item = trainRecords.items[k]
                if !csr.contains(user: Int(user), item: item) {
                    seenUsers.append(user)
                    seenItems.append(item)
                }
            }
        }
        let seen = InteractionMatrix(userCount: users.count, itemCount: items.count, users: seenUsers, items: seenItems)
        if let testRecords, let testFile = source.testFile {
            let testPositives = positives(testRecords)
            let test = InteractionMatrix(userCount: users.count, itemCount: items.count,
                                         users: testPositives.users, items: testPositives.items)
            return withNotes(Dataset(source: source, users: users, items: items, train: all, test: test,
                                     split: "\(source.trainFile) / \(testFile)", seen: seen))
        }
        if holdout == 0 {
            return withNotes(Dataset(source: source, users: users, items: items, train: all,
                                     test: InteractionMatrix(userCount: users.count, itemCount: items.count, users: [], items: []),
                                     split: "no test set", seen: seen))
        }
        // Per-user holdout from the training file.
        var trainUsers: [Int32] = [], trainItems: [Int32] = [], testUsers: [Int32] = [], testItems: [Int32] = []
        var rng = RandomSource(seed: seed ^ 0x686F_6C64_6F75_74)  // "holdout"
        for u in 0..<users.count {
            var row = all.items(of: u)
            let k = row.count > holdout ? holdout : 0
            for j in 0..<k {
                row.swapAt(j, j + rng.next(below: row.count - j))
                testUsers.append(Int32(u))
                testItems.append(row[j])
            }
            for j in k..<row.count {
                trainUsers.append(Int32(u))
                trainItems.append(row[j])
            }
        }
        return withNotes(Dataset(
            source: source, users: users, items: items,
            train: InteractionMatrix(userCount: users.count, itemCount: items.count, users: trainUsers, items: trainItems),
            test: InteractionMatrix(userCount: users.count, itemCount: items.count, users: testUsers, items: testItems),
            split: "\(holdout) positives per user held out of \(source.trainFile) (seed \(seed))",
            seen: seen))
    }

    /// A data set whose ids are the row indices, checked against a model's maps when given.
    private static func dense(_ source: DataSource, train: InteractionMatrix, test: InteractionMatrix,
                              ids: (users: IDMap, items: IDMap)?, split: String) throws -> Dataset {
        let users = IDMap(denseCount: train.userCount), items = IDMap(denseCount: train.itemCount)
        if let ids, ids.users.count != users.count || ids.items.count != items.count || !ids.users.isIdentity || !ids.items.isIdentity {
            throw HogwildError("\(source.name) has \(users.count) users and \(items.count) items; the model was trained on \(ids.users.count) and \(ids.items.count) other ids")
        }
        return Dataset(source: source, users: users, items: items, train: train, test: test, split: split)
    }

    /// Splits `train` per user into (fit, validation): of each user's positives, ⌊fraction · n⌋
    /// chosen by `seed` go to validation, at least one positive always staying in fit. Used for
    /// early stopping and tuning without touching the test set.
    ///
    /// - Complexity: O(pairs).
    public func validationSplit(fraction: Double, seed: UInt64) -> (fit: InteractionMatrix, validation: InteractionMatrix) {
        var rng = RandomSource(seed: seed ^ 0x7661_6C69_6461_7465)  // "validate"
        var fu: [Int32] = [], fi: [Int32] = [], vu: [Int32] = [], vi: [Int32] = []
        for u in 0..<users.count {
            var row = train.items(of: u)
            let held = min(Int(fraction * Double(row.count)), max(row.count - 1, 0))
            for j in 0..<held {
                row.swapAt(j, j + rng.next(below: row.count - j))
                vu.append(Int32(u)); vi.append(row[j])
            }
            for j in held..<row.count { fu.append(Int32(u)); fi.append(row[j]) }
        }
        return (InteractionMatrix(userCount: users.count, itemCount: items.count, users: fu, items: fi),
                InteractionMatrix(userCount: users.count, itemCount: items.count, users: vu, items: vi))
    }

    /// This data set without the test positives whose user or item has no training interaction
    /// (positive or rated lower), counted in `unseenTest` and said in `notes`.
    ///
    /// - Complexity: O(users + pairs).
    func leavingOutUnseenTest() -> Dataset {
        var userSeen = [Bool](repeating: false, count: users.count), itemSeen = [Bool](repeating: false, count: items.count)
        for matrix in [train, seen] {
            matrix.withUnsafeHandle { csr in
                for u in 0..<users.count {
                    let row = csr.row(u)
                    if !row.isEmpty { userSeen[u] = true }
                    for item in row { itemSeen[Int(item)] = true }
                }
            }
        }
        var keptUsers: [Int32] = [], keptItems: [Int32] = []
        var unseen = UnseenTestPositives()
        var itemCounted = [Bool](repeating: false, count: items.count)
        test.withUnsafeHandle { csr in
            for u in 0..<users.count {
                let row = csr.row(u)
                if !row.isEmpty && !userSeen[u] { unseen.users += 1 }
                for item in row {
                    if userSeen[u] && itemSeen[Int(item)] {
                        keptUsers.append(Int32(u))
                        keptItems.append(item)
                        continue
                    }
                    unseen.positives += 1
                    if !itemSeen[Int(item)] && !itemCounted[Int(item)] {
                        itemCounted[Int(item)] = true
                        unseen.items += 1
                    }
                }
            }
        }
        guard unseen.positives > 0 else { return self }
        var data = Dataset(source: source, users: users, items: items,
                           train: train, test: InteractionMatrix(userCount: users.count, itemCount: items.count, users: keptUsers, items: keptItems),
                           split: split, seen: seen)
        data.unseenTest = unseen
        func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
        data.notes = notes + ["left out \(unseen.positives) of \(count(test.nonZeroCount, "test positive")), of \(count(unseen.users, "user")) "
                              + "and \(count(unseen.items, "item")) never seen in training (their vectors are untrained; --keep-unseen-test keeps them)"]
        return data
    }

    /// Throws unless the test set gives the evaluator something to rank: at least one user with
    /// a test positive outside their training positives and an item left to rank it against.
    /// Nothing to do when no test set was asked for (no test file and no positive held out).
    ///
    /// - Throws: `HogwildError` saying why there is nothing to evaluate.
    /// - Complexity: O(users + pairs).
    public func requireSomethingToEvaluate() throws {
        guard source.testFile != nil || test.nonZeroCount > 0 || unseenTest.positives > 0 else { return }
        guard AUCEvaluator.evaluableUsers(train: train, test: test) == 0 else { return }
        let what = source.testFile.map { "'\($0)'" } ?? "the test set (\(split))"
        if unseenTest.positives > 0 && test.nonZeroCount == 0 {
            throw HogwildError("nothing to evaluate: all \(unseenTest.positives) test positives of \(what) are of users or items never seen in training "
                               + "(--keep-unseen-test scores them with untrained vectors)")
        }
        if test.nonZeroCount == 0 {
            throw HogwildError("nothing to evaluate: \(what) has no test positives")
        }
        let inTrain = train.withUnsafeHandle { trainCSR in
            test.withUnsafeHandle { testCSR in
                (0..<users.count).allSatisfy { u in testCSR.row(u).allSatisfy { trainCSR.contains(user: u, item: $0) } }
            }
        }
        if inTrain {
            throw HogwildError("nothing to evaluate: every test positive of \(what) is also a training positive of the same user (is the test file the training file?)")
        }
        throw HogwildError("nothing to evaluate: no user of \(what) has a test positive with an item left to rank it against")
    }

    /// The number of users with at least one test positive.
    public var usersWithTestPositives: Int {
        test.withUnsafeHandle { csr in (0..<users.count).reduce(0) { $0 + (csr.row($1).isEmpty ? 0 : 1) } }
    }
}

/// Test positives `Dataset.load` left out because their user or item never appears in the
/// training data.
public struct UnseenTestPositives: Sendable, Equatable {
    /// Test users with no training interaction (all their test positives are left out).
    public var users = 0
    /// Items of test positives with no training interaction.
    public var items = 0
    /// The test positives left out, for either reason.
    public var positives = 0

    /// None.
    public init() {}
}
