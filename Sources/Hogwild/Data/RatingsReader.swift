#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// The interactions of one file, as indices into the id maps they were read with.
public struct RatingRecords: Sendable {
    /// The user row of each record, in file order.
    public var users: [Int32] = []
    /// The item row of each record.
    public var items: [Int32] = []
    /// One rating per record when the file has a rating column, otherwise empty.
    public var ratings: [Float] = []
    /// The line taken for a header and skipped, with its number (its text escaped for printing
    /// and cut at 60 characters), so a caller can say so; `nil` when every line is data.
    public var header: (line: Int, text: String)? = nil

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
/// - Lines end with LF, CRLF or a lone CR (old Mac files); a UTF-8 byte order mark at the start
///   is skipped, and a UTF-16 file is refused by name. Blank lines are skipped.
/// - The separator is taken from the first non-blank line: `::` if present, else a tab, else a
///   comma, else runs of spaces. Fields past the third (timestamps…) are ignored. A file either
///   has a rating on every line or on none (the first data line decides).
/// - Quoting follows RFC 4180: a field that starts with `"` runs to the next lone `"`, may hold
///   the separator, and `""` inside it is one `"`. A quoted field cannot span lines: an
///   unclosed quote is a `file:line` error (so is text between a closing quote and the next
///   separator). Spaces around fields are trimmed.
/// - Header rule — the first non-blank line is skipped as a header when
///   - it has three or more fields and its third is not a number (a data line there would be an
///     error: "rating … is not a number"); or
///   - it has two fields, neither a number, and either one of them is a column name (`user`,
///     `userId`, `customer_id`, `item`, `product_id`, `movieId`, `sku`, … — a known noun,
///     optionally followed by `id`, `key`, `code` or `name`, in any case, with or without `_`,
///     `-` or spaces) or the next non-blank line's two fields are both numbers.
///
///   So `user1,item1` or `alice,bob` followed by more string ids is data, never dropped; a
///   header of two unknown words above string ids (`Kunde,Artikel`) is read as data too. A
///   skipped header is returned in `RatingRecords.header`, for the caller to print, so a real
///   first line taken for one is never dropped silently.
/// - Errors name the file and line (`ratings.csv:3: rating 'abc' is not a number`); ids and
///   values quoted in them are escaped and cut to 60 characters (`HogwildError.escaped`).
///
/// Files over a few megabytes are read in parallel chunks split at line ends: each chunk interns
/// its ids in a table of its own, and the tables are merged in file order, so ids are numbered in
/// order of first appearance and the result, errors included, is that of a serial read.
public enum RatingsReader {
    enum Separator { case doubleColon, tab, comma, spaces }

    /// The smallest chunk worth a thread of its own.
    static let defaultChunkBytes = 4 << 20

    /// Reads `path`, mapping ids through `users` and `items`.
    ///
    /// New ids are appended to the maps in order of first appearance. Every line is kept, at any
    /// rating: which records are positives is the caller's choice (`RatingRecords.isPositive`).
    ///
    /// - Parameters:
    ///   - path: the file to read: a regular file, or a pipe or `/dev/stdin` (read to its end).
    ///   - users: the user ids so far; new ones are appended.
    ///   - items: the item ids so far; new ones are appended.
    ///   - addNewIDs: when false, an id missing from a map is an error (used when evaluating a
    ///     saved model, whose rows are fixed).
    ///   - threads: workers for a large file (the result does not depend on them).
    /// - Throws: `HogwildError` when the file cannot be read, is UTF-16, or has no interaction
    ///   lines, and a `file:line` error for a line with fewer than two fields, an empty id, an
    ///   unclosed quote, a missing, non-numeric or out-of-range rating (beyond ±3.4e38, a
    ///   32-bit float), or an unknown id when `addNewIDs` is false.
    /// - Complexity: O(file size).
    public static func read(_ path: String, users: inout IDMap, items: inout IDMap,
                            addNewIDs: Bool = true, threads: Int = 1) throws -> RatingRecords {
        try read(path, users: &users, items: &items, addNewIDs: addNewIDs, threads: threads, chunkBytes: defaultChunkBytes)
    }

