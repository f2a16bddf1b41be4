import OmniBasics
import GRDB

extension Store {
    /// Resolves a revision to a turn id, with git's meaning:
    ///
    /// - `HEAD` (or `@`), a branch name, or a full or unique-prefix turn id;
    /// - followed by any number of `~N` (the Nth first-parent ancestor; `~` is
    ///   `~1`) and `^N` (the Nth parent; `^` is `^1`, `^0` the turn itself).
    ///
    /// - Throws: ``StoreError`` `.notFound`, `.ambiguous` or `.invalidArgument`,
    ///   each saying what to run next.
    public func resolve(_ revision: String) throws -> TurnID {
        try read("cannot resolve '\(revision)'") { db in
            let seq = try Store.resolveSeq(db, revision)
            return try TurnGraph(db).id(of: seq)
        }
    }

    static func resolveSeq(_ db: Database, _ revision: String) throws -> Int64 {
        let (base, steps) = try parseRevision(revision)
        var seq = try resolveBase(db, base, revision: revision)
        let graph = TurnGraph(db)
        for step in steps {
            switch step {
            case .ancestor(let count):
                guard count > 0 else { continue }
                // One step per chain crossed, however long the line is.
                switch try graph.chains.firstParentAncestor(of: graph.chains.point(of: seq), steps: Int64(count)) {
                case .success(let point):
                    seq = try graph.chains.seq(at: point)
                case .failure(let end):
                    throw StoreError(
                        .notFound,
                        "'\(revision)' goes past the first turn: there are only \(end.depth) turns before it on the first-parent line"
                    )
                }
            case .parent(let index):
                guard index > 0 else { continue }
                let parents = try Int64.fetchAll(
                    db.cachedStatement(sql: "SELECT parent FROM turn_parent WHERE child = ? ORDER BY position"),
                    arguments: [seq])
                guard index <= parents.count else {
                    let id = try graph.id(of: seq)
                    throw StoreError(
                        .notFound,
                        "'\(revision)' asks for parent \(index) but turn \(id.short) has \(parents.count == 0 ? "no parents" : "only \(parents.count)")"
                    )
                }
                seq = parents[index - 1]
            }
        }
        return seq
    }

    enum RevisionStep: Equatable {
        case ancestor(Int)
        case parent(Int)
    }

    static func parseRevision(_ revision: String) throws -> (base: String, steps: [RevisionStep]) {
        guard let split = revision.firstIndex(where: { $0 == "~" || $0 == "^" }) else { return (revision, []) }
        let base = String(revision[..<split])
        var steps: [RevisionStep] = []
        var rest = revision[split...]
        while let op = rest.first {
            rest = rest.dropFirst()
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            rest = rest.dropFirst(digits.count)
            guard op == "~" || op == "^" else {
                throw StoreError(
                    .invalidArgument, "'\(revision)' is not a revision: unexpected '\(op)'; use REV~N or REV^N")
            }
            let count: Int
            if digits.isEmpty {
                count = 1
            } else if let value = Int(digits), value <= 1_000_000_000 {
                count = value
            } else {
                throw StoreError(.invalidArgument, "'\(revision)' is not a revision: \(digits) is too large")
            }
            steps.append(op == "~" ? .ancestor(count) : .parent(count))
        }
        guard !base.isEmpty else {
            throw StoreError(
                .invalidArgument, "'\(revision)' is not a revision: name a turn first, as in HEAD\(revision)")
        }
        return (base, steps)
    }

    static func resolveBase(_ db: Database, _ base: String, revision: String) throws -> Int64 {
        let graph = TurnGraph(db)
        if base == "HEAD" || base == "@" {
            guard let turn = try head(db).turn else {
                throw StoreError(
                    .notFound, "HEAD has no turns yet", hint: Hint("record one with {}", .record(givenClip: true)))
            }
            return try graph.seq(of: turn)
        }
        if BranchName.problem(base) == nil, let target = try refTarget(db, "refs/heads/" + base) {
            return try graph.seq(of: target)
        }
        if base.hasPrefix("refs/"), let target = try refTarget(db, base) {
            return try graph.seq(of: target)
        }
        if base.contains("/"), let target = try refTarget(db, "refs/remotes/" + base) {
            return try graph.seq(of: target)
        }
        if let prefix = AssetID.validPrefix(base) {
            let rows = try Row.fetchAll(
                db, sql: "SELECT seq, id FROM turn WHERE id >= ? AND id < ? ORDER BY id LIMIT 11",
                arguments: [prefix, prefix + "g"])
            if rows.count == 1 { return rows[0]["seq"] }
            if rows.count > 1 {
                let shown = rows.prefix(10).map { String(($0["id"] as String).prefix(16)) }.joined(separator: ", ")
                throw StoreError(
                    .ambiguous,
                    "turn prefix '\(base)' is ambiguous: it matches \(shown)\(rows.count > 10 ? ", …" : ""); give more digits"
                )
            }
        }
        throw StoreError(
            .notFound,
            "unknown revision '\(BranchName.printable(revision))': not a branch, HEAD or turn id",
            hint: Hint("run {} or {}", .listTurns, .listBranches, separator: "; "))
    }
}
