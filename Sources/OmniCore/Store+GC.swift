import OmniBasics
import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#endif

/// What `gc` removed (or would remove, on a dry run).
public struct GCReport: Sendable {
    public var removedAssets: [AssetID] = []
    public var removedDanglingFiles: [String] = []
    /// Abandoned partial downloads (`.omnistore/remote-partial/`) that were removed.
    public var removedPartialDownloads: [String] = []
    public var bytesFreed: Int64 = 0
    public var expiredReflogEntries = 0
    public var cacheBytesFreed: Int64 = 0
    /// The ref journal's size before and after it was compacted into a snapshot.
    public var journalBytesBefore: Int64 = 0
    public var journalBytesAfter: Int64 = 0
    public var dryRun = false

    public var json: JSONValue {
        .object([
            "dry_run": .bool(dryRun),
            "removed_assets": .array(removedAssets.map { .string($0.hex) }),
            "removed_dangling_objects": .array(removedDanglingFiles.map(JSONValue.string)),
            "removed_partial_downloads": .array(removedPartialDownloads.map(JSONValue.string)),
            "bytes_freed": .int(bytesFreed),
            "expired_reflog_entries": .int(Int64(expiredReflogEntries)),
            "cache_bytes_freed": .int(cacheBytesFreed),
            "journal_bytes_before": .int(journalBytesBefore),
            "journal_bytes_after": .int(journalBytesAfter),
        ])
    }
}

extension Store {
    /// The default grace period: assets unused by any turn are kept this long after they were last added.
    public static let defaultPruneAge: TimeInterval = 14 * 86_400
    /// Reflog entries older than this are dropped, as git does.
    public static let reflogExpiry: TimeInterval = 90 * 86_400