    /// `read`, splitting the file into chunks of at least `chunkBytes` (tests use tiny ones).
    static func read(_ path: String, users: inout IDMap, items: inout IDMap, addNewIDs: Bool,
                     threads: Int, chunkBytes: Int) throws -> RatingRecords {
        try FileBytes.withContents(of: path) { buffer in
            try parse(Text(base: buffer.baseAddress!, count: buffer.count), path: path, users: &users, items: &items,
                      addNewIDs: addNewIDs, threads: threads, chunkBytes: chunkBytes)
        }
    }

    /// Parses `count` bytes at `base`, followed by `FileBytes.readPadding` zero bytes, as `read`
    /// parses a file's contents (the fuzz targets in perf/fuzz call it); `path` only names the
    /// source in errors.
    static func read(bytes base: UnsafePointer<UInt8>, count: Int, path: String, users: inout IDMap, items: inout IDMap,
                     addNewIDs: Bool, threads: Int = 1, chunkBytes: Int = defaultChunkBytes) throws -> RatingRecords {
        try parse(Text(base: base, count: count), path: path, users: &users, items: &items,
                  addNewIDs: addNewIDs, threads: threads, chunkBytes: chunkBytes)
    }

    /// The file's bytes (followed by `FileBytes.readPadding` zero bytes).
    struct Text: @unchecked Sendable {
        let base: UnsafePointer<UInt8>
        let count: Int
    }

    /// What the first lines say about the rest: the separator, whether there are ratings, and
    /// where the data starts.
    struct Layout {
        var separator = Separator.comma
        var hasRatings = false
        /// The offset of the first line after the header (or of the first line).
        var dataStart = 0
        /// Lines before `dataStart`.
        var linesBefore = 0
        var header: (line: Int, text: String)? = nil
    }

