import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A fresh folder for one test, removed when the value is dropped.
///
/// The path is resolved with `realpath`, so it is exactly what a child
/// process started in it sees as its current directory.
public final class TemporaryDirectory: @unchecked Sendable {
    // @unchecked: `path` is immutable after init.
    public let path: String

    public init(_ label: String = "test") throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent(
            "omnistore-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = realPath(base.path)
    }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Creates a subfolder (and its parents) and returns its path.
    @discardableResult
    public func makeDirectory(_ name: String) throws -> String {
        let sub = file(name)
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        return sub
    }

    /// Writes `data` to `name` (creating parent folders) and returns the path.
    @discardableResult
    public func write(_ data: Data, to name: String) throws -> String {
        let target = file(name)
        try FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: target))
        return target
    }

    @discardableResult
    public func write(_ text: String, to name: String) throws -> String {
        try write(Data(text.utf8), to: name)
    }

    deinit {
        // Objects are stored read-only; make everything writable so removal works
        // even for a non-root user.
        if let walker = FileManager.default.enumerator(atPath: path) {
            for case let relative as String in walker {
                chmod((path as NSString).appendingPathComponent(relative), 0o755)
            }
        }
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// The canonical absolute form of `path` (symlinks resolved), or `path` itself
/// when it does not exist.
public func realPath(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return path }
    defer { free(resolved) }
    return String(cString: resolved)
}

/// The bytes of a file, or nil when it cannot be read.
public func fileBytes(_ path: String) -> Data? {
    FileManager.default.contents(atPath: path)
}

/// `stat` of a path, or nil when it does not exist.
public func fileStatus(_ path: String) -> stat? {
    var info = stat()
    return lstat(path, &info) == 0 ? info : nil
}

/// The permission bits (`0o777` part) of a file.
public func permissionBits(_ path: String) -> Int? {
    fileStatus(path).map { Int($0.st_mode) & 0o7777 }
}

public func fileExists(_ path: String) -> Bool {
    fileStatus(path) != nil
}

/// Every path under `directory` (files and folders), relative to it, sorted.
public func listTree(_ directory: String) -> [String] {
    guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
    var result: [String] = []
    for case let relative as String in walker { result.append(relative) }
    return result.sorted()
}

/// An error from the test helpers themselves (a tool missing or failing).
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
