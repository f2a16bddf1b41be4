import GRDB

extension Store {
    /// The turns reachable from the given revisions, in git's `--topo-order`:
    /// no turn before all of its children, lines of history not interleaved,
    /// and the newest of the starting turns first.
    ///
    /// - Parameters:
    ///   - revisions: where to start; HEAD when empty.
    ///   - all: start from every branch and HEAD as well.
    ///   - limit: stop after this many turns. The walk is incremental (guided
    ///     by generation numbers), so a small limit reads only the turns near
    ///     the tips, however large the graph.
    public func log(_ revisions: [String] = [], all: Bool = false, limit: Int? = nil) throws -> [LogEntry] {
        try read("cannot read the history") { db in
            let graph = TurnGraph(db)
            var starts: [Int64] = []
            if all {
                starts += try Int64.fetchAll(
                    db, sql: "SELECT t.seq FROM ref r JOIN turn t ON t.id = r.target ORDER BY r.name")
                if let headTurn = try Store.head(db).turn { starts.append(try graph.seq(of: headTurn)) }
            }
            for revision in revisions { starts.append(try Store.resolveSeq(db, revision)) }
            if revisions.isEmpty && !all {
                guard let headTurn = try Store.head(db).turn else { return [] }
                starts.append(try graph.seq(of: headTurn))
            }
            let order = try Store.topoOrder(graph, starts: starts, limit: limit ?? Int.max)
            if order.count > 1_000 {
                // One scan beats a query per turn when most of the graph is
                // listed; rows find their place through an array by seq.
                let (low, high) = (order.min() ?? 0, order.max() ?? 0)
                var place = [Int32](repeating: -1, count: Int(high - low + 1))
                for (index, seq) in order.enumerated() { place[Int(seq - low)] = Int32(index) }
                var entries = [LogEntry?](repeating: nil, count: order.count)
                let cursor = try Row.fetchCursor(
                    db, sql: Store.logEntrySQL + " WHERE t.seq BETWEEN ? AND ?", arguments: [low, high])
                while let row = try cursor.next() {
                    let seq: Int64 = row[0]
                    let index = place[Int(seq - low)]
                    guard index >= 0 else { continue }
                    entries[Int(index)] = try Store.logEntry(row, graph.node(seq), graph)
                }
                var listed: [LogEntry] = []
                listed.reserveCapacity(order.count)
                for index in entries.indices {
                    // take() moves each entry out instead of copying its strings.
                    guard let entry = entries[index].take() else {
                        throw StoreError(.database, "turn #\(order[index]) vanished while reading")
                    }
                    listed.append(entry)
                }
                return listed
            }
            return try order.map { try Store.logEntry(db, graph.node($0), graph) }
        }
    }

    /// git's graph-order topological sort (`sort_in_topological_order`), made
    /// incremental the way git's commit-graph walk is: a turn's in-degree is
    /// final once every reachable turn of higher generation has been
    /// explored, because all its children have higher generations.
    static func topoOrder(_ graph: TurnGraph, starts: [Int64], limit: Int) throws -> [Int64] {
        var unique: [Int64] = []
        var listed: Set<Int64> = []
        for seq in starts where listed.insert(seq).inserted { unique.append(seq) }
        try graph.preload(unique)
        // Tips come out in the order of git's date walk: newest first, ties in the order given.
        let ordered = try unique.enumerated().sorted { a, b in
            let (dateA, dateB) = (try graph.node(a.element).createdAt, try graph.node(b.element).createdAt)
            return dateA != dateB ? dateA > dateB : a.offset < b.offset
        }.map(\.element)

        var explore = GraphWalkQueue()
        var seen = Set(ordered)
        var indegree: [Int64: Int] = [:]
        for seq in ordered { explore.push(seq, generation: try graph.node(seq).generation) }
        func expand(above generation: Int64) throws {
            while let top = explore.peekGeneration, top > generation, let seq = explore.pop() {
                for parent in try graph.node(seq).parents {
                    indegree[parent, default: 0] += 1
                    if seen.insert(parent).inserted {
                        explore.push(parent, generation: try graph.node(parent).generation)
                    }
                }
            }
        }
        // The starts that no other start reaches are where the output begins.
        // The chain index tells them apart without exploring down to the
        // oldest start; the others are reached as parents, and their
        // in-degrees are settled by `expand` before they are looked at.
        let isTip = try graph.chains.areTips(graph.chains.points(of: ordered))
        let tips = zip(ordered, isTip).filter(\.1).map(\.0)
        var stack = Array(tips.reversed())
        var output: [Int64] = []
        while output.count < limit, let seq = stack.popLast() {
            output.append(seq)
            for parent in try graph.node(seq).parents {
                try expand(above: graph.node(parent).generation)
                let remaining = (indegree[parent] ?? 0) - 1
                indegree[parent] = remaining
                if remaining == 0 { stack.append(parent) }
            }
        }
        return output
    }

    static let logEntrySQL = """
        SELECT t.seq, t.kind, t.instruction, t.output, t.model, t.cost_usd, a.duration,
            coalesce(a.display_width, a.width), coalesce(a.display_height, a.height)
        FROM turn t LEFT JOIN asset a ON a.id = t.output
        """

    static func logEntry(_ db: Database, _ node: TurnGraph.Node, _ graph: TurnGraph) throws -> LogEntry {
        guard
            let row = try Row.fetchOne(db.cachedStatement(sql: logEntrySQL + " WHERE t.seq = ?"), arguments: [node.seq])
        else { throw StoreError(.database, "turn \(node.id.short) vanished while reading: run the command again") }
        return try logEntry(row, node, graph)
    }

    static func logEntry(_ row: Row, _ node: TurnGraph.Node, _ graph: TurnGraph) throws -> LogEntry {
        LogEntry(
            id: node.id, parents: try node.parents.map { try graph.node($0).id }, kind: TurnKind(row[1] as String),
            instruction: row[2], output: AssetID(validatedHex: row[3]), model: row[4],
            costUSD: row[5], createdAt: node.createdAt, duration: row[6], width: row[7],
            height: row[8])
    }

    /// How many turns are reachable from the revisions (HEAD by default), like `git rev-list --count`.
    public func countTurns(_ revisions: [String] = [], all: Bool = false) throws -> Int {
        try read("cannot count turns") { db in
            var starts: [Int64] = []
            if all {
                starts += try Int64.fetchAll(db, sql: "SELECT t.seq FROM ref r JOIN turn t ON t.id = r.target")
            }
            for revision in revisions { starts.append(try Store.resolveSeq(db, revision)) }
            if (revisions.isEmpty && !all) || all, let headTurn = try Store.head(db).turn {
                starts.append(try TurnGraph(db).seq(of: headTurn))
            }
            guard !starts.isEmpty else { return 0 }
            // Whole chains at a time: the count is the sum of the chain
            // prefixes reached, so it costs one step per chain.
            let chains = ChainIndex(db)
            return ChainIndex.count(try chains.ancestors(of: chains.points(of: starts)))
        }
    }
}