    static func parse(_ text: Text, path: String, users: inout IDMap, items: inout IDMap, addNewIDs: Bool,
                      threads: Int, chunkBytes: Int) throws -> RatingRecords {
        let base = text.base, size = text.count
        if size >= 2 && (base[0] == 0xFF && base[1] == 0xFE || base[0] == 0xFE && base[1] == 0xFF) {
            throw HogwildError("'\(path)' is UTF-16 text (it starts with a UTF-16 byte order mark); save it as UTF-8")
        }
        let layout = try Self.layout(text, path: path)
        // Chunks start at line starts, so no line is split.
        let chunkCount = max(1, min(2 * max(threads, 1), (size - layout.dataStart) / max(chunkBytes, 1)))
        var bounds = [layout.dataStart]
        for c in 1..<chunkCount {
            let target = layout.dataStart + (size - layout.dataStart) / chunkCount * c
            bounds.append(max(bounds[c - 1], lineStart(atOrAfter: target, text)))
        }
        bounds.append(size)
        let chunks = (0..<chunkCount).map { _ in Chunk() }
        let work = { @Sendable [bounds] (c: Int) in
            chunks[c].parse(text, from: bounds[c], to: bounds[c + 1], layout)
        }
        if chunkCount == 1 {
            work(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: chunkCount, execute: work)
        }

        // Merge in file order: each chunk's new ids join the tables in its order of first
        // appearance, and the first error of the file is the first of the first chunk with one.
        var userTable = users.table, itemTable = items.table
        var maps: [(users: [Int32], items: [Int32])] = []
        var line = layout.linesBefore
        for chunk in chunks {
            let before = (users: userTable.count, items: itemTable.count)
            let userMap = chunk.users.table.indices(in: &userTable, insert: addNewIDs)
            let itemMap = chunk.items.table.indices(in: &itemTable, insert: addNewIDs)
            var first: (line: Int, message: String)? = chunk.problem.map { ($0.line, $0.message) }
            // Ids are kept as bytes but saved, printed and looked up as text: bytes that are not
            // UTF-8 would all read back as U+FFFD, one id for many rows.
            for (kind, map, ids, known) in [("user", userMap, chunk.users, before.users), ("item", itemMap, chunk.items, before.items)] {
                for j in 0..<map.count where map[j] >= known && Int(ids.firstLines[j]) < first?.line ?? Int.max {
                    let text = ids.table.withBytes(of: j) { bytes in
                        bytes.allSatisfy { $0 < 0x80 } || String(validating: bytes, as: UTF8.self) != nil ? nil : HogwildError.escaped(bytes)
                    }
                    if let text { first = (Int(ids.firstLines[j]), "\(kind) id '\(text)' is not UTF-8 text; save the file as UTF-8") }
                }
            }
            if !addNewIDs {
                for (kind, map, ids, modelCount) in [("user", userMap, chunk.users, users.count), ("item", itemMap, chunk.items, items.count)] {
                    for j in 0..<map.count where map[j] < 0 && Int(ids.firstLines[j]) < first?.line ?? Int.max {
                        let id = ids.table.withBytes(of: j) { HogwildError.escaped($0) }
                        first = (Int(ids.firstLines[j]), "\(kind) id '\(id)' is out of range: not one of the model's \(modelCount) \(kind)s")
                    }
                }
            }
            if let first { throw HogwildError.at(path, line: line + first.line, first.message) }
            line += chunk.lines
            maps.append((userMap, itemMap))
        }

        var records = RatingRecords()
        records.header = layout.header
        let total = chunks.reduce(0) { $0 + $1.userRows.count }
        if total == 0 {
            if size == 0 { throw HogwildError("'\(path)' is empty") }
            let header = layout.header.map { " (line \($0.line) was taken for a header: \($0.text))" } ?? ""
            throw HogwildError("'\(path)' has no interaction lines\(header)")
        }
        var offsets = [0]
        for chunk in chunks { offsets.append(offsets.last! + chunk.userRows.count) }
        // Every element is written by one chunk's worker.
        var itemRows: [Int32] = []
        let userRows = [Int32](unsafeUninitializedCapacity: total) { userOut, n in
            itemRows = [Int32](unsafeUninitializedCapacity: total) { itemOut, m in
                let out = (users: Rows(base: userOut.baseAddress!), items: Rows(base: itemOut.baseAddress!))
                let remap = { @Sendable [maps, offsets] (c: Int) in
                    let chunk = chunks[c], map = maps[c], o = offsets[c]
                    chunk.userRows.withUnsafeBufferPointer { local in
                        map.users.withUnsafeBufferPointer { global in
                            for k in 0..<local.count { out.users.base[o + k] = global[Int(local[k])] }
                        }
                    }
                    chunk.itemRows.withUnsafeBufferPointer { local in
                        map.items.withUnsafeBufferPointer { global in
                            for k in 0..<local.count { out.items.base[o + k] = global[Int(local[k])] }
                        }
                    }
                }
                if chunkCount == 1 { remap(0) } else { DispatchQueue.concurrentPerform(iterations: chunkCount, execute: remap) }
                m = total
            }
            n = total
        }
        records.users = userRows
        records.items = itemRows
        if layout.hasRatings {
            records.ratings.reserveCapacity(total)
            for chunk in chunks { records.ratings.append(contentsOf: chunk.ratings) }
        }
        if addNewIDs {
            users = IDMap(named: userTable)
            items = IDMap(named: itemTable)
        }
        return records
    }

    /// A destination array's storage, written by one chunk's worker each at its own offsets.
    struct Rows: @unchecked Sendable {
        let base: UnsafeMutablePointer<Int32>
    }

    /// The ids of one side (users or items) of a chunk.
    struct ChunkIDs {
        var table = ByteIDInterner()
        /// The chunk-relative line where each id first appears.
        var firstLines: [Int32] = []
        /// A copy of an id with its `""` unescaped, followed by zero padding.
        var scratch: [UInt8] = []

        @inline(__always)
        func prefetch(_ text: Text, _ field: Field) -> ByteIDInterner.Probe? {
            // An escaped id is unescaped into `scratch` only when interned.
            field.escaped ? nil : table.prefetch(UnsafeBufferPointer(start: text.base + field.start, count: field.end - field.start), padded: true)
        }

