import ArgumentParser
import Foundation
import Hogwild

extension EmbeddingExport.Format: ExpressibleByArgument {}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a saved model's embeddings for NumPy, StarSpace, word2vec/gensim or TensorBoard.",
        discussion: """
            Example: hogwild train --data ml-100k --save m.hgw && hogwild export --model m.hgw --format npy --out exported

            Files are written into --out, which is created when missing; each file is replaced \
            atomically. Each format has its own file names, so exports of several formats can \
            share a folder. Ids are written unchanged: an id a format cannot hold (a tab or line \
            break in the tab-separated files of npy, tsv and projector; whitespace, or an empty \
            id, in vec) stops the export with an error naming it and its row, before any file is \
            written.

            npy: users.npy and items.npy, NumPy .npy 1.0 arrays of float32 (little-endian, C \
            order, shape (rows, dim)) for numpy.load; users.tsv and items.tsv, whose line r holds \
            row r's original id (for items followed by the title, with --data); manifest.json \
            with dim, similarity, loss, margin, learning rate, epochs trained, seed, the training \
            files and their sizes, and the final test auc, precision_at_10, recall_at_10 and \
            users_evaluated when the model file has them (models saved by 'hogwild train' with a \
            test set).

            tsv: user_vectors.tsv and item_vectors.tsv, StarSpace-style 'id<TAB>v1<TAB>v2…' lines.

            vec: users.vec and items.vec in word2vec/fastText text format ('count dim', then \
            'id v1 v2 …'), for gensim's KeyedVectors.load_word2vec_format(path, binary=False).

            projector: vectors.tsv and metadata.tsv for the items, to load into the TensorBoard \
            Embedding Projector (projector.tensorflow.org, "Load"). metadata.tsv has the columns \
            id, title, genres and popularity: titles and genres come from u.item (ml-100k) or \
            movies.csv (ml-latest-small) next to the --data training file, popularity is the \
            item's number of training positives in --data; without --data they are empty.

            Values are printed with enough digits to read back the exact float32. --normalize \
            scales every row to unit length, so that inner-product indexes (FAISS, ScaNN, …) \
            return the cosine neighbours a cosine model ranks by.
            """)

    @Option(help: ArgumentHelp("A model saved by 'hogwild train --save'.", valueName: "file"))
    var model: String

    @Option(help: ArgumentHelp("Output format (see above).", valueName: "format"))
    var format: EmbeddingExport.Format

    @Option(help: ArgumentHelp("Folder to write the files into (created when missing).", valueName: "dir"))
    var out: String

    @Flag(help: "Scale every row to unit L2 norm (zero rows stay zero).")
    var normalize = false

    @OptionGroup(title: "Data (titles, genres, popularity)") var dataOptions: ModelDataOptions

    func validate() throws {
        if dataOptions.data != nil && (format == .tsv || format == .vec) {
            throw HogwildError("--data is used by --format npy (item titles) and projector (titles, genres, popularity); \(format.rawValue) has no place for it")
        }
    }

    func run() throws {
        OutputSafety.protectInputs([(model, "model file")])
        let (loaded, header) = try ModelFile.load(model)
        say("model    \(model): \(loaded.users.count) users, \(loaded.items.count) items, \(loaded.configuration.summary), \(loaded.epochsTrained) epochs")
        var options = EmbeddingExport.Options(normalize: normalize)
        if dataOptions.data != nil, let source = try dataOptions.source(header: header) {
            OutputSafety.protectInputs(source.inputFiles)
            options.itemInfo = try ModelQuery.itemTitles(source, items: loaded.items)
            if format == .projector {
                let dataset = try dataOptions.load(source, model: loaded, header: header)
                options.popularity = EmbeddingExport.popularity(dataset.train)
                say("data     \(dataset.summary)")
            }
        }
        let written = try EmbeddingExport.export(loaded, header: header, format: format, to: out, options: options)
        let names = written.map { ($0 as NSString).lastPathComponent }
        say("wrote    \(out): \(names.joined(separator: ", "))\(normalize ? " (rows normalised)" : "")")
        if loaded.network != nil {
            say("note     the model scores through its MLP, whose weights are not exported: the rows alone do not reproduce its rankings")
        }
    }
}
