import Foundation
import OmniStore

/// Short human forms of sizes, durations and paths.
enum Formatting {
    static func duration(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite else { return "-" }
        if seconds < 60 { return String(format: "%.2fs", seconds) }
        let total = Int(seconds.rounded())
        if total < 3600 { return String(format: "%d:%02d", total / 60, total % 60) }
        return String(format: "%d:%02d:%02d", total / 3600, (total / 60) % 60, total % 60)
    }

    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func rate(_ bytesPerSecond: Double) -> String {
        bytes(Int64(bytesPerSecond)) + "/s"
    }

    /// A path relative to the current folder when it is inside it.
    static func path(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        let prefix = cwd.hasSuffix("/") ? cwd : cwd + "/"
        if path.hasPrefix(prefix) { return String(path.dropFirst(prefix.count)) }
        return path
    }

    /// Left-aligned columns separated by two spaces; the last column is not padded.
    static func table(_ rows: [[String]]) -> [String] {
        guard let columns = rows.map(\.count).max(), columns > 0 else { return [] }
        var widths = [Int](repeating: 0, count: columns)
        let counts = rows.map { row in row.map(\.count) }
        for row in counts {
            for (index, count) in row.enumerated() where index < columns - 1 {
                widths[index] = max(widths[index], count)
            }
        }
        return zip(rows, counts).map { row, count in
            var line = ""
            for index in row.indices {
                line += row[index]
                if index < row.count - 1 {
                    line += String(repeating: " ", count: widths[index] - count[index] + 2)
                }
            }
            return line
        }
    }

    /// The one-line listing of an asset: id prefix, kind, WxH, duration, first path.
    static func assetRow(_ asset: Asset) -> [String] {
        [
            asset.id.short, asset.kind.rawValue, asset.dimensions ?? "-",
            asset.kind == .image ? "-" : duration(asset.duration),
            asset.paths.first.map(path) ?? "-",
        ]
    }
}