    /// Removes assets that no turn (reachable or not), no pending interaction
    /// and no path added within the grace period uses, plus object files no
    /// asset names, expired reflog entries and the caches.
    ///
    /// gc holds the store's gc lock exclusively (see `WriterLease`): every
    /// add, record and generation holds it shared from before its first
    /// write to its end, so an asset can never be removed between being added
    /// and being referenced by the turn or pending interaction that needs it.
    ///
    /// - Parameters:
    ///   - pruneAge: the grace period; 0 means everything unused now.
    ///   - dryRun: report only.
    ///   - waiting: called if gc must wait for running commands.
    public func gc(pruneAge: TimeInterval = Store.defaultPruneAge, dryRun: Bool = false, waiting: () -> Void = {})
        throws -> GCReport
    {
        let gcLock = try WriterLease.acquireExclusive(layout, waiting: waiting)
        defer { _ = gcLock }
        // gc deletes; it never decides from an index that may have lost rows.
        let check = try read("cannot check the index") { db in try String.fetchOne(db, sql: "PRAGMA quick_check") }
        guard check == "ok" else {
            throw Store.damagedIndex("the store's index failed its check (\(check ?? "?")), so gc removed nothing")
        }
        // Every turn record on disk keeps its clip and references, whatever the index says.
        let recordRoots = try turnRecordRoots()
        var report = GCReport()
        report.dryRun = dryRun
        let cutoff = Timestamp.format(Date().addingTimeInterval(-pruneAge))
        let pendingAssets = Set(try pendingWork().flatMap { $0.assets.map(\.hex) })
        let candidates = try read("cannot find unused assets") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT a.id, a.size FROM asset a
                    WHERE NOT EXISTS (SELECT 1 FROM turn t WHERE t.output = a.id)
                      AND NOT EXISTS (SELECT 1 FROM turn_input i WHERE i.asset = a.id)
                      AND NOT EXISTS (SELECT 1 FROM library l WHERE l.asset = a.id)
                      AND coalesce((SELECT max(coalesce(p.touched_at, p.added_at)) FROM asset_path p WHERE p.asset_id = a.id), a.added_at) < ?
                    """, arguments: [cutoff]
            ).map { (AssetID(validatedHex: $0["id"]), $0["size"] as Int64) }
                .filter { !pendingAssets.contains($0.0.hex) && !recordRoots.contains($0.0.hex) }
        }
        for (id, size) in candidates {
            if !dryRun {
                // The row goes first: a crash after it leaves a dangling file, which the next gc removes.
                try write("cannot remove asset \(id.short)") { db in
                    try db.execute(sql: "DELETE FROM asset_path WHERE asset_id = ?", arguments: [id.hex])
                    try db.execute(sql: "DELETE FROM asset WHERE id = ?", arguments: [id.hex])
                }
                unlink(layout.objectPath(id))
            }
            report.removedAssets.append(id)
            report.bytesFreed += size
        }
        let known = Set(try read("cannot list assets") { db in try String.fetchAll(db, sql: "SELECT id FROM asset") })
        let cutoffDate = Date().addingTimeInterval(-pruneAge).timeIntervalSince1970
        for hex in danglingObjectFiles(known: known) {
            guard let id = AssetID(hex), !recordRoots.contains(hex) else { continue }
            var info = stat()
            let path = layout.objectPath(id)
            guard stat(path, &info) == 0, Double(info.st_mtim.tv_sec) < cutoffDate || pruneAge == 0 else { continue }
            if !dryRun { unlink(path) }
            report.removedDanglingFiles.append(hex)
            report.bytesFreed += Int64(info.st_size)
        }
        let reflogCutoff = Timestamp.format(Date().addingTimeInterval(-Store.reflogExpiry))
        report.expiredReflogEntries = try read("cannot read the reflog") { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM reflog WHERE at < ?", arguments: [reflogCutoff]) ?? 0
        }
        if !dryRun && report.expiredReflogEntries > 0 {
            try write("cannot expire the reflog") { db in
                try db.execute(sql: "DELETE FROM reflog WHERE at < ?", arguments: [reflogCutoff])
                RefJournal.expireReflog(before: reflogCutoff)
            }
        }
        for (path, size) in stalePartialDownloads(olderThan: pruneAge == 0 ? 0 : Store.partialDownloadExpiry) {
            if !dryRun { unlink(path) }
            report.removedPartialDownloads.append(path)
            report.bytesFreed += size
        }
        for folder in ["cache", "tmp"] {
            let path = layout.storeDirectory + "/" + folder
            report.cacheBytesFreed += Store.folderSize(path)
            if !dryRun { try? FileManager.default.removeItem(atPath: path) }
        }
        if !dryRun { objects.removeAbandonedTemporaries() }
        if dryRun {
            report.journalBytesBefore = RefJournal(layout).size()
            report.journalBytesAfter = report.journalBytesBefore
        } else {
            (report.journalBytesBefore, report.journalBytesAfter) = try compactJournal()
        }
        return report
    }

    /// The assets that turn records on disk name (outputs and inputs).
    func turnRecordRoots() throws -> Set<String> {
        var roots: Set<String> = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: layout.turnsDirectory)) ?? [] {
            guard let id = TurnID(name) else { continue }
            let bytes = try StoreRecords.read(layout.turnRecordPath(id))
            guard let turn = try? Turn(json: JSONParser.parse(String(decoding: bytes, as: UTF8.self))) else {
                throw StoreError(
                    .corrupt, "turn record \(id.short) is unreadable, so gc removed nothing",
                    hint: Hint("run {}", .check))
            }
            roots.insert(turn.output.hex)
            for input in turn.inputs { roots.insert(input.asset.hex) }
        }
        return roots
    }

    static func folderSize(_ path: String) -> Int64 {
        guard let walker = FileManager.default.enumerator(atPath: path) else { return 0 }
        var total: Int64 = 0
        while let name = walker.nextObject() as? String {
            var info = stat()
            if lstat(path + "/" + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { total += Int64(info.st_size) }
        }
        return total
    }
}
