import CHogwildShims
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What an output file may replace, and the temporary files writes go through.
///
/// `FileBytes.writeAtomically`, the one way this package writes a file, writes into
/// `path.tmp-PID` and renames it over `path`. A rename replaces whatever has that name, so before
/// writing (and again just before the rename) the path is checked:
///
/// - anything that is not a regular file is refused: a directory, a device, a FIFO, a socket, or
///   a symbolic link to one of them (as root, a rename over `/dev/null` would replace the
///   system's device with a regular file). A symbolic link to a regular file is written through:
///   the file it points to is replaced and the link stays;
/// - the run's inputs (`protectInputs`) are refused, compared by device and inode, so `./a.tsv`,
///   `a.tsv` and a hard link to it are all caught.
///
/// Long runs call `prepare` before they start: it creates the temporary files at once, so an
/// output that cannot be written fails in a moment instead of after the work, and the final write
/// goes into the file created then. Every temporary file is recorded in a table the handlers of
/// `removeTemporariesOnSignals()` reach without allocating or locking: an interrupted run leaves
/// none behind.
public enum OutputSafety {
    /// A file's identity: device and inode.
    struct FileID: Equatable {
        var device: UInt64
        var inode: UInt64

        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }

        /// The identity of the file `path` names (following symbolic links), or `nil` when there is none.
        init?(path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            self.init(info)
        }
    }

    private struct State {
        var inputs: [(id: FileID, path: String, role: String)] = []
        /// Temporaries created by `prepare`, by target path, waiting for their write.
        var prepared: [String: TemporaryFile] = [:]
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var state = State()

    private static func locked<T>(_ body: (inout State) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&state)
    }

    /// Records files the run reads, each with its role for error messages ("training file"), so
    /// that no later write of this process replaces one of them. Paths that do not exist are
    /// skipped.
    public static func protectInputs(_ inputs: [(path: String, role: String)]) {
        let found = inputs.compactMap { input in FileID(path: input.path).map { (id: $0, path: input.path, role: input.role) } }
        locked { $0.inputs += found }
    }

    /// Whether `a` and `b` name the same existing file (same device and inode).
    public static func sameFile(_ a: String, _ b: String) -> Bool {
        guard let first = FileID(path: a), let second = FileID(path: b) else { return false }
        return first == second
    }

    /// Checks each of `outputs` as a write would and creates its temporary file now, for the
    /// write of that path to use later; the temporaries are removed at exit or on a signal if
    /// never written (see `removeTemporariesOnSignals()`).
    ///
    /// - Throws: `HogwildError` naming the path when it may not be replaced (see `OutputSafety`)
    ///   or its temporary file cannot be created (a missing or read-only folder…), or when two of
    ///   `outputs` are the same file. Nothing stays created then.
    public static func prepare(_ outputs: [String]) throws {
        var created: [TemporaryFile] = []
        do {
            for path in outputs {
                let file = try TemporaryFile(for: path)
                created.append(file)
                if let other = created.dropLast().first(where: { $0.isSameOutput(as: file) }) {
                    throw HogwildError("\(quoted(other.requested)) and \(quoted(path)) are the same file: give each output its own")
                }
            }
        } catch {
            created.forEach { $0.discard() }
            throw error
        }
        let replaced = locked { state in created.compactMap { state.prepared.updateValue($0, forKey: $0.target) } }
        replaced.forEach { $0.discard() }
    }

    /// The temporary file to write `path` through: the one `prepare` created for it, or a new one.
    static func temporary(for path: String) throws -> TemporaryFile {
        let (target, _) = try checkedTarget(path)
        if let prepared = locked({ $0.prepared.removeValue(forKey: target) }) { return prepared }
        return try TemporaryFile(for: path)
    }

    /// Installs handlers for SIGINT, SIGTERM and SIGHUP that remove this process's temporary
    /// output files and exit with status 128 + the signal (130, 143, 129); the files are removed
    /// at `exit` as well. A signal the process started with ignored (`nohup`) stays ignored.
    public static func removeTemporariesOnSignals() {
        hogwild_install_temporary_cleanup()
    }

    /// Where a write of `path` goes — `path`, or the regular file a symbolic link at `path` points
    /// to — and that file's identity when it exists.
    ///
    /// - Throws: `HogwildError` naming `path` when it may not be replaced (see `OutputSafety`).
    static func checkedTarget(_ path: String) throws -> (path: String, id: FileID?) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return (path, nil) }  // a new file; its folder is checked by creating the temporary
            throw HogwildError("cannot write \(quoted(path)): \(FileBytes.errorText())")
        }
        var target = path, link = ""
        if (info.st_mode & S_IFMT) == S_IFLNK {
            guard stat(path, &info) == 0 else {
                throw HogwildError("refusing to write \(quoted(path)): it is a symbolic link to a missing file")
            }
            link = "a symbolic link to "
            if (info.st_mode & S_IFMT) == S_IFREG, let resolved = realpath(path, nil) {
                target = String(cString: resolved)
                free(resolved)
            }
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw HogwildError("refusing to write \(quoted(path)): it is \(link)\(kind(info.st_mode)), not a regular file")
        }
        let id = FileID(info)
        if let input = locked({ $0.inputs.first { $0.id == id } }) {
            let named = input.path == path ? "" : " \(quoted(input.path))"
            throw HogwildError("refusing to write \(quoted(path)): it is this run's \(input.role)\(named)")
        }
        return (target, id)
    }

    private static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFIFO: "a FIFO (named pipe)"
        case S_IFSOCK: "a socket"
        default: "a special file"
        }
    }

    /// `text` in single quotes for a one-line message, escaped and bounded as every message
    /// quotes what it was given (`HogwildError.escaped`, 80 characters).
    static func quoted(_ text: String) -> String { "'" + HogwildError.escaped(text, limit: 80) + "'" }
}

