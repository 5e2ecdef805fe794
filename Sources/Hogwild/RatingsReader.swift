#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The interactions of one file, as indices into the id maps they were read with.
public struct RatingRecords: Sendable {
    /// The user row of each record, in file order.
    public var users: [Int32] = []
    /// The item row of each record.
    public var items: [Int32] = []
    /// One rating per record when the file has a rating column, otherwise empty.
    public var ratings: [Float] = []

    /// The number of records.
    public var count: Int { users.count }
    /// Whether the records carry ratings (also true, vacuously, when there are no records).
    public var hasRatings: Bool { !ratings.isEmpty || users.isEmpty }

    /// Whether record `k` is a positive: rating ≥ `minRating`, or any record of a file
    /// without ratings.
    public func isPositive(_ k: Int, minRating: Float) -> Bool {
        ratings.isEmpty || ratings[k] >= minRating
    }
}

/// Reads interaction files: MovieLens `u.data`/`ua.base` (tab-separated), `ratings.dat`
/// (`::`-separated), CSV with a header (`ratings.csv`), and generic `user,item[,rating[,…]]` lines
/// with any string ids (comma-, tab- or space-separated).
///
/// The separator is taken from the first non-blank line: `::` if present, else a tab, else a
/// comma, else runs of spaces. That line is a header, and skipped, when its first field
/// contains "user" (any case) and its third field is not a number — or, with only two fields,
/// when the first is exactly a column name such as `user`, `userId` or `user_id`; so data whose
/// ids merely look like `user1` is never dropped. Fields past the third (timestamps…) are
/// ignored. A file either has a rating on every line or on none.
public enum RatingsReader {
    enum Separator { case doubleColon, tab, comma, spaces }

    /// Reads `path`, mapping ids through `users` and `items`.
    ///
    /// New ids are appended to the maps in order of first appearance. Every line is kept, at any
    /// rating: which records are positives is the caller's choice (`RatingRecords.isPositive`).
    ///
    /// - Parameters:
    ///   - path: the file to read.
    ///   - users: the user ids so far; new ones are appended.
    ///   - items: the item ids so far; new ones are appended.
    ///   - addNewIDs: when false, an id missing from a map is an error (used when evaluating a
    ///     saved model, whose rows are fixed).
    /// - Throws: `HogwildError` when the file cannot be read or has no interaction lines, and a
    ///   `file:line` error for a line with fewer than two fields, an empty id, a missing or
    ///   non-numeric rating, or an unknown id when `addNewIDs` is false.
    /// - Complexity: O(file size).
    public static func read(_ path: String, users: inout IDMap, items: inout IDMap,
                            addNewIDs: Bool = true) throws -> RatingRecords {
        let (bytes, size) = try FileBytes.read(path)
        return try read(bytes: bytes, count: size, path: path, users: &users, items: &items, addNewIDs: addNewIDs)
    }