        /// The id in `field` (a line's `prefetch` made `probe`) interned; its first line noted.
        @inline(__always)
        mutating func intern(_ text: Text, _ field: Field, probe: ByteIDInterner.Probe?, line: Int) -> Int32 {
            let index: Int32
            if field.escaped {
                scratch.removeAll(keepingCapacity: true)
                var k = field.start
                while k < field.end {
                    scratch.append(text.base[k])
                    k += text.base[k] == 0x22 ? 2 : 1
                }
                let length = scratch.count
                scratch.append(contentsOf: repeatElement(0, count: FileBytes.readPadding))
                index = scratch.withUnsafeBufferPointer { table.intern(UnsafeBufferPointer(rebasing: $0[0..<length]), padded: true) }
            } else {
                let bytes = UnsafeBufferPointer(start: text.base + field.start, count: field.end - field.start)
                index = probe.map { table.intern(bytes, probe: $0) } ?? table.intern(bytes, padded: true)
            }
            if Int(index) == firstLines.count { firstLines.append(Int32(truncatingIfNeeded: line)) }
            return index
        }
    }

    /// One chunk's records (ids local to the chunk's tables), its line count, and its first
    /// problem. Each worker fills its own.
    final class Chunk: @unchecked Sendable {
        var users = ChunkIDs(), items = ChunkIDs()
        var userRows: [Int32] = [], itemRows: [Int32] = []
        var ratings: [Float] = []
        var lines = 0
        var problem: (line: Int, message: String)? = nil

        func parse(_ text: Text, from start: Int, to end: Int, _ layout: Layout) {
            // Locals, not the properties: no exclusivity checks in the loop.
            var users = ChunkIDs(), items = ChunkIDs()
            var userRows: [Int32] = [], itemRows: [Int32] = [], ratings: [Float] = []
            let base = text.base
            let expected = (end - start) / 8  // saves most regrowth copies of the record arrays
            userRows.reserveCapacity(expected)
            itemRows.reserveCapacity(expected)
            if layout.hasRatings { ratings.reserveCapacity(expected) }
            var p = start, line = 0
            var fields = Fields()
            // A line's ids are interned one line later: their table entries are fetched from
            // memory meanwhile (the item table is read at random).
            var pending: (user: Field, item: Field, userProbe: ByteIDInterner.Probe?, itemProbe: ByteIDInterner.Probe?, line: Int)? = nil
            do throws(LineProblem) {
                while p < end {
                    line += 1
                    p = try scanLine(base, p, end, layout.separator, into: &fields)
                    if fields.count == 0 { continue }
                    guard fields.count >= 2 else {
                        throw LineProblem("expected at least 2 fields (user, item), found \(fields.count)")
                    }
                    if fields.user.isEmpty { throw LineProblem("empty user id") }
                    if fields.item.isEmpty { throw LineProblem("empty item id") }
                    if layout.hasRatings {
                        guard fields.count >= 3 else { throw LineProblem("missing rating (field 3); earlier lines have one") }
                        ratings.append(try rating(base, fields.rating))
                    }
                    let userProbe = users.prefetch(text, fields.user), itemProbe = items.prefetch(text, fields.item)
                    if let (user, item, up, ip, at) = pending {
                        userRows.append(users.intern(text, user, probe: up, line: at))
                        itemRows.append(items.intern(text, item, probe: ip, line: at))
                    }
                    pending = (fields.user, fields.item, userProbe, itemProbe, line)
                }
            } catch {
                problem = (line, error.message)
            }
            if let (user, item, up, ip, at) = pending {
                userRows.append(users.intern(text, user, probe: up, line: at))
                itemRows.append(items.intern(text, item, probe: ip, line: at))
            }
            lines = line
            self.users = users
            self.items = items
            self.userRows = userRows
            self.itemRows = itemRows
            self.ratings = ratings
        }
    }

