import OmniStore

/// Draws the turn DAG beside log lines with ASCII lines, in the manner of
/// `git log --graph`: `*` marks a turn, `|` a line of history passing by, and
/// `\` and `/` lines moving one column right or left.
///
/// Each column is a line waiting for a turn. After a turn is drawn its column
/// is replaced by its parents; lines that now wait for the same turn join the
/// leftmost one, and the moves are drawn one column per row, as git does.
struct GraphDrawer {
    private var columns: [TurnID] = []

    /// The lines to print for one turn, given in topological order.
    mutating func draw(_ id: TurnID, parents: [TurnID], text: String) -> [String] {
        var column = columns.firstIndex(of: id) ?? -1
        if column < 0 {
            columns.append(id)
            column = columns.count - 1
        }
        var lines = [columns.indices.map { $0 == column ? "*" : "|" }.joined(separator: " ") + " " + text]

        var next: [TurnID] = []
        for (index, waiting) in columns.enumerated() {
            if index == column {
                for parent in parents where !next.contains(parent) { next.append(parent) }
            } else if !next.contains(waiting) {
                next.append(waiting)
            }
        }
        // Every line from an old column to the new column it continues in.
        var edges: [(at: Int, to: Int)] = []
        for (index, waiting) in columns.enumerated() {
            if index == column {
                // A merge fans out in one row, as git draws `|\ \`: the
                // k-th extra parent's line starts k-1 columns to the right.
                var extra = 0
                for parent in parents {
                    guard let target = next.firstIndex(of: parent) else { continue }
                    let start = target > index && parent != parents.first ? min(index + extra, target - 1) : index
                    if parent != parents.first && target > index { extra += 1 }
                    edges.append((start, target))
                }
            } else if let target = next.firstIndex(of: waiting) {
                edges.append((index, target))
            }
        }
        while edges.contains(where: { $0.at != $0.to }) {
            let width = 2 * max(columns.count, next.count) + 1
            var row = [Character](repeating: " ", count: width)
            for index in edges.indices {
                let edge = edges[index]
                if edge.to == edge.at {
                    row[2 * edge.at] = "|"
                } else if edge.to < edge.at {
                    row[2 * edge.at - 1] = "/"
                    edges[index].at -= 1
                } else {
                    row[2 * edge.at + 1] = "\\"
                    edges[index].at += 1
                }
            }
            var line = String(row)
            while line.hasSuffix(" ") { line.removeLast() }
            lines.append(line)
        }
        columns = next
        return lines
    }
}
