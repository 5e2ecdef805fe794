import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ZIPFoundation

extension DataCatalog {
    /// Where the catalogue's zips come from unless `HOGWILD_DOWNLOAD_BASE` names a mirror:
    /// GroupLens' own server, as the classic notebooks fetch them.
    public static let officialDownloadBase = "https://files.grouplens.org/datasets/movielens"

    /// Seconds without any answer or data after which a download gives up, so that a machine
    /// without network fails in one line instead of hanging.
    static let downloadIdleTimeout = 10.0

    /// Upper bound on a mirror's file whose size is not pinned, and on an archive's unpacked size.
    static let downloadByteLimit = 1 << 30

    /// Fetches catalogue data set `name` into the cache folder (`cacheFolder(environment:)`)
    /// unless a search folder holds it already, and returns the folder holding its files.
    ///
    /// `<base>/<name>.zip` is streamed into a temporary folder beside the target while its
    /// SHA-256 is computed; its size and digest must be the published ones. It is unpacked there
    /// (absolute paths, `..` and links are refused, CRC-32s checked), the files are flushed to
    /// disk, and the `<name>` folder is renamed into place: a failed or interrupted download
    /// leaves nothing that looks like the data set, and a killed one's leftovers are removed by
    /// the next download.
    ///
    /// Environment:
    /// - `HOGWILD_OFFLINE` (set, not `0`): never download.
    /// - `HOGWILD_DOWNLOAD_BASE`: an http(s) URL of a folder holding `<name>.zip` (a mirror, or a
    ///   test server) instead of `officialDownloadBase`.
    /// - `HOGWILD_DOWNLOAD_SHA256_<NAME>` (name upper-cased, `-` as `_`, e.g.
    ///   `HOGWILD_DOWNLOAD_SHA256_ML_100K`): the digest a mirror's different file must have (its
    ///   size is then not checked). Without it, any URL must serve the published file.
    ///
    /// - Parameters:
    ///   - name: a catalogue name (`DataCatalog.names`).
    ///   - environment: the process environment (the variables above, `HOGWILD_DATA`,
    ///     `XDG_CACHE_HOME`, `HOME`).
    ///   - log: receives one line when the server has answered and the transfer starts.
    /// - Returns: the folder holding the data set's files.
    /// - Throws: `HogwildError`, one line naming the folders searched, the URL and the reason,
    ///   and pointing at `--data synthetic`.
    public static func download(_ name: String, environment: [String: String], log: (String) -> Void) throws -> String {
        guard let entry = entries.first(where: { $0.name == name }) else {
            throw HogwildError("unknown data set '\(name)': the catalogue has \(names.joined(separator: ", "))")
        }
        if let found = installedFolder(of: entry, environment: environment) { return found }

        var base = environment["HOGWILD_DOWNLOAD_BASE"].flatMap { $0.isEmpty ? nil : $0 } ?? officialDownloadBase
        while base.hasSuffix("/") { base.removeLast() }
        let urlText = "\(base)/\(name).zip"
        let hashVariable = "HOGWILD_DOWNLOAD_SHA256_" + name.uppercased().replacingOccurrences(of: "-", with: "_")
        let hashOverride = environment[hashVariable].flatMap { $0.isEmpty ? nil : $0.lowercased() }
        let expectedSHA256 = hashOverride ?? entry.zipSHA256
        let expectedBytes = hashOverride == nil ? entry.zipBytes : nil

        guard let url = URL(string: urlText), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw HogwildError("HOGWILD_DOWNLOAD_BASE must be an http:// or https:// URL (got '\(base)')")
        }
        guard expectedSHA256.count == 64, expectedSHA256.allSatisfy(\.isHexDigit) else {
            throw HogwildError("\(hashVariable) must be 64 hexadecimal digits (got '\(expectedSHA256)')")
        }
        func failure(_ reason: String) -> HogwildError {
            HogwildError("\(name) is not in \(lookedIn(entry, environment)) and could not be downloaded from \(urlText) "
                + "(\(reason)); run with --data synthetic for the built-in planted set")
        }
        if let offline = environment["HOGWILD_OFFLINE"], !offline.isEmpty, offline != "0" {
            throw failure("downloads are off: HOGWILD_OFFLINE=\(offline)")
        }
        guard let cache = cacheFolder(environment: environment) else {
            throw failure("no cache folder to put it in: XDG_CACHE_HOME and HOME are unset")
        }
        let target = "\(cache)/\(name)"
        do {
            try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        } catch {
            throw failure("cannot create \(cache): \(error.localizedDescription)")
        }

