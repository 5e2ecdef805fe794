import Foundation
import HogwildTestSupport
import Testing

/// The first run on a machine without MovieLens: `--data ml-100k` downloads it (here from a
/// loopback server), or says in one line that it cannot and points at `--data synthetic`.
@Suite("hogwild downloads a missing data set on first use")
struct DownloadCommandTests {
    /// No data folder, an empty cache in `directory`, and downloads from `base`.
    static func freshMachine(_ directory: URL, base: String, sha256: String? = nil) -> [String: String] {
        var environment = ["HOGWILD_DATA": "", "XDG_CACHE_HOME": directory.appendingPathComponent("cache").path,
                           "HOGWILD_OFFLINE": "", "HOGWILD_DOWNLOAD_BASE": base]
        if let sha256 { environment["HOGWILD_DOWNLOAD_SHA256_ML_100K"] = sha256 }
        return environment
    }

    @Test("train --data ml-100k downloads, checks and unpacks the zip, then trains and evaluates; later runs reuse it", .needsMovieLens, .tags(.movieLens))
    func trainDownloadsThenReuses() throws {
        let root = try MovieLens.require()
        let zip = try ZipFixture.zip(folder: "\(root)/ml-100k", names: ["ua.base", "ua.test", "u.item"])
        let server = try LoopbackHTTPServer(routes: ["/ml-100k.zip": zip])
        defer { server.stop() }
        try withTemporaryDirectory { dir in
            let environment = Self.freshMachine(dir, base: server.baseURL, sha256: try referenceSHA256(zip))
            let r = try runHogwild(["train", "--data", "ml-100k", "--epochs", "1", "--threads", "1", "--report", "r.json"],
                                   in: dir, environment: environment)
            try #require(r.terminationReason == .exit && r.status == 0, "\(r)")
            let folder = dir.appendingPathComponent("cache/hogwild/ml-100k").path
            #expect(r.stderrLines.count == 1 && r.stderrLines[0].hasPrefix("downloading ml-100k (")
                    && r.stderrLines[0].hasSuffix("into \(folder)"), "\(r)")
            #expect(r.stdout.contains("943 users, 1682 items") && r.stdout.contains("\(folder)/ua.base"), "\(r)")
            let report = try readJSONObject(dir.appendingPathComponent("r.json"))
            #expect(try number(report, "users_evaluated") == 934)

            let again = try runHogwild(["download", "ml-100k"], in: dir, environment: environment)
            #expect(again.status == 0 && again.stdout == folder + "\n" && again.stderr.isEmpty, "\(again)")
            #expect(server.requestedPaths == ["/ml-100k.zip"], "the second run downloaded again")
        }
    }

    @Test("without network, --data ml-100k fails in one line that points at --data synthetic")
    func offlineFailsInOneLine() throws {
        let closed = "http://127.0.0.1:\(try LoopbackHTTPServer.closedPort())"
        try withTemporaryDirectory { dir in
            let r = try runHogwild(["train", "--data", "ml-100k"], in: dir, environment: Self.freshMachine(dir, base: closed))
            expectOneLineError(r, containing: ["ml-100k is not in \(dir.path)/cache/hogwild/ml-100k",
                                               "could not be downloaded from \(closed)/ml-100k.zip",
                                               "run with --data synthetic for the built-in planted set"])
            var offline = Self.freshMachine(dir, base: closed)
            offline["HOGWILD_OFFLINE"] = "1"
            let d = try runHogwild(["download", "ml-latest-small"], in: dir, environment: offline)
            expectOneLineError(d, containing: ["ml-latest-small is not in", "HOGWILD_OFFLINE=1", "--data synthetic"])
            #expect(!FileManager.default.fileExists(atPath: "\(dir.path)/cache/hogwild/ml-100k"))
        }
    }
}
