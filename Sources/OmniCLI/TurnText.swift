import Foundation
import OmniStore

/// Human forms of turns for log, show and diff.
enum TurnText {
    static func firstLine(_ text: String) -> String {
        String(text.split(separator: "\n", omittingEmptySubsequences: true).first ?? "")
    }

    static func usd(_ value: Double?) -> String {
        guard let value else { return "-" }
        return String(format: "$%.2f", value)
    }

    /// `(HEAD -> main, alt)`-style labels, or "" when none.
    static func labels(_ id: TurnID, head: Head, branches: [TurnID: [BranchName]]) -> String {
        var labels: [String] = []
        let names = (branches[id] ?? []).sorted()
        switch head {
        case .branch(let current, let turn) where turn == id:
            labels.append("HEAD -> \(current.name)")
            labels += names.filter { $0 != current }.map(\.name)
        case .detached(let turn) where turn == id:
            labels.append("HEAD")
            labels += names.map(\.name)
        default:
            labels += names.map(\.name)
        }
        return labels.isEmpty ? "" : "(" + labels.joined(separator: ", ") + ")"
    }

    /// The columns of one log line after the id: labels, kind, media, cost, instruction.
    static func logColumns(_ entry: LogEntry, head: Head, branches: [TurnID: [BranchName]]) -> [String] {
        var media = Formatting.duration(entry.duration)
        if let width = entry.width, let height = entry.height { media += " \(width)x\(height)" }
        let label = labels(entry.id, head: head, branches: branches)
        return [
            entry.id.short + (label.isEmpty ? "" : " " + label), entry.kind.name, media, usd(entry.costUSD),
            firstLine(entry.instruction),
        ]
    }
}
