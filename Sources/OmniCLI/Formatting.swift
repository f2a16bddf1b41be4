import Foundation
import OmniStore

/// The CLI's tables, on the shared short forms of sizes, durations and paths.
extension Formatting {
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
    static func assetRow(_ asset: AssetSummary) -> [String] {
        [
            asset.id.short, asset.kind.rawValue, asset.dimensions ?? "-",
            asset.kind == .image ? "-" : duration(asset.duration),
            asset.firstPath.map(path) ?? "-",
        ]
    }

    static func assetRow(_ asset: Asset) -> [String] {
        [
            asset.id.short, asset.kind.rawValue, asset.dimensions ?? "-",
            asset.kind == .image ? "-" : duration(asset.duration),
            asset.paths.first.map(path) ?? "-",
        ]
    }
}
