/// A two-way map between the original ids of a data file (any string) and dense row indices
/// `0..<count`, assigned in order of first appearance.
public struct IDMap: Sendable, Equatable {
    /// The original ids, by row index.
    public private(set) var ids: [String] = []
    private var indices: [String: Int32] = [:]

    public init() {}

    /// A map holding `ids` in order; they must be distinct.
    public init(ids: [String]) throws {
        for id in ids {
            let next = Int32(count)
            if intern(id) != next { throw HogwildError("duplicate id '\(id)'") }
        }
    }

    /// The number of ids.
    public var count: Int { ids.count }

    /// The index of `id`, adding it if it is new.
    ///
    /// - Complexity: amortised O(1).
    @discardableResult
    public mutating func intern(_ id: String) -> Int32 {
        if let index = indices[id] { return index }
        let index = Int32(ids.count)
        indices[id] = index
        ids.append(id)
        return index
    }

    /// The index of `id`, or `nil` if it is not in the map.
    public func index(of id: String) -> Int32? { indices[id] }
}