    /// What is wrong with a line, without its file and line number.
    struct LineProblem: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    /// A field's bytes `start..<end` (inside the quotes of a quoted field); `escaped` when they
    /// hold `""` pairs standing for `"`.
    struct Field {
        var start = 0, end = 0
        var escaped = false
        var isEmpty: Bool { start == end }
    }

    /// The first three fields of a line, and how many there are (0 for a blank line).
    struct Fields {
        var user = Field(), item = Field(), rating = Field()
        var count = 0

        @inline(__always)
        mutating func append(_ field: Field) {
            switch count {
            case 0: user = field
            case 1: item = field
            case 2: rating = field
            default: break
            }
            count += 1
        }
    }

    /// The offset of the first line that starts at or after `offset`.
    static func lineStart(atOrAfter offset: Int, _ text: Text) -> Int {
        var k = max(offset - 1, 0)
        if offset == 0 { return 0 }
        while k < text.count {
            let b = text.base[k]
            if b == 0x0A || (b == 0x0D && text.base[k + 1] != 0x0A) { return k + 1 }
            k += 1
        }
        return text.count
    }

    /// Reads the line at `start` into `fields` and returns where the next line starts. A line
    /// ends at LF, CRLF, a lone CR, or `end`.
    @inline(__always)
    static func scanLine(_ b: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ separator: Separator,
                         into fields: inout Fields) throws(LineProblem) -> Int {
        @inline(__always) func isLineEnd(_ k: Int) -> Bool { k >= end || b[k] == 0x0A || b[k] == 0x0D }
        fields.count = 0
        var k = start
        while !isLineEnd(k) && (b[k] == 0x20 || b[k] == 0x09) { k += 1 }
        if !isLineEnd(k) {
            k = start
            let mark: UInt8 = separator == .tab ? 0x09 : separator == .comma ? 0x2C : 0x3A
            let spaces = separator == .spaces, width = separator == .doubleColon ? 2 : 1
            let lineEnds: UInt64 = 1 | 1 << 0x0A | 1 << 0x0D
            let stops = lineEnds | (spaces ? 1 << 0x20 | 1 << 0x09 : 1 << UInt64(mark))
            @inline(__always) func isSeparator(_ k: Int) -> Bool {
                spaces ? b[k] == 0x20 || b[k] == 0x09 : b[k] == mark && (width == 1 || (k + 1 < end && b[k + 1] == mark))
            }
            while true {
                while !isLineEnd(k) && (b[k] == 0x20 || (spaces && b[k] == 0x09)) { k += 1 }
                if isLineEnd(k) {
                    if !spaces { fields.append(Field(start: k, end: k)) }  // "1,2," ends with an empty field
                    break
                }
                if b[k] == 0x22 {
                    var field = Field(start: k + 1, end: k + 1)
                    k += 1
                    while true {
                        if isLineEnd(k) {
                            throw LineProblem("field \(fields.count + 1): the quoted field is not closed on this line (a quoted field cannot span lines)")
                        }
                        if b[k] == 0x22 {
                            if k + 1 < end && b[k + 1] == 0x22 { field.escaped = true; k += 2; continue }
                            break
                        }
                        k += 1
                    }
                    field.end = k
                    fields.append(field)
                    k += 1
                    let after = k
                    while !isLineEnd(k) && (b[k] == 0x20 || (spaces && b[k] == 0x09)) { k += 1 }
                    if isLineEnd(k) { break }
                    if spaces && k > after { continue }
                    if !spaces && isSeparator(k) { k += width; continue }
                    throw LineProblem("field \(fields.count): text after the closing quote (write \"\" for a quote inside a quoted field)")
                }
                let fieldStart = k
                // To the separator or line end: one bit test a byte (every stop byte is below 64).
                // A line never runs past `end` (a chunk ends after a line end, the file with zero
                // padding), so only a zero byte inside the data needs the bound.
                while true {
                    let c = b[k]
                    if c < 64 && (stops >> UInt64(c)) & 1 != 0 {
                        if c == 0 && k < end { k += 1; continue }
                        if c == 0x3A && width == 2 && !isSeparator(k) { k += 1; continue }
                        break
                    }
                    k += 1
                }
                var fieldEnd = k
                while fieldEnd > fieldStart && b[fieldEnd - 1] == 0x20 { fieldEnd -= 1 }
                fields.append(Field(start: fieldStart, end: fieldEnd))
                if isLineEnd(k) { break }
                k += width
            }
        }
        // k is at the line end.
        if k < end { k += b[k] == 0x0D && k + 1 < end && b[k + 1] == 0x0A ? 2 : 1 }
        return k
    }

