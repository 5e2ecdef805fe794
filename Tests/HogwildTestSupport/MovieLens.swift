import Foundation
import Testing

/// Where the tests find MovieLens 100k, and whether they may run without it.
///
/// The folders searched are the ones `hogwild --data ml-100k` searches (`DataCatalog`):
/// `$HOGWILD_DATA`, then `$XDG_CACHE_HOME/hogwild`, else `~/.cache/hogwild` — so a set that
/// `hogwild download ml-100k` fetched into the cache is found without any variable.
///
/// Without the data set the tests that need it are skipped, each with a reason Swift Testing
/// prints; with `CI=true` they run anyway and fail by name (`MovieLens.require()`), so that a CI
/// machine without the data can never pass by skipping.
public enum MovieLens {
    /// The folder holding `ml-100k/ua.base` and `ml-100k/ua.test` (an absolute path; a
    /// relative `HOGWILD_DATA` is taken from the current directory), or `nil` when no search
    /// folder has them.
    public static let root: String? = searchRoots.first { root in
        ["ua.base", "ua.test"].allSatisfy { FileManager.default.isReadableFile(atPath: "\(root)/ml-100k/\($0)") }
    }

    /// Whether the environment says MovieLens tests must run (`CI=true`).
    public static var required: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// The folders searched, in order, as absolute paths.
    public static var searchRoots: [String] {
        let environment = ProcessInfo.processInfo.environment
        var roots: [String] = []
        if let raw = environment["HOGWILD_DATA"], !raw.isEmpty {
            let url = raw.hasPrefix("/")
                ? URL(fileURLWithPath: raw)
                : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(raw)
            roots.append(url.standardizedFileURL.path)
        }
        if let cache = environment["XDG_CACHE_HOME"], !cache.isEmpty {
            roots.append("\(cache)/hogwild")
        } else if let home = environment["HOME"], !home.isEmpty {
            roots.append("\(home)/.cache/hogwild")
        }
        return roots
    }

    /// Why the MovieLens tests do not run here, for the skip line.
    public static var absence: String {
        let looked = searchRoots.map { "\($0)/ml-100k" }.joined(separator: ", ")
        return "ml-100k not found (looked in \(looked.isEmpty ? "no folder: HOGWILD_DATA and HOME are unset" : looked)); "
            + "'hogwild download ml-100k' fetches it, CI=true makes its absence a failure"
    }

    /// `root`, or a test failure that names the missing data set.
    public static func require(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(root, "\(absence)", sourceLocation: sourceLocation)
    }
}

extension Tag {
    /// Tests that read MovieLens 100k.
    @Tag public static var movieLens: Self
}

extension Trait where Self == ConditionTrait {
    /// Runs a test only where MovieLens 100k is found or required (`CI=true`); elsewhere it is
    /// skipped with the reason (`MovieLens.absence`).
    public static var needsMovieLens: Self {
        .enabled(if: MovieLens.root != nil || MovieLens.required, Comment(rawValue: MovieLens.absence))
    }
}
