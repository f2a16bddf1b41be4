import Foundation
import GRDB
import OmniBasics

/// The library: every asset that was added (by ``Store/add(_:recursive:rehash:progress:)``,
/// or as a reference given as a file) and not removed. What is added is kept:
/// gc removes only assets out of the library that nothing else keeps.
/// Membership is journaled, so a rebuilt index has the same library.
extension Store {
    /// Puts assets into the library, inside a write transaction: journals
    /// the new members and writes one metadata record with a `library` line
    /// for each, and a `path` line for each new path under the workspace
    /// (relative to it), so membership and paths travel with push and pull.
    static func joinLibrary(
        _ ids: [AssetID], newPaths: [(AssetID, String)] = [], root: String, author: String, _ db: Database
    ) throws {
        let now = Store.now()
        var lines: [MetaRecord.Line] = []
        var seen: Set<AssetID> = []
        for id in ids where seen.insert(id).inserted {
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO library (asset, added_at) VALUES (?, ?)").execute(
                arguments: [id.hex, now])
            if db.changesCount > 0 {
                RefJournal.library(id, member: true, at: now)
                lines.append(.init(asset: id, field: .library, operation: .add))
            }
        }
        for (id, path) in newPaths {
            if let relative = Store.workspaceRelative(path, root: root) {
                lines.append(.init(asset: id, field: .path, operation: .add, value: relative))
            }
        }
        if !lines.isEmpty { _ = try recordMeta(lines, author: author, db) }
    }

    /// `path` relative to the workspace `root`, or nil when it is outside it
    /// (a path elsewhere names a file on this machine only).
    static func workspaceRelative(_ path: String, root: String) -> String? {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        guard path.hasPrefix(prefix), path.count > prefix.count else { return nil }
        return String(path.dropFirst(prefix.count))
    }

    /// Whether a path line read from a record (made anywhere) may name a
    /// file in this workspace: relative, without `..`, `.` or empty parts.
    package static func isPortablePath(_ relative: String) -> Bool {
        guard !relative.isEmpty, !relative.hasPrefix("/"), relative.utf8.count <= 4096,
            !relative.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { return false }
        return !relative.split(separator: "/", omittingEmptySubsequences: false).contains {
            $0.isEmpty || $0 == "." || $0 == ".."
        }
    }

    /// Whether an asset is in the library.
    public func isInLibrary(_ id: AssetID) throws -> Bool {
        try read("cannot read the library") { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM library WHERE asset = ?)", arguments: [id.hex])
                ?? false
        }
    }

    /// How many assets the library holds.
    public func libraryCount() throws -> Int {
        try read("cannot read the library") { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM library") ?? 0 }
    }

    /// Takes assets out of the library, each named by its id (or a unique
    /// prefix) or by a path it was added from. Their bytes stay until gc
    /// finds that nothing else keeps them (a turn, a pending generation)
    /// and the grace period has passed. All or nothing: one name that is not
    /// in the library refuses the whole call.
    ///
    /// - Returns: the assets removed, in the order named.
    @discardableResult
    public func removeFromLibrary(_ names: [String]) throws -> [AssetID] {
        try lease.acquireShared()
        let ids = try names.map { try libraryMember(named: $0) }
        let now = Store.now()
        let author = try self.author()
        try write("cannot remove assets from the library") { db in
            var lines: [MetaRecord.Line] = []
            for id in ids {
                try db.execute(sql: "DELETE FROM library WHERE asset = ?", arguments: [id.hex])
                if db.changesCount > 0 {
                    RefJournal.library(id, member: false, at: now)
                    lines.append(.init(asset: id, field: .library, operation: .remove))
                }
            }
            // A removal is a line of its own, so it beats an older add made in another clone.
            if !lines.isEmpty { _ = try Store.recordMeta(lines, author: author, db) }
        }
        var seen: Set<AssetID> = []
        return ids.filter { seen.insert($0).inserted }
    }

    /// The library member a name means (see ``assetNamed(_:)``).
    private func libraryMember(named name: String) throws -> AssetID {
        let id = try assetNamed(name)
        guard try isInLibrary(id) else {
            throw StoreError(.notFound, "asset \(id.short) ('\(BranchName.printable(name))') is not in the library")
        }
        return id
    }
}

