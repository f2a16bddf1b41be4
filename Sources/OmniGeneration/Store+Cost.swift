import GRDB
import OmniCore

/// Spend per turn, per branch and in total.
public struct CostReport: Sendable {
    public struct Line: Sendable {
        public let id: TurnID
        public let kind: TurnKind
        public let instruction: String
        public let costUSD: Double?
        /// `usage_tokens`, `seconds_x_rate`, `user`, or nil when no cost was recorded.
        public let basis: String?
        public let seconds: Double?
        /// The interaction that made the clip, if any: one interaction is paid once.
        public let interactionID: String?
        /// What was estimated before the request was sent, if it was.
        public let estimateUSD: Double?
    }

    public struct BranchTotal: Sendable {
        public let name: BranchName
        public let turns: Int
        public let usd: Double
    }

    public let turns: [Line]
    public let branches: [BranchTotal]
    public let totalUSD: Double
    /// Turns with no recorded cost (recorded clips made elsewhere).
    public let uncounted: Int
    /// Over the counted turns that were estimated: what they were billed, and
    /// what was estimated for them.
    public let billedUSD: Double
    public let estimatedUSD: Double

    public var json: JSONValue {
        .object([
            "turns": .array(
                turns.map {
                    .object([
                        "id": .string($0.id.hex), "kind": .string($0.kind.name), "instruction": .string($0.instruction),
                        "usd": JSONValue($0.costUSD), "basis": JSONValue($0.basis), "seconds": JSONValue($0.seconds),
                        "estimate_usd": JSONValue($0.estimateUSD),
                    ])
                }),
            "branches": .array(
                branches.map {
                    .object(["name": .string($0.name.name), "turns": .int(Int64($0.turns)), "usd": .double($0.usd)])
                }),
            "total_usd": .double(totalUSD),
            "uncounted": .int(Int64(uncounted)),
            "billed_usd": .double(billedUSD), "estimated_usd": .double(estimatedUSD),
        ])
    }
}

extension Store {
    /// The cost of the history of `revisions` (HEAD by default, each turn once
    /// however many of them reach it), or of every turn with `all`. An
    /// interaction recorded by more than one turn counts once in the total.
    public func costReport(_ revisions: [String] = [], all: Bool = false) throws -> CostReport {
        let ids: [TurnID]
        if all {
            ids = try read("cannot read turns") { db in
                try String.fetchAll(db, sql: "SELECT id FROM turn ORDER BY seq DESC").map(TurnID.init(validatedHex:))
            }
        } else {
            ids = try log(revisions).map(\.id)
        }
        let lines = try read("cannot read costs") { db in
            try ids.map { id -> CostReport.Line in
                guard
                    let row = try Row.fetchOne(
                        db.cachedStatement(
                            sql: """
                                SELECT kind, instruction, cost_usd, json_extract(record, '$.cost.basis') AS basis,
                                       json_extract(record, '$.cost.seconds') AS seconds, interaction_id,
                                       json_extract(record, '$.cost.estimate_usd') AS estimate
                                FROM turn WHERE id = ?
                                """), arguments: [id.hex])
                else { throw StoreError(.notFound, "turn \(id.short) vanished while reading") }
                return CostReport.Line(
                    id: id, kind: TurnKind(row["kind"] as String), instruction: row["instruction"],
                    costUSD: row["cost_usd"],
                    basis: row["basis"], seconds: row["seconds"], interactionID: row["interaction_id"],
                    estimateUSD: row["estimate"])
            }
        }
        let branchTotals = try read("cannot read branch costs") { db in
            try Store.branchRows(db).map { name, target -> CostReport.BranchTotal in
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        WITH RECURSIVE reach(seq) AS (
                            SELECT seq FROM turn WHERE id = ?
                            UNION
                            SELECT p.parent FROM turn_parent p JOIN reach ON p.child = reach.seq
                        )
                        SELECT count(*) AS turns, total(t.cost_usd) AS usd FROM reach JOIN turn t ON t.seq = reach.seq
                        """, arguments: [target.hex])
                return CostReport.BranchTotal(name: name, turns: row?["turns"] ?? 0, usd: row?["usd"] ?? 0)
            }
        }
        // Two turns of one interaction (a pull --rebase copy, say) were paid for once.
        var paid: Set<String> = []
        var total = 0.0
        var billed = 0.0
        var estimated = 0.0
        for line in lines {
            if let interaction = line.interactionID, !paid.insert(interaction).inserted { continue }
            total += line.costUSD ?? 0
            if let estimate = line.estimateUSD, let cost = line.costUSD {
                billed += cost
                estimated += estimate
            }
        }
        return CostReport(
            turns: lines, branches: branchTotals, totalUSD: total, uncounted: lines.filter { $0.costUSD == nil }.count,
            billedUSD: billed, estimatedUSD: estimated)
    }

    static func branchRows(_ db: Database) throws -> [(BranchName, TurnID)] {
        try Row.fetchAll(db, sql: "SELECT name, target FROM ref WHERE name LIKE 'refs/heads/%' ORDER BY name")
            .compactMap { row in
                guard let name = BranchName(ref: row["name"]) else { return nil }
                return (name, TurnID(validatedHex: row["target"]))
            }
    }
}
