import Foundation
import TestSupport
import Testing

/// A folder initialized as an omnistore workspace with `omnistore init`: the
/// test's temp folder itself, or a subfolder of it when a test needs several.
struct CLIWorkspace {
    let dir: TemporaryDirectory
    let path: String
    var files: StoreFiles { StoreFiles(workspace: path) }

    static func make(_ label: String) async throws -> CLIWorkspace {
        let dir = try TemporaryDirectory(label)
        return try await make(in: dir, subfolder: nil)
    }

    /// A workspace in `subfolder` of `dir` (created if missing).
    static func make(in dir: TemporaryDirectory, subfolder: String?) async throws -> CLIWorkspace {
        let path = try subfolder.map { try dir.makeDirectory($0) } ?? dir.path
        try await OmnistoreCLI.check(["init"], in: path)
        return CLIWorkspace(dir: dir, path: path)
    }

    /// A path inside the workspace.
    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Writes a file inside the workspace and returns its path.
    @discardableResult
    func write(_ data: Data, to name: String) throws -> String {
        let relative = String(file(name).dropFirst(dir.path.count + 1))
        return try dir.write(data, to: relative)
    }

    @discardableResult
    func write(_ text: String, to name: String) throws -> String { try write(Data(text.utf8), to: name) }

    @discardableResult
    func makeDirectory(_ name: String) throws -> String {
        try dir.makeDirectory(String(file(name).dropFirst(dir.path.count + 1)))
    }

    /// Runs omnistore in the workspace (or in a subfolder of it).
    func run(_ arguments: [String], in subfolder: String? = nil, environment: [String: String] = [:])
        async throws -> ProcessResult
    {
        try await OmnistoreCLI.run(
            arguments, in: subfolder.map { file($0) } ?? path, environment: environment)
    }

    func assetIDs() async throws -> [String] { try await OmnistoreCLI.assetIDs(in: path) }

    func assetsJSON() async throws -> [[String: Any]] { try await OmnistoreCLI.assetsJSON(in: path) }

    /// `show ID --json`, parsed.
    func show(_ id: String) async throws -> [String: Any] {
        let result = try await OmnistoreCLI.check(["show", id, "--json"], in: path)
        return try JSONText.object(result.stdout)
    }
}

/// The documented keys of an asset's JSON.
let documentedAssetKeys: Set<String> = [
    "id", "size", "kind", "mime", "format", "duration", "bit_rate", "width", "height", "fps", "streams", "tags",
    "paths", "added_at",
]

/// The documented keys of each stream in an asset's JSON.
let documentedStreamKeys: Set<String> = [
    "index", "type", "codec", "profile", "width", "height", "pix_fmt", "fps", "frames", "rotation", "sample_rate",
    "channels", "channel_layout", "bit_rate", "language",
]

/// Left-aligned columns joined by two spaces, the last column unpadded: the
/// layout the human listings promise.
func alignedColumns(_ rows: [[String]]) -> [String] {
    let columns = rows.map(\.count).max() ?? 0
    var widths = [Int](repeating: 0, count: columns)
    for row in rows {
        for (index, cell) in row.enumerated() where index < row.count - 1 {
            widths[index] = max(widths[index], cell.count)
        }
    }
    return rows.map { row in
        row.enumerated().map { index, cell in
            index < row.count - 1 ? cell + String(repeating: " ", count: widths[index] - cell.count) : cell
        }.joined(separator: "  ")
    }
}

/// The human duration column: seconds with two decimals under a minute.
func humanDuration(_ seconds: Double?) -> String {
    guard let seconds else { return "-" }
    if seconds < 60 { return String(format: "%.2fs", seconds) }
    let total = Int(seconds.rounded())
    return total < 3600
        ? String(format: "%d:%02d", total / 60, total % 60)
        : String(format: "%d:%02d:%02d", total / 3600, (total / 60) % 60, total % 60)
}