    /// Parses file contents already in memory, as `read(_:users:items:addNewIDs:)` does (which
    /// calls it; the fuzz targets in perf/fuzz call it directly). `path` only names the source in
    /// errors.
    ///
    /// - Precondition: `bytes[count] == 0`, as `FileBytes.read` leaves it (strtod stops there).
    static func read(bytes: [UInt8], count size: Int, path: String, users: inout IDMap, items: inout IDMap,
                     addNewIDs: Bool) throws -> RatingRecords {
        precondition(bytes.count > size && bytes[size] == 0, "the bytes must end in a zero")
        var records = RatingRecords()
        var separator: Separator? = nil
        var expectRatings = false
        var lineNumber = 0
        var headerChecked = false
        var userTable = ByteIDInterner(seededWith: users), itemTable = ByteIDInterner(seededWith: items)
        let expectedLines = size / 16  // a guess that saves most regrowth copies of the record arrays
        records.users.reserveCapacity(expectedLines)
        records.items.reserveCapacity(expectedLines)
        try bytes.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress!
            var start = 0
            while start < size {
                var end = start
                while end < size && base[end] != 0x0A { end += 1 }
                let next = end + 1
                lineNumber += 1
                if end > start && base[end - 1] == 0x0D { end -= 1 }
                defer { start = next }
                var first = start
                while first < end && (base[first] == 0x20 || base[first] == 0x09) { first += 1 }
                if first == end { continue }

                if separator == nil {
                    separator = detectSeparator(base, start, end)
                }
                var fields = Fields()
                split(base, start, end, separator!, into: &fields)
                if !headerChecked {
                    headerChecked = true
                    if isHeader(base, fields) { continue }
                }
                guard fields.count >= 2 else {
                    throw HogwildError.at(path, line: lineNumber,
                        "expected at least 2 fields (user, item), found \(fields.count)")
                }
                let userID = idBytes(base, fields.starts.0, fields.ends.0)
                let itemID = idBytes(base, fields.starts.1, fields.ends.1)
                if userID.isEmpty { throw HogwildError.at(path, line: lineNumber, "empty user id") }
                if itemID.isEmpty { throw HogwildError.at(path, line: lineNumber, "empty item id") }
                if records.count == 0 { expectRatings = fields.count >= 3 }
                if expectRatings {
                    guard fields.count >= 3 else {
                        throw HogwildError.at(path, line: lineNumber, "missing rating (field 3); earlier lines have one")
                    }
                    let rating = try parseRating(base, fields.starts.2, fields.ends.2, path, lineNumber)
                    records.ratings.append(rating)
                }
                guard let u = userTable.index(of: userID, insert: addNewIDs) else {
                    throw HogwildError.at(path, line: lineNumber,
                        "user id '\(text(base, fields.starts.0, fields.ends.0))' is out of range: not one of the model's \(users.count) users")
                }
                guard let i = itemTable.index(of: itemID, insert: addNewIDs) else {
                    throw HogwildError.at(path, line: lineNumber,
                        "item id '\(text(base, fields.starts.1, fields.ends.1))' is out of range: not one of the model's \(items.count) items")
                }
                records.users.append(u)
                records.items.append(i)
            }
        }
        if records.count == 0 {
            throw HogwildError(size == 0 ? "'\(path)' is empty" : "'\(path)' has no interaction lines")
        }
        // New ids, in the order the tables numbered them.
        try userTable.appendNewIDs(to: &users, kind: "user", path: path)
        try itemTable.appendNewIDs(to: &items, kind: "item", path: path)
        return records
    }

    static let userColumnNames: Set<String> = ["user", "users", "userid", "user_id", "user id", "uid"]

    static func isHeader(_ base: UnsafePointer<UInt8>, _ fields: Fields) -> Bool {
        let first = text(base, fields.starts.0, fields.ends.0).lowercased()
        guard first.contains("user") else { return false }
        if fields.count >= 3 {
            return (try? parseRating(base, fields.starts.2, fields.ends.2, "", 0)) == nil
        }
        return userColumnNames.contains(first)
    }

    struct Fields {
        var starts = (0, 0, 0)
        var ends = (0, 0, 0)
        var count = 0

        mutating func append(_ start: Int, _ end: Int) {
            switch count {
            case 0: starts.0 = start; ends.0 = end
            case 1: starts.1 = start; ends.1 = end
            case 2: starts.2 = start; ends.2 = end
            default: break
            }
            count += 1
        }
    }

    static func detectSeparator(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Separator {
        var sawTab = false, sawComma = false
        var k = start
        while k < end {
            switch base[k] {
            case 0x3A where k + 1 < end && base[k + 1] == 0x3A: return .doubleColon
            case 0x09: sawTab = true
            case 0x2C: sawComma = true
            default: break
            }
            k += 1
        }
        return sawTab ? .tab : sawComma ? .comma : .spaces
    }

    static func split(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ separator: Separator,
                      into fields: inout Fields) {
        var k = start
        switch separator {
        case .spaces:
            while k < end {
                while k < end && (base[k] == 0x20 || base[k] == 0x09) { k += 1 }
                if k == end { break }
                let fieldStart = k
                while k < end && base[k] != 0x20 && base[k] != 0x09 { k += 1 }
                fields.append(fieldStart, k)
            }
        case .tab, .comma, .doubleColon:
            let mark: UInt8 = separator == .tab ? 0x09 : separator == .comma ? 0x2C : 0x3A
            let width = separator == .doubleColon ? 2 : 1
            var fieldStart = k
            while k < end {
                if base[k] == mark && (width == 1 || (k + 1 < end && base[k + 1] == mark)) {
                    fields.append(fieldStart, k)
                    k += width
                    fieldStart = k
                } else {
                    k += 1
                }
            }
            fields.append(fieldStart, end)
        }
    }

    /// The field's bytes without surrounding spaces and double quotes.
    static func idBytes(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> UnsafeBufferPointer<UInt8> {
        var s = start, e = end
        while s < e && base[s] == 0x20 { s += 1 }
        while e > s && base[e - 1] == 0x20 { e -= 1 }
        if e - s >= 2 && base[s] == 0x22 && base[e - 1] == 0x22 { s += 1; e -= 1 }
        return UnsafeBufferPointer(start: base + s, count: e - s)
    }

    /// The field's text without surrounding spaces and double quotes.
    static func text(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> String {
        String(decoding: idBytes(base, start, end), as: UTF8.self)
    }

    static func parseRating(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int,
                            _ path: String, _ line: Int) throws -> Float {
        var s = start, e = end
        while s < e && base[s] == 0x20 { s += 1 }
        while e > s && base[e - 1] == 0x20 { e -= 1 }
        let raw = UnsafeRawPointer(base + s).assumingMemoryBound(to: CChar.self)
        var stop: UnsafeMutablePointer<CChar>? = nil
        let value = s < e ? strtod(raw, &stop) : .nan
        let consumed = stop.map { UnsafeRawPointer($0) - UnsafeRawPointer(raw) } ?? 0
        guard s < e, consumed == e - s else {
            throw HogwildError.at(path, line: line, "rating '\(text(base, start, end))' is not a number")
        }
        guard value.isFinite else {
            throw HogwildError.at(path, line: line, "rating '\(text(base, start, end))' is not a finite number")
        }
        // Ratings are stored as Float: a Double beyond its range would become ±inf.
        guard Float(value).isFinite else {
            throw HogwildError.at(path, line: line, "rating '\(text(base, start, end))' is out of range (ratings are 32-bit floats, at most 3.4e38 in size)")
        }
        return Float(value)
    }
}
