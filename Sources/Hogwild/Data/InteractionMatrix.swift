/// Positive (user, item) interactions in compressed sparse row form: for each user, the sorted,
/// distinct indices of the items they interacted with.
///
/// Sorted rows make "is item `i` a positive of user `u`?" a binary search, which the negative
/// sampler and the evaluator ask in their inner loops.
public struct InteractionMatrix: Sendable {
    /// The number of users (rows).
    public let userCount: Int
    /// The number of items (columns).
    public let itemCount: Int
    @usableFromInline internal let offsets: AlignedBuffer<Int>
    @usableFromInline internal let columns: AlignedBuffer<Int32>

    /// Builds the matrix from parallel arrays of user and item indices; duplicates are merged.
    ///
    /// - Precondition: every index is in range (the readers guarantee it).
    /// - Complexity: O(n + Σ rᵤ log rᵤ) for n pairs and row lengths rᵤ.
    public init(userCount: Int, itemCount: Int, users: [Int32], items: [Int32]) {
        precondition(users.count == items.count)
        self.userCount = userCount
        self.itemCount = itemCount
        var counts = [Int](repeating: 0, count: userCount + 1)
        for u in users { counts[Int(u) + 1] += 1 }
        for u in 0..<userCount { counts[u + 1] += counts[u] }
        var scattered = [Int32](repeating: 0, count: users.count)
        var cursor = counts
        for k in users.indices {
            let u = Int(users[k])
            scattered[cursor[u]] = items[k]
            cursor[u] += 1
        }
        // Sort each row and drop duplicates, compacting in place.
        var compactOffsets = [Int](repeating: 0, count: userCount + 1)
        var write = 0
        scattered.withUnsafeMutableBufferPointer { buffer in
            for u in 0..<userCount {
                let start = counts[u], end = counts[u + 1]
                var row = UnsafeMutableBufferPointer(rebasing: buffer[start..<end])
                row.sort()
                var previous: Int32 = -1
                for k in start..<end where buffer[k] != previous {
                    previous = buffer[k]
                    buffer[write] = previous
                    write += 1
                }
                compactOffsets[u + 1] = write
            }
        }
        offsets = AlignedBuffer(compactOffsets)
        columns = AlignedBuffer(scattered[0..<write])
    }

    /// Wraps CSR arrays read from a file, checking everything a bad file could get wrong:
    /// `offsets` starts at 0, never decreases and ends at `columns.count`; every row is strictly
    /// increasing (sorted, no duplicates) and inside `0..<itemCount`.
    ///
    /// - Parameters:
    ///   - userCount: the number of users (rows).
    ///   - itemCount: the number of items (columns).
    ///   - offsets: `userCount + 1` row offsets into `columns`.
    ///   - columns: the item indices, row after row.
    ///   - describe: names the matrix in error messages (e.g. "'big.hgwi' train").
    /// - Throws: `HogwildError` naming `describe` and the first problem found.
    /// - Complexity: O(users + pairs).
    public init(userCount: Int, itemCount: Int, offsets: AlignedBuffer<Int>, columns: AlignedBuffer<Int32>,
                describe: String) throws {
        guard offsets.count == userCount + 1 else { throw HogwildError("\(describe): \(offsets.count) row offsets for \(userCount) users") }
        try offsets.withUnsafeBufferPointer { o in
            try columns.withUnsafeBufferPointer { c in
                guard o[0] == 0, o[userCount] == c.count else {
                    throw HogwildError("\(describe): row offsets do not span the \(c.count) stored pairs")
                }
                for u in 0..<userCount {
                    let start = o[u], end = o[u + 1]
                    guard start <= end, end <= c.count else { throw HogwildError("\(describe): row offsets of user \(u) decrease") }
                    var previous: Int32 = -1
                    for k in start..<end {
                        let item = c[k]
                        guard item >= 0, Int(item) < itemCount else {
                            throw HogwildError("\(describe): item index \(item) of user \(u) is out of range 0..<\(itemCount)")
                        }
                        guard item != previous else { throw HogwildError("\(describe): user \(u) lists item \(item) twice") }
                        guard item > previous else { throw HogwildError("\(describe): items of user \(u) are not sorted") }
                        previous = item
                    }
                }
            }
        }
        self.userCount = userCount
        self.itemCount = itemCount
        self.offsets = offsets
        self.columns = columns
    }

    /// The number of stored (user, item) pairs.
    public var nonZeroCount: Int { columns.count }

    /// The sorted item indices of `user`.
    public func items(of user: Int) -> [Int32] {
        precondition(user >= 0 && user < userCount)
        return withUnsafeHandle { Array($0.row(user)) }
    }

    /// Whether `item` is among `user`'s positives.
    ///
    /// - Complexity: O(log rᵤ).
    public func contains(user: Int, item: Int) -> Bool {
        precondition(user >= 0 && user < userCount)
        return withUnsafeHandle { $0.contains(user: user, item: Int32(truncatingIfNeeded: item)) }
    }

    /// A scoped, unchecked view for inner loops. Do not escape the handle from the closure.
    @inlinable
    public func withUnsafeHandle<R>(_ body: (UnsafeHandle) throws -> R) rethrows -> R {
        try offsets.withUnsafeBufferPointer { offsets in
            try columns.withUnsafeBufferPointer { columns in
                try body(UnsafeHandle(offsets: offsets.baseAddress!, columns: columns.baseAddress!))
            }
        }
    }

    /// Unchecked CSR access: indices are the caller's contract, and the handle is valid only
    /// inside the `withUnsafeHandle` closure that produced it.
    public struct UnsafeHandle {
        @usableFromInline internal let offsets: UnsafePointer<Int>
        @usableFromInline internal let columns: UnsafePointer<Int32>

        @inlinable
        internal init(offsets: UnsafePointer<Int>, columns: UnsafePointer<Int32>) {
            self.offsets = offsets
            self.columns = columns
        }

        /// The sorted items of `user`.
        @inlinable @inline(__always)
        public func row(_ user: Int) -> UnsafeBufferPointer<Int32> {
            let start = offsets[user]
            return UnsafeBufferPointer(start: columns + start, count: offsets[user + 1] &- start)
        }

        /// Binary search of `item` in `user`'s row.
        ///
        /// - Complexity: O(log rᵤ), branch-free halving.
        @inlinable @inline(__always)
        public func contains(user: Int, item: Int32) -> Bool {
            var base = columns + offsets[user]
            var length = offsets[user + 1] &- offsets[user]
            if length == 0 { return false }
            while length > 1 {
                let half = length >> 1
                base = base[half] <= item ? base + half : base
                length &-= half
            }
            return base.pointee == item
        }
    }
}
