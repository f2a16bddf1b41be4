import GRDB

extension Schema {
    /// v6: the chain index (see ``ChainIndex``), each turn's chain and its
    /// position in it, so ancestry is answered per chain instead of per turn.
    static func registerChains(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v6-chains") { db in
            try db.execute(sql: "ALTER TABLE turn ADD COLUMN chain INTEGER")
            try db.execute(sql: "ALTER TABLE turn ADD COLUMN chain_pos INTEGER")
            try backfillChains(db)
            // Unique, so that two writers can never place turns at one spot.
            try db.execute(sql: "CREATE UNIQUE INDEX turn_by_chain ON turn(chain, chain_pos)")
        }
    }

    /// Places every stored turn in a chain, in insertion order, by the rule
    /// `Store.insert` applies to new turns: parents are always inserted before
    /// their children, so a chain's last turn at each step is the one a live
    /// insert would have seen.
    static func backfillChains(_ db: Database) throws {
        var placement: [Int64: (chain: Int64, pos: Int64)] = [:]
        var length: [Int64: Int64] = [:]
        let update = try db.makeStatement(sql: "UPDATE turn SET chain = ?, chain_pos = ? WHERE seq = ?")
        func place(_ seq: Int64, _ parents: [Int64]) throws {
            var spot = (chain: seq, pos: Int64(0))
            if parents.count == 1, let parent = placement[parents[0]], length[parent.chain] == parent.pos + 1 {
                spot = (parent.chain, parent.pos + 1)
            }
            placement[seq] = spot
            length[spot.chain] = spot.pos + 1
            try update.execute(arguments: [spot.chain, spot.pos, seq])
        }
        // Read everything first: SQLite leaves a scan of rows that the same
        // connection updates undefined.
        var edges: [(seq: Int64, parent: Int64?)] = []
        let rows = try Row.fetchCursor(
            db,
            sql:
                "SELECT t.seq, p.parent FROM turn t LEFT JOIN turn_parent p ON p.child = t.seq ORDER BY t.seq, p.position"
        )
        while let row = try rows.next() { edges.append((row[0], row[1])) }
        var current: Int64?
        var parents: [Int64] = []
        for edge in edges {
            if edge.seq != current {
                if let current { try place(current, parents) }
                current = edge.seq
                parents.removeAll(keepingCapacity: true)
            }
            if let parent = edge.parent { parents.append(parent) }
        }
        if let current { try place(current, parents) }
    }
}
