// swift-tools-version: 6.0
import PackageDescription

// The kernels are `@inlinable` SIMD code. Without `-target-cpu`, `SIMD8/16<Float>.addingProduct`
// lowers to libm `fmaf` calls (~30x slower, silently), so every target that inlines the kernels
// is compiled for the host CPU. Override with HOGWILD_TARGET_CPU (e.g. `x86-64-v3` for a portable
// AVX2+FMA build, or `none` to leave the compiler's default).
let targetCPU = Context.environment["HOGWILD_TARGET_CPU"] ?? "native"
let cpuFlags: [SwiftSetting] = targetCPU == "none" ? [] : [.unsafeFlags(["-target-cpu", targetCPU])]
let cCPUFlags: [CSetting] = targetCPU == "none" ? [] : [.unsafeFlags(["-march=\(targetCPU)"])]
// The engine is optimised in debug builds too: unoptimised SIMD code runs ~40x slower, and the
// test suite trains real models. (Tests and the CLI stay debuggable.)
let engineFlags: [SwiftSetting] = cpuFlags + [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "Hogwild",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "hogwild", targets: ["Trainer"]),
        .library(name: "Hogwild", targets: ["Hogwild"]),
        .library(name: "Kernels", targets: ["Kernels"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Unpacks the MovieLens zips on first use (DataCatalog.download); needs zlib's headers.
        .package(url: "https://github.com/weichsel/ZIPFoundation", .upToNextMinor(from: "0.9.20")),
    ],
    targets: [
        .systemLibrary(
            name: "CJemalloc",
            pkgConfig: "jemalloc",
            providers: [.apt(["libjemalloc-dev"])]
        ),
        .target(name: "CHogwildShims", cSettings: cCPUFlags),
        .target(name: "Kernels", swiftSettings: engineFlags),
        .target(
            name: "Hogwild",
            dependencies: ["Kernels", "CHogwildShims", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: engineFlags
        ),
        .executableTarget(
            name: "Trainer",
            dependencies: [
                "Hogwild", "CJemalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: cpuFlags
        ),
        // Shared by the test targets: deterministic test data independent of the engine, and a
        // loopback HTTP server with zip fixtures for the download tests.
        .target(
            name: "HogwildTestSupport",
            dependencies: [.product(name: "ZIPFoundation", package: "ZIPFoundation")],
            path: "Tests/HogwildTestSupport"
        ),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "HogwildTestSupport"], swiftSettings: cpuFlags),
        .testTarget(name: "HogwildTests", dependencies: ["Hogwild", "HogwildTestSupport"], swiftSettings: cpuFlags),
        // Runs the built `hogwild` as a subprocess; no link dependency, so the test process never
        // loads jemalloc (which would fight ThreadSanitizer's allocator).
        .testTarget(name: "TrainerTests", dependencies: ["HogwildTestSupport"], swiftSettings: cpuFlags),
    ]
)
