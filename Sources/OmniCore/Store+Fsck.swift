import OmniBasics
import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#endif

extension Store {
    /// Checks the whole store: every object against its id (or only its
    /// existence and size with `fast`), every turn against its canonical id,
    /// and every reference between turns, assets, refs, the reflog and
    /// pending interactions. Corrupt objects are moved to
    /// `.omnistore/quarantine/`, never deleted; leftover temp files of killed
    /// writers are removed.
    ///
    /// - Parameters:
    ///   - fast: check each object's existence and size only, without hashing.
    ///   - progress: bytes re-hashed so far and the total.
    public func fsck(fast: Bool = false, progress: ((Int64, Int64) -> Void)? = nil) throws -> FsckReport {
        var report = FsckReport()
        report.cleanedTemporaries = objects.removeAbandonedTemporaries()
        report.stalePartialDownloads = stalePartialDownloads(olderThan: Store.partialDownloadExpiry).map(\.path)
        let scratch = layout.storeDirectory + "/tmp"
        report.leftoverTemporaries = ((try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? []).sorted()
            .map { scratch + "/" + $0 }
        func problem(_ kind: String, _ subject: String, _ reason: String, hint: Hint? = nil) {
            report.problems.append(.init(kind: kind, subject: subject, reason: reason, hint: hint))
        }
        if let result = try? read(
            "cannot check the database", { db in try String.fetchOne(db, sql: "PRAGMA quick_check") }),
            result != "ok"
        {
            problem("database", "omnistore.db", "the store's index is damaged (\(result))", hint: Store.rebuildHint)
        }

        // Objects: every asset row must have its bytes, and the bytes must hash to the id.
        let assets = try read("cannot list assets") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT a.id, a.size, (SELECT path FROM asset_path p WHERE p.asset_id = a.id ORDER BY added_at LIMIT 1) AS path
                    FROM asset a ORDER BY a.id
                    """
            ).map { (id: AssetID(validatedHex: $0["id"]), size: $0["size"] as Int64, path: $0["path"] as String?) }
        }
        let total = assets.reduce(Int64(0)) { $0 + $1.size }
        // A lazy clone records objects it has not downloaded yet: not a problem.
        let lazy = try lazyObjectIDs()
        var known: Set<String> = []
        for asset in assets {
            known.insert(asset.id.hex)
            report.objectsChecked += 1
            let path = layout.objectPath(asset.id)
            let repair =
                asset.path.map { Hint("re-add it with {}", .addFile(path: $0)) }
                ?? Hint("re-add the original file with {}", .addFile(path: nil))
            var info = stat()
            guard stat(path, &info) == 0 else {
                if lazy.contains(asset.id.hex) { continue }
                problem("missing_object", asset.id.hex, "object \(asset.id.short) is missing", hint: repair)
                continue
            }
            if fast {
                if Int64(info.st_size) != asset.size {
                    problem(
                        "size_mismatch", asset.id.hex,
                        "object \(asset.id.short) has \(info.st_size) bytes, not \(asset.size)",
                        hint: Hint("run {}", .fullCheck))
                }
                continue
            }
            let actual: AssetID
            do {
                actual = try ObjectStore.hash(path)
            } catch {
                problem(
                    "missing_object", asset.id.hex, "object \(asset.id.short) cannot be read (\(error))", hint: repair)
                continue
            }
            report.bytesChecked += Int64(info.st_size)
            progress?(report.bytesChecked, total)
            if actual != asset.id {
                let moved = try quarantine(asset.id)
                report.quarantined.append(moved)
                problem(
                    "corrupt_object", asset.id.hex,
                    "object \(asset.id.short) is corrupt (it hashes to \(actual.short)); moved to \(Formatting.path(moved)); \(repair)"
                )
            }
        }
        report.danglingObjects = danglingObjectFiles(known: known)

        // Turns: canonical ids, parents and assets.
        var indexedTurns: [String: String] = [:]
        try read("cannot check turns") { db in
            let cursor = try Row.fetchCursor(db, sql: "SELECT seq, id, record, output FROM turn ORDER BY seq")
            while let row = try cursor.next() {
                report.turnsChecked += 1
                let id: String = row["id"]
                indexedTurns[id] = row["record"]
                let short = String(id.prefix(12))
                let text: String = row["record"]
                let turn: Turn
                do {
                    turn = try Turn(json: JSONParser.parse(text))
                } catch {
                    problem("bad_turn", id, "turn \(short) has an unreadable record: \(error)")
                    continue
                }
                if CanonicalJSON.sha256(turn.record) != id || turn.canonicalText != text {
                    problem(
                        "bad_turn", id, "turn \(short) does not match its id (its record hashes to \(turn.id.short))")
                }
                for parent in turn.parents where try !Store.turnExists(db, parent.hex) {
                    problem(
                        "missing_parent", id, "turn \(short) names parent \(parent.short), which is not in the store")
                }
                let storedParents = try String.fetchAll(
                    db,
                    sql:
                        "SELECT t.id FROM turn_parent p JOIN turn t ON t.seq = p.parent WHERE p.child = ? ORDER BY p.position",
                    arguments: [row["seq"] as Int64])
                if storedParents != turn.parents.map(\.hex) {
                    problem("bad_turn", id, "turn \(short): the parent index disagrees with its record")
                }
                for asset in [turn.output] + turn.inputs.map(\.asset) where !known.contains(asset.hex) {
                    problem("missing_asset", id, "turn \(short) uses asset \(asset.short), which is not in the store")
                }
            }
        }

        // The record files are the truth and the rows their index: each must have the other.
        (report.restoredRecords, report.unindexedRecords) = checkTurnRecordFiles(
            indexed: indexedTurns, problem: problem)
        report.unindexedRecords += try checkMetaRecordFiles(problem: problem)

        // The chain index is derived from the parents, so a damaged one is
        // rebuilt from them rather than left to give wrong ancestry answers.
        let chainProblems = try read("cannot check the chain index") { db in try ChainIndex.problems(db) }
        if !chainProblems.isEmpty {
            var outcome = Hint("rebuilt the chain index from the turns' parents", separator: "; ")
            if isReadOnly {
                outcome = Hint("run {} where the store is writable to rebuild the chain index", .check, separator: "; ")
            } else {
                try write("cannot rebuild the chain index") { db in
                    // Cleared first: the unique (chain, chain_pos) index must
                    // never see two turns at one place mid-rebuild.
                    try db.execute(sql: "UPDATE turn SET chain = NULL, chain_pos = NULL")
                    try Schema.backfillChains(db)
                }
            }
            for found in chainProblems {
                problem("bad_chain_index", found.turn, found.message, hint: outcome)
            }
        }

        // Refs, HEAD and the reflog must point at stored turns.
        try read("cannot check refs") { db in
            for row in try Row.fetchAll(db, sql: "SELECT name, target FROM ref") {
                report.refsChecked += 1
                let target: String = row["target"]
                let name: String = row["name"]
                if let branch = Store.branchPart(ofRef: name), let rule = BranchName.problem(branch) {
                    // As an older clone could take from a remote: no command can use or delete it.
                    let fix =
                        name.hasPrefix("refs/heads/")
                        ? Hint("delete it with {} and that name", .deleteBranch(nil, force: true))
                        : Hint("remove that remote with {} and add it again", .removeRemote(nil))
                    problem(
                        "invalid_ref_name", BranchName.printable(name),
                        "ref '\(BranchName.printable(name))' has an invalid name (\(rule))", hint: fix)
                }
                if try !Store.turnExists(db, target) {
                    problem(
                        "dangling_ref", row["name"],
                        "\(row["name"] as String) points at turn \(target.prefix(12)), which is not in the store")
                }
            }
            if let detached = try String.fetchOne(db, sql: "SELECT detached FROM head WHERE only = 1"),
                try !Store.turnExists(db, detached)
            {
                problem("dangling_ref", "HEAD", "HEAD points at turn \(detached.prefix(12)), which is not in the store")
            }
            let missing = try Row.fetchAll(
                db,
                sql: """
                    SELECT r.seq, r.ref, x.value AS turn FROM reflog r, (SELECT r2.seq AS seq, r2.old AS value FROM reflog r2
                        UNION ALL SELECT r3.seq, r3.new FROM reflog r3) x
                    WHERE x.seq = r.seq AND x.value IS NOT NULL AND NOT EXISTS (SELECT 1 FROM turn t WHERE t.id = x.value)
                    """)
            for row in missing {
                problem(
                    "dangling_reflog", row["ref"],
                    "a reflog entry of \(row["ref"] as String) names turn \((row["turn"] as String).prefix(12)), which is not in the store"
                )
            }
        }

        // Pending interactions must still have everything they will record.
        for item in (try? pendingWork()) ?? [] {
            if let parent = item.parent, (try? turn(parent)) == nil {
                problem(
                    "bad_pending", item.id,
                    "pending interaction \(item.id) continues turn \(parent.short), which is not in the store")
            }
            for asset in item.assets where !known.contains(asset.hex) {
                problem(
                    "bad_pending", item.id,
                    "pending interaction \(item.id) uses asset \(asset.short), which is not in the store")
            }
        }
        return report
    }

    package static func turnExists(_ db: Database, _ id: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM turn WHERE id = ?)"), arguments: [id])
            ?? false
    }

    /// Moves a corrupt object aside, keeping its bytes for inspection.
    func quarantine(_ id: AssetID) throws -> String {
        let directory = layout.storeDirectory + "/quarantine"
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw FileDescriptor.posixError(errno, "cannot create '\(directory)'")
        }
        var target = directory + "/" + id.hex
        var suffix = 1
        while access(target, F_OK) == 0 {
            target = directory + "/\(id.hex).\(suffix)"
            suffix += 1
        }
        guard rename(layout.objectPath(id), target) == 0 else {
            throw FileDescriptor.posixError(errno, "cannot move corrupt object \(id.short) to quarantine")
        }
        return target
    }

    /// Object files under `objects/` whose id has no asset row.
    func danglingObjectFiles(known: Set<String>) -> [String] {
        var dangling: [String] = []
        let fm = FileManager.default
        guard let fanouts = try? fm.contentsOfDirectory(atPath: layout.objectsDirectory) else { return [] }
        for fanout in fanouts where fanout.count == 2 {
            for name in (try? fm.contentsOfDirectory(atPath: layout.objectsDirectory + "/" + fanout)) ?? [] {
                let hex = fanout + name
                if AssetID(hex) != nil, !known.contains(hex) { dangling.append(hex) }
            }
        }
        return dangling.sorted()
    }

    /// Compares `.omnistore/turns/` with the turn table. A record file with no
    /// row is reported (the rebuild indexes it); a row whose file is missing
    /// gets its file back from the row, whose record fsck has just checked
    /// against its id; a file that does not hash to its name is reported.
    ///
    /// - Returns: the turns whose record file was restored, and those with a record file but no row.
    /// Checks every metadata record file against its name, and that every
    /// indexed record has its file (a record's bytes cannot be rebuilt from
    /// its lines: fields from newer versions would be lost).
    ///
    /// - Returns: the records with a file but no row (a command killed before
    ///   its commit; the rebuild indexes them).
    private func checkMetaRecordFiles(problem: (String, String, String, Hint?) -> Void) throws -> [String] {
        let folder = layout.metaRecordsDirectory
        let names = Set(
            ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter {
                $0.count == 64 && $0.allSatisfy(\.isHexDigit)
            })
        let indexed = try metaRecordIDs()
        var unindexed: [String] = []
        for name in names.sorted() {
            guard let bytes = try? StoreRecords.read(folder + "/" + name, limit: 64 << 20),
                CanonicalJSON.hexDigest(bytes) == name
            else {
                problem(
                    "bad_record", name,
                    "metadata record \(name.prefix(12)) does not hash to its name: restore it from a clone or a backup",
                    nil)
                continue
            }
            if !indexed.contains(name) { unindexed.append(name) }
        }
        for id in indexed.sorted() where !names.contains(id) {
            problem(
                "missing_record", id,
                "metadata record \(id.prefix(12)) has no file in meta/: pull it again from a remote that has it",
                nil)
        }
        return unindexed
    }

    private func checkTurnRecordFiles(indexed: [String: String], problem: (String, String, String, Hint?) -> Void)
        -> (restored: [String], unindexed: [String])
    {
        var restored: [String] = []
        var unindexed: [String] = []
        let names = Set(
            ((try? FileManager.default.contentsOfDirectory(atPath: layout.turnsDirectory)) ?? []).filter {
                TurnID($0) != nil
            })
        for name in names.sorted() {
            guard let id = TurnID(name) else { continue }
            let bytes: [UInt8]
            do {
                bytes = try StoreRecords.read(layout.turnRecordPath(id))
            } catch {
                problem(
                    "bad_record", name, "turn record file \(id.short) cannot be read (\(error))",
                    Hint("run {} after restoring it", .rebuildIndex))
                continue
            }
            if CanonicalJSON.hexDigest(bytes) != name {
                problem(
                    "bad_record", name,
                    "turn record file \(id.short) does not hash to its name: restore it from a clone or a backup", nil)
            } else if indexed[name] == nil {
                // A command killed between writing the record and committing
                // leaves one, as an interrupted add leaves an object: noted, and
                // the rebuild indexes it.
                unindexed.append(name)
            }
        }
        for (hex, text) in indexed.sorted(by: { $0.key < $1.key }) where !names.contains(hex) {
            guard let id = TurnID(hex), CanonicalJSON.hexDigest(Array(text.utf8)) == hex else { continue }
            do {
                try StoreRecords.writeFile(
                    Array(text.utf8), to: layout.turnRecordPath(id), creating: layout.turnsDirectory)
                restored.append(hex)
            } catch {
                problem(
                    "missing_record", hex, "turn \(id.short) has no record file and it cannot be written (\(error))",
                    Hint("free space or fix permissions, then run {} again", .check))
            }
        }
        return (restored, unindexed)
    }
}
