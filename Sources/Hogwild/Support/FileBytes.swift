#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads and crash-safe whole-file writes, with errors that name the file.
public enum FileBytes {
    /// Zero bytes after the data in `read`'s buffer: C number parsers stop there, and a reader
    /// may load a whole 8-byte word starting at any byte of the data.
    public static let readPadding = 8

    /// The contents of `path`, followed by `readPadding` zero bytes (not counted in `count`).
    ///
    /// A regular file is read in one pass into a buffer of its size; anything else — a pipe,
    /// `/dev/stdin`, a FIFO, a character device — is read as a stream to its end.
    ///
    /// - Throws: `HogwildError` naming the file when it cannot be opened or read, or is a folder.
    /// - Complexity: O(file size), one read pass.
    public static func read(_ path: String) throws -> (bytes: [UInt8], count: Int) {
        let (fd, info) = try openForReading(path)
        defer { close(fd) }
        return try read(fd, info, path)
    }

    /// `path` opened for reading, and its status; a folder is refused.
    private static func openForReading(_ path: String) throws -> (fd: Int32, info: stat) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw HogwildError("cannot read '\(path)': \(errorText())") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let error = HogwildError("cannot read '\(path)': \(errorText())")
            close(fd)
            throw error
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw HogwildError("cannot read '\(path)': it is a directory")
        }
        return (fd, info)
    }

    /// The rest of `read`, on the open `fd`.
    private static func read(_ fd: Int32, _ info: stat, _ path: String) throws -> (bytes: [UInt8], count: Int) {
        // A regular file's size is known (though it may still grow or shrink while read: the
        // loop below keeps reading past it); a stream's is not.
        let regular = (info.st_mode & S_IFMT) == S_IFREG
        var bytes = [UInt8](repeating: 0, count: (regular ? Int(info.st_size) : 1 << 16) + readPadding)
        var done = 0
        while true {
            if done == bytes.count - readPadding {
                // Full: one byte more says whether the stream (or a file that grew) goes on.
                var next: UInt8 = 0
                let n = Glibc.read(fd, &next, 1)
                if n < 0 && errno == EINTR { continue }
                if n < 0 { throw HogwildError("cannot read '\(path)': \(errorText())") }
                if n == 0 { break }
                bytes.append(contentsOf: repeatElement(0, count: max(bytes.count, 1 << 16)))
                bytes[done] = next
                done += 1
            }
            let n = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(fd, buffer.baseAddress! + done, buffer.count - readPadding - done)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw HogwildError("cannot read '\(path)': \(errorText())")
            }
            if n == 0 { break }
            done += n
        }
        bytes.removeLast(bytes.count - done - readPadding)
        return (bytes, done)
    }

    /// Calls `body` with the contents of `path`, followed by `readPadding` zero bytes (not
    /// counted). A regular file is mapped into memory — no copy, no zeroed buffer, pages shared
    /// with the page cache — and unmapped when `body` returns; anything else (a pipe,
    /// `/dev/stdin`) is read as by `read`. A file truncated by another process while `body` runs
    /// may end the process (SIGBUS), as with any mapped file.
    ///
    /// - Throws: `HogwildError` naming the file when it cannot be opened or read, or is a folder;
    ///   whatever `body` throws.
    public static func withContents<R>(of path: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) throws -> R {
        let (fd, info) = try openForReading(path)
        defer { close(fd) }
        let size = Int(info.st_size)
        if (info.st_mode & S_IFMT) == S_IFREG && size > 0 {
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            let length = (size + readPadding + page - 1) / page * page
            let failed = UnsafeMutableRawPointer(bitPattern: -1)
            // Zero pages first, the file over their start: the bytes after its end read as zero.
            if let region = mmap(nil, length, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), region != failed {
                defer { munmap(region, length) }
                if mmap(region, size, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_POPULATE, fd, 0) == region {
                    return try body(UnsafeBufferPointer(start: region.assumingMemoryBound(to: UInt8.self), count: size))
                }
            }
        }
        let (bytes, count) = try read(fd, info, path)
        return try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(start: $0.baseAddress, count: count)) }
    }

    /// Writes a file atomically: `produce` streams the contents into a temporary file next to
    /// `path`, which is flushed to disk and then renamed over `path`. A crash or kill at any
    /// moment leaves either the old file or the new one, never a mix; on error the temporary
    /// file is removed and `path` is untouched.
    ///
    /// `path` must be new or a regular file (a symbolic link to one is written through), and
    /// not one of the run's inputs; the temporary file is the one `OutputSafety.prepare` created
    /// for `path`, if any. Temporaries of earlier writers of `path` that were killed are removed
    /// first.
    ///
    /// - Throws: `HogwildError` naming `path` when it may not be replaced (see `OutputSafety`) or
    ///   cannot be written, or whatever `produce` throws.
    public static func writeAtomically(_ path: String, _ produce: (inout FileSink) throws -> Void) throws {
        let temporary = try OutputSafety.temporary(for: path)
        var sink = FileSink(fd: temporary.fd, path: path)
        do {
            try produce(&sink)
            try sink.flush()
            try temporary.commit()
        } catch {
            temporary.discard()
            throw error
        }
    }

    /// Removes `path.tmp-PID` files left by writers that were killed (their PID no longer runs),
    /// so repeated checkpoints under kills do not pile up temporaries. `remove` deletes one
    /// (a folder needs a recursive remove).
    static func removeStaleTemporaries(of path: String, remove: (String) -> Void = { _ = unlink($0) }) {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let prefix = (slash.map { String(path[path.index(after: $0)...]) } ?? path) + ".tmp-"
        guard let dir = opendir(folder.isEmpty ? "/" : folder) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.hasPrefix(prefix), let pid = Int32(name.dropFirst(prefix.count)) else { continue }
            if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH {
                remove("\(folder.isEmpty ? "" : folder)/\(name)")
            }
        }
    }

    /// Writes `text` to `path` atomically, as UTF-8 (see `writeAtomically(_:_:)`).
    public static func writeAtomically(_ path: String, text: String) throws {
        try writeAtomically(path) { sink in try sink.write(Array(text.utf8)) }
    }

    /// Reads exactly `count` bytes at file offset `offset` into `destination`.
    static func readExactly(_ fd: Int32, into destination: UnsafeMutableRawPointer, count: Int, at offset: Int, path: String) throws {
        var done = 0
        while done < count {
            let n = pread(fd, destination + done, min(count - done, 1 << 30), off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw HogwildError("cannot read '\(path)': \(errorText())")
            }
            if n == 0 { throw HogwildError("'\(path)' is truncated") }
            done += n
        }
    }

    static func errorText() -> String { String(cString: strerror(errno)) }
}

/// A buffered writer over a file descriptor (1 MiB buffer).
///
/// Only `FileBytes.writeAtomically` makes one, for its `produce` closure: the bytes written
/// become the file at `path` when that closure returns without error.
public struct FileSink {
    let fd: Int32
    let path: String
    private var buffer: [UInt8] = []

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
        buffer.reserveCapacity(1 << 20)
    }

    /// Appends raw bytes (copied or written before returning: `bytes` need not outlive the call).
    ///
    /// - Throws: `HogwildError` naming the file when a write to it fails.
    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > 1 << 20 { try flush() }
        if bytes.count >= 1 << 20 { try writeAll(bytes); return }
        buffer.append(contentsOf: bytes)
    }

    /// Appends raw bytes.
    ///
    /// - Throws: `HogwildError` naming the file when a write to it fails.
    public mutating func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    mutating func flush() throws {
        let pending = buffer
        buffer.removeAll(keepingCapacity: true)
        try pending.withUnsafeBytes { try writeAll($0) }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw HogwildError("cannot write '\(path)': \(FileBytes.errorText())")
            }
            done += n
        }
    }
}
