import Foundation
import GRDB
import OmniMedia
import OmniBasics

#if canImport(Glibc)
    import Glibc
#endif

/// What ``Store/rebuildIndex(at:)`` found and did.
public struct RebuildReport: Sendable {
    public var assets = 0
    public var paths = 0
    public var turns = 0
    public var refs = 0
    public var reflogEntries = 0
    /// Pending interactions restored (from the journal or the old database).
    public var pending = 0
    /// Creates journaled as sent with no reply: they may be billed, and are kept as attempts.
    public var unansweredRequests = 0
    /// Object files no record names (written by a command killed before it
    /// committed): left unindexed, for gc to remove after its grace period.
    public var unrecordedObjects = 0
    /// Metadata records read from `meta/` (tags, notes, ratings).
    public var metaRecords = 0
    /// Tables copied from the old database because no file holds them yet
    /// (settings, remotes, pending interactions and attempts, lazy objects).
    public var copiedTables: [String] = []
    /// Where the old database was kept, if there was one.
    public var oldDatabase: String?
    /// What could not be recovered, one line each.
    public var lost: [String] = []

    public var json: JSONValue {
        .object([
            "assets": .int(Int64(assets)), "paths": .int(Int64(paths)), "turns": .int(Int64(turns)),
            "refs": .int(Int64(refs)), "reflog_entries": .int(Int64(reflogEntries)), "pending": .int(Int64(pending)),
            "unanswered_requests": .int(Int64(unansweredRequests)),
            "unrecorded_objects": .int(Int64(unrecordedObjects)), "meta_records": .int(Int64(metaRecords)),
            "copied_tables": .array(copiedTables.map(JSONValue.string)), "old_database": JSONValue(oldDatabase),
            "lost": .array(lost.map(JSONValue.string)),
        ])
    }
}

extension Store {
    static let rebuildHint = Hint("run {} to rebuild it from the store's files", .rebuildIndex)

    static func damagedIndex(_ problem: String) -> StoreError {
        StoreError(.database, problem, hint: rebuildHint)
    }

    /// Why the index cannot be trusted, or nil: missing, empty, or not an
    /// omnistore database. Cheap (a stat and one query); damaged pages are
    /// found when SQLite reads them, and by fsck and gc's `quick_check`.
    static func indexProblem(_ layout: StoreLayout) -> String? {
        var info = stat()
        guard stat(layout.databasePath, &info) == 0 else { return "the store's index (omnistore.db) is missing" }
        if info.st_size == 0 { return "the store's index (omnistore.db) is empty" }
        var configuration = Configuration()
        configuration.readonly = true
        do {
            let queue = try DatabaseQueue(path: layout.databasePath, configuration: configuration)
            let tables = try queue.read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            if !tables.contains("grdb_migrations") || !tables.contains("turn") {
                return "the store's index (omnistore.db) is not an omnistore database"
            }
        } catch let error as DatabaseError
            where error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB
        {
            return "the store's index (omnistore.db) is damaged"
        } catch {
            // Locked, unreadable, or a read-only folder with a WAL: the open that follows says what.
        }
        return nil
    }

    /// A store made before the index became rebuildable has no record files:
    /// write them all once (turn records, one asset pack, the refs, settings,
    /// remotes and lazy markers as journal).
    func writeRecordsIfMissing() throws {
        guard !FileManager.default.fileExists(atPath: layout.refJournalPath) else { return }
        try write("cannot write the store's record files") { db in
            // Another process may have written them while this one waited for the lock.
            guard !FileManager.default.fileExists(atPath: layout.refJournalPath) else { return }
            let stage = RecordStage.current
            for text in try String.fetchAll(db, sql: "SELECT record FROM turn ORDER BY seq") {
                stage?.stage(turn: try Turn(json: JSONParser.parse(text)))
            }
            for row in try Row.fetchAll(db, sql: "SELECT * FROM asset") {
                stage?.stage(
                    asset: StoreRecords.assetRecord(
                        id: AssetID(validatedHex: row["id"]), size: row["size"], kind: row["kind"], mime: row["mime"],
                        format: row["format"], duration: row["duration"], bitRate: row["bit_rate"], width: row["width"],
                        height: row["height"], fps: row["fps"], probe: row["probe"], addedAt: row["added_at"]))
            }
            for row in try Row.fetchAll(db, sql: "SELECT asset_id, path, added_at FROM asset_path ORDER BY rowid") {
                stage?.stage(path: row["path"], of: AssetID(validatedHex: row["asset_id"]), at: row["added_at"])
            }
            for row in try Row.fetchAll(db, sql: "SELECT name, target FROM ref ORDER BY name") {
                RefJournal.ref(row["name"], target: TurnID(validatedHex: row["target"]))
            }
            RefJournal.head(try Store.head(db))
            for line in try Store.settingsSnapshot(db) { stage?.stage(journal: line) }
            for row in try Row.fetchAll(db, sql: "SELECT * FROM reflog ORDER BY seq") {
                RefJournal.reflog(
                    ref: row["ref"], old: (row["old"] as String?).map(TurnID.init(validatedHex:)),
                    new: (row["new"] as String?).map(TurnID.init(validatedHex:)), at: row["at"], author: row["author"],
                    reason: row["reason"])
            }
        }
    }

