import ArgumentParser
import Foundation
import Hogwild

struct Similar: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the items nearest to an item: the cosine neighbours of its embedding row.",
        discussion: """
            Example: hogwild train --data ml-100k --save m.hgw && hogwild similar --model m.hgw --item "Star Wars (1977)"

            Neighbours are ranked by the cosine similarity of item rows, whatever similarity or \
            matcher the model was trained with (an --matcher mlp model's network scores user–item \
            pairs, not item pairs, so its item rows are compared by cosine too); the item itself \
            is left out. --item is an item id, an exact \
            title, or a part of one title (ignoring case); an id wins over a title. Titles and \
            genres come from u.item (ml-100k) or movies.csv (ml-latest-small) next to the --data \
            training file, by default the file the model was trained on. A part of a title that \
            several titles contain is an error listing some of them.
            """)

    @Option(help: ArgumentHelp("A model saved by 'hogwild train --save'.", valueName: "file"))
    var model: String

    @Option(help: ArgumentHelp("An item id, an exact title, or a part of one title (ignoring case).", valueName: "id-or-title"))
    var item: String

    @Option(help: "How many neighbours to list.")
    var k = 10

    @OptionGroup(title: "Data (for titles)") var dataOptions: ModelDataOptions

    func validate() throws {
        guard k >= 1 else { throw HogwildError("--k must be at least 1 (got \(k))") }
    }

    func run() throws {
        let (loaded, header) = try ModelFile.load(model)
        say("model    \(model): \(loaded.users.count) users, \(loaded.items.count) items, \(loaded.configuration.summary), \(loaded.epochsTrained) epochs")
        let info: [EmbeddingExport.ItemInfo?]?
        if dataOptions.data != nil {
            // Titles were asked for: a data set that is not there, or a bad u.item, is an error.
            let source = try dataOptions.source(header: header)!
            info = try ModelQuery.itemTitles(source, items: loaded.items)
        } else if let source = try? dataOptions.source(header: header) {
            // The model's own training file: titles when they can be had, ids otherwise.
            do {
                info = try ModelQuery.itemTitles(source, items: loaded.items)
            } catch {
                say("titles   none: \(error)")
                info = nil
            }
        } else {
            say("titles   none: give --data for titles (the model's training file is \(header.trainFile.map { "'\($0)', not readable" } ?? "not named in it"))")
            info = nil
        }
        let index = try Recommender.itemIndex(of: item, in: loaded.items, info: info)
        var line = "item     \(ModelQuery.oneLine(loaded.items.id(at: index)))"
        if let known = info?[index] ?? nil {
            line += " \(ModelQuery.oneLine(known.title))"
            if !known.genres.isEmpty { line += "  [\(known.genres.joined(separator: ", "))]" }
        }
        say(line)
        let neighbours = Recommender(model: loaded).similarItems(to: index, k: k)
        ModelQuery.printRanking(neighbours.map { ($0.item, $0.similarity) }, scoreName: "cosine", items: loaded.items, info: info)
        if neighbours.count < k {
            say("note     the model has only \(neighbours.count) other item\(neighbours.count == 1 ? "" : "s")")
        }
    }
}
