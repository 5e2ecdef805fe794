import Foundation
import HogwildTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One model trained on ml-100k for the whole suite (`hogwild train --data ml-100k --epochs 20
/// --threads 2`), created on first use in a temporary folder that is removed at exit.
private enum SharedModel {
    static let directory: URL = {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("hogwild-recommend-tests-\(UUID().uuidString)", isDirectory: true)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: SharedModel.directory) }
        return url
    }()

    /// `nil` once the model is saved, else what went wrong.
    static let failure: String? = {
        do {
            let r = try runHogwild(["train", "--data", "ml-100k", "--epochs", "20", "--save", "m.hgw", "--threads", "2"],
                                   in: directory)
            return r.terminationReason == .exit && r.status == 0 ? nil : "training the shared model failed: \(r)"
        } catch {
            return "training the shared model failed: \(error)"
        }
    }()

    /// The path of the trained model; fails the test when ml-100k is missing or training failed.
    static func path(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        _ = try MovieLens.require(sourceLocation: sourceLocation)
        try #require(failure == nil, "\(failure ?? "")", sourceLocation: sourceLocation)
        return directory.appendingPathComponent("m.hgw").path
    }
}

/// One ranked line of `recommend` or `similar`: "rank  item  score  title…".
private struct RankedLine {
    var rank: Int
    var item: String
    var score: Double
    var rest: String

    /// The ranked lines of `stdout`: those whose first field is a number.
    static func all(_ stdout: String) -> [RankedLine] {
        stdout.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
            guard fields.count >= 3, let rank = Int(fields[0]), let score = Double(fields[2]) else { return nil }
            return RankedLine(rank: rank, item: String(fields[1]), score: score,
                              rest: fields.count > 3 ? fields[3].trimmingCharacters(in: .whitespaces) : "")
        }
    }
}

/// The item ids `user` rated at least `minRating` in an ml-100k ratings file (user, item, rating, time).
private func positives(of user: String, in file: String, minRating: Double = 4) throws -> Set<String> {
    let text = try String(contentsOfFile: file, encoding: .utf8)
    var items = Set<String>()
    for line in text.split(separator: "\n") {
        let f = line.split(separator: "\t")
        if f.count >= 3, f[0] == user, let rating = Double(f[2]), rating >= minRating { items.insert(String(f[1])) }
    }
    return items
}

