import Foundation
import Hogwild
import HogwildTestSupport
import Testing

/// First-run downloads, all against a loopback server: never the network.
@Suite("first-run download of the MovieLens sets")
struct DownloadTests {
    /// The files of ml-100k the fixture zip holds (GroupLens' zip has a few more).
    static let movieLensFiles = ["README", "u.genre", "u.info", "u.item", "u.user", "ua.base", "ua.test"]

    /// A small stand-in for ml-100k in the published layout: `ml-100k/ua.base` and `ua.test`.
    static func tinyZip(prefix: String = "ml-100k", extra: [(String, [UInt8])] = [], readOnly: Bool = false) throws -> [UInt8] {
        var lines = ""
        for u in 1...40 { for i in 1...30 where (u + i) % 3 == 0 { lines += "\(u)\t\(i)\t\(4 + (u * i) % 2)\t881250949\n" } }
        return try ZipFixture.zip([("\(prefix)/ua.base", Array(lines.utf8)), ("\(prefix)/ua.test", Array("1\t3\t5\t881250949\n".utf8))] + extra,
                                  readOnly: readOnly)
    }

    /// An environment without HOGWILD_DATA whose cache is `cache` and whose zips come from `base`.
    static func environment(cache: TemporaryFolder, base: String, sha256: String? = nil) -> [String: String] {
        var environment = ["XDG_CACHE_HOME": cache.path, "HOGWILD_DOWNLOAD_BASE": base]
        if let sha256 { environment["HOGWILD_DOWNLOAD_SHA256_ML_100K"] = sha256 }
        return environment
    }

