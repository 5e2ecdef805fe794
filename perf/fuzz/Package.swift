// swift-tools-version: 6.0
import PackageDescription

// libFuzzer targets for Hogwild's file readers, kept out of the main package: they must be built
// with `-sanitize=fuzzer` (libFuzzer supplies `main`), which `swift build` there must not need.
// `run.sh` builds them with `-Xswiftc -sanitize=fuzzer,address` (and `--sanitize fuzzer` for the
// link) and `-Xswiftc -enable-testing`, for `@testable import Hogwild`: the targets call the
// readers' in-memory entry points (`RatingsReader.read(bytes:count:path:…)` and the like), the
// same parsers the path API calls.
let fuzzerTarget: (String) -> Target = { name in
    .executableTarget(
        name: name,
        dependencies: ["FuzzSupport", .product(name: "Hogwild", package: "Hogwild")],
        // No `main` of its own: libFuzzer's calls LLVMFuzzerTestOneInput.
        swiftSettings: [.unsafeFlags(["-parse-as-library"])]
    )
}

let package = Package(
    name: "HogwildFuzz",
    dependencies: [.package(name: "Hogwild", path: "../..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "Hogwild", package: "Hogwild")]),
        fuzzerTarget("fuzz-ratings"),
        fuzzerTarget("fuzz-interactions"),
        fuzzerTarget("fuzz-model"),
        fuzzerTarget("fuzz-features"),
    ]
)
