import OmniBasics
import Foundation
import OmniMedia
import GRDB

extension Store {
    /// Records a turn: adds its output and inputs (if given as files), stores
    /// the immutable record, and advances the current branch.
    ///
    /// The branch only moves forward. If it moved while the turn's parents
    /// were chosen elsewhere, so that the old tip is not an ancestor of the
    /// new turn, the turn is kept on a new branch `NAME-<id>` and the result
    /// says so: no turn ever becomes unreachable.
    public func record(_ request: RecordRequest) throws -> RecordResult {
        let instruction = request.instruction.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !instruction.isEmpty else {
            throw StoreError(.invalidArgument, "the instruction is empty: say what the turn did with -m MESSAGE")
        }
        try lease.acquireShared()
        let outputSource: AssetSource
        if let given = request.output {
            outputSource = given
        } else {
            let path = try workfilePath(for: nil)
            guard FileManager.default.fileExists(atPath: path) else {
                throw StoreError(
                    .notFound, "there is no working file '\(Formatting.path(path))': give the CLIP to record")
            }
            outputSource = AssetSource(.file(path))
        }
        // Every clip and reference is checked before any is stored, so a bad
        // reference leaves no stray output asset behind.
        for source in [outputSource] + request.inputs { try preflight(source) }
        let output = try storeAsset(outputSource).id
        let inputs = try request.inputs.map { source -> Turn.Input in
            let (id, name) = try storeAsset(source, intoLibrary: true)
            return Turn.Input(asset: id, name: name)
        }
        let author = try self.author()
        let explicitParents = try request.parents.map { revisions in try revisions.map { try resolve($0) } }
        let newBranch = try request.newBranch.map { try BranchName($0) }
        let workfileBefore = try workfileState()
        // The new working file is written before the turn commits: a full
        // disk or an I/O error then fails the record with nothing changed.
        // Unrecorded work in the way is not an error: the file is left alone.
        var prepared: PreparedWorkfile?
        if workfileBefore.isSafeToReplace {
            do {
                prepared = try prepareWorkfile(output: output, force: false, previous: workfileBefore)
            } catch let error as StoreError where error.code == .conflict {
                prepared = nil
            }
        }

        let result = try write("cannot record the turn") { db -> (Turn, BranchName?, BranchName?, TurnID?) in
            let head = try Store.head(db)
            let parents = explicitParents ?? (head.turn.map { [$0] } ?? [])
            if Set(parents).count != parents.count {
                throw StoreError(.invalidArgument, "a turn cannot name the same parent twice")
            }
            let turn = Turn(
                parents: parents, kind: request.kind, instruction: instruction, inputs: inputs, output: output,
                model: request.model, interaction: request.interaction, settings: request.settings, cost: request.cost,
                author: author, createdAt: Store.now())
            if let pending = request.pendingInteraction {
                try db.execute(sql: "DELETE FROM pending WHERE interaction_id = ?", arguments: [pending])
                guard db.changesCount == 1 else {
                    throw StoreError(.conflict, "interaction \(pending) was already recorded by another omnistore")
                }
                RefJournal.pendingDone(interaction: pending)
            }
            let seq = try Store.insert(turn, db)
            let summary = "\(request.kind): \(instruction.split(separator: "\n").first.map(String.init) ?? "")"
            let graph = TurnGraph(db)
            if let newBranch {
                if try Store.refTarget(db, newBranch.ref) != nil {
                    let side = try Store.freeBranchName(db, base: newBranch.name)
                    try Store.updateRef(db, side.ref, expected: nil, to: turn.id, reason: summary, author: author)
                    return (turn, newBranch, side, nil)
                }
                try Store.updateRef(
                    db, newBranch.ref, expected: nil, to: turn.id, reason: "branch: created by \(summary)",
                    author: author)
                try Store.setHead(
                    db, to: .branch(newBranch, turn: turn.id), reason: "checkout: moving to \(newBranch.name)",
                    author: author)
                return (turn, newBranch, nil, nil)
            }
            switch head {
            case .detached:
                try Store.setHead(db, to: .detached(turn.id), reason: summary, author: author)
                return (turn, nil, nil, nil)
            case .branch(let branch, let old):
                let fastForward =
                    try old.map { tip in
                        try parents.contains(tip) || graph.isAncestor(graph.seq(of: tip), of: seq)
                    } ?? true
                if fastForward {
                    let reason = old == nil ? "\(request.kind) (initial): \(instruction)" : summary
                    try Store.updateRef(db, branch.ref, expected: old, to: turn.id, reason: reason, author: author)
                    return (turn, branch, nil, nil)
                }
                let side = try Store.freeBranchName(db, base: "\(branch.name)-\(turn.id.hex.prefix(7))")
                try Store.updateRef(
                    db, side.ref, expected: nil, to: turn.id,
                    reason: "\(request.kind): kept beside \(branch.name), which had moved", author: author)
                return (turn, branch, side, old)
            }
        }
        // The turn is recorded; only a rename and a small index write are left.
        var updated = false
        if result.2 == nil, let prepared {
            do {
                updated = try install(prepared)
            } catch {
                throw StoreError(
                    .io,
                    "recorded turn \(result.0.id.short), but the working file was not updated (\(error))",
                    hint: Hint("free space, then run {}", .checkout(result.1?.name ?? result.0.id.short)))
            }
        }
        AtomicFile.removeAbandoned(in: layout.workspace)
        return RecordResult(
            turn: result.0, branch: result.1, sideBranch: result.2, branchTip: result.3, workfileUpdated: updated)
    }