        // All work happens in `<target>.tmp-PID`, removed on every way out; one left by a killed
        // run is removed here.
        let removeTree = { (path: String) in try? FileManager.default.removeItem(atPath: path) }
        FileBytes.removeStaleTemporaries(of: target, remove: { removeTree($0) })
        let work = "\(target).tmp-\(getpid())"
        removeTree(work)
        guard mkdir(work, 0o755) == 0 else { throw failure("cannot create \(work): \(FileBytes.errorText())") }
        defer { removeTree(work) }

        let zip = "\(work)/\(name).zip"
        let got: (bytes: Int, sha256: String)
        do {
            let transfer = try Transfer(path: zip, limit: expectedBytes ?? downloadByteLimit)
            got = try transfer.run(url) { announced in
                let size = (announced ?? expectedBytes).map { String(format: "%.1f MB", Double($0) / 1e6) } ?? "size unknown"
                log("downloading \(name) (\(size)) from \(urlText) into \(target)")
            }
        } catch let error as HogwildError {
            throw failure(error.description)
        }
        guard got.sha256 == expectedSHA256, expectedBytes == nil || got.bytes == expectedBytes else {
            let wanted = (expectedBytes.map { "\($0) bytes, " } ?? "") + "SHA-256 \(expectedSHA256)"
            let hint = hashOverride == nil ? "; a mirror with another file needs \(hashVariable)" : ""
            throw failure("the file is not the expected one: \(got.bytes) bytes, SHA-256 \(got.sha256); expected \(wanted)\(hint)")
        }

        let unpacked = "\(work)/unpacked"
        let folder = "\(unpacked)/\(name)"
        do {
            try unzip(zip, into: unpacked)
            for file in [entry.trainFile] + (entry.testFile.map { [$0] } ?? []) where access("\(folder)/\(file)", R_OK) != 0 {
                throw HogwildError("the archive has no \(name)/\(file)")
            }
            try syncTree(folder)
        } catch let error as HogwildError {
            throw failure(error.description)
        }
        guard rename(folder, target) == 0 else {
            let reason = FileBytes.errorText()
            // Another process may have installed it meanwhile.
            if let found = installedFolder(of: entry, environment: environment) { return found }
            throw failure("cannot move it into \(target): \(reason)")
        }
        try? flushToDisk(cache)
        return target
    }

    /// Unpacks zip file `path` into the new folder `folder`, refusing entries that could land
    /// outside it (absolute paths, `..`, links) and checking every file's CRC-32. Files are
    /// created 0644 and folders 0755 whatever the archive records, so a read-only folder entry
    /// cannot block the files after it or the removal of a failed attempt.
    static func unzip(_ path: String, into folder: String) throws {
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw HogwildError("not a zip archive: \(error)")
        }
        var unpackedBytes: UInt64 = 0
        var count = 0
        for entry in archive {
            let path = entry.path
            guard !path.isEmpty, !path.hasPrefix("/"), !path.split(separator: "/").contains(".."), entry.type != .symlink else {
                throw HogwildError("unsafe entry '\(path)' in the archive (absolute, '..' or a link)")
            }
            unpackedBytes += entry.uncompressedSize
            count += 1
        }
        guard count > 0 else { throw HogwildError("the zip archive is empty or unreadable") }
        guard unpackedBytes <= UInt64(downloadByteLimit) else {
            throw HogwildError("the archive unpacks to \(unpackedBytes) bytes, more than the \(downloadByteLimit) allowed")
        }
        let files = FileManager.default
        for entry in archive {
            let destination = "\(folder)/\(entry.path)"
            do {
                guard entry.type == .file else {
                    try files.createDirectory(atPath: destination, withIntermediateDirectories: true)
                    continue
                }
                try files.createDirectory(atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                let fd = open(destination, O_WRONLY | O_CREAT | O_EXCL, 0o644)
                guard fd >= 0 else { throw HogwildError("cannot create \(destination): \(FileBytes.errorText())") }
                defer { close(fd) }
                var sink = FileSink(fd: fd, path: destination)
                let checksum = try archive.extract(entry) { chunk in try chunk.withUnsafeBytes { try sink.write($0) } }
                try sink.flush()
                guard checksum == entry.checksum else {
                    throw HogwildError("corrupt zip archive: \(entry.path) fails its CRC-32 check")
                }
            } catch let error as HogwildError {
                throw error
            } catch {
                throw HogwildError("corrupt zip archive: cannot unpack \(entry.path): \(error)")
            }
        }
    }

    /// Flushes every file under `folder`, and the folders, to disk, so that once renamed into
    /// place the data set survives a crash whole.
    static func syncTree(_ folder: String) throws {
        for case let relative as String in FileManager.default.enumerator(atPath: folder) ?? NSEnumerator() {
            try flushToDisk("\(folder)/\(relative)")
        }
        try flushToDisk(folder)
    }

    /// `fsync` of one file or folder.
    static func flushToDisk(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw HogwildError("cannot open \(path): \(FileBytes.errorText())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw HogwildError("cannot flush \(path): \(FileBytes.errorText())") }
    }
}

