import ArgumentParser
import Foundation
import Hogwild

struct Download: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fetch a MovieLens data set into the cache, unless it is there already, and print its folder.",
        discussion: """
            Example: hogwild download ml-100k

            Looks for the set in $HOGWILD_DATA and the cache ($XDG_CACHE_HOME/hogwild, else \
            ~/.cache/hogwild). When it is in neither, downloads the GroupLens zip, checks its size \
            and SHA-256 against the published ones and unpacks it into the cache; every command \
            given --data NAME does the same on first use.

            Environment: HOGWILD_OFFLINE=1 turns downloads off. HOGWILD_DOWNLOAD_BASE=URL fetches \
            NAME.zip from that folder (a mirror) instead of \(DataCatalog.officialDownloadBase); \
            its file must be the published one unless HOGWILD_DOWNLOAD_SHA256_<NAME> (e.g. \
            HOGWILD_DOWNLOAD_SHA256_ML_100K) gives its digest.
            """)

    @Argument(help: ArgumentHelp("The data set: \(DataCatalog.names.joined(separator: " or ")).", valueName: "name"))
    var name = "ml-100k"

    func run() throws {
        let folder = try DataCatalog.download(name, environment: ProcessInfo.processInfo.environment,
                                              log: { Console.write($0 + "\n", error: true) })
        say(folder)
    }
}
