@testable import Hogwild
import FuzzSupport

/// The side-feature readers of `--item-features` / `--user-features`. The first byte picks the
/// reader (its low three bits mod 5, so the ASCII digits 0–4 name them in the seed files); the
/// rest is the file:
///
/// 0. a generic `id,feature` file (`FeatureMatrix.read`), 1. ml-100k's `u.user` demographics,
/// 2. `u.genre`, 3. `u.item` and 4. `movies.csv` (the genre features of `genres`).
///
/// A matrix read is then composed into a small hybrid model, as training does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFeatures(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let contents = Fuzz.contents(data + 1, size - 1)
    Fuzz.expectOneLineErrors {
        let matrix: FeatureMatrix
        switch (data[0] & 7) % 5 {
        case 0: matrix = try FeatureMatrix.read(contents, path: "features.csv", ids: ids)
        case 1: matrix = try FeatureMatrix.readUserDemographics(contents, path: "u.user", users: ids)
        case 2:
            let names = try EmbeddingExport.readGenres(contents, path: "u.genre")
            Fuzz.check(names.count <= 1000, "\(names.count) genre names")
            return
        case 3:
            let table = try EmbeddingExport.readMovieLens100kItems(contents, path: "u.item", genres: EmbeddingExport.movieLens100kGenres)
            matrix = FeatureMatrix.itemGenres(table, file: "u.item", items: ids)
        default:
            let table = try EmbeddingExport.readMoviesCSV(contents, path: "movies.csv")
            matrix = FeatureMatrix.itemGenres(table, file: "movies.csv", items: ids)
        }
        Fuzz.check(matrix.entityCount == ids.count, "\(matrix.entityCount) rows for \(ids.count) ids")
        Fuzz.check(matrix.incidence.itemCount == matrix.names.count, "\(matrix.incidence.itemCount) columns, \(matrix.names.count) names")
        Fuzz.checkRows(matrix.incidence, "features")
        let features = try SideFeatures(model: model, items: matrix, users: matrix)
        let composed = features.composedModel(model)
        Fuzz.check(composed.itemTable.rowCount == ids.count, "composed \(composed.itemTable.rowCount) rows")
    }
    return 0
}

/// The ids the files are read against: users and items alike (so one matrix serves as both).
private let ids = try! IDMap(ids: ["1", "2", "3", "10", "42", "alice", "bob", "item-x", "Toy Story (1995)"])

/// A small model over `ids`, for composing the features read.
private let model: EmbeddingModel = {
    var config = TrainingConfiguration()
    config.dimension = 8
    return EmbeddingModel(configuration: config, users: ids, items: ids)
}()