    /// The separator, header and rating column, from the first non-blank lines.
    static func layout(_ text: Text, path: String) throws -> Layout {
        let b = text.base, size = text.count
        var layout = Layout()
        var p = size >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF ? 3 : 0  // UTF-8 byte order mark
        layout.dataStart = p
        // The first two non-blank lines (the second only to tell a header from data).
        var found: [(start: Int, next: Int, line: Int, fields: Fields?)] = []
        var line = 0
        while p < size && found.count < 2 {
            line += 1
            var fields = Fields()
            let start = p
            if found.isEmpty {
                var end = start
                while end < size && b[end] != 0x0A && b[end] != 0x0D { end += 1 }
                layout.separator = detectSeparator(b, start, end)
            }
            let next: Int
            do throws(LineProblem) {
                next = try scanLine(b, start, size, layout.separator, into: &fields)
            } catch {
                if found.isEmpty { throw HogwildError.at(path, line: line, error.message) }
                break
            }
            p = next
            if fields.count > 0 { found.append((start, next, line, fields)) }
            if found.isEmpty { layout.dataStart = p; layout.linesBefore = line }
        }
        guard let first = found.first, let firstFields = first.fields else { return layout }
        var data = firstFields
        if isHeader(b, firstFields, next: found.count > 1 ? found[1].fields : nil) {
            var end = first.start
            while end < size && b[end] != 0x0A && b[end] != 0x0D { end += 1 }
            layout.header = (first.line, HogwildError.escaped(UnsafeBufferPointer(start: b + first.start, count: end - first.start), limit: 60))
            layout.dataStart = first.next
            layout.linesBefore = first.line
            data = found.count > 1 ? found[1].fields ?? Fields() : Fields()
        }
        layout.hasRatings = data.count >= 3
        return layout
    }

    /// Names a header's user and item columns are given, after lowercasing and dropping
    /// everything but letters and digits, before an optional suffix (`headerSuffixes`).
    static let columnNouns: Set<String> = [
        "user", "customer", "client", "member", "visitor", "account", "buyer", "person", "viewer", "reader",
        "listener", "player", "session", "u", "item", "product", "movie", "film", "book", "song", "track",
        "artist", "album", "article", "video", "sku", "asin", "isbn", "page", "post", "doc", "document",
        "course", "game", "app", "object", "content", "offer", "listing", "i",
    ]
    static let headerSuffixes = ["", "s", "id", "ids", "key", "code", "name", "uid", "iid"]

    static func isColumnName(_ b: UnsafePointer<UInt8>, _ field: Field) -> Bool {
        guard field.end - field.start <= 40 else { return false }
        var name = ""
        for k in field.start..<field.end {
            let c = b[k] | (b[k] >= 0x41 && b[k] <= 0x5A ? 0x20 : 0)
            if (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) { name.unicodeScalars.append(Unicode.Scalar(c)) }
        }
        if ["id", "uid", "iid"].contains(name) { return true }
        return headerSuffixes.contains { suffix in
            name.hasSuffix(suffix) && columnNouns.contains(String(name.dropLast(suffix.count)))
        }
    }

    /// The header rule (see `RatingsReader`): `first` is the first non-blank line's fields,
    /// `next` the second's (`nil` when there is none, or it cannot be read).
    static func isHeader(_ b: UnsafePointer<UInt8>, _ first: Fields, next: Fields?) -> Bool {
        func isNumber(_ field: Field) -> Bool { number(b, field) != nil }
        if first.count >= 3 { return !isNumber(first.rating) }
        guard first.count == 2, !isNumber(first.user), !isNumber(first.item) else { return false }
        if isColumnName(b, first.user) || isColumnName(b, first.item) { return true }
        guard let next, next.count == 2 else { return false }
        return isNumber(next.user) && isNumber(next.item)
    }

