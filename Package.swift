// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "omnistore",
    // Linux only: the store relies on Linux calls (copy_file_range, FICLONE,
    // fallocate, syncfs) and loads FFmpeg and libcurl by their Linux names.
    // OmniBasics stops any other build with one clear #error.
    products: [
        // The umbrella: the core and every capability under one import.
        .library(name: "OmniStore", targets: ["OmniStore"]),
        // Each module on its own, for a tool that needs only part of it.
        .library(name: "OmniCore", targets: ["OmniCore"]),
        .library(name: "OmniGeneration", targets: ["OmniGeneration"]),
        .library(name: "OmniSync", targets: ["OmniSync"]),
        .library(name: "OmniMedia", targets: ["OmniMedia"]),
        .library(name: "OmniLooks", targets: ["OmniLooks"]),
        .library(name: "OmniInteractions", targets: ["OmniInteractions"]),
        .library(name: "OmniRemote", targets: ["OmniRemote"]),
        .library(name: "OmniHTTP", targets: ["OmniHTTP"]),
        .library(name: "OmniBasics", targets: ["OmniBasics"]),
        .executable(name: "omnistore", targets: ["omnistore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // `swift package generate-documentation`: the DocC catalogs, checked in CI.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // FFmpeg's headers (libavformat-dev, libavcodec-dev, libavutil-dev,
        // libswscale-dev); the libraries are loaded with dlopen on first use.
        .target(name: "CFFmpeg", linkerSettings: [.linkedLibrary("dl")]),
        // libcurl's headers (libcurl4-openssl-dev); the library is loaded with dlopen on first use.
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "CPosix"),
        // Plumbing shared by every module: files, locks, bounded parallel work.
        .target(name: "OmniBasics", dependencies: ["CPosix"]),
        .target(name: "OmniMedia", dependencies: ["CFFmpeg"]),
        .target(name: "OmniHTTP", dependencies: ["CCurl"]),
        .target(name: "OmniInteractions", dependencies: ["OmniBasics", "OmniHTTP"]),
        .target(
            name: "OmniRemote",
            dependencies: ["OmniBasics", "OmniHTTP", .product(name: "Crypto", package: "swift-crypto")]),
        // The core: objects, assets, turns, refs, the graph, the working file,
        // fsck, gc and frames. It knows nothing of the API or of remotes.
        .target(
            name: "OmniCore",
            dependencies: [
                "OmniBasics",
                "OmniMedia",
                "CPosix",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        // Generation on the core: generate, edit, translate, resume, cancel, cost, prices and model limits.
        .target(
            name: "OmniGeneration",
            dependencies: [
                "OmniBasics",
                "OmniCore",
                "OmniMedia",
                "OmniInteractions",
                "OmniHTTP",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        // Sync on the core: remotes, push, pull, clone and lazy objects.
        .target(
            name: "OmniSync",
            dependencies: [
                "OmniBasics",
                "OmniCore",
                "OmniMedia",
                "OmniRemote",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        // Near-duplicates by look on the core: PDQ and vPDQ hashes, their cache, assets --like and dupes.
        .target(
            name: "OmniLooks",
            dependencies: [
                "OmniBasics",
                "OmniCore",
                "OmniMedia",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        // The library product: the core and every capability, under one import.
        .target(
            name: "OmniStore",
            dependencies: [
                "OmniBasics", "OmniCore", "OmniGeneration", "OmniSync", "OmniInteractions", "OmniMedia", "OmniLooks",
            ]),
        .target(
            name: "OmniCLI",
            dependencies: [
                "OmniStore",
                "OmniBasics",
                "OmniCore",
                "OmniGeneration",
                "OmniSync",
                "OmniMedia",
                "OmniLooks",
                "OmniInteractions",
                "OmniHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(name: "omnistore", dependencies: ["OmniCLI"]),
        // Builds large graphs through the library for Benchmarks/bench-graph.sh.
        .executableTarget(name: "omnistore-graph-bench", dependencies: ["OmniStore"], path: "Benchmarks/GraphBuilder"),
        // Shared by the test targets: temp folders, ffmpeg/ffprobe fixtures, running the CLI.
        .target(name: "TestSupport", dependencies: ["OmniBasics"], path: "Tests/TestSupport"),
        .testTarget(name: "OmniMediaTests", dependencies: ["OmniMedia", "TestSupport"], path: "Tests/OmniMediaTests"),
        .testTarget(name: "OmniStoreTests", dependencies: ["OmniStore", "TestSupport"], path: "Tests/OmniStoreTests"),
        .testTarget(
            name: "OmniLooksTests",
            dependencies: [
                "OmniLooks", "OmniCore", "OmniMedia", "TestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Tests/OmniLooksTests"),
        .testTarget(name: "CLITests", dependencies: ["TestSupport"], path: "Tests/CLITests"),
        .testTarget(
            name: "OmniRemoteTests", dependencies: ["OmniRemote", "TestSupport"], path: "Tests/OmniRemoteTests"),
    ],
    swiftLanguageModes: [.v6]
)