    /// What `cache/hogwild` holds, sorted (empty when it does not exist).
    static func cacheContents(_ cache: TemporaryFolder) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(cache.path)/hogwild")) ?? []).sorted()
    }

    /// Downloads, expecting a failure; returns its message.
    static func failedDownload(_ environment: [String: String], sourceLocation: SourceLocation = #_sourceLocation) -> String {
        var lines: [String] = []
        let error = #expect(throws: HogwildError.self, sourceLocation: sourceLocation) {
            try DataCatalog.download("ml-100k", environment: environment, log: { lines.append($0) })
        }
        return error?.description ?? ""
    }

    @Test(.needsMovieLens, .tags(.movieLens)) func downloadsChecksAndUnpacksMovieLens100kIntoTheCache() throws {
        let root = try MovieLens.require()
        let zip = try ZipFixture.zip(folder: "\(root)/ml-100k", names: Self.movieLensFiles)
        let server = try LoopbackHTTPServer(routes: ["/ml-100k.zip": zip])
        defer { server.stop() }
        let cache = try TemporaryFolder()
        defer { cache.cleanup() }
        let environment = Self.environment(cache: cache, base: server.baseURL, sha256: try referenceSHA256(zip))

        var lines: [String] = []
        let folder = try DataCatalog.download("ml-100k", environment: environment, log: { lines.append($0) })
        #expect(folder == "\(cache.path)/hogwild/ml-100k")
        #expect(lines.count == 1 && lines[0].hasPrefix("downloading ml-100k (") && lines[0].contains("\(server.baseURL)/ml-100k.zip"),
                "\(lines)")
        #expect(server.requestedPaths == ["/ml-100k.zip"])
        #expect(Self.cacheContents(cache) == ["ml-100k"], "temporaries left behind")
        for name in Self.movieLensFiles {
            let original = try Data(contentsOf: URL(fileURLWithPath: "\(root)/ml-100k/\(name)"))
            let unpacked = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name)"))
            #expect(original == unpacked, "\(name) differs from the original after the round trip")
        }

        // Found from now on, without another request; the reference counts of the ua split.
        let source = try DataCatalog.resolve("ml-100k", test: nil, environment: environment)
        #expect(source.trainFile == "\(folder)/ua.base" && source.testFile == "\(folder)/ua.test")
        #expect(try DataCatalog.download("ml-100k", environment: environment, log: { lines.append($0) }) == folder)
        #expect(server.requestedPaths.count == 1 && lines.count == 1)
        let data = try Dataset.load(source, minRating: 4, holdout: 10, seed: 1, keepUnseenTest: true)
        #expect(data.users.count == 943 && data.items.count == 1682)
        #expect(data.train.nonZeroCount == 49_906 && data.test.nonZeroCount == 5_469)
    }

    @Test func resolveDownloadsOnDemandAndReplacesAKilledRunsLeftovers() throws {
        let zip = try Self.tinyZip(readOnly: true)
        let server = try LoopbackHTTPServer(routes: ["/ml-100k.zip": zip])
        defer { server.stop() }
        let cache = try TemporaryFolder()
        defer { cache.cleanup() }
        let environment = Self.environment(cache: cache, base: server.baseURL + "/", sha256: try referenceSHA256(zip).uppercased())
        // A download killed mid-way (its PID no longer runs) left its work folder.
        let stale = "\(cache.path)/hogwild/ml-100k.tmp-99999999"
        try FileManager.default.createDirectory(atPath: "\(stale)/unpacked/ml-100k", withIntermediateDirectories: true)
        _ = try cache.file("hogwild/ml-100k.tmp-99999999/unpacked/ml-100k/ua.base", "1\t1\t5\n")

        #expect(throws: HogwildError.self) { try DataCatalog.resolve("ml-100k", test: nil, environment: environment) }
        #expect(server.requestedPaths.isEmpty, "resolve without a download callback must not download")
        var lines: [String] = []
        let source = try DataCatalog.resolve("ml-100k", test: nil, environment: environment, download: { lines.append($0) })
        #expect(source.trainFile == "\(cache.path)/hogwild/ml-100k/ua.base")
        #expect(lines.count == 1)
        #expect(Self.cacheContents(cache) == ["ml-100k"], "the stale work folder was not removed")
        let data = try Dataset.load(source, minRating: 4, holdout: 0, seed: 1)
        #expect(data.users.count == 40 && data.train.nonZeroCount == 400)
        // The archive's read-only modes are not copied: the user can update or remove the cache.
        let mode = { (path: String) in ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int) ?? -1 }
        #expect(mode("\(cache.path)/hogwild/ml-100k") == 0o755 && mode(source.trainFile) == 0o644,
                "modes \(String(mode("\(cache.path)/hogwild/ml-100k"), radix: 8)) and \(String(mode(source.trainFile), radix: 8))")
    }

    @Test func aMirrorWithoutItsOwnDigestMustServeThePublishedFile() throws {
        let server = try LoopbackHTTPServer(routes: ["/ml-100k.zip": try Self.tinyZip()])
        defer { server.stop() }
        let cache = try TemporaryFolder()
        defer { cache.cleanup() }
        let message = Self.failedDownload(Self.environment(cache: cache, base: server.baseURL))
        for phrase in ["ml-100k is not in", "could not be downloaded from \(server.baseURL)/ml-100k.zip",
                       "expected 4924029 bytes, SHA-256 50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
                       "HOGWILD_DOWNLOAD_SHA256_ML_100K", "run with --data synthetic"] {
            #expect(message.contains(phrase), "\"\(phrase)\" missing from: \(message)")
        }
        #expect(!message.contains("\n"))
        #expect(Self.cacheContents(cache).isEmpty, "left behind: \(Self.cacheContents(cache))")
    }

    @Test func aWrongDigestLeavesNothingBehind() throws {
        let zip = try Self.tinyZip()
        let server = try LoopbackHTTPServer(routes: ["/ml-100k.zip": zip])
        defer { server.stop() }
        let cache = try TemporaryFolder()
        defer { cache.cleanup() }
        let wrong = String(repeating: "0", count: 64)
        let message = Self.failedDownload(Self.environment(cache: cache, base: server.baseURL, sha256: wrong))
        #expect(message.contains("\(zip.count) bytes, SHA-256 \(try referenceSHA256(zip)); expected SHA-256 \(wrong)"), "\(message)")
        #expect(Self.cacheContents(cache).isEmpty, "left behind: \(Self.cacheContents(cache))")

        let malformed = Self.failedDownload(Self.environment(cache: cache, base: server.baseURL, sha256: "abc"))
        #expect(malformed.contains("HOGWILD_DOWNLOAD_SHA256_ML_100K must be 64 hexadecimal digits"), "\(malformed)")
    }

    @Test func aMissingFileOrServerFailsInOneLinePointingAtSynthetic() throws {
        let server = try LoopbackHTTPServer(routes: [:])
        defer { server.stop() }
        let cache = try TemporaryFolder()
        defer { cache.cleanup() }
        let notFound = Self.failedDownload(Self.environment(cache: cache, base: server.baseURL))
        #expect(notFound.contains("could not be downloaded from \(server.baseURL)/ml-100k.zip (HTTP 404"), "\(notFound)")
        #expect(notFound.hasSuffix("run with --data synthetic for the built-in planted set"), "\(notFound)")

        let closed = "http://127.0.0.1:\(try LoopbackHTTPServer.closedPort())"
        let refused = Self.failedDownload(Self.environment(cache: cache, base: closed))
        #expect(refused.contains("could not be downloaded from \(closed)/ml-100k.zip (cannot connect to 127.0.0.1)"), "\(refused)")
        #expect(refused.contains("--data synthetic") && !refused.contains("\n"))
        #expect(Self.cacheContents(cache).isEmpty, "left behind: \(Self.cacheContents(cache))")

        let notHTTP = Self.failedDownload(Self.environment(cache: cache, base: "ftp://127.0.0.1/x"))
        #expect(notHTTP.contains("HOGWILD_DOWNLOAD_BASE must be an http:// or https:// URL"), "\(notHTTP)")
    }

    @Test func offlineMeansNoRequestAtAll() throws {
        let server = try LoopbackHTTPServer(routes: ["/ml-100k.zip": try Self.tinyZip()])
        defer { server.stop() }
        let cache = try TemporaryFolder()
        defer { cache.cleanup() }
        var environment = Self.environment(cache: cache, base: server.baseURL)
        environment["HOGWILD_OFFLINE"] = "1"
        let message = Self.failedDownload(environment)
        #expect(message.contains("(downloads are off: HOGWILD_OFFLINE=1); run with --data synthetic"), "\(message)")
        #expect(server.requestedPaths.isEmpty)
    }

    @Test func corruptArchivesAreRefused() throws {
        var random = TestRandom(77)
        let garbage = (0..<5000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        var damaged = try Self.tinyZip()
        // The first entry's deflated data starts after its 30-byte header and 15-byte name.
        for k in 50..<60 { damaged[k] ^= 0x5A }
        let cases: [(String, [UInt8], String)] = [
            ("garbage", garbage, "not a zip archive"),
            ("damaged data", damaged, "corrupt zip archive"),
            ("wrong folder", try Self.tinyZip(prefix: "ml-100k-other"), "the archive has no ml-100k/ua.base"),
            // Unpacked in cache/hogwild/ml-100k.tmp-PID/unpacked, this would land in cache/evil.txt.
            ("zip slip", try Self.tinyZip(extra: [("../../../evil.txt", Array("x".utf8))]), "unsafe entry '../../../evil.txt'"),
            ("absolute path", try Self.tinyZip(extra: [("/tmp/hogwild-evil.txt", Array("x".utf8))]), "unsafe entry '/tmp/hogwild-evil.txt'"),
        ]
        for (label, zip, phrase) in cases {
            let server = try LoopbackHTTPServer(routes: ["/ml-100k.zip": zip])
            defer { server.stop() }
            let cache = try TemporaryFolder()
            defer { cache.cleanup() }
            let message = Self.failedDownload(Self.environment(cache: cache, base: server.baseURL, sha256: try referenceSHA256(zip)))
            #expect(message.contains(phrase) && message.contains("--data synthetic"), "\(label): \(message)")
            #expect(Self.cacheContents(cache).isEmpty, "\(label): left behind \(Self.cacheContents(cache))")
            #expect(!FileManager.default.fileExists(atPath: "\(cache.path)/evil.txt"), "\(label): wrote outside the cache")
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/hogwild-evil.txt"))
    }
}
