import OmniStore

/// Draws the turn DAG beside log lines with ASCII lines, in the manner of
/// `git log --graph`: `*` marks a turn, `|` a line of history passing by,
/// `\` a merge opening a column and `/` a column closing into another.
struct GraphDrawer {
    /// The turn each column is waiting for.
    private var columns: [TurnID] = []

    /// The lines to print for one turn, given in topological order.
    mutating func draw(_ id: TurnID, parents: [TurnID], text: String) -> [String] {
        var lines: [String] = []
        var column = columns.firstIndex(of: id) ?? -1
        if column < 0 {
            columns.append(id)
            column = columns.count - 1
        }
        // Other columns that were also waiting for this turn join it here.
        let merging = columns.indices.filter { $0 != column && columns[$0] == id }
        lines.append(row(marking: column) + " " + text)

        var next = columns
        if let first = parents.first {
            next[column] = first
        } else {
            next.remove(at: column)
        }
        var opened = 0
        for parent in parents.dropFirst() where !next.contains(parent) {
            next.insert(parent, at: column + 1 + opened)
            opened += 1
        }
        if opened > 0 {
            var line = ""
            for index in 0..<columns.count {
                line += "|"
                if index == column { line += String(repeating: "\\ ", count: opened).dropLast() + " " } else { line += " " }
            }
            lines.append(line.trimmingTrailingSpaces())
        }
        // Close columns that now wait for a turn another column already waits for.
        let afterMerge = next
        next = []
        var closing: [Int] = []
        for (index, turn) in afterMerge.enumerated() {
            if next.contains(turn) { closing.append(index) } else { next.append(turn) }
        }
        for index in (closing + merging.filter { !closing.contains($0) && $0 < afterMerge.count }).sorted() where index > 0 {
            var line = ""
            for other in 0..<afterMerge.count where other != index {
                line += other == index - 1 ? "|/" : "| "
                if other == index - 1 { line += "" }
            }
            lines.append(line.trimmingTrailingSpaces())
            break
        }
        columns = next
        return lines
    }

    private func row(marking column: Int) -> String {
        columns.indices.map { $0 == column ? "*" : "|" }.joined(separator: " ")
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var text = self
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }
}
