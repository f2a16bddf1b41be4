// swift-tools-version:6.0
// An example dependent: a separate package that uses omnistore as any tool
// would, through its products only. CI builds it and runs it against the fake API.
import Foundation
import PackageDescription

// A path dependency's identity is its folder's name, which depends on where
// the repository was cloned; read it rather than guess it.
let omnistore = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

let package = Package(
    name: "omnistore-edit-loop",
    dependencies: [.package(path: omnistore.path)],
    targets: [
        .executableTarget(
            name: "omnistore-edit-loop",
            dependencies: [.product(name: "OmniStore", package: omnistore.lastPathComponent.lowercased())],
            path: "Sources")
    ],
    swiftLanguageModes: [.v6]
)