    /// Inserts a turn's rows unless it is already stored; returns its seq.
    ///
    /// Every path that stores turns (record, import, pull, rebase) comes
    /// here, inside its write transaction, so the turn's place in the chain
    /// index is decided while no other writer can take the same place.
    package static func insert(_ turn: Turn, _ db: Database) throws -> Int64 {
        if let existing = try Int64.fetchOne(db, sql: "SELECT seq FROM turn WHERE id = ?", arguments: [turn.id.hex]) {
            return existing
        }
        var generation: Int64 = 1
        var parentSeqs: [Int64] = []
        var onlyParentSpot: (chain: Int64, pos: Int64)?
        for parent in turn.parents {
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT seq, generation, chain, chain_pos FROM turn WHERE id = ?"),
                    arguments: [parent.hex])
            else {
                throw StoreError(.notFound, "parent turn \(parent.short) is not in the store")
            }
            parentSeqs.append(row[0])
            generation = max(generation, (row[1] as Int64) + 1)
            if let chain = row[2] as Int64?, let pos = row[3] as Int64? { onlyParentSpot = (chain, pos) }
        }
        // SQLite gives a new row the largest seq plus one; choosing it here
        // lets a turn that starts a chain name the chain after itself.
        let seq = try Int64.fetchOne(db.cachedStatement(sql: "SELECT ifnull(max(seq), 0) + 1 FROM turn")) ?? 1
        var spot = (chain: seq, pos: Int64(0))
        if parentSeqs.count == 1, let parent = onlyParentSpot {
            let taken =
                try Bool.fetchOne(
                    db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM turn WHERE chain = ? AND chain_pos = ?)"),
                    arguments: [parent.chain, parent.pos + 1]) ?? true
            // The parent is its chain's last turn: this turn continues the line.
            if !taken { spot = (parent.chain, parent.pos + 1) }
        }
        try db.execute(
            sql: """
                INSERT INTO turn (seq, id, record, kind, instruction, output, model, interaction_id, cost_usd, created_at,
                                  generation, chain, chain_pos)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                seq, turn.id.hex, turn.canonicalText, turn.kind.name, turn.instruction, turn.output.hex, turn.model,
                turn.interaction?.id, turn.cost?.usd, turn.createdAt, generation, spot.chain, spot.pos,
            ])
        for (position, parent) in parentSeqs.enumerated() {
            try db.execute(
                sql: "INSERT INTO turn_parent (child, position, parent) VALUES (?, ?, ?)",
                arguments: [seq, position, parent])
        }
        for (position, input) in turn.inputs.enumerated() {
            try db.execute(
                sql: "INSERT INTO turn_input (turn, position, asset, name) VALUES (?, ?, ?, ?)",
                arguments: [seq, position, input.asset.hex, input.name])
        }
        RecordStage.current?.stage(turn: turn)
        return seq
    }

    static func freeBranchName(_ db: Database, base: String) throws -> BranchName {
        var candidate = base
        var suffix = 2
        while try refTarget(db, "refs/heads/" + candidate) != nil {
            candidate = "\(base)-\(suffix)"
            suffix += 1
        }
        return try BranchName(candidate)
    }

    /// Stores a source (adding a file if needed) and returns its id and name.
    /// Fails as adding `source` would fail, without storing anything: a file
    /// must be media with content, an asset id must name one asset.
    func preflight(_ source: AssetSource) throws {
        switch source.origin {
        case .file(let path):
            // A missing file gets add's own error, from add; a pipe or device is refused here, unread.
            var info = stat()
            guard stat(path, &info) == 0 else { return }
            guard (info.st_mode & S_IFMT) == S_IFREG else {
                if case .failure(let error) = Store.expand(path, recursive: false) { throw error }
                return
            }
            do {
                _ = try MediaProbe.probe(path: path)
            } catch let error as MediaError {
                throw StoreError(.media, "cannot add '\(path)': \(error.message)")
            }
        case .asset(let prefix):
            _ = try resolveAssetID(prefix)
        }
    }

    /// Stores a clip or reference; a reference given as a file (`intoLibrary`)
    /// joins the library, as `add` would.
    package func storeAsset(_ source: AssetSource, intoLibrary: Bool = false) throws -> (id: AssetID, name: String) {
        switch source.origin {
        case .file(let path):
            let (asset, _) = try add(file: path, recordedPath: nil, intoLibrary: intoLibrary)
            return (asset.id, source.name ?? (path as NSString).lastPathComponent)
        case .asset(let prefix):
            let id = try resolveAssetID(prefix)
            return (id, source.name ?? id.short)
        }
    }

    /// The turn with this id, read back from its canonical record.
    public func turn(_ id: TurnID) throws -> Turn {
        let text = try read("cannot read turn \(id.short)") { db in
            try String.fetchOne(db, sql: "SELECT record FROM turn WHERE id = ?", arguments: [id.hex])
        }
        guard let text else { throw StoreError(.notFound, "no turn \(id.short) in the store") }
        let turn = try Turn(json: JSONParser.parse(text))
        guard turn.id == id else {
            throw StoreError(.corrupt, "turn \(id.short) does not match its record", hint: Hint("run {}", .check))
        }
        return turn
    }

    /// The turns whose parents include `id`, oldest first.
    public func children(of id: TurnID) throws -> [TurnID] {
        try read("cannot read children of \(id.short)") { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT c.id FROM turn p JOIN turn_parent e ON e.parent = p.seq JOIN turn c ON c.seq = e.child
                    WHERE p.id = ? ORDER BY c.seq
                    """, arguments: [id.hex]
            ).map(TurnID.init(validatedHex:))
        }
    }

    /// Branch names pointing at each turn, for labels in `log` and `show`.
    public func branchLabels() throws -> [TurnID: [BranchName]] {
        var labels: [TurnID: [BranchName]] = [:]
        for (name, turn) in try branches() { labels[turn, default: []].append(name) }
        return labels
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors.
    public func isAncestor(_ ancestor: TurnID, of descendant: TurnID) throws -> Bool {
        try read("cannot walk the graph") { db in
            let graph = TurnGraph(db)
            return try graph.isAncestor(graph.seq(of: ancestor), of: graph.seq(of: descendant))
        }
    }

    /// The best common ancestors of two revisions, newest first (`git merge-base --all`).
    public func mergeBases(_ a: String, _ b: String) throws -> [TurnID] {
        try read("cannot walk the graph") { db in
            let graph = TurnGraph(db)
            let bases = try graph.mergeBases(Store.resolveSeq(db, a), Store.resolveSeq(db, b))
            return try bases.map { try graph.id(of: $0) }
        }
    }
}

/// Display helpers shared by library messages.
extension Store {
    /// Stores turns made elsewhere (another store, a remote, an importer) in
    /// one transaction, each after its parents. Their outputs and inputs must
    /// already be stored; their ids are recomputed from their records, so a
    /// turn cannot claim an id it does not hash to. Refs do not move.
    ///
    /// - Returns: how many turns were new.
    @discardableResult
    public func importTurns(_ turns: [Turn]) throws -> Int {
        try lease.acquireShared()
        return try write("cannot import turns") { db in
            var added = 0
            for turn in turns {
                let before =
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM turn WHERE id = ?", arguments: [turn.id.hex]) ?? 0
                _ = try Store.insert(turn, db)
                if before == 0 { added += 1 }
            }
            return added
        }
    }

    /// Points a branch at a turn (creating it if needed), logging the move.
    public func setBranch(_ name: String, to turn: TurnID, reason: String) throws {
        let branch = try BranchName(name)
        let author = try self.author()
        try lease.acquireShared()
        try write("cannot move branch '\(name)'") { db in
            let current = try Store.refTarget(db, branch.ref)
            try Store.updateRef(db, branch.ref, expected: current, to: turn, reason: reason, author: author)
        }
    }
}
