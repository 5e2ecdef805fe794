@testable import Hogwild
import FuzzSupport

/// The text interaction reader, as `Dataset.load` calls it for a training file (new ids added)
/// and for a saved model's data (ids fixed: an unknown one is an error), then the positives'
/// matrix the trainer gets. A third pass cuts the input into chunks of a few bytes, read on two
/// threads and merged, and must give the serial read's result, ids and error alike.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRatings(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let (bytes, count) = Fuzz.contents(data, size)
    func read(_ users: inout IDMap, _ items: inout IDMap, addNewIDs: Bool, chunked: Bool = false) throws -> RatingRecords {
        try bytes.withUnsafeBufferPointer { b in
            try RatingsReader.read(bytes: b.baseAddress!, count: count, path: "fuzz.csv", users: &users, items: &items,
                                   addNewIDs: addNewIDs, threads: chunked ? 2 : 1, chunkBytes: chunked ? 16 : RatingsReader.defaultChunkBytes)
        }
    }
    var serialUsers = IDMap(), serialItems = IDMap(), chunkUsers = IDMap(), chunkItems = IDMap()
    let serial = Result { try read(&serialUsers, &serialItems, addNewIDs: true) }
    let chunked = Result { try read(&chunkUsers, &chunkItems, addNewIDs: true, chunked: true) }
    switch (serial, chunked) {
    case let (.success(a), .success(b)):
        Fuzz.check(a.users == b.users && a.items == b.items && a.ratings == b.ratings && serialUsers.ids == chunkUsers.ids
                   && serialItems.ids == chunkItems.ids, "chunked and serial reads differ")
    case let (.failure(a), .failure(b)):
        Fuzz.check("\(a)" == "\(b)", "chunked and serial reads fail differently: \(a) / \(b)")
    default:
        Fuzz.check(false, "one of the chunked and serial reads failed: \(serial) / \(chunked)")
    }
    for frozen in [false, true] {
        var users = frozen ? (try! IDMap(ids: ["1", "2", "3", "alice", "u1"])) : IDMap()
        var items = frozen ? (try! IDMap(ids: ["1", "2", "10", "item-x", "i1"])) : IDMap()
        let before = (users.count, items.count)
        Fuzz.expectOneLineErrors {
            let records = try read(&users, &items, addNewIDs: !frozen)
            Fuzz.check(records.count > 0, "no records and no error")
            Fuzz.check(records.items.count == records.count && (records.ratings.isEmpty || records.ratings.count == records.count),
                       "\(records.count) users, \(records.items.count) items, \(records.ratings.count) ratings")
            Fuzz.check(!frozen || (users.count, items.count) == before, "a frozen id map grew")
            for k in 0..<records.count {
                Fuzz.check(records.users[k] >= 0 && Int(records.users[k]) < users.count, "user row \(records.users[k]) of \(users.count)")
                Fuzz.check(records.items[k] >= 0 && Int(records.items[k]) < items.count, "item row \(records.items[k]) of \(items.count)")
            }
            Fuzz.check(records.ratings.allSatisfy(\.isFinite), "a non-finite rating")
            let matrix = InteractionMatrix(userCount: users.count, itemCount: items.count, users: records.users, items: records.items)
            Fuzz.checkRows(matrix, "ratings")
        }
    }
    return 0
}