/// `hogwild recommend` and `hogwild similar`, run as the built executable on ml-100k.
@Suite("hogwild recommend and similar use a saved model")
struct RecommendCommandTests {
    @Test("similar: Star Wars' nearest neighbours include a sequel, by title, id or part of the title", .needsMovieLens, .tags(.movieLens))
    func similarStarWars() throws {
        let model = try SharedModel.path()
        try withTemporaryDirectory { dir in
            let r = try runHogwild(["similar", "--model", model, "--item", "Star Wars (1977)", "--k", "10", "--data", "ml-100k"], in: dir)
            try #require(r.terminationReason == .exit && r.status == 0, "\(r)")
            #expect(r.stderr.isEmpty, "\(r)")
            let ranked = RankedLine.all(r.stdout)
            #expect(ranked.map(\.rank) == Array(1...10), "\(r)")
            #expect(ranked.contains { $0.rest.hasPrefix("Return of the Jedi (1983)") || $0.rest.hasPrefix("Empire Strikes Back, The (1980)") },
                    "neither sequel among Star Wars' 10 nearest items: \(r)")
            #expect(!ranked.contains { $0.item == "50" }, "the item is its own neighbour: \(r)")
            #expect(zip(ranked, ranked.dropFirst()).allSatisfy { $0.score >= $1.score }, "cosines not descending: \(r)")
            #expect(ranked.allSatisfy { $0.score >= -1 && $0.score <= 1 })
            #expect(r.stdout.contains("item     50 Star Wars (1977)"), "\(r)")

            // The same neighbours by id, by part of the title, and with the model's own training file for titles.
            for query in [["--item", "50"], ["--item", "star wars"], ["--item", "STAR WARS (1977)"]] {
                let other = try runHogwild(["similar", "--model", model, "--k", "10"] + query, in: dir)
                try #require(other.status == 0, "\(other)")
                #expect(RankedLine.all(other.stdout).map(\.item) == ranked.map(\.item), "\(other)")
            }
        }
    }

    @Test("recommend: 20 ranked items for user 1, none of them rated in ua.base, test hits marked and counted", .needsMovieLens, .tags(.movieLens))
    func recommendUser1() throws {
        let model = try SharedModel.path()
        let root = try MovieLens.require()
        let seen = try positives(of: "1", in: "\(root)/ml-100k/ua.base")
        let rated = try positives(of: "1", in: "\(root)/ml-100k/ua.base", minRating: 0)
        let tested = try positives(of: "1", in: "\(root)/ml-100k/ua.test")
        try #require(seen.count > 50 && !tested.isEmpty)
        try withTemporaryDirectory { dir in
            let r = try runHogwild(["recommend", "--model", model, "--user", "1", "--k", "20", "--data", "ml-100k"], in: dir)
            try #require(r.terminationReason == .exit && r.status == 0, "\(r)")
            #expect(r.stderr.isEmpty, "\(r)")
            let ranked = RankedLine.all(r.stdout)
            #expect(ranked.map(\.rank) == Array(1...20), "\(r)")
            #expect(Set(ranked.map(\.item)).count == 20, "an item is listed twice: \(r)")
            let repeated = ranked.filter { rated.contains($0.item) }.map(\.item)
            #expect(repeated.isEmpty, "recommended items user 1 already rated in ua.base: \(repeated): \(r)")
            #expect(zip(ranked, ranked.dropFirst()).allSatisfy { $0.score >= $1.score }, "scores not descending: \(r)")
            #expect(ranked.allSatisfy { !$0.rest.isEmpty }, "a line without a title: \(r)")
            // Test positives are marked, and the summary counts them.
            for line in ranked {
                #expect(line.rest.hasSuffix("✓ test hit") == tested.contains(line.item), "\(line.item): \(r)")
            }
            let hits = ranked.filter { tested.contains($0.item) }.count
            #expect(r.stdout.contains("hits     \(hits) of \(tested.count) test positives in the top 20"), "\(r)")
            #expect(r.stdout.contains("user     1: \(seen.count) training positives, \(rated.count - seen.count) rated lower, \(tested.count) test positives"), "\(r)")
            let seenLine = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("seen     5 of \(rated.count): ") }, "\(r)")
            #expect(seenLine.contains("Toy Story (1995)"), "\(r)")

            // Without --data, the files named in the model are read: the same recommendations.
            let again = try runHogwild(["recommend", "--model", model, "--user", "1"], in: dir)
            try #require(again.status == 0, "\(again)")
            #expect(RankedLine.all(again.stdout).map(\.item) == ranked.map(\.item), "\(again)")
            let fewer = try runHogwild(["recommend", "--model", model, "--user", "1", "--k", "3"], in: dir)
            #expect(RankedLine.all(fewer.stdout).map(\.item) == ranked.prefix(3).map(\.item), "\(fewer)")
        }
    }

    @Test("unknown users, items and titles, ambiguous titles and --k 0 each fail with one line", .needsMovieLens, .tags(.movieLens))
    func badInput() throws {
        let model = try SharedModel.path()
        try withTemporaryDirectory { dir in
            expectOneLineError(try runHogwild(["recommend", "--model", model, "--user", "x", "--data", "ml-100k"], in: dir),
                               containing: ["user id 'x' is not in the model (943 users)"])
            expectOneLineError(try runHogwild(["recommend", "--model", model, "--user", "1", "--k", "0"], in: dir),
                               containing: ["--k must be at least 1"])
            expectOneLineError(try runHogwild(["similar", "--model", model, "--item", "99999", "--data", "ml-100k"], in: dir),
                               containing: ["item '99999' is not in the model", "1682 items"])
            expectOneLineError(try runHogwild(["similar", "--model", model, "--item", "No Such Film (2099)"], in: dir),
                               containing: ["item 'No Such Film (2099)' is not in the model"])
            expectOneLineError(try runHogwild(["similar", "--model", model, "--item", "star"], in: dir),
                               containing: ["'star' is ambiguous", "50 Star Wars (1977)", "more)"])
            expectOneLineError(try runHogwild(["similar", "--model", model, "--item", "Chasing Amy (1997)"], in: dir),
                               containing: ["ambiguous", "246 Chasing Amy (1997)", "268 Chasing Amy (1997)"])
            expectOneLineError(try runHogwild(["similar", "--model", model, "--item", "50", "--k", "0"], in: dir),
                               containing: ["--k must be at least 1"])
            expectOneLineError(try runHogwild(["similar", "--model", "missing.hgw", "--item", "50"], in: dir),
                               containing: ["missing.hgw"])
        }
    }

    @Test("--help lists recommend and similar")
    func help() throws {
        try withTemporaryDirectory { dir in
            let r = try runHogwild(["--help"], in: dir)
            #expect(r.status == 0 && r.stdout.contains("recommend") && r.stdout.contains("similar"), "\(r)")
            let s = try runHogwild(["help", "similar"], in: dir)
            #expect(s.status == 0 && s.stdout.contains("--item") && s.stdout.contains("cosine"), "\(s)")
        }
    }
}
