/// A two-way map between the original ids of a data file and dense row indices `0..<count`.
///
/// Text files give *named* maps: any string id, indices assigned in order of first appearance.
/// Binary interaction files and generated data give *dense* maps, whose id for index `i` is
/// simply `"i"`: no strings are stored, which keeps millions of users cheap. Named ids are kept
/// as bytes in a `ByteIDInterner` (no `String` per id), so a reader's table becomes the map as is.
public struct IDMap: Sendable, Equatable {
    private var names = ByteIDInterner()
    /// When non-nil, the map is dense with this many ids and `names` is unused.
    private var denseCount: Int? = nil

    /// An empty named map.
    public init() {}

    /// A dense map of `count` ids `"0"`, `"1"`, ….
    public init(denseCount count: Int) {
        precondition(count >= 0)
        denseCount = count
    }

    /// A named map holding the ids of `table`, in its order.
    init(named table: ByteIDInterner) {
        names = table
    }

    /// The ids as a byte table, for a reader to extend (a dense map is spelled out first).
    var table: ByteIDInterner {
        guard let denseCount else { return names }
        var spelled = ByteIDInterner()
        for i in 0..<denseCount {
            var id = String(i)
            _ = id.withUTF8 { spelled.intern($0) }
        }
        return spelled
    }

    /// A named map holding `ids` in order (row `i` is `ids[i]`).
    ///
    /// - Throws: `HogwildError` naming the first duplicate id.
    public init(ids: [String]) throws {
        for id in ids {
            let next = Int32(count)
            if intern(id) != next { throw HogwildError("duplicate id '\(HogwildError.escaped(id))'") }
        }
    }

    /// The number of ids.
    public var count: Int { denseCount ?? names.count }

    /// Whether ids are the row indices themselves.
    public var isDense: Bool { denseCount != nil }

    /// Whether every id is its own row index (`"0"`, `"1"`, …): a dense map, or a named one that
    /// spells the same ids (as a dense map reads back from a model file).
    ///
    /// - Complexity: O(1) for dense maps, O(count) otherwise.
    public var isIdentity: Bool {
        denseCount != nil || (0..<names.count).allSatisfy { names.string(at: $0) == String($0) }
    }

    /// The original id of row `index`.
    public func id(at index: Int) -> String {
        precondition(index >= 0 && index < count, "id index \(index) out of range 0..<\(count)")
        return denseCount != nil ? String(index) : names.string(at: index)
    }

    /// Every id, by row index.
    public var ids: [String] { (0..<count).map(id(at:)) }

    /// The index of `id`, adding it if it is new (a dense map becomes named first).
    ///
    /// - Complexity: amortised O(1); O(count) once when a dense map is converted.
    @discardableResult
    public mutating func intern(_ id: String) -> Int32 {
        if denseCount != nil {
            if let index = index(of: id) { return index }
            names = table
            denseCount = nil
        }
        var bytes = id
        return bytes.withUTF8 { names.intern($0) }
    }

    /// The index of `id`, or `nil` if it is not in the map.
    public func index(of id: String) -> Int32? {
        if let denseCount {
            guard let i = Int(id), i >= 0, i < denseCount, String(i) == id else { return nil }
            return Int32(i)
        }
        var bytes = id
        return bytes.withUTF8 { names.index(of: $0) }
    }
}
