import OmniBasics
import GRDB

/// A lazily loaded view of the turn DAG for one read transaction.
///
/// Walks load only the turns they reach, so commands that look at a few
/// turns cost the same however large the graph is. Each turn carries its
/// generation number (1 for a root, else 1 + the largest parent generation),
/// which bounds walks: a turn's ancestors all have smaller generations.
/// Ancestry questions (merge bases, is-ancestor) go to the ``ChainIndex``,
/// which answers them per chain of turns rather than per turn.
package final class TurnGraph {
    /// A class, so that handing a loaded turn around costs one reference
    /// count instead of one per string and array inside it.
    final class Node {
        let seq: Int64
        let id: TurnID
        let generation: Int64
        let createdAt: String
        let parents: [Int64]

        init(seq: Int64, id: TurnID, generation: Int64, createdAt: String, parents: [Int64]) {
            self.seq = seq
            self.id = id
            self.generation = generation
            self.createdAt = createdAt
            self.parents = parents
        }
    }

    private let db: Database
    private var nodes: [Int64: Node] = [:]

    package init(_ db: Database) {
        self.db = db
    }

    /// Turns are loaded in windows of consecutive sequence numbers: a turn's
    /// ancestors were mostly inserted just before it, so one range scan
    /// serves a whole stretch of a walk, and memory grows only with the part
    /// of the graph a walk visits.
    static let window: Int64 = 512

    func node(_ seq: Int64) throws -> Node {
        if let node = nodes[seq] { return node }
        try loadWindow(endingAt: seq)
        guard let node = nodes[seq] else {
            throw StoreError(.database, "turn #\(seq) is missing from the graph", hint: Hint("run {}", .check))
        }
        return node
    }

    private func loadWindow(endingAt last: Int64) throws {
        let first = max(1, last - TurnGraph.window + 1)
        var parents: [Int64: [Int64]] = [:]
        let edges = try Row.fetchCursor(
            db.cachedStatement(
                sql: "SELECT child, parent FROM turn_parent WHERE child BETWEEN ? AND ? ORDER BY child, position"),
            arguments: [first, last])
        while let row = try edges.next() {
            parents[row[0], default: []].append(row[1])
        }
        let turns = try Row.fetchCursor(
            db.cachedStatement(sql: "SELECT seq, id, generation, created_at FROM turn WHERE seq BETWEEN ? AND ?"),
            arguments: [first, last])
        while let row = try turns.next() {
            let seq: Int64 = row[0]
            if nodes[seq] != nil { continue }
            nodes[seq] = Node(
                seq: seq, id: TurnID(validatedHex: row[1]), generation: row[2], createdAt: row[3],
                parents: parents[seq] ?? [])
        }
    }

    package func seq(of id: TurnID) throws -> Int64 {
        guard
            let seq = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT seq FROM turn WHERE id = ?"), arguments: [id.hex])
        else {
            throw StoreError(.notFound, "turn \(id.short) is not in the store")
        }
        return seq
    }

    /// The chain index over the same transaction, for questions of ancestry.
    private(set) lazy var chains = ChainIndex(db)

    /// A turn's id, without loading the window around it.
    func id(of seq: Int64) throws -> TurnID {
        if let node = nodes[seq] { return node.id }
        guard
            let hex = try String.fetchOne(
                db.cachedStatement(sql: "SELECT id FROM turn WHERE seq = ?"), arguments: [seq])
        else {
            throw StoreError(.database, "turn #\(seq) is missing from the graph", hint: Hint("run {}", .check))
        }
        return TurnID(validatedHex: hex)
    }

    /// Loads exactly these turns (a walk's scattered starting points), so
    /// that they do not each cost a window.
    func preload(_ seqs: [Int64]) throws {
        let missing = Array(Set(seqs.filter { nodes[$0] == nil }))
        // Stays well under SQLite's limit on bound parameters.
        for batch in stride(from: 0, to: missing.count, by: 500).map({ missing[$0..<min($0 + 500, missing.count)] }) {
            let list = batch.map { _ in "?" }.joined(separator: ",")
            let arguments = StatementArguments(Array(batch))
            var parents: [Int64: [Int64]] = [:]
            let edges = try Row.fetchCursor(
                db, sql: "SELECT child, parent FROM turn_parent WHERE child IN (\(list)) ORDER BY child, position",
                arguments: arguments)
            while let row = try edges.next() { parents[row[0], default: []].append(row[1]) }
            let turns = try Row.fetchCursor(
                db, sql: "SELECT seq, id, generation, created_at FROM turn WHERE seq IN (\(list))", arguments: arguments
            )
            while let row = try turns.next() {
                let seq: Int64 = row[0]
                nodes[seq] = Node(
                    seq: seq, id: TurnID(validatedHex: row[1]), generation: row[2], createdAt: row[3],
                    parents: parents[seq] ?? [])
            }
        }
    }

    /// Whether `ancestor` is `descendant` or reachable from it through parents.
    func isAncestor(_ ancestor: Int64, of descendant: Int64) throws -> Bool {
        try chains.isAncestor(chains.point(of: ancestor), of: chains.point(of: descendant))
    }

    /// The best common ancestors of two turns, as `git merge-base --all`
    /// finds them, newest first as git lists them.
    func mergeBases(_ a: Int64, _ b: Int64) throws -> [Int64] {
        if a == b { return [a] }
        let bases = try chains.mergeBases(chains.point(of: a), chains.point(of: b)).map { try chains.seq(at: $0) }
        guard bases.count > 1 else { return bases }
        let dated = try bases.map { seq in
            (
                seq,
                try String.fetchOne(
                    db.cachedStatement(sql: "SELECT created_at FROM turn WHERE seq = ?"), arguments: [seq]) ?? ""
            )
        }
        return dated.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 > $1.0 }.map(\.0)
    }

    /// Turns reachable from `include` but not from any of `exclude` (git's
    /// `include ^exclude…`), newest generation first.
    package func onlyReachable(from include: [Int64], notFrom exclude: [Int64]) throws -> [Int64] {
        var uninteresting = Set(exclude)
        var queued: Set<Int64> = []
        var queue = GraphWalkQueue()
        // How many queued turns are still interesting; the walk ends at 0.
        var interestingQueued = 0
        for seq in exclude + include where queued.insert(seq).inserted {
            try queue.push(seq, generation: node(seq).generation)
            if !uninteresting.contains(seq) { interestingQueued += 1 }
        }
        var result: [Int64] = []
        // A turn is popped only after every queued turn of higher generation,
        // and every path to it from an excluded turn runs through higher
        // generations, so its flag is final when it is popped.
        while interestingQueued > 0, let seq = queue.pop() {
            let current = try node(seq)
            let isUninteresting = uninteresting.contains(current.seq)
            if !isUninteresting {
                interestingQueued -= 1
                result.append(current.seq)
            }
            for parent in current.parents {
                if queued.insert(parent).inserted {
                    if isUninteresting { uninteresting.insert(parent) } else { interestingQueued += 1 }
                    try queue.push(parent, generation: node(parent).generation)
                } else if isUninteresting, uninteresting.insert(parent).inserted {
                    interestingQueued -= 1
                }
            }
        }
        return result
    }
}