/// A temporary file `target.tmp-PID` being written, renamed over its target when complete.
final class TemporaryFile {
    /// The path the caller asked to write, for messages.
    let requested: String
    /// The file the rename replaces (`requested`, or the regular file a link there points to).
    let target: String
    /// The temporary file's path.
    let path: String
    /// The open temporary file, for writing.
    let fd: Int32
    private let slot: Int32
    private let identity: (temporary: OutputSafety.FileID, target: OutputSafety.FileID?)
    private var closed = false

    /// Checks `requested` (`OutputSafety.checkedTarget`) and creates the temporary file beside
    /// its target, after removing the temporaries of earlier writers that were killed.
    init(for requested: String) throws {
        let (target, targetID) = try OutputSafety.checkedTarget(requested)
        self.requested = requested
        self.target = target
        FileBytes.removeStaleTemporaries(of: target)
        path = "\(target).tmp-\(getpid())"
        // Recorded before it exists, so that no signal can leave it behind.
        slot = hogwild_temporary_register(path)
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        var info = stat()
        guard fd >= 0, fstat(fd, &info) == 0 else {
            let reason = errno == ENOENT ? "its folder does not exist" : FileBytes.errorText()
            if fd >= 0 { close(fd); unlink(path) }
            hogwild_temporary_unregister(slot)
            throw HogwildError("cannot write \(OutputSafety.quoted(requested)): \(reason)")
        }
        identity = (OutputSafety.FileID(info), targetID)
    }

    /// Whether this and `other` would write the same file: one temporary, or targets that are one
    /// existing file under two names.
    func isSameOutput(as other: TemporaryFile) -> Bool {
        identity.temporary == other.identity.temporary || (identity.target != nil && identity.target == other.identity.target)
    }

    /// Flushes the file to disk and renames it over the target, checking the target again first
    /// (it may have been replaced since the temporary was created).
    func commit() throws {
        guard fsync(fd) == 0 else { throw HogwildError("cannot write \(OutputSafety.quoted(requested)): \(FileBytes.errorText())") }
        close(fd)
        closed = true
        _ = try OutputSafety.checkedTarget(target)
        guard rename(path, target) == 0 else { throw HogwildError("cannot write \(OutputSafety.quoted(requested)): \(FileBytes.errorText())") }
        hogwild_temporary_unregister(slot)
    }

    /// Closes and removes the temporary file; the target is left as it was.
    func discard() {
        if !closed { close(fd) }
        closed = true
        unlink(path)
        hogwild_temporary_unregister(slot)
    }
}

extension DataSource {
    /// The files a run on this data may read, with their roles, for `OutputSafety.protectInputs`:
    /// the training and test files and the MovieLens metadata beside the training file (titles,
    /// genres, demographics). None for generated data.
    public var inputFiles: [(path: String, role: String)] {
        guard synthetic == nil else { return [] }
        let folder = (trainFile as NSString).deletingLastPathComponent
        var files = [(path: trainFile, role: "training file")]
        if let testFile { files.append((testFile, "test file")) }
        for name in ["u.item", "u.genre", "u.user", "movies.csv"] {
            files.append((folder.isEmpty ? name : "\(folder)/\(name)", "metadata file"))
        }
        return files
    }
}
