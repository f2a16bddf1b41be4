import Foundation

/// Running the built `omnistore` binary.
public enum OmnistoreCLI {
    /// `OMNISTORE_BIN`, or `.build/debug/omnistore` in the package this file is in.
    public static let binaryPath: String = {
        if let fromEnvironment = ProcessInfo.processInfo.environment["OMNISTORE_BIN"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // TestSupport
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()
        return packageRoot.appendingPathComponent(".build/debug/omnistore").path
    }()

    /// The binary's path, or an error telling how to build it.
    public static func binary() throws -> String {
        guard FileManager.default.isExecutableFile(atPath: binaryPath) else {
            throw TestSupportError(
                "no omnistore binary at \(binaryPath): run 'swift build --product omnistore' or set OMNISTORE_BIN")
        }
        return binaryPath
    }

    /// Runs `omnistore ARGS` in `directory` and waits for it.
    public static func run(
        _ arguments: [String], in directory: String, environment: [String: String] = [:], timeout: Double = 120
    ) async throws -> ProcessResult {
        try await RunningProcess.run(
            binary(), arguments, in: directory, environment: environment, timeout: timeout)
    }

    /// Starts `omnistore ARGS` in `directory` without waiting.
    public static func start(
        _ arguments: [String], in directory: String, environment: [String: String] = [:], timeout: Double = 120
    ) throws -> RunningProcess {
        try RunningProcess(binary(), arguments, in: directory, environment: environment, timeout: timeout)
    }

    /// Runs a command that must succeed, throwing with its output otherwise.
    @discardableResult
    public static func check(
        _ arguments: [String], in directory: String, environment: [String: String] = [:]
    ) async throws -> ProcessResult {
        let result = try await run(arguments, in: directory, environment: environment)
        guard result.succeeded else { throw TestSupportError("omnistore failed:\n\(result)") }
        return result
    }

    /// `omnistore assets --json` in `directory`, parsed.
    public static func assetsJSON(in directory: String, environment: [String: String] = [:]) async throws
        -> [[String: Any]]
    {
        let result = try await check(["assets", "--json"], in: directory, environment: environment)
        guard let items = try JSONText.parse(result.stdout) as? [[String: Any]] else {
            throw TestSupportError("assets --json is not an array of objects:\n\(result)")
        }
        return items
    }

    /// The ids listed by `omnistore assets --json`, in listing order.
    public static func assetIDs(in directory: String, environment: [String: String] = [:]) async throws -> [String] {
        try await assetsJSON(in: directory, environment: environment).map { $0["id"] as? String ?? "<no id>" }
    }
}

/// A store's files on disk, read directly rather than through omnistore.
public struct StoreFiles: Sendable {
    public let workspace: String

    public init(workspace: String) { self.workspace = workspace }

    public var storeDirectory: String { workspace + "/.omnistore" }
    public var objectsDirectory: String { storeDirectory + "/objects" }

    /// Where the object with this SHA-256 must be: `objects/ab/cdef…`.
    public func objectPath(_ hex: String) -> String {
        "\(objectsDirectory)/\(hex.prefix(2))/\(hex.dropFirst(2))"
    }

    /// The ids of every object file (`objects/xx/yyyy…` joined back to 64 digits).
    public func objectIDs() -> Set<String> {
        var ids: Set<String> = []
        let fm = FileManager.default
        for fanout in (try? fm.contentsOfDirectory(atPath: objectsDirectory)) ?? [] {
            var isDirectory: ObjCBool = false
            let folder = objectsDirectory + "/" + fanout
            guard fm.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            for name in (try? fm.contentsOfDirectory(atPath: folder)) ?? [] { ids.insert(fanout + name) }
        }
        return ids
    }

    /// Names of `tmp_obj_*` files (and anything else temp-looking) left in `objects/`.
    public func temporaryFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: objectsDirectory)) ?? [])
            .filter { $0.hasPrefix("tmp_obj_") }.sorted()
    }
}
