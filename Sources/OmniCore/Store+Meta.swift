import Foundation
import GRDB
import OmniBasics

/// A change to an asset's metadata (see ``Store/changeMetadata(of:_:)``).
public enum MetadataChange: Sendable, Equatable {
    case tag(String)
    case untag(String)
    /// A note; nil clears it.
    case note(String?)
    /// A rating 0–5; nil clears it.
    case rating(Int?)
}

/// An asset's metadata, as the replay of every record gives it.
public struct AssetMetadata: Sendable, Equatable {
    public var tags: [String] = []
    public var note: String?
    public var rating: Int?

    public init(tags: [String] = [], note: String? = nil, rating: Int? = nil) {
        self.tags = tags
        self.note = note
        self.rating = rating
    }

    public var json: JSONValue {
        .object([
            "tags": .array(tags.map(JSONValue.string)), "note": JSONValue(note),
            "rating": JSONValue(rating.map(Int64.init)),
        ])
    }
}

extension Store {
    /// Why a tag cannot be used, or nil. Tags are hierarchical with `/`.
    public static func tagProblem(_ tag: String) -> String? {
        if tag.isEmpty { return "a tag cannot be empty" }
        if tag.utf8.count > 200 { return "a tag is at most 200 bytes" }
        if tag.hasPrefix("/") || tag.hasSuffix("/") || tag.contains("//") {
            return "'\(tag)' is not a tag: its levels are separated by single '/' (brand/logo/dark)"
        }
        if tag.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "a tag cannot hold control characters"
        }
        return nil
    }

    /// Changes the metadata of assets, each named by its id (or a unique
    /// prefix) or by a path it was added from, as one record: all the
    /// changes of one call replicate and replay together.
    ///
    /// - Returns: the new record, or nil when nothing changed.
    @discardableResult
    public func changeMetadata(of names: [String], _ changes: [MetadataChange]) throws -> MetaRecord? {
        for change in changes {
            switch change {
            case .tag(let tag), .untag(let tag):
                if let problem = Store.tagProblem(tag) { throw StoreError(.invalidArgument, problem) }
            case .rating(let rating?) where !(0...5).contains(rating):
                throw StoreError(.invalidArgument, "a rating is 0 to 5, not \(rating)")
            default: break
            }
        }
        var seen: Set<AssetID> = []
        let ids = try names.map { try assetNamed($0) }.filter { seen.insert($0).inserted }
        var lines: [MetaRecord.Line] = []
        for id in ids {
            for change in changes {
                switch change {
                case .tag(let tag): lines.append(.init(asset: id, field: .tag, operation: .add, value: tag))
                case .untag(let tag): lines.append(.init(asset: id, field: .tag, operation: .remove, value: tag))
                case .note(let note?): lines.append(.init(asset: id, field: .note, operation: .add, value: note))
                case .note(nil): lines.append(.init(asset: id, field: .note, operation: .remove))
                case .rating(let rating?):
                    lines.append(.init(asset: id, field: .rating, operation: .add, value: String(rating)))
                case .rating(nil): lines.append(.init(asset: id, field: .rating, operation: .remove))
                }
            }
        }
        guard !lines.isEmpty else { return nil }
        let author = try self.author()
        return try write("cannot change the metadata") { db in
            try Store.recordMeta(lines, author: author, db)
        }
    }

    /// Writes lines as one new record, stamped after every record this
    /// store knows, and replays the assets it names.
    static func recordMeta(_ lines: [MetaRecord.Line], author: String, _ db: Database) throws -> MetaRecord {
        var at = Store.now()
        if let latest = try String.fetchOne(db, sql: "SELECT max(at) FROM meta_record"), latest >= at,
            let date = Timestamp.parse(latest)
        {
            at = Timestamp.format(date.addingTimeInterval(0.001))
        }
        let record = MetaRecord(at: at, author: author, lines: lines)
        try apply(record, db)
        RecordStage.current?.stage(metaRecord: record)
        return record
    }

    /// Indexes a record (made here, pulled, or read by a rebuild) and
    /// replays the assets it names. A record already indexed changes nothing.
    ///
    /// - Returns: whether it was new.
    @discardableResult
    package static func apply(_ record: MetaRecord, _ db: Database, replay: Bool = true) throws -> Bool {
        let id = record.id
        try db.execute(
            sql: "INSERT OR IGNORE INTO meta_record (id, at, author) VALUES (?, ?, ?)",
            arguments: [id, record.at, record.author])
        guard db.changesCount > 0 else { return false }
        let insert = try db.cachedStatement(
            sql: "INSERT INTO meta_line (record, n, asset, field, value, op, at) VALUES (?, ?, ?, ?, ?, ?, ?)")
        for (n, line) in record.lines.enumerated() {
            try insert.execute(arguments: [
                id, n, line.asset.hex, line.field.name, line.value, line.operation.rawValue, record.at,
            ])
        }
        if replay { try replayMeta(Set(record.lines.map(\.asset)), db) }
        return true
    }

    /// Recomputes the metadata state of `assets` (nil: every asset) from
    /// every line: for each (asset, tag) the latest line wins; for a note
    /// or a rating, the latest line of the field. Latest means the later
    /// `at`, then the greater record id, then the later line.
    package static func replayMeta(_ assets: Set<AssetID>?, _ db: Database) throws {
        let scope: String
        if let assets {
            guard !assets.isEmpty else { return }
            let list = assets.map { "'\($0.hex)'" }.joined(separator: ",")
            scope = "asset IN (\(list))"
        } else {
            scope = "1"
        }
        try db.execute(
            sql: """
                DELETE FROM asset_tag WHERE \(scope);
                DELETE FROM asset_note WHERE \(scope);
                DELETE FROM asset_rating WHERE \(scope);
                INSERT INTO asset_tag (asset, tag)
                SELECT asset, value FROM \(latestLines(.tag, scope: scope, perValue: true)) WHERE op = 'add';
                INSERT INTO asset_note (asset, note)
                SELECT asset, value FROM \(latestLines(.note, scope: scope)) WHERE op = 'add';
                INSERT INTO asset_rating (asset, rating)
                SELECT asset, CAST(value AS INTEGER) FROM \(latestLines(.rating, scope: scope))
                WHERE op = 'add' AND value IN ('0', '1', '2', '3', '4', '5');
                """)
        try replayLibrary(scope: scope, db)
    }

    /// The latest line of `field` for each asset (or each asset and value,
    /// `perValue`, as tags are sets) among the lines `scope` selects, as a
    /// subquery with `asset`, `value`, `op` and `at`: the one place the
    /// replay's tie-break is written (later `at`, then the greater record
    /// id, then the later line).
    static func latestLines(_ field: MetaField, scope: String, perValue: Bool = false) -> String {
        let partition = perValue ? "asset, value" : "asset"
        // The field's name is one of this version's own: no quoting needed.
        return """
            (SELECT asset, value, op, at FROM (
                SELECT asset, value, op, at, row_number() OVER (
                    PARTITION BY \(partition) ORDER BY at DESC, record DESC, n DESC) AS latest
                FROM meta_line WHERE field = '\(field.name)' AND \(scope))
            WHERE latest = 1)
            """
    }

    /// Recomputes library membership for the assets that `library` lines
    /// name (in `scope`): the latest line wins. Assets no record names keep
    /// the membership the journal gave them (stores from before membership
    /// was recorded), and an asset this store does not hold is no member.
    private static func replayLibrary(scope: String, _ db: Database) throws {
        try db.execute(
            sql: """
                DELETE FROM library WHERE asset IN (
                    SELECT DISTINCT asset FROM meta_line WHERE field = 'library' AND \(scope));
                INSERT OR REPLACE INTO library (asset, added_at)
                SELECT asset, at FROM \(latestLines(.library, scope: scope))
                WHERE op = 'add' AND asset IN (SELECT id FROM asset);
                """)
    }

    /// Recomputes the library of every asset from the records: for a
    /// rebuild, after the journal's membership lines.
    package static func replayLibrary(_ db: Database) throws { try replayLibrary(scope: "1", db) }

    /// Records, for assets this store holds, the paths that `path` lines
    /// give (relative to the workspace where they were added), under this
    /// workspace. Nothing is read or written at those paths: they only name
    /// the asset, as the paths `add` remembers do. A line that is absolute
    /// or climbs out with `..` is ignored.
    ///
    /// - Parameter assets: the assets to look at; nil for all.
    package static func adoptRecordedPaths(_ assets: Set<AssetID>?, root: String, _ db: Database) throws {
        var sql = """
            SELECT asset, value, min(at) AS at FROM meta_line
            WHERE field = 'path' AND op = 'add' AND asset IN (SELECT id FROM asset)
            """
        if let assets {
            guard !assets.isEmpty else { return }
            sql += " AND asset IN (\(assets.map { "'\($0.hex)'" }.joined(separator: ",")))"
        }
        sql += " GROUP BY asset, value"
        let prefix = root.hasSuffix("/") ? root : root + "/"
        let insert = try db.cachedStatement(
            sql: "INSERT OR IGNORE INTO asset_path (asset_id, path, added_at, touched_at) VALUES (?, ?, ?, ?)")
        for row in try Row.fetchAll(db, sql: sql) {
            let value: String = row["value"]
            guard Store.isPortablePath(value) else { continue }
            let at: String = row["at"]
            try insert.execute(arguments: [row["asset"] as String, prefix + value, at, at])
        }
    }

    /// An asset's tags, note and rating.
    public func metadata(of id: AssetID) throws -> AssetMetadata {
        try read("cannot read the metadata of \(id.short)") { db in try Store.metadata(of: id, db) }
    }

    /// The tags, note and rating of many assets at once (three indexed
    /// queries per 500 assets), and whether each is in the library.
    public func listing(of ids: [AssetID]) throws -> [AssetID: (metadata: AssetMetadata, inLibrary: Bool)] {
        try read("cannot read the metadata") { db in
            var found: [AssetID: (metadata: AssetMetadata, inLibrary: Bool)] = [:]
            for id in ids { found[id] = (AssetMetadata(), false) }
            var start = 0
            while start < ids.count {
                let slice = ids[start..<min(ids.count, start + 500)]
                start += slice.count
                let list = slice.map { "'\($0.hex)'" }.joined(separator: ",")
                for row in try Row.fetchAll(
                    db, sql: "SELECT asset, tag FROM asset_tag WHERE asset IN (\(list)) ORDER BY asset, tag")
                {
                    found[AssetID(validatedHex: row["asset"])]?.metadata.tags.append(row["tag"])
                }
                for row in try Row.fetchAll(db, sql: "SELECT asset, note FROM asset_note WHERE asset IN (\(list))") {
                    found[AssetID(validatedHex: row["asset"])]?.metadata.note = row["note"]
                }
                for row in try Row.fetchAll(
                    db, sql: "SELECT asset, rating FROM asset_rating WHERE asset IN (\(list))")
                {
                    found[AssetID(validatedHex: row["asset"])]?.metadata.rating = row["rating"]
                }
                for hex in try String.fetchAll(db, sql: "SELECT asset FROM library WHERE asset IN (\(list))") {
                    found[AssetID(validatedHex: hex)]?.inLibrary = true
                }
            }
            return found
        }
    }

    static func metadata(of id: AssetID, _ db: Database) throws -> AssetMetadata {
        AssetMetadata(
            tags: try String.fetchAll(
                db, sql: "SELECT tag FROM asset_tag WHERE asset = ? ORDER BY tag", arguments: [id.hex]),
            note: try String.fetchOne(db, sql: "SELECT note FROM asset_note WHERE asset = ?", arguments: [id.hex]),
            rating: try Int.fetchOne(db, sql: "SELECT rating FROM asset_rating WHERE asset = ?", arguments: [id.hex]))
    }

    /// The asset a name means: a path the store recorded for it (as given,
    /// or absolute, as `add` recorded it), else an asset id or unique prefix.
    public func assetNamed(_ name: String) throws -> AssetID {
        let absolute = Store.absolute(name)
        let byPath = try read("cannot look up '\(name)'") { db in
            try String.fetchOne(
                db, sql: "SELECT asset_id FROM asset_path WHERE path IN (?, ?) ORDER BY added_at DESC LIMIT 1",
                arguments: [absolute, name])
        }
        if let byPath, let found = AssetID(byPath) { return found }
        // Hex digits are an id: its own error (no match, ambiguous) says more.
        if AssetID.validPrefix(name) != nil { return try resolveAssetID(name) }
        throw StoreError(
            .notFound, "'\(BranchName.printable(name))' names no asset: no file was added from that path",
            hint: Hint("run {} to list them", .listAssets))
    }

    /// Reads every record file of `meta/` into a new index (see
    /// ``rebuildIndex(at:)``), then replays them all once.
    ///
    /// - Returns: how many records were read, and the names of damaged ones.
    static func rebuildMeta(_ layout: StoreLayout, _ db: Database) throws -> (records: Int, damaged: [String]) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: layout.metaRecordsDirectory)) ?? []
        var count = 0
        var damaged: [String] = []
        for name in names.sorted() where !name.hasPrefix(".") && !name.hasPrefix("tmp_") {
            guard let bytes = try? StoreRecords.read(layout.metaRecordsDirectory + "/" + name, limit: 64 << 20),
                CanonicalJSON.hexDigest(bytes) == name,
                let value = try? JSONParser.parse(String(decoding: bytes, as: UTF8.self)),
                let record = try? MetaRecord(json: value), record.id == name
            else {
                damaged.append(name)
                continue
            }
            if try apply(record, db, replay: false) { count += 1 }
        }
        try replayMeta(nil, db)
        return (count, damaged)
    }
}