/// One HTTP(S) GET streamed into a file and hashed as it arrives.
///
/// URLSession calls the delegate methods one at a time on its serial `delegateQueue`; the caller
/// waits on the semaphores, and `lock` orders the state they share.
private final class Transfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let lock = NSLock()
    private let fd: Int32
    private var sink: FileSink
    private var hasher = SHA256()
    private var received = 0
    private let limit: Int
    private var failure: String?
    private var answered = false
    private var announcedBytes: Int?
    /// Signalled once: the server answered 200 and the body starts, or the transfer ended.
    private let answer = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)

    /// A transfer into the new file `path` that fails past `limit` bytes.
    init(path: String, limit: Int) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw HogwildError("cannot create \(path): \(FileBytes.errorText())") }
        sink = FileSink(fd: fd, path: path)
        self.limit = limit
    }

    deinit { close(fd) }

    /// Fetches `url`; `started` gets the announced size when the body starts. Returns the bytes
    /// received and their SHA-256 in hex.
    func run(_ url: URL, started: (Int?) -> Void) throws -> (bytes: Int, sha256: String) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = DataCatalog.downloadIdleTimeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil  // else Foundation creates a URLCache folder in the user's cache
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: self, delegateQueue: queue)
        defer { session.invalidateAndCancel() }  // a session keeps its delegate until invalidated
        session.dataTask(with: url).resume()

        answer.wait()
        let (answeredOK, announced) = locked { (failure == nil, announcedBytes) }
        if answeredOK { started(announced) }
        done.wait()
        return try locked {
            if let failure { throw HogwildError(failure) }
            return (received, SHA256.hex(hasher.finalize()))
        }
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Records the first failure and stops the transfer. Call with `lock` held.
    private func fail(_ reason: String, _ task: URLSessionTask) {
        if failure == nil { failure = reason }
        task.cancel()
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let proceed = locked {
            let status = (response as? HTTPURLResponse)?.statusCode ?? 200
            if status != 200 {
                fail("HTTP \(status) \(HTTPURLResponse.localizedString(forStatusCode: status))", dataTask)
            } else if response.expectedContentLength > limit {
                fail("the server announces \(response.expectedContentLength) bytes, more than the \(limit) expected", dataTask)
            } else {
                announcedBytes = response.expectedContentLength >= 0 ? Int(response.expectedContentLength) : nil
            }
            if !answered {
                answered = true
                answer.signal()
            }
            return failure == nil
        }
        completionHandler(proceed ? .allow : .cancel)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        locked {
            guard failure == nil else { return }
            received += data.count
            guard received <= limit else { return fail("the server sent more than the \(limit) bytes expected", dataTask) }
            data.withUnsafeBytes { hasher.update($0) }
            do {
                try data.withUnsafeBytes { try sink.write($0) }
            } catch {
                fail("\(error)", dataTask)
            }
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        locked {
            if failure == nil {
                if let error {
                    failure = Transfer.describe(error, url: task.originalRequest?.url)
                } else {
                    do { try sink.flush() } catch { failure = "\(error)" }
                }
            }
            if !answered {
                answered = true
                answer.signal()
            }
        }
        done.signal()
    }

    /// A short reason for a failed transfer.
    static func describe(_ error: Error, url: URL?) -> String {
        let host = url?.host ?? "the server"
        guard let error = error as? URLError else { return "\(error)" }
        switch error.code {
        case .cannotFindHost, .dnsLookupFailed: return "cannot resolve \(host): no network?"
        case .cannotConnectToHost: return "cannot connect to \(host)"
        case .notConnectedToInternet: return "no network"
        case .networkConnectionLost: return "the connection to \(host) was lost"
        case .timedOut: return "no answer from \(host) for \(Int(DataCatalog.downloadIdleTimeout)) s"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
             .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot:
            return "TLS connection to \(host) failed (URLError \(error.code.rawValue))"
        default: return "URLError \(error.code.rawValue): \(error.localizedDescription)"
        }
    }
}
