import HogwildTestSupport
import Foundation
import Hogwild
import Testing

/// A fresh temporary folder, removed by `cleanup()`.
struct TemporaryFolder {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("hogwild-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String, _ contents: String) throws -> String {
        let p = "\(path)/\(name)"
        try contents.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// A planted-factor interaction set: each user likes the items of their own cluster.
func plantedInteractions(users: Int, items: Int, clusters: Int, perUser: Int, seed: UInt64) -> (users: [Int32], items: [Int32]) {
    var rng = TestRandom(seed)
    var us: [Int32] = [], its: [Int32] = []
    let clusterSize = items / clusters
    for u in 0..<users {
        let c = u % clusters
        for _ in 0..<perUser {
            us.append(Int32(u))
            its.append(Int32(c * clusterSize + rng.below(clusterSize)))
        }
    }
    return (us, its)
}

func idMap(_ count: Int, prefix: String) -> IDMap {
    var m = IDMap()
    for i in 0..<count { m.intern("\(prefix)\(i)") }
    return m
}
