#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CHogwildShims

/// Interns ids by their raw bytes, numbering them `0, 1, …` in order of first appearance, with
/// no `String` and no allocation per lookup. `IDMap` keeps its named ids in one; `RatingsReader`
/// interns each chunk of a file into its own and merges them in file order.
///
/// Two lookups, chosen by the bytes alone so every id has one home:
/// - a decimal id without leading zeros below `directLimit` (`0` … `4194303`: MovieLens' and
///   most generated ids) is an index into an array of rows — 4 bytes an id, so a catalogue of
///   200,000 items fits in the L2 cache;
/// - any other id goes to an open-addressing hash table. An id of at most 8 bytes is its own key
///   (its bytes packed into a `UInt64`); a longer one is keyed by a 64-bit hash and confirmed
///   against its bytes. Key and length sit in the slot, so a short id costs one slot read.
struct ByteIDInterner: Sendable, Equatable {
    /// Every id's bytes, back to back; id `i` spans `starts[i]..<starts[i + 1]`.
    private var arena: [UInt8] = []
    private var starts: [Int] = [0]
    /// Each hashed id's key, for growing the table without touching the arena; 0 for direct ids.
    private var keys: [UInt64] = []
    /// `index + 1` of the decimal id with each value (0: absent); grown on demand.
    private var direct: [Int32] = []
    /// Open addressing with linear probing; `meta == 0` marks an empty slot.
    private var slots: [Slot]
    private var mask: Int
    private var hashedCount = 0

    /// Decimal ids below this are looked up by value (an array of at most 16 MiB).
    static let directLimit = 1 << 22

    struct Slot: Sendable {
        /// The id's bytes (≤ 8 bytes, zero-padded, little-endian) or its hash (longer ids).
        var key: UInt64
        /// `index + 1` in the low 32 bits, the length (capped at 2³² − 1) in the high 32.
        var meta: UInt64
    }

    /// An empty table.
    init() {
        slots = [Slot](repeating: Slot(key: 0, meta: 0), count: 1024)
        mask = 1023
    }

    static func == (a: ByteIDInterner, b: ByteIDInterner) -> Bool {
        a.starts == b.starts && a.arena == b.arena
    }

    /// The number of ids.
    var count: Int { keys.count }