    static func detectSeparator(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Separator {
        var sawTab = false, sawComma = false, quoted = false
        var k = start
        while k < end {
            switch base[k] {
            case 0x22: quoted.toggle()
            case 0x3A where !quoted && k + 1 < end && base[k + 1] == 0x3A: return .doubleColon
            case 0x09 where !quoted: sawTab = true
            case 0x2C where !quoted: sawComma = true
            default: break
            }
            k += 1
        }
        return sawTab ? .tab : sawComma ? .comma : .spaces
    }

    /// Powers of ten exactly representable as a `Double`.
    static let exactPowersOfTen: [Double] = (0...22).map { (0..<$0).reduce(1.0) { r, _ in r * 10 } }

    /// The rating in `field`: a finite number that fits a `Float`.
    @inline(__always)
    static func rating(_ b: UnsafePointer<UInt8>, _ field: Field) throws(LineProblem) -> Float {
        guard let value = number(b, field) else { throw LineProblem("rating '\(shown(b, field))' is not a number") }
        guard value.isFinite else { throw LineProblem("rating '\(shown(b, field))' is not a finite number") }
        guard Float(value).isFinite else { throw LineProblem("rating '\(shown(b, field))' is out of range (beyond ±3.4e38)") }
        return Float(value)
    }

    /// The field's text for a message: trimmed, escaped, cut short.
    static func shown(_ b: UnsafePointer<UInt8>, _ field: Field) -> String {
        let (s, e) = trimmed(b, field)
        return HogwildError.escaped(UnsafeBufferPointer(start: b + s, count: e - s))
    }

    @inline(__always)
    static func trimmed(_ b: UnsafePointer<UInt8>, _ field: Field) -> (start: Int, end: Int) {
        var s = field.start, e = field.end
        while s < e && b[s] == 0x20 { s += 1 }
        while e > s && b[e - 1] == 0x20 { e -= 1 }
        return (s, e)
    }

    /// The number spelled by `field` (spaces around it allowed), as `strtod` reads it; `nil`
    /// when it is not one.
    ///
    /// Plain decimals (`4`, `3.5`, `-1.25`, up to 15 significant digits) are parsed directly: the
    /// digits as an exact integer divided by an exact power of ten, one correctly rounded
    /// division, so the value is `strtod`'s. Anything else (exponents, long digit strings, `inf`)
    /// goes to `strtod`.
    @inline(__always)
    static func number(_ b: UnsafePointer<UInt8>, _ field: Field) -> Double? {
        let (s, e) = trimmed(b, field)
        guard s < e, !field.escaped else { return nil }
        var k = s
        let negative = b[k] == 0x2D
        if b[k] == 0x2D || b[k] == 0x2B { k += 1 }
        var mantissa: UInt64 = 0, digits = 0, fraction = 0, dot = false
        while k < e {
            let c = b[k]
            if c >= 0x30 && c <= 0x39 {
                mantissa = mantissa &* 10 &+ UInt64(c - 0x30)
                digits += 1
                if dot { fraction += 1 }
            } else if c == 0x2E && !dot {
                dot = true
            } else {
                break
            }
            k += 1
        }
        if k == e && digits > 0 && digits <= 15 {
            let value = Double(mantissa) / exactPowersOfTen[fraction]
            return negative ? -value : value
        }
        // strtod stops at the separator or line end after the field at the latest (the file
        // ends in zero bytes).
        let raw = UnsafeRawPointer(b + s).assumingMemoryBound(to: CChar.self)
        var stop: UnsafeMutablePointer<CChar>? = nil
        let value = strtod(raw, &stop)
        let consumed = stop.map { UnsafeRawPointer($0) - UnsafeRawPointer(raw) } ?? 0
        return consumed == e - s ? value : nil
    }
}
