/// Interns ids by their raw bytes while a file is parsed, so a line costs a hash and a compare —
/// no `String` and no `Dictionary` lookup. Strings are made once per *new* id, at the end, when
/// the ids are appended to the `IDMap` in order of first appearance (the same order this table
/// numbers them in).
struct ByteIDInterner {
    private var arena: [UInt8] = []
    /// Arena start of id `i`; id `i` spans `starts[i]..<starts[i + 1]`.
    private var starts: [Int] = [0]
    /// Open addressing, linear probing: an id index, or −1 for an empty slot.
    private var slots: [Int32]
    private var hashes: [UInt64] = []
    private var mask: Int

    /// A table holding `map`'s ids under their indices.
    init(seededWith map: IDMap) {
        var capacity = 1024
        while capacity < 2 * map.count { capacity *= 2 }
        slots = [Int32](repeating: -1, count: capacity)
        mask = capacity - 1
        for id in map.ids {
            var utf8 = Array(id.utf8)
            _ = utf8.withUnsafeMutableBufferPointer { index(of: UnsafeBufferPointer($0), insert: true) }
        }
    }

    /// The number of ids.
    var count: Int { starts.count - 1 }

    /// The index of the id spelled by `bytes`, inserting it when `insert` is true; `nil` when it
    /// is absent and not inserted.
    ///
    /// - Complexity: O(length) expected.
    mutating func index(of bytes: UnsafeBufferPointer<UInt8>, insert: Bool) -> Int32? {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a, then a final avalanche
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        h = RandomSource.mix(h)
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let entry = slots[slot]
            if entry < 0 { break }
            if hashes[Int(entry)] == h && equals(Int(entry), bytes) { return entry }
            slot = (slot + 1) & mask
        }
        guard insert else { return nil }
        let index = Int32(count)
        slots[slot] = index
        hashes.append(h)
        arena.append(contentsOf: bytes)
        starts.append(arena.count)
        if 2 * count > slots.count { grow() }
        return index
    }

    /// Appends ids `map.count..<count` to `map` in index order, so each keeps this table's index
    /// (the table must have been seeded with `map`).
    ///
    /// - Throws: `HogwildError` naming `path` when one of them is the same `String` as an id
    ///   before it. The table tells ids apart by their bytes, `IDMap` by `String`, which decodes
    ///   bytes that are not UTF-8 as U+FFFD and compares canonically equivalent spellings (é as
    ///   one scalar or as e + U+0301) equal: merged, they would leave two indices on one row.
    func appendNewIDs(to map: inout IDMap, kind: String, path: String) throws {
        for i in map.count..<count {
            let row = Int(map.intern(string(at: i)))
            guard row == i else {
                throw HogwildError("'\(path)': \(kind) ids '\(escaped(row))' and '\(escaped(i))' are different bytes "
                    + "but the same text (not UTF-8, or two Unicode spellings); make them distinct")
            }
        }
    }

    /// Id `i` for an error message: printable ASCII as is, other bytes as `\xNN`, at most 24 bytes.
    private func escaped(_ i: Int) -> String {
        let bytes = arena[starts[i]..<starts[i + 1]]
        var text = ""
        for b in bytes.prefix(24) {
            if b >= 0x20 && b < 0x7F && b != 0x5C && b != 0x27 {
                text.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                text += (b < 0x10 ? "\\x0" : "\\x") + String(b, radix: 16, uppercase: true)
            }
        }
        return bytes.count > 24 ? text + "…" : text
    }

    /// The id of index `i` as a string.
    func string(at i: Int) -> String {
        String(decoding: arena[starts[i]..<starts[i + 1]], as: UTF8.self)
    }

    private func equals(_ i: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = starts[i], length = starts[i + 1] - start
        guard length == bytes.count else { return false }
        for k in 0..<length where arena[start + k] != bytes[k] { return false }
        return true
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        mask = slots.count - 1
        for (i, h) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: h) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(i)
        }
    }
}