    /// Builds a new index from the store's files, as `fossil rebuild` does:
    /// objects and asset packs give the assets and their paths, `turns/` the
    /// graph, and the ref journal the refs, HEAD and the reflog. Tables no
    /// file holds yet are copied from the old database where it can still be
    /// read. The new database is checked, then swapped in atomically; the old
    /// one is kept beside it as `omnistore.db.old-<time>`.
    ///
    /// - Parameter workspace: the workspace holding `.omnistore/`.
    public static func rebuildIndex(at workspace: String) throws -> RebuildReport {
        let layout = StoreLayout(workspace: absolute(workspace))
        try checkFormat(layout)
        // Exclusive, as gc: no writer runs while the index is replaced.
        let lock = try WriterLease.acquireExclusive(layout, waiting: {})
        defer { withExtendedLifetime(lock) {} }
        var report = RebuildReport()
        let building = layout.databasePath + ".rebuild"
        for suffix in ["", "-wal", "-shm", "-journal"] { unlink(building + suffix) }
        do {
            let queue = try DatabaseQueue(path: building)
            try Schema.migrator.migrate(queue)
            let turns = loadTurns(layout, &report)
            let needed = Set(turns.values.flatMap { [$0.output.hex] + $0.inputs.map(\.asset.hex) })
            var settings: [JSONValue] = []
            try queue.write { db in
                try rebuildAssets(layout, db, needed: needed, &report)
                try insertTurns(turns, db, &report)
                let meta = try rebuildMeta(layout, db)
                report.metaRecords = meta.records
                report.lost += meta.damaged.map { "metadata record \($0.prefix(12)) is damaged and was skipped" }
                try replayJournal(layout, db, settings: &settings, &report)
            }
            try copyUnjournaledTables(layout, into: queue, journaledSettings: !settings.isEmpty, &report)
            // The journal's settings, remotes and lazy markers go over what
            // the old index had: it holds every change since they were journaled.
            try queue.write { db in
                try replaySettings(settings, layout, db)
                // Membership and paths that records carry (made here or
                // pulled) go over what the journal's membership lines say.
                try replayLibrary(db)
                try adoptRecordedPaths(nil, root: layout.workspace, db)
            }
            let check = try queue.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") }
            guard check == "ok" else {
                throw StoreError(
                    .database, "the rebuilt index failed its check (\(check ?? "?")); the old one was kept")
            }
            try queue.close()
        } catch let error as DatabaseError {
            for suffix in ["", "-wal", "-shm", "-journal"] { unlink(building + suffix) }
            throw StoreError(
                .database, "cannot build the new index: \(error.message ?? "SQLite error \(error.resultCode.rawValue)")"
            )
        }
        // The old database and its WAL move aside together, or the new one would read the old WAL.
        if FileManager.default.fileExists(atPath: layout.databasePath) {
            let stamp = Timestamp.format(Date()).replacingOccurrences(of: ":", with: "")
            let kept = layout.databasePath + ".old-" + stamp
            for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: layout.databasePath + suffix) {
                guard rename(layout.databasePath + suffix, kept + suffix) == 0 else {
                    throw FileDescriptor.posixError(errno, "cannot move the old index aside")
                }
            }
            guard rename(layout.databasePath, kept) == 0 else {
                throw FileDescriptor.posixError(errno, "cannot move the old index aside")
            }
            report.oldDatabase = kept
        }
        guard rename(building, layout.databasePath) == 0 else {
            throw FileDescriptor.posixError(errno, "cannot put the new index in place")
        }
        try? FileDescriptor.openDirectory(layout.storeDirectory).sync()
        return report
    }

    private static func rebuildAssets(
        _ layout: StoreLayout, _ db: Database, needed: Set<String>, _ report: inout RebuildReport
    ) throws {
        var records: [String: JSONValue] = [:]
        // Assets described twice, differently (a lazy clone corrects what a
        // remote's record said once the bytes arrive): the bytes decide.
        var disagreeing: Set<String> = []
        var paths: [(asset: String, path: String, at: String)] = []
        let packs = (try? FileManager.default.contentsOfDirectory(atPath: layout.assetPacksDirectory)) ?? []
        for name in packs.sorted() where AssetID(name) != nil {
            let bytes = try StoreRecords.read(layout.assetPacksDirectory + "/" + name, limit: 1 << 30)
            guard CanonicalJSON.hexDigest(bytes) == name,
                let pack = try? JSONParser.parse(String(decoding: bytes, as: UTF8.self))
            else {
                report.lost.append("asset pack \(name.prefix(12)) is damaged: its records were skipped")
                continue
            }
            for record in pack["assets"]?.arrayValue ?? [] {
                guard let id = record["id"]?.stringValue else { continue }
                if let earlier = records[id] {
                    if earlier.removing("added_at") != record.removing("added_at") { disagreeing.insert(id) }
                } else {
                    records[id] = record
                }
            }
            for entry in pack["paths"]?.arrayValue ?? [] {
                if let asset = entry["asset"]?.stringValue, let path = entry["path"]?.stringValue,
                    let at = entry["at"]?.stringValue
                {
                    paths.append((asset, path, at))
                }
            }
        }
        // A record whose bytes are gone was removed by gc, unless a turn needs
        // it (a lazy clone fetches such bytes on first use).
        var ids = Set(records.keys.filter { needed.contains($0) })
        // Bytes with no record are indexed only where a record may be
        // missing: in a store from before records (no journal yet), or when a
        // pack was damaged. Otherwise they were written by a command killed
        // before it committed, which the index never had either: they stay
        // unindexed, for gc to remove after its grace period.
        let recordsAreComplete =
            FileManager.default.fileExists(atPath: layout.refJournalPath)
            && !report.lost.contains { $0.hasPrefix("asset pack") }
        for fanout in (try? FileManager.default.contentsOfDirectory(atPath: layout.objectsDirectory)) ?? []
        where fanout.count == 2 {
            for rest in (try? FileManager.default.contentsOfDirectory(atPath: layout.objectsDirectory + "/" + fanout))
                ?? []
            {
                guard let id = AssetID(fanout + rest) else { continue }
                if records[id.hex] != nil || !recordsAreComplete {
                    ids.insert(id.hex)
                } else {
                    report.unrecordedObjects += 1
                }
            }
        }
        for hex in ids.sorted() {
            let id = AssetID(validatedHex: hex)
            let row: AssetRow
            if let record = records[hex], !disagreeing.contains(hex) || access(layout.objectPath(id), F_OK) != 0 {
                row = try AssetRow(id: id, record: record, remote: "this store")
            } else {
                // Bytes with no record (added before records were written, or by a write killed before its pack).
                do {
                    row = try AssetRow(probing: layout.objectPath(id), id: id)
                } catch {
                    report.lost.append("object \(id.short) is not media any more and was left out: \(error)")
                    continue
                }
            }
            try row.insert(db)
            report.assets += 1
        }
        for entry in paths where ids.contains(entry.asset) {
            try db.execute(
                sql: """
                    INSERT INTO asset_path (asset_id, path, added_at, touched_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT(asset_id, path) DO UPDATE SET touched_at = max(touched_at, excluded.touched_at)
                    """,
                arguments: [entry.asset, entry.path, entry.at, entry.at])
        }
        report.paths = try Int.fetchOne(db, sql: "SELECT count(*) FROM asset_path") ?? 0
    }

    private static func loadTurns(_ layout: StoreLayout, _ report: inout RebuildReport) -> [TurnID: Turn] {
        var turns: [TurnID: Turn] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: layout.turnsDirectory)) ?? [] {
            guard let id = TurnID(name) else { continue }
            do {
                let bytes = try StoreRecords.read(layout.turnRecordPath(id))
                let turn = try Turn(json: JSONParser.parse(String(decoding: bytes, as: UTF8.self)))
                guard turn.id == id else {
                    report.lost.append("turn record \(id.short) does not hash to its name: left out")
                    continue
                }
                turns[id] = turn
            } catch {
                report.lost.append("turn record \(id.short) is unreadable (\(error)): left out")
            }
        }
        return turns
    }

    private static func insertTurns(_ turns: [TurnID: Turn], _ db: Database, _ report: inout RebuildReport) throws {
        // Parents first: Kahn's algorithm over the records, oldest first among equals.
        var waiting: [TurnID: Int] = [:]
        var children: [TurnID: [TurnID]] = [:]
        for (id, turn) in turns {
            waiting[id] = turn.parents.filter { turns[$0] != nil }.count
            for parent in turn.parents where turns[parent] != nil { children[parent, default: []].append(id) }
        }
        var ready = turns.keys.filter { waiting[$0] == 0 }.sorted {
            (turns[$0]?.createdAt ?? "", $0.hex) < (turns[$1]?.createdAt ?? "", $1.hex)
        }
        var missingAsset: Set<TurnID> = []
        while let id = ready.first {
            ready.removeFirst()
            guard let turn = turns[id] else { continue }
            let parentsMissing = turn.parents.contains { turns[$0] == nil || missingAsset.contains($0) }
            let assetsMissing = try ([turn.output] + turn.inputs.map(\.asset)).contains {
                try !Bool(Int.fetchOne(db, sql: "SELECT count(*) FROM asset WHERE id = ?", arguments: [$0.hex]) == 1)
            }
            if parentsMissing || assetsMissing {
                missingAsset.insert(id)
                report.lost.append(
                    "turn \(id.short) was left out: \(parentsMissing ? "a parent is missing" : "its clip or a reference is missing")"
                )
            } else {
                _ = try Store.insert(turn, db)
                report.turns += 1
            }
            for child in children[id] ?? [] {
                waiting[child, default: 1] -= 1
                if waiting[child] == 0 { ready.append(child) }
            }
        }
    }

    private static func replayJournal(
        _ layout: StoreLayout, _ db: Database, settings: inout [JSONValue], _ report: inout RebuildReport
    ) throws {
        let (entries, damaged) = try RefJournal(layout).entries()
        if damaged > 0 { report.lost.append("\(damaged) line(s) of the ref journal were damaged and skipped") }
        func turnExists(_ hex: String?) throws -> Bool {
            guard let hex else { return true }
            return try Store.turnExists(db, hex)
        }
        var unanswered: [String: JSONValue] = [:]
        for entry in entries {
            switch entry["op"]?.stringValue {
            case "ref":
                guard let name = entry["name"]?.stringValue else { continue }
                if let target = entry["target"]?.stringValue {
                    guard try turnExists(target) else {
                        try db.execute(sql: "DELETE FROM ref WHERE name = ?", arguments: [name])
                        report.lost.append("\(name) named turn \(target.prefix(12)), which has no record: left out")
                        continue
                    }
                    try db.execute(
                        sql:
                            "INSERT INTO ref (name, target) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET target = excluded.target",
                        arguments: [name, target])
                } else {
                    try db.execute(sql: "DELETE FROM ref WHERE name = ?", arguments: [name])
                }
            case "head":
                if let symbolic = entry["symbolic"]?.stringValue {
                    try db.execute(
                        sql: "UPDATE head SET symbolic = ?, detached = NULL WHERE only = 1", arguments: [symbolic])
                } else if let detached = entry["detached"]?.stringValue, try turnExists(detached) {
                    try db.execute(
                        sql: "UPDATE head SET symbolic = NULL, detached = ? WHERE only = 1", arguments: [detached])
                }
            case "reflog":
                let old = entry["old"]?.stringValue
                let new = entry["new"]?.stringValue
                guard try turnExists(old), try turnExists(new) else { continue }
                try db.execute(
                    sql: "INSERT INTO reflog (ref, old, new, at, author, reason) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [
                        entry["ref"]?.stringValue ?? "HEAD", old, new, entry["at"]?.stringValue ?? "",
                        entry["author"]?.stringValue ?? "", entry["reason"]?.stringValue ?? "",
                    ])
            case "rename":
                guard let from = entry["from"]?.stringValue, let to = entry["to"]?.stringValue else { continue }
                try db.execute(sql: "UPDATE ref SET name = ? WHERE name = ?", arguments: [to, from])
                try db.execute(sql: "UPDATE reflog SET ref = ? WHERE ref = ?", arguments: [to, from])
                try db.execute(sql: "UPDATE head SET symbolic = ? WHERE symbolic = ?", arguments: [to, from])
            case "reflog-expire":
                if let before = entry["before"]?.stringValue {
                    try db.execute(sql: "DELETE FROM reflog WHERE at < ?", arguments: [before])
                }
            case "config", "remote", "lazy", "settings-journaled", "library", "library-journaled":
                settings.append(entry)
            case "dismiss-unanswered":
                for (_, sent) in unanswered {
                    try insertUnanswered(sent, status: "no_reply_dismissed", db)
                }
                unanswered = [:]
                try db.execute(sql: "UPDATE attempt SET status = 'no_reply_dismissed' WHERE status = 'no_reply'")
            case "sending":
                if let attempt = entry["attempt"]?.stringValue { unanswered[attempt] = entry }
            case "send-failed":
                if let attempt = entry["attempt"]?.stringValue { unanswered[attempt] = nil }
            case "pending":
                if let attempt = entry["attempt"]?.stringValue { unanswered[attempt] = nil }
                guard let id = entry["interaction"]?.stringValue, let plan = entry["plan"]?.stringValue else {
                    continue
                }
                let at = entry["at"]?.stringValue ?? ""
                try db.execute(
                    sql:
                        "INSERT OR REPLACE INTO pending (interaction_id, status, plan, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [id, entry["status"]?.stringValue ?? "in_progress", plan, at, at])
            case "pending-done":
                if let id = entry["interaction"]?.stringValue {
                    try db.execute(sql: "DELETE FROM pending WHERE interaction_id = ?", arguments: [id])
                }
            case "attempt":
                try Store.insertAttempt(entry, db)
            default:
                report.lost.append("a ref journal line of an unknown kind was skipped")
            }
        }
        // A create sent with no reply journaled: the process died while the
        // API may have started (and billed) it. Kept as an attempt that says so.
        for (_, entry) in unanswered.sorted(by: {
            ($0.value["at"]?.stringValue ?? "") < ($1.value["at"]?.stringValue ?? "")
        }) {
            try insertUnanswered(entry, status: "no_reply", db)
            report.unansweredRequests += 1
        }
        report.pending = try Int.fetchOne(db, sql: "SELECT count(*) FROM pending") ?? 0
        report.refs = try Int.fetchOne(db, sql: "SELECT count(*) FROM ref") ?? 0
        report.reflogEntries = try Int.fetchOne(db, sql: "SELECT count(*) FROM reflog") ?? 0
    }

    /// A `sending` line with no answer, as an attempt that may be billed.
    private static func insertUnanswered(_ entry: JSONValue, status: String, _ db: Database) throws {
        let plan = entry["plan"] ?? .object([:])
        try Store.insertAttempt(
            .object([
                "interaction_id": .null, "kind": .string(plan["kind"]?.stringValue ?? "generate"),
                "instruction": .string(plan["instruction"]?.stringValue ?? ""),
                "parent": JSONValue(plan["parent"]?.stringValue),
                "status": .string(status), "error_code": .string("no_reply"),
                "message": .string(
                    "sent, no reply: may be billed (the command stopped before the API answered); check the API's usage page"
                ),
                "plan": .string(plan.compactText), "created_at": .string(entry["at"]?.stringValue ?? ""),
            ]), db)
    }

    /// Applies the journal's `config`, `remote`, `lazy` and `library` lines in order.
    private static func replaySettings(_ entries: [JSONValue], _ layout: StoreLayout, _ db: Database) throws {
        // A journal from before the library was journaled: every asset is a
        // member, as the v12 migration made it; later lines then apply.
        if !entries.contains(where: { $0["op"]?.stringValue == "library-journaled" }) {
            try db.execute(sql: "INSERT OR IGNORE INTO library (asset, added_at) SELECT id, added_at FROM asset")
        }
        for entry in entries {
            switch entry["op"]?.stringValue {
            case "library":
                guard let hex = entry["asset"]?.stringValue, AssetID(hex) != nil else { continue }
                if entry["member"]?.boolValue == true {
                    // Only an asset the rebuild found: a line may outlive its bytes' record.
                    try db.execute(
                        sql: "INSERT OR IGNORE INTO library (asset, added_at) SELECT id, ? FROM asset WHERE id = ?",
                        arguments: [entry["at"]?.stringValue ?? "", hex])
                } else {
                    try db.execute(sql: "DELETE FROM library WHERE asset = ?", arguments: [hex])
                }
            case "config":
                guard let key = entry["key"]?.stringValue else { continue }
                if let value = entry["value"]?.stringValue {
                    try db.execute(
                        sql:
                            "INSERT INTO config (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        arguments: [key, value])
                } else {
                    try db.execute(sql: "DELETE FROM config WHERE key = ?", arguments: [key])
                }
            case "remote":
                guard let name = entry["name"]?.stringValue else { continue }
                try db.execute(sql: "DELETE FROM remote WHERE name = ?", arguments: [name])
                guard let remote = entry["remote"], let url = remote["url"]?.stringValue else { continue }
                try db.execute(
                    sql:
                        "INSERT INTO remote (name, url, endpoint, region, addressing, lazy, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [
                        name, url, remote["endpoint"]?.stringValue, remote["region"]?.stringValue,
                        remote["addressing"]?.stringValue, remote["lazy"]?.boolValue ?? false,
                        remote["added_at"]?.stringValue ?? "",
                    ])
            case "lazy":
                guard let hex = entry["asset"]?.stringValue, let id = AssetID(hex) else { continue }
                // An object whose bytes are here is not lazy, whatever the journal's last word.
                if let remote = entry["remote"]?.stringValue,
                    !FileManager.default.fileExists(atPath: layout.objectPath(id)),
                    try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM asset WHERE id = ?)", arguments: [hex])
                        == true
                {
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO lazy_object (asset, remote) VALUES (?, ?)",
                        arguments: [hex, remote])
                } else {
                    try db.execute(sql: "DELETE FROM lazy_object WHERE asset = ?", arguments: [hex])
                }
            default:
                continue
            }
        }
    }

    /// Settings, remotes, pending interactions, attempts and lazy-object
    /// markers have no files of their own yet: take them from the old
    /// database where it can still be read, and say so where it cannot. The
    /// old file is read on its own connection, so its damage cannot reach the
    /// new database's transaction.
    private static func copyUnjournaledTables(
        _ layout: StoreLayout, into queue: DatabaseQueue, journaledSettings: Bool, _ report: inout RebuildReport
    ) throws {
        let tables = ["config", "remote", "pending", "attempt", "lazy_object", "worktree"]
        guard FileManager.default.fileExists(atPath: layout.databasePath),
            indexProblem(layout) == nil
                || indexProblem(layout) == "the store's index (omnistore.db) is damaged"
        else {
            if !journaledSettings {
                report.lost.append(
                    "settings, remotes and lazy-object markers made before they were journaled were only in the lost index"
                )
            }
            return
        }
        var configuration = Configuration()
        configuration.readonly = true
        guard let old = try? DatabaseQueue(path: layout.databasePath, configuration: configuration) else {
            report.lost.append("the old index cannot be opened: settings, remotes and pending interactions are lost")
            return
        }
        for table in tables {
            guard let rows = try? old.read({ db in try Row.fetchAll(db, sql: "SELECT * FROM \(table)") }) else {
                report.lost.append("\(table) could not be read from the old index")
                continue
            }
            // Paid work is journaled too: the old rows join what the journal
            // gave back (an attempt already there is not added twice).
            let paid = table == "pending" || table == "attempt"
            try queue.write { db in
                let columns = Set(try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('\(table)')"))
                if !paid { try db.execute(sql: "DELETE FROM \(table)") }
                for row in rows {
                    if table == "attempt",
                        try Bool.fetchOne(
                            db,
                            sql:
                                "SELECT EXISTS (SELECT 1 FROM attempt WHERE interaction_id IS ? AND created_at = ? AND status = ?)",
                            arguments: [
                                row["interaction_id"] as String?, row["created_at"] as String, row["status"] as String,
                            ]) == true
                    {
                        continue
                    }
                    let names = row.columnNames.filter { columns.contains($0) }
                    let list = names.map { "\"\($0)\"" }.joined(separator: ", ")
                    let marks = Array(repeating: "?", count: names.count).joined(separator: ", ")
                    try db.execute(
                        sql: "INSERT OR IGNORE INTO \(table) (\(list)) VALUES (\(marks))",
                        arguments: StatementArguments(names.map { row[$0] as DatabaseValue }))
                }
            }
            report.copiedTables.append(table)
        }
        report.pending =
            (try? queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM pending") ?? 0 }) ?? report.pending
    }
}

extension JSONValue {
    /// An object without one member (other values as they are).
    fileprivate func removing(_ key: String) -> JSONValue {
        guard case .object(var members) = self else { return self }
        members[key] = nil
        return .object(members)
    }
}
