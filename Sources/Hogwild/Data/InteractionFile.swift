#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The binary interaction format: train and test positives as CSR arrays, read straight into
/// aligned memory at disk speed (no parsing, no id strings; ids are the row indices).
///
/// Layout, version 1, little-endian:
///
/// ```
/// "HGWDATA\u{1}"                  8 bytes magic
/// version UInt32 = 1, reserved UInt32 = 0
/// userCount, itemCount, trainPairs, testPairs    4 × UInt64
/// train row offsets  (userCount + 1) × Int64
/// train item indices trainPairs × Int32 (each row sorted, distinct)
/// test row offsets   (userCount + 1) × Int64
/// test item indices  testPairs × Int32
/// ```
///
/// The size must match the header exactly, and the arrays are validated on load
/// (`InteractionMatrix.init(userCount:itemCount:offsets:columns:describe:)`), so a truncated or
/// corrupted file is a one-line error, never a crash.
public enum InteractionFile {
    static let magic: [UInt8] = Array("HGWDATA".utf8) + [1]
    /// The format version this build writes and reads.
    public static let version: UInt32 = 1
    static let headerSize = 48

    /// Whether `path` starts with the format's magic bytes (false if it cannot be read).
    public static func isInteractionFile(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: magic.count)
        return pread(fd, &head, magic.count, 0) == magic.count && head == magic
    }

    /// Writes train and test positives (same users and items) to `path` atomically.
    ///
    /// - Precondition: both matrices have the same user and item counts.
    /// - Throws: `HogwildError` when the file cannot be written.
    public static func write(train: InteractionMatrix, test: InteractionMatrix, to path: String) throws {
        precondition(train.userCount == test.userCount && train.itemCount == test.itemCount)
        try FileBytes.writeAtomically(path) { sink in
            var header = [UInt8]()
            header += magic
            func append<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { header += $0 } }
            append(version); append(UInt32(0))
            append(UInt64(train.userCount)); append(UInt64(train.itemCount))
            append(UInt64(train.nonZeroCount)); append(UInt64(test.nonZeroCount))
            try sink.write(header)
            for m in [train, test] {
                try m.offsets.withUnsafeBufferPointer { try sink.write(UnsafeRawBufferPointer($0)) }
                try m.columns.withUnsafeBufferPointer { try sink.write(UnsafeRawBufferPointer($0)) }
            }
        }
    }

    /// The counts a file's header declares, checked against its size.
    public struct Header: Sendable, Equatable {
        /// Users (rows of both matrices).
        public var users: Int
        /// Items (columns).
        public var items: Int
        /// Training positives.
        public var trainPairs: Int
        /// Test positives.
        public var testPairs: Int
    }

    /// Reads and checks the header of `path` from the open descriptor `fd` (see
    /// `header(size:path:readAt:)`).
    static func header(_ fd: Int32, path: String) throws -> Header {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw HogwildError("cannot read '\(path)': \(FileBytes.errorText())") }
        return try header(size: Int(info.st_size), path: path, readAt: reader(fd, path: path))
    }

    /// Copies `count` bytes at file offset `offset` of `fd` into a destination, or throws.
    private static func reader(_ fd: Int32, path: String) -> (UnsafeMutableRawPointer, Int, Int) throws -> Void {
        { destination, count, offset in try FileBytes.readExactly(fd, into: destination, count: count, at: offset, path: path) }
    }

    /// Reads a file written by `write` from bytes in memory, as `read(_:)` does; `path` only
    /// names the source in errors (the fuzz targets in perf/fuzz call this).
    static func read(bytes: UnsafeRawBufferPointer, path: String) throws -> (users: Int, items: Int, train: InteractionMatrix, test: InteractionMatrix) {
        let readAt: (UnsafeMutableRawPointer, Int, Int) throws -> Void = { destination, count, offset in
            guard offset + count <= bytes.count else { throw HogwildError("'\(path)' is truncated") }
            destination.copyMemory(from: bytes.baseAddress! + offset, byteCount: count)
        }
        let h = try header(size: bytes.count, path: path, readAt: readAt)
        return try matrices(h, path: path, readAt: readAt)
    }

    /// Reads and checks a header: magic, version, counts within the matrices' 32-bit indices,
    /// and a file size (`size`) that is exactly what the counts make, so that nothing is
    /// allocated for counts the file cannot hold. `readAt(destination, count, offset)` copies
    /// `count` bytes from `offset` or throws.
    ///
    /// - Throws: `HogwildError` (one line naming the file and the field) otherwise.
    private static func header(size: Int, path: String, readAt: (UnsafeMutableRawPointer, Int, Int) throws -> Void) throws -> Header {
        var header = [UInt8](repeating: 0, count: headerSize)
        guard size >= headerSize else { throw HogwildError("'\(path)' is truncated (no complete header)") }
        try header.withUnsafeMutableBytes { try readAt($0.baseAddress!, headerSize, 0) }
        guard Array(header[0..<8]) == magic else { throw HogwildError("'\(path)' is not a Hogwild interaction file") }
        func field<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            T(littleEndian: header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) })
        }
        let version = field(8, UInt32.self)
        guard version == self.version else {
            throw HogwildError("'\(path)' is a version \(version) interaction file; this build reads version \(self.version)")
        }
        let limit = UInt64(Int32.max)
        let (users, items) = (field(16, UInt64.self), field(24, UInt64.self))
        let (trainPairs, testPairs) = (field(32, UInt64.self), field(40, UInt64.self))
        for (name, value) in [("user count", users), ("item count", items)] where value > limit {
            throw HogwildError("'\(path)' has an impossible header: its \(name) \(value) is more than \(limit)")
        }
        for (name, value) in [("train pair count", trainPairs), ("test pair count", testPairs)] where value > UInt64(size) / 4 {
            throw HogwildError("'\(path)' has an impossible header: its \(name) \(value) needs more than its \(size) bytes")
        }
        let u = Int(users), tr = Int(trainPairs), te = Int(testPairs)
        let expected = headerSize + 2 * (u + 1) * 8 + (tr + te) * 4
        guard size >= expected else { throw HogwildError("'\(path)' is truncated (\(size) of \(expected) bytes)") }
        guard size == expected else { throw HogwildError("'\(path)' has \(size - expected) unexpected trailing bytes") }
        return Header(users: u, items: Int(items), trainPairs: tr, testPairs: te)
    }

    /// The two matrices after a checked header, read through `readAt` (see `header(size:path:readAt:)`).
    private static func matrices(_ h: Header, path: String, readAt: (UnsafeMutableRawPointer, Int, Int) throws -> Void)
        throws -> (users: Int, items: Int, train: InteractionMatrix, test: InteractionMatrix) {
        let u = h.users, i = h.items, tr = h.trainPairs, te = h.testPairs
        var position = headerSize
        func load<T: BitwiseCopyable>(_ count: Int, _: T.Type) throws -> AlignedBuffer<T> {
            let buffer = AlignedBuffer<T>(count: count)
            let bytes = count * MemoryLayout<T>.stride
            try buffer.withUnsafeMutableBufferPointer { b in
                try readAt(UnsafeMutableRawPointer(b.baseAddress!), bytes, position)
            }
            position += bytes
            return buffer
        }
        let trainOffsets = try load(u + 1, Int.self), trainColumns = try load(tr, Int32.self)
        let testOffsets = try load(u + 1, Int.self), testColumns = try load(te, Int32.self)
        let train = try InteractionMatrix(userCount: u, itemCount: i, offsets: trainOffsets, columns: trainColumns, describe: "'\(path)' train")
        let test = try InteractionMatrix(userCount: u, itemCount: i, offsets: testOffsets, columns: testColumns, describe: "'\(path)' test")
        return (u, i, train, test)
    }

    /// The checked header of the interaction file at `path` (see `read`), without reading the
    /// matrices: what a run will hold, for the memory check before loading.
    ///
    /// - Throws: `HogwildError` (one line naming the file) as `read` does for its header.
    public static func header(_ path: String) throws -> Header {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw HogwildError("cannot read '\(path)': \(FileBytes.errorText())") }
        defer { close(fd) }
        return try header(fd, path: path)
    }

    /// Reads a file written by `write`.
    ///
    /// - Returns: the user and item counts and the two matrices.
    /// - Throws: `HogwildError` (one line naming the file) when it cannot be read, is not an
    ///   interaction file, has another version, a header whose counts are out of range or do not
    ///   match the file's size, or invalid arrays.
    /// - Complexity: O(file size).
    public static func read(_ path: String) throws -> (users: Int, items: Int, train: InteractionMatrix, test: InteractionMatrix) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw HogwildError("cannot read '\(path)': \(FileBytes.errorText())") }
        defer { close(fd) }
        let h = try header(fd, path: path)
        return try matrices(h, path: path, readAt: reader(fd, path: path))
    }
}