    /// The value of a decimal id eligible for the direct array: 1 to 7 digits, no leading zero
    /// (but `0` itself), below `directLimit`.
    @inline(__always)
    static func directValue(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int? {
        guard count >= 1 && count <= 7 && (p[0] != 0x30 || count == 1) else { return nil }
        var value = 0
        for j in 0..<count {
            let digit = Int(p[j]) &- 0x30
            guard digit >= 0 && digit <= 9 else { return nil }
            value = value &* 10 &+ digit
        }
        return value < directLimit ? value : nil
    }

    /// The hash-table key of `count` bytes at `p` and their slot hash. With `padded`, 8 bytes from
    /// `p` may be read even past `count` (the caller's buffer has zero padding after its data).
    @inline(__always)
    static func key(_ p: UnsafePointer<UInt8>, _ count: Int, padded: Bool) -> (key: UInt64, hash: UInt64) {
        if count <= 8 {
            var k: UInt64 = 0
            if padded {
                k = UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
                if count < 8 { k &= (1 << UInt64(8 * count)) &- 1 }
            } else {
                for j in 0..<count { k |= UInt64(p[j]) << UInt64(8 * j) }
            }
            return (k, shortHash(k, UInt64(count)))
        }
        var h = UInt64(count) &* 0x9E37_79B9_7F4A_7C15
        var j = 0
        while j + 8 <= count {
            h = (h ^ UInt64(littleEndian: UnsafeRawPointer(p + j).loadUnaligned(as: UInt64.self))) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 29
            j += 8
        }
        var tail: UInt64 = 0
        for t in j..<count { tail |= UInt64(p[t]) << UInt64(8 * (t - j)) }
        let k = RandomSource.mix(h ^ tail &* 0xC4CE_B9FE_1A85_EC53)
        return (k, k)
    }

    /// The slot hash of an id of at most 8 bytes, from its key and length.
    @inline(__always)
    static func shortHash(_ key: UInt64, _ length: UInt64) -> UInt64 {
        RandomSource.mix(key ^ length &* 0x9E37_79B9_7F4A_7C15)
    }

    /// The index of the id spelled by `bytes`, or `nil` when it is not in the table.
    ///
    /// - Complexity: O(length) expected.
    func index(of bytes: UnsafeBufferPointer<UInt8>) -> Int32? {
        if let p = bytes.baseAddress, let value = Self.directValue(p, bytes.count) {
            return value < direct.count && direct[value] != 0 ? direct[value] - 1 : nil
        }
        let (k, h) = Self.key(of: bytes, padded: false)
        return find(key: k, hash: h, bytes: bytes).index
    }

    /// The index of the id spelled by `bytes`, added (as the next index) when it is new. With
    /// `padded`, 8 bytes past any byte of `bytes` may be read.
    ///
    /// - Complexity: O(length) expected; amortised O(count) when the table grows.
    @inline(__always)
    mutating func intern(_ bytes: UnsafeBufferPointer<UInt8>, padded: Bool = false) -> Int32 {
        if let p = bytes.baseAddress, let value = Self.directValue(p, bytes.count) {
            return intern(direct: value, bytes: bytes)
        }
        let (k, h) = Self.key(of: bytes, padded: padded)
        return intern(key: k, hash: h, bytes: bytes)
    }

    /// Where a lookup of an id goes, worked out once: its value in the direct array (≥ 0), or
    /// else its hash-table key and hash.
    struct Probe {
        var value: Int
        var key: UInt64
        var hash: UInt64
    }

    /// The probe for `bytes`, after starting to load the memory its lookup will read, so that
    /// it is in cache when `intern(_:probe:)` comes (a reader looks one line ahead). With
    /// `padded`, 8 bytes past any byte of `bytes` may be read.
    @inline(__always)
    func prefetch(_ bytes: UnsafeBufferPointer<UInt8>, padded: Bool) -> Probe {
        if let p = bytes.baseAddress, let value = Self.directValue(p, bytes.count) {
            if value < direct.count { direct.withUnsafeBufferPointer { hogwild_prefetch_read($0.baseAddress! + value) } }
            return Probe(value: value, key: 0, hash: 0)
        }
        let (k, h) = Self.key(of: bytes, padded: padded)
        slots.withUnsafeBufferPointer { hogwild_prefetch_read($0.baseAddress! + (Int(truncatingIfNeeded: h) & mask)) }
        return Probe(value: -1, key: k, hash: h)
    }

    /// `intern(bytes)` with the probe `prefetch` made for the same bytes (still valid after
    /// the table grew: a hash does not depend on the table's size).
    @inline(__always)
    mutating func intern(_ bytes: UnsafeBufferPointer<UInt8>, probe: Probe) -> Int32 {
        probe.value >= 0 ? intern(direct: probe.value, bytes: bytes) : intern(key: probe.key, hash: probe.hash, bytes: bytes)
    }

    @inline(__always)
    private static func key(of bytes: UnsafeBufferPointer<UInt8>, padded: Bool) -> (key: UInt64, hash: UInt64) {
        bytes.count == 0 ? (0, shortHash(0, 0)) : key(bytes.baseAddress!, bytes.count, padded: padded)
    }

    @inline(__always)
    private mutating func intern(direct value: Int, bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        if value < direct.count {
            let row = direct.withUnsafeBufferPointer { $0[value] }
            if row != 0 { return row - 1 }
        } else {
            var size = max(direct.count, 1024)
            while size <= value { size *= 2 }
            direct.append(contentsOf: repeatElement(0, count: min(size, Self.directLimit) - direct.count))
        }
        let index = Int32(count)
        direct[value] = index + 1
        append(bytes, key: 0)
        return index
    }

    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>, key: UInt64) {
        keys.append(key)
        arena.append(contentsOf: bytes)
        starts.append(arena.count)
    }

