import OmniBasics
import GRDB

/// Reachability over the turn DAG, one linear chain of turns at a time.
///
/// Every turn sits at a position of one chain (columns `chain` and
/// `chain_pos`, schema v6, kept by ``Store/insert(_:_:)``). A turn with a
/// single parent that is the last turn of its chain extends that chain; any
/// other turn (a root, a merge, a second child) starts a new chain, named by
/// the turn's own seq, whose *base parents* are the turn's parents. So the
/// ancestors of position `p` of chain `c` are positions `0...p` of `c` plus
/// the ancestors of `c`'s base parents, and any set of ancestors is a map
/// from chain to the highest position it holds. Walks then cost one step per
/// chain instead of one per turn: chains come from forks and merges, so their
/// number follows how branched a history is, not how long it is.
package final class ChainIndex {
    /// A turn's place in the index, with its generation for pruning walks.
    struct Point: Hashable {
        let chain: Int64
        let pos: Int64
        /// 1 for a root, else 1 + the largest parent generation.
        let generation: Int64
    }

    /// Ancestor sets: chain → the highest position reached in it. Every
    /// lower position of the chain is reached too.
    typealias Reach = [Int64: Int64]

    private let db: Database
    /// Base parents per chain, loaded as walks reach chains.
    private var baseParents: [Int64: [Point]] = [:]

    init(_ db: Database) {
        self.db = db
    }

    func point(of seq: Int64) throws -> Point {
        let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT chain, chain_pos, generation FROM turn WHERE seq = ?"), arguments: [seq])
        guard let row, let chain = row[0] as Int64?, let pos = row[1] as Int64? else {
            throw StoreError(.database, "turn #\(seq) is missing from the chain index", hint: Hint("run {}", .check))
        }
        return Point(chain: chain, pos: pos, generation: row[2])
    }

    /// The points of many turns (a walk's starting points), in the order
    /// given, with one query per 500 turns instead of one per turn.
    func points(of seqs: [Int64]) throws -> [Point] {
        guard seqs.count > 1 else { return try seqs.map { try point(of: $0) } }
        var found: [Int64: Point] = [:]
        found.reserveCapacity(seqs.count)
        let unique = Array(Set(seqs))
        // Stays well under SQLite's limit on bound parameters.
        for start in stride(from: 0, to: unique.count, by: 500) {
            let batch = Array(unique[start..<min(start + 500, unique.count)])
            let rows = try Row.fetchCursor(
                db,
                sql:
                    "SELECT seq, chain, chain_pos, generation FROM turn WHERE seq IN (\(batch.map { _ in "?" }.joined(separator: ",")))",
                arguments: StatementArguments(batch))
            while let row = try rows.next() {
                guard let chain = row[1] as Int64?, let pos = row[2] as Int64? else { continue }
                found[row[0]] = Point(chain: chain, pos: pos, generation: row[3])
            }
        }
        return try seqs.map { seq in
            guard let point = found[seq] else {
                throw StoreError(
                    .database, "turn #\(seq) is missing from the chain index", hint: Hint("run {}", .check))
            }
            return point
        }
    }

    /// The seq of the turn at a point.
    func seq(at point: Point) throws -> Int64 {
        guard
            let seq = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT seq FROM turn WHERE chain = ? AND chain_pos = ?"),
                arguments: [point.chain, point.pos])
        else {
            throw StoreError(
                .database, "chain #\(point.chain) has no turn at \(point.pos)", hint: Hint("run {}", .check))
        }
        return seq
    }

    /// The parents of a chain's first turn, in order.
    ///
    /// One indexed query per chain: loading chains in windows of seqs, as
    /// ``TurnGraph`` loads turns, was measured slower (a window reads every
    /// turn row in it to find the few that start chains) and only paid off
    /// in histories where nearly every turn starts a chain.
    func baseParents(of chain: Int64) throws -> [Point] {
        if let known = baseParents[chain] { return known }
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT t.chain, t.chain_pos, t.generation FROM turn_parent p JOIN turn t ON t.seq = p.parent
                    WHERE p.child = ? ORDER BY p.position
                    """), arguments: [chain])
        var parents: [Point] = []
        parents.reserveCapacity(rows.count)
        for row in rows {
            guard let parentChain = row[0] as Int64?, let pos = row[1] as Int64? else {
                throw StoreError(
                    .database, "a parent of chain #\(chain) is missing from the chain index",
                    hint: Hint("run {}", .check))
            }
            parents.append(Point(chain: parentChain, pos: pos, generation: row[2]))
        }
        baseParents[chain] = parents
        return parents
    }

    /// A point's parents: the previous position of its chain, or the chain's
    /// base parents for a chain's first turn.
    func parents(of point: Point) throws -> [Point] {
        if point.pos > 0 {
            return [Point(chain: point.chain, pos: point.pos - 1, generation: point.generation - 1)]
        }
        return try baseParents(of: point.chain)
    }

    /// The points and all their ancestors. Chains are entered only through
    /// turns of at least generation `floor`: nothing below one can reach a
    /// turn of that generation, so callers asking only about turns at or
    /// above it can stop there.
    func ancestors(of points: [Point], floor: Int64 = 0) throws -> Reach {
        var reach: Reach = [:]
        var stack = points.filter { $0.generation >= floor }
        while let point = stack.popLast() {
            if let known = reach[point.chain] {
                // The chain's base parents were queued when it was first reached.
                if point.pos > known { reach[point.chain] = point.pos }
                continue
            }
            reach[point.chain] = point.pos
            for parent in try baseParents(of: point.chain) where parent.generation >= floor {
                stack.append(parent)
            }
        }
        return reach
    }

    /// Whether `ancestor` is `descendant` or reachable from it through parents.
    func isAncestor(_ ancestor: Point, of descendant: Point) throws -> Bool {
        if ancestor.chain == descendant.chain { return ancestor.pos <= descendant.pos }
        let reach = try ancestors(of: [descendant], floor: ancestor.generation)
        return (reach[ancestor.chain] ?? -1) >= ancestor.pos
    }

    /// For each point, whether it is not an ancestor of another point in the
    /// list (duplicates count as one): the tips a walk from all of them starts at.
    func areTips(_ points: [Point]) throws -> [Bool] {
        guard let lowest = points.map(\.generation).min() else { return [] }
        let below = try ancestors(of: points.flatMap { try parents(of: $0) }, floor: lowest)
        return points.map { (below[$0.chain] ?? -1) < $0.pos }
    }

    /// The best common ancestors of two points (`git merge-base --all`): the
    /// common ancestors that are not ancestors of another common ancestor.
    func mergeBases(_ a: Point, _ b: Point) throws -> [Point] {
        let reachA = try ancestors(of: [a])
        let reachB = try ancestors(of: [b])
        var candidates: [Point] = []
        for (chain, posA) in reachA {
            guard let posB = reachB[chain] else { continue }
            let pos = min(posA, posB)
            candidates.append(Point(chain: chain, pos: pos, generation: try generation(chain: chain, pos: pos)))
        }
        // Within a chain the common ancestors are a prefix, so only its top can be
        // best; it is best unless it lies below another chain's top.
        let tops = try areTips(candidates)
        return zip(candidates, tops).filter(\.1).map(\.0)
    }

    /// How many turns a reach holds.
    static func count(_ reach: Reach) -> Int {
        reach.values.reduce(0) { $0 + Int($1) + 1 }
    }

    /// The `steps`-th first-parent ancestor of a point, or the number of steps
    /// there are before the first-parent line ends.
    func firstParentAncestor(of point: Point, steps: Int64) throws -> Result<Point, FirstParentLineEnd> {
        var current = point
        var left = steps
        var walked: Int64 = 0
        // A chain's turns after its first are first-parent steps along it;
        // from its first turn the line continues at its first base parent.
        while left > current.pos {
            guard let next = try baseParents(of: current.chain).first else {
                return .failure(FirstParentLineEnd(depth: walked + current.pos))
            }
            left -= current.pos + 1
            walked += current.pos + 1
            current = next
        }
        return .success(Point(chain: current.chain, pos: current.pos - left, generation: current.generation - left))
    }

    /// How far a first-parent walk got before running out of parents.
    struct FirstParentLineEnd: Error {
        let depth: Int64
    }

    /// The generation of a chain's turn: one more per position after the
    /// chain's first turn, whose parents are known.
    private func generation(chain: Int64, pos: Int64) throws -> Int64 {
        let base = try baseParents(of: chain).map(\.generation).max() ?? 0
        return base + 1 + pos
    }

    /// Every turn's place: the id of its chain's first turn and its position.
    package static func placements(_ db: Database) throws -> [TurnID: (chain: TurnID, pos: Int64)] {
        var places: [TurnID: (chain: TurnID, pos: Int64)] = [:]
        let rows = try Row.fetchCursor(
            db,
            sql:
                "SELECT t.id, c.id, t.chain_pos FROM turn t LEFT JOIN turn c ON c.seq = t.chain WHERE t.chain_pos IS NOT NULL"
        )
        while let row = try rows.next() {
            guard let chain = row[1] as String? else { continue }
            places[TurnID(validatedHex: row[0])] = (TurnID(validatedHex: chain), row[2])
        }
        return places
    }

    /// Turns the index places where the chain rule cannot: unplaced, a
    /// chain not named after its first turn, or a later position whose turn
    /// is not the only child-parent step from the position before it.
    package static func problems(_ db: Database) throws -> [Problem] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT substr(t.id, 1, 12), 'turn ' || substr(t.id, 1, 12) || CASE
                    WHEN t.chain IS NULL OR t.chain_pos IS NULL THEN ' has no place in the chain index'
                    WHEN t.chain_pos = 0 THEN ' starts chain #' || t.chain || ' but is #' || t.seq
                    ELSE ' is at ' || t.chain_pos || ' of chain #' || t.chain || ' without being the only child step from ' || (t.chain_pos - 1)
                END
                FROM turn t
                WHERE t.chain IS NULL OR t.chain_pos IS NULL
                   OR (t.chain_pos = 0 AND t.chain != t.seq)
                   OR (t.chain_pos > 0 AND (
                        (SELECT count(*) FROM turn_parent p WHERE p.child = t.seq) != 1
                        OR NOT EXISTS (
                            SELECT 1 FROM turn_parent p JOIN turn q ON q.seq = p.parent
                            WHERE p.child = t.seq AND q.chain = t.chain AND q.chain_pos = t.chain_pos - 1)))
                ORDER BY t.seq
                """
        ).map { Problem(turn: $0[0], message: $0[1]) }
    }

    /// A turn the chain index misplaces: its id prefix, and what is wrong.
    package struct Problem: Equatable {
        let turn: String
        let message: String
    }
}
