#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fixed-size, cache-line aligned buffer of trivial values that can be shared across the
/// threads of a `DispatchQueue.concurrentPerform`.
///
/// The buffer owns its memory; the raw pointer is reachable only inside the scoped
/// `withUnsafe…` closures. *Do not escape the pointer from the closure.* Concurrent access is the
/// caller's business: the Hogwild trainer writes the embedding rows without synchronisation on
/// purpose, and every other shared buffer is either read-only or written at disjoint indices.
///
/// Buffers of 4 MiB and more are aligned to 2 MiB and advised for transparent huge pages, which
/// cuts TLB misses when training touches rows at random in tables larger than the caches.
public final class AlignedBuffer<Element: BitwiseCopyable>: @unchecked Sendable {
    /// The number of elements.
    public let count: Int
    @usableFromInline internal let base: UnsafeMutablePointer<Element>

    /// Allocates `count` zero-filled elements.
    ///
    /// - Complexity: O(`count`) to zero the memory.
    public init(count: Int) {
        precondition(count >= 0, "negative buffer size")
        self.count = count
        let bytes = max(1, count * MemoryLayout<Element>.stride)
        let huge = bytes >= 4 << 20
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: bytes, alignment: max(huge ? 2 << 20 : 64, MemoryLayout<Element>.alignment))
        #if os(Linux)
        if huge { _ = madvise(raw, bytes, MADV_HUGEPAGE) }
        #endif
        memset(raw, 0, bytes)
        base = raw.bindMemory(to: Element.self, capacity: max(1, count))
    }

    /// Allocates a buffer holding a copy of `elements`.
    public convenience init(_ elements: some Collection<Element>) {
        self.init(count: elements.count)
        _ = UnsafeMutableBufferPointer(start: base, count: count).initialize(from: elements)
    }

    deinit {
        UnsafeMutableRawPointer(base).deallocate()
    }

    /// Calls `body` with the buffer's memory. Do not escape the pointer.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// Calls `body` with the buffer's mutable memory. Do not escape the pointer.
    @inlinable
    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Element>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: base, count: count))
    }

    /// Overwrites the contents with `other`'s, which must have the same count.
    ///
    /// - Complexity: O(`count`), one memory copy.
    public func copyContents(from other: AlignedBuffer<Element>) {
        precondition(other.count == count)
        withUnsafeMutableBufferPointer { destination in
            other.withUnsafeBufferPointer { _ = destination.update(fromContentsOf: $0) }
        }
    }

    /// A copy of the contents as an array.
    public var array: [Element] { withUnsafeBufferPointer { Array($0) } }
}
