import ArgumentParser
import Foundation
import Hogwild

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Recommend: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recommend items for a user: the saved model's top k, leaving out what the user has already seen.",
        discussion: """
            Example: hogwild train --data ml-100k --save m.hgw && hogwild recommend --model m.hgw --user 1

            Items are ranked by the model's own score (cosine, dot, or its MLP for an --matcher \
            mlp model, as it was trained). The \
            user's training positives in --data are left out; the user's test positives are \
            marked "✓ test hit" and counted in a final "hits" line. Each line holds the rank, the \
            item id, the score and, when u.item (ml-100k) or movies.csv (ml-latest-small) lies \
            next to the training file, the title and genres. A "seen" line shows up to five of \
            the user's training positives, to judge the recommendations by.

            Without --data the files the model was trained on are read again, split as at \
            training (the model file records the paths, --min-rating and --holdout).
            """)

    @Option(help: ArgumentHelp("A model saved by 'hogwild train --save'.", valueName: "file"))
    var model: String

    @Option(help: ArgumentHelp("The user's id, as in the data (e.g. 1).", valueName: "id"))
    var user: String

    @Option(help: "How many items to recommend.")
    var k = 20

    @OptionGroup(title: "Data") var dataOptions: ModelDataOptions

    func validate() throws {
        guard k >= 1 else { throw HogwildError("--k must be at least 1 (got \(k))") }
    }

    func run() throws {
        let (loaded, header) = try ModelFile.load(model)
        let userIndex = try Recommender.userIndex(of: user, in: loaded.users)
        guard let source = try dataOptions.source(header: header) else {
            throw HogwildError("'\(model)' does not name its training data; give --data (the seen items are left out of the recommendations)")
        }
        say("model    \(model): \(loaded.users.count) users, \(loaded.items.count) items, \(loaded.configuration.summary), \(loaded.epochsTrained) epochs")
        let dataset = try dataOptions.load(source, model: loaded, header: header)
        say("data     \(dataset.summary)")
        let info = try ModelQuery.itemTitles(source, items: loaded.items)

        // Everything the user rated in training is left out: the positives, and the films rated
        // below the threshold (seen, not liked), which a full-softmax model with seen items
        // ranks high.
        let positives = dataset.train.items(of: userIndex).map(Int.init)
        let lowerRated = dataset.seen.items(of: userIndex).map(Int.init)
        let seen = positives + lowerRated
        let testPositives = Set(dataset.test.items(of: userIndex).map(Int.init))
        let ranked = Recommender(model: loaded).topItems(for: userIndex, k: k, excluding: seen)

        say("user     \(user): \(positives.count) training positive\(positives.count == 1 ? "" : "s"), \(lowerRated.count) rated lower, \(testPositives.count) test positive\(testPositives.count == 1 ? "" : "s")")
        if seen.isEmpty {
            say("seen     nothing: the user has no training interactions, so nothing is left out")
        } else {
            let shown = seen.prefix(5).map { ModelQuery.describe(item: $0, items: loaded.items, info: info) }
            say("seen     \(shown.count) of \(seen.count): \(shown.joined(separator: "; "))\(seen.count > shown.count ? "; …" : "")")
        }
        let marks = ranked.map { testPositives.contains($0.item) ? "✓ test hit" : "" }
        ModelQuery.printRanking(ranked.map { ($0.item, $0.score) }, scoreName: "score", items: loaded.items, info: info, marks: marks)
        if ranked.count < k {
            say("note     only \(ranked.count) items are left after leaving out the \(seen.count) seen ones")
        }
        let hits = marks.filter { !$0.isEmpty }.count
        if dataset.test.nonZeroCount == 0 {
            say("hits     no test set (\(dataset.split))")
        } else {
            say("hits     \(hits) of \(testPositives.count) test positive\(testPositives.count == 1 ? "" : "s") in the top \(min(k, ranked.count))")
        }
    }
}

// MARK: - Shared by recommend and similar

/// What `recommend` and `similar` share: finding the model's data and titles, printing rankings.
enum ModelQuery {
    /// Titles and genres of the model's items from the files next to `source`'s training file,
    /// announced on a "titles" line; `nil` when there are none.
    static func itemTitles(_ source: DataSource, items: IDMap) throws -> [EmbeddingExport.ItemInfo?]? {
        guard source.synthetic == nil, let found = try EmbeddingExport.itemInfo(nextTo: source.trainFile, items: items) else {
            say("titles   none: no u.item or movies.csv next to \(source.trainFile)")
            return nil
        }
        let known = found.info.reduce(0) { $0 + ($1 == nil ? 0 : 1) }
        say("titles   \(known) of \(items.count) items from \(found.file)")
        return found.info
    }

    /// "id Title (year)" when the title is known, else "item id".
    static func describe(item: Int, items: IDMap, info: [EmbeddingExport.ItemInfo?]?) -> String {
        let id = oneLine(items.id(at: item))
        guard let entry = info?[item] ?? nil else { return "item \(id)" }
        return "\(id) \(oneLine(entry.title))"
    }

    /// Prints a ranking as a header line and one line per item: rank, item id, score, then title
    /// and genres when known, then `marks[i]`.
    static func printRanking(_ ranked: [(item: Int, score: Float)], scoreName: String, items: IDMap,
                             info: [EmbeddingExport.ItemInfo?]?, marks: [String]? = nil) {
        let ids = ranked.map { oneLine(items.id(at: $0.item)) }
        let scores = ranked.map { fixed(Double($0.score), 4) }
        let rankWidth = max(4, String(ranked.count).count)
        let idWidth = max(4, ids.map(\.count).max() ?? 0)
        let scoreWidth = max(scoreName.count, scores.map(\.count).max() ?? 0)
        func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, width - text.count))
            return left ? fill + text : text + fill
        }
        say(trimmed("\(pad("rank", rankWidth, left: true))  \(pad("item", idWidth))  \(pad(scoreName, scoreWidth, left: true))  \(info == nil ? "" : "title")"))
        for (i, entry) in ranked.enumerated() {
            var line = "\(pad(String(i + 1), rankWidth, left: true))  \(pad(ids[i], idWidth))  \(pad(scores[i], scoreWidth, left: true))"
            if let known = info?[entry.item] ?? nil {
                line += "  \(oneLine(known.title))"
                if !known.genres.isEmpty { line += "  [\(known.genres.joined(separator: ", "))]" }
            }
            if let mark = marks?[i], !mark.isEmpty { line += "  \(mark)" }
            say(trimmed(line))
        }
    }

    /// `text` with tabs and line breaks replaced by spaces, so an item stays on its line.
    static func oneLine(_ text: String) -> String {
        guard text.contains(where: { $0.isNewline || $0 == "\t" }) else { return text }
        return String(text.map { $0.isNewline || $0 == "\t" ? " " : $0 })
    }

    /// `text` without trailing spaces.
    static func trimmed(_ text: String) -> String {
        var s = text
        while s.last == " " { s.removeLast() }
        return s
    }
}
