import Foundation

/// A fresh folder for one test, removed when the value is dropped.
public final class TemporaryDirectory: @unchecked Sendable {
    // @unchecked: `path` is immutable after init.
    public let path: String

    public init(_ label: String = "test") throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent(
            "omnistore-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = base.path
    }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