    /// The id's index, or the empty slot where it would go.
    @inline(__always)
    private func find(key: UInt64, hash: UInt64, bytes: UnsafeBufferPointer<UInt8>) -> (index: Int32?, slot: Int) {
        let length = UInt64(min(bytes.count, Int(UInt32.max)))
        let long = bytes.count > 8
        var slot = Int(truncatingIfNeeded: hash) & mask
        return slots.withUnsafeBufferPointer { table in
            while true {
                let s = table[slot]
                if s.meta == 0 { return (nil, slot) }
                if s.key == key && s.meta >> 32 == length {
                    let index = Int32(UInt32(truncatingIfNeeded: s.meta) - 1)
                    if !long || equals(Int(index), bytes) { return (index, slot) }
                }
                slot = (slot + 1) & mask
            }
        }
    }

    @inline(__always)
    private mutating func intern(key: UInt64, hash: UInt64, bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        let (found, slot) = find(key: key, hash: hash, bytes: bytes)
        if let found { return found }
        let index = Int32(count)
        slots[slot] = Slot(key: key, meta: UInt64(min(bytes.count, Int(UInt32.max))) << 32 | UInt64(index + 1))
        append(bytes, key: key)
        hashedCount += 1
        if 2 * hashedCount > slots.count { grow() }
        return index
    }

    /// The bytes of id `i`, for the duration of `body`.
    func withBytes<R>(of i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try arena.withUnsafeBufferPointer { a in
            try body(UnsafeBufferPointer(rebasing: a[starts[i]..<starts[i + 1]]))
        }
    }

    /// The index in `other` of each id of this table, in order, −1 for an id `other` lacks;
    /// with `insert`, missing ids are added to `other` in this table's order (how a chunk's ids
    /// join the file's: in the chunk's order of first appearance), so none is −1.
    func indices(in other: inout ByteIDInterner, insert: Bool) -> [Int32] {
        arena.withUnsafeBufferPointer { a in
            (0..<count).map { i in
                let bytes = UnsafeBufferPointer(rebasing: a[starts[i]..<starts[i + 1]])
                if let p = bytes.baseAddress, let value = Self.directValue(p, bytes.count) {
                    return insert ? other.intern(direct: value, bytes: bytes) : other.index(of: bytes) ?? -1
                }
                let hash = bytes.count > 8 ? keys[i] : Self.shortHash(keys[i], UInt64(bytes.count))
                return insert ? other.intern(key: keys[i], hash: hash, bytes: bytes)
                    : other.find(key: keys[i], hash: hash, bytes: bytes).index ?? -1
            }
        }
    }

    /// The id of index `i` as a string.
    func string(at i: Int) -> String {
        String(decoding: arena[starts[i]..<starts[i + 1]], as: UTF8.self)
    }

    private func equals(_ i: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = starts[i]
        guard starts[i + 1] - start == bytes.count else { return false }
        return arena.withUnsafeBufferPointer { a in
            memcmp(a.baseAddress! + start, bytes.baseAddress!, bytes.count) == 0
        }
    }

    private mutating func grow() {
        slots = [Slot](repeating: Slot(key: 0, meta: 0), count: slots.count * 2)
        mask = slots.count - 1
        for i in 0..<count {
            let length = starts[i + 1] - starts[i]
            let isDirect = arena.withUnsafeBufferPointer { length > 0 && Self.directValue($0.baseAddress! + starts[i], length) != nil }
            if isDirect { continue }
            let k = keys[i]
            let h = length > 8 ? k : Self.shortHash(k, UInt64(length))
            var slot = Int(truncatingIfNeeded: h) & mask
            while slots[slot].meta != 0 { slot = (slot + 1) & mask }
            slots[slot] = Slot(key: k, meta: UInt64(min(length, Int(UInt32.max))) << 32 | UInt64(i + 1))
        }
    }
}