// MARK: - Records that travel

extension Store {
    /// Writes one metadata record with a `library` line, and its paths under
    /// the workspace, for every member that no record names yet: members
    /// from before membership was recorded (their membership was only
    /// journaled), so that a push can share them.
    ///
    /// - Returns: how many members it recorded.
    @discardableResult
    package func recordLibraryBaseline() throws -> Int {
        let author = try self.author()
        let root = layout.workspace
        return try write("cannot record the library") { db -> Int in
            let members = try String.fetchAll(
                db,
                sql: """
                    SELECT asset FROM library l WHERE NOT EXISTS (
                        SELECT 1 FROM meta_line m WHERE m.asset = l.asset AND m.field = 'library')
                    ORDER BY asset
                    """
            ).map(AssetID.init(validatedHex:))
            guard !members.isEmpty else { return 0 }
            var lines: [MetaRecord.Line] = []
            let paths = try db.cachedStatement(
                sql: "SELECT path FROM asset_path WHERE asset_id = ? ORDER BY added_at, rowid")
            for id in members {
                lines.append(.init(asset: id, field: .library, operation: .add))
                for path in try String.fetchAll(paths, arguments: [id.hex]) {
                    if let relative = Store.workspaceRelative(path, root: root) {
                        lines.append(.init(asset: id, field: .path, operation: .add, value: relative))
                    }
                }
            }
            _ = try Store.recordMeta(lines, author: author, db)
            return members.count
        }
    }

    /// The ids of every metadata record this store holds.
    package func metaRecordIDs() throws -> Set<String> {
        try read("cannot read the metadata records") { db in
            Set(try String.fetchAll(db, sql: "SELECT id FROM meta_record"))
        }
    }

    /// The canonical bytes of a record this store holds, from its file.
    package func metaRecordBytes(_ id: String) throws -> [UInt8] {
        try StoreRecords.read(layout.metaRecordsDirectory + "/" + id, limit: 64 << 20)
    }

    /// Stores records made elsewhere (a pull): their files in `meta/` and
    /// their lines in the index, then replays the assets they name, with
    /// the membership and paths they give to assets this store holds.
    ///
    /// - Returns: how many were new here.
    @discardableResult
    package func storeMetaRecords(_ records: [MetaRecord]) throws -> Int {
        guard !records.isEmpty else { return 0 }
        let root = layout.workspace
        return try write("cannot store the metadata records") { db -> Int in
            var count = 0
            var named: Set<AssetID> = []
            for record in records where try Store.apply(record, db, replay: false) {
                RecordStage.current?.stage(metaRecord: record)
                named.formUnion(record.lines.map(\.asset))
                count += 1
            }
            try Store.replayMeta(named, db)
            try Store.adoptRecordedPaths(named, root: root, db)
            return count
        }
    }

    /// Replays the records for assets that just arrived (a pull or clone
    /// stored their rows): their membership, tags and paths.
    package static func adoptArrivedAssets(_ ids: Set<AssetID>, root: String, _ db: Database) throws {
        try replayMeta(ids, db)
        try adoptRecordedPaths(ids, root: root, db)
    }

    /// The assets that records put in the library but that this store does
    /// not hold, with their tags: what a pull may bring.
    package func recordedMembersMissing() throws -> [(id: AssetID, tags: [String])] {
        try read("cannot read the library records") { db in
            let ids = try String.fetchAll(
                db,
                sql: """
                    SELECT asset FROM \(Store.latestLines(.library, scope: "1"))
                    WHERE op = 'add' AND asset NOT IN (SELECT id FROM asset)
                    ORDER BY asset
                    """)
            let tags = try db.cachedStatement(sql: "SELECT tag FROM asset_tag WHERE asset = ? ORDER BY tag")
            return try ids.map { hex in
                (AssetID(validatedHex: hex), try String.fetchAll(tags, arguments: [hex]))
            }
        }
    }
}

extension Store {
    /// Every asset in the library, by id.
    package func libraryMembers() throws -> [AssetID] {
        try read("cannot read the library") { db in
            try String.fetchAll(db, sql: "SELECT asset FROM library ORDER BY asset").map(AssetID.init(validatedHex:))
        }
    }
}
