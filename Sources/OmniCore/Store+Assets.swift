import OmniBasics
import Foundation
import GRDB
import OmniMedia

#if canImport(Glibc)
    import Glibc
#endif

extension Store {
    /// Adds files to the store: each is copied and hashed in one pass, probed,
    /// and stored once under its SHA-256.
    ///
    /// Paths that fail (missing, unreadable, not media) are reported in their
    /// outcome and leave nothing behind; the rest of the batch still goes in.
    ///
    /// - Parameters:
    ///   - paths: files, or folders when `recursive` is true.
    ///   - recursive: whether a folder means every file under it (hidden files
    ///     and nested stores are skipped).
    ///   - rehash: hash every file, even one whose path, inode, size and
    ///     times are those it had when it was last added (such a file is
    ///     otherwise reported as already stored without reading it).
    ///   - progress: called as bytes are copied.
    /// - Returns: one outcome per file, in order.
    public func add(
        _ paths: [String], recursive: Bool = false, rehash: Bool = false,
        progress: (@Sendable (AddProgress) -> Void)? = nil
    ) -> [AddOutcome] {
        objects.removeAbandonedTemporaries()
        var outcomes: [Int: AddOutcome] = [:]
        var files: [(slot: Int, path: String, size: Int64)] = []
        var slot = 0
        for path in paths {
            switch Store.expand(path, recursive: recursive) {
            case .failure(let error):
                outcomes[slot] = .failed(path: path, error: error)
                slot += 1
            case .success(let found):
                for file in found {
                    files.append((slot, file.path, file.size))
                    slot += 1
                }
            }
        }
        let batchTotal = files.reduce(0) { $0 + $1.size }
        var batchDone: Int64 = 0
        for (index, file) in files.enumerated() {
            let before = batchDone
            let outcome = addOne(file.path, intoLibrary: true, trustFingerprint: !rehash) { done, total in
                progress?(
                    AddProgress(
                        path: file.path, fileIndex: index, fileCount: files.count, fileBytesDone: done,
                        fileBytesTotal: total, batchBytesDone: before + done, batchBytesTotal: batchTotal))
            }
            batchDone = before + file.size
            outcomes[file.slot] = outcome
        }
        return (0..<slot).compactMap { outcomes[$0] }
    }

    /// Adds one file and returns its asset, throwing instead of reporting.
    ///
    /// - Returns: the asset and whether its bytes were new to the store.
    @discardableResult
    public func add(file path: String) throws -> (asset: Asset, isNew: Bool) {
        try add(file: path, recordedPath: nil)
    }

    /// Adds one file, remembering `recordedPath` (such as `interaction:v1_…`)
    /// instead of the temp file's path.
    package func add(file path: String, recordedPath: String?, intoLibrary: Bool = false) throws -> (
        asset: Asset, isNew: Bool
    ) {
        objects.removeAbandonedTemporaries()
        switch addOne(
            path, recordedPath: recordedPath, intoLibrary: intoLibrary, trustFingerprint: recordedPath == nil,
            progress: { _, _ in })
        {
        case .added(let asset, _): return (asset, true)
        case .alreadyStored(let asset, _): return (asset, false)
        case .failed(_, let error): throw error
        }
    }

    /// - Parameter intoLibrary: the asset joins the library (what `add` does;
    ///   a clip recorded or generated belongs to its turn instead).
    private func addOne(
        _ path: String, recordedPath: String? = nil, intoLibrary: Bool = false, trustFingerprint: Bool,
        progress: (Int64, Int64) -> Void
    ) -> AddOutcome {
        do {
            try lease.acquireShared()
            if trustFingerprint, let unchanged = try addUnchanged(path, intoLibrary: intoLibrary) {
                progress(unchanged.size, unchanged.size)
                return .alreadyStored(unchanged, path: path)
            }
            let staged = try objects.stage(from: path, progress: progress)
            let media: MediaInfo
            do {
                media = try MediaProbe.probe(path: staged.temporaryPath, nameHint: path)
            } catch let error as MediaError {
                throw StoreError(.media, "cannot add '\(path)': \(error.message)")
            }
            // Re-adding the bytes of an asset whose object went missing (say,
            // quarantined by fsck) repairs it and counts as adding; racing
            // another process that adds the same new bytes does not.
            let repairing =
                try read("cannot look up the asset") { db in
                    try Bool.fetchOne(
                        db, sql: "SELECT EXISTS (SELECT 1 FROM asset WHERE id = ?)", arguments: [staged.id.hex])
                        ?? false
                } && !objects.contains(staged.id)
            _ = try staged.publish()
            let id = staged.id
            let now = Timestamp.format(Date())
            let absolutePath = recordedPath ?? Store.absolute(path)
            let probeText = try String(decoding: JSONEncoder().encode(media), as: UTF8.self)
            let video = media.primaryVideo
            let isNew = try write("cannot record '\(path)' in the store") { db -> Bool in
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO asset
                            (id, size, kind, mime, format, duration, bit_rate, width, height, fps, probe, added_at,
                             display_width, display_height)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        id.hex, staged.size, media.kind.rawValue, media.mime, media.formatName, media.duration,
                        media.bitRate, video?.width, video?.height, video?.fps, probeText, now,
                        media.displaySize?.width, media.displaySize?.height,
                    ])
                let inserted = db.changesCount > 0
                if inserted {
                    RecordStage.current?.stage(
                        asset: StoreRecords.assetRecord(
                            id: id, size: staged.size, kind: media.kind.rawValue, mime: media.mime,
                            format: media.formatName, duration: media.duration, bitRate: media.bitRate,
                            width: video?.width.map(Int64.init), height: video?.height.map(Int64.init), fps: video?.fps,
                            probe: probeText, addedAt: now))
                }
                try Store.rememberPath(absolutePath, of: id, at: now, db: db)
                if recordedPath == nil {
                    try Store.rememberFingerprint(of: absolutePath, staged: staged, db: db)
                }
                if intoLibrary { try Store.joinLibrary([id], db) }
                return inserted || repairing
            }
            let asset = try asset(id: id)
            return isNew ? .added(asset, path: path) : .alreadyStored(asset, path: path)
        } catch let error as StoreError {
            return .failed(path: path, error: error)
        } catch {
            return .failed(path: path, error: StoreError(.io, "cannot add '\(path)': \(error)"))
        }
    }

    /// The asset a path was last added as, if the file is unchanged since
    /// (same inode, size and times) and its object is here; its path is
    /// touched as a re-add would, restarting gc's grace period.
    private func addUnchanged(_ path: String, intoLibrary: Bool) throws -> Asset? {
        guard let fingerprint = FileFingerprint.of(path) else { return nil }
        let absolutePath = Store.absolute(path)
        guard let id = try fingerprintedAsset(at: absolutePath, fingerprint) else { return nil }
        // A quarantined or not-yet-fetched object is repaired by a real add.
        guard objects.contains(id) else { return nil }
        let now = Timestamp.format(Date())
        try write("cannot record '\(path)' in the store") { db in
            try Store.rememberPath(absolutePath, of: id, at: now, db: db)
            if intoLibrary { try Store.joinLibrary([id], db) }
        }
        return try asset(id: id)
    }

    /// The asset whose bytes the file at `absolutePath` held when it last had
    /// this fingerprint (see ``FileFingerprint``), if any.
    func fingerprintedAsset(at absolutePath: String, _ fingerprint: FileFingerprint) throws -> AssetID? {
        try read("cannot look up '\(absolutePath)'") { db in
            try String.fetchOne(
                db,
                sql: """
                    SELECT asset_id FROM path_stat
                    WHERE path = ? AND device = ? AND inode = ? AND size = ? AND mtime_ns = ? AND ctime_ns = ?
                    """,
                arguments: [
                    absolutePath, fingerprint.device, fingerprint.inode, fingerprint.size,
                    fingerprint.modifiedNanoseconds, fingerprint.changedNanoseconds,
                ])
        }.map(AssetID.init(validatedHex:))
    }

    /// Adds a path to the asset's list; adding it again refreshes its time,
    /// which restarts gc's grace period.
    static func rememberPath(_ absolutePath: String, of id: AssetID, at now: String, db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO asset_path (asset_id, path, added_at, touched_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(asset_id, path) DO UPDATE SET touched_at = excluded.touched_at
                """,
            arguments: [id.hex, absolutePath, now, now])
        RecordStage.current?.stage(path: absolutePath, of: id, at: now)
    }

    /// Remembers what the source looked like when it was hashed, if it had
    /// settled by then; otherwise forgets any older fingerprint of the path.
    static func rememberFingerprint(of absolutePath: String, staged: StagedObject, db: Database) throws {
        try rememberFingerprint(
            staged.source?.fingerprint, hashStartedAt: staged.source?.hashStartedAt ?? 0, of: absolutePath,
            as: staged.id, db: db)
    }

    /// Remembers that the file at `absolutePath`, with `fingerprint` when its
    /// hashing began, holds asset `id`, if it had settled by then (a write in
    /// the same timestamp tick could hide behind a fresher one); otherwise
    /// forgets any older fingerprint of the path.
    static func rememberFingerprint(
        _ fingerprint: FileFingerprint?, hashStartedAt: Int64, of absolutePath: String, as id: AssetID,
        db: Database
    ) throws {
        guard let print = fingerprint, print.isSettled(at: hashStartedAt) else {
            try db.execute(sql: "DELETE FROM path_stat WHERE path = ?", arguments: [absolutePath])
            return
        }
        try db.execute(
            sql: """
                INSERT INTO path_stat (path, asset_id, device, inode, size, mtime_ns, ctime_ns)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(path) DO UPDATE SET
                    asset_id = excluded.asset_id, device = excluded.device, inode = excluded.inode,
                    size = excluded.size, mtime_ns = excluded.mtime_ns, ctime_ns = excluded.ctime_ns
                """,
            arguments: [
                absolutePath, id.hex, print.device, print.inode, print.size, print.modifiedNanoseconds,
                print.changedNanoseconds,
            ])
    }

    /// Lists the files a path stands for, with their sizes.
    static func expand(_ path: String, recursive: Bool) -> Result<[(path: String, size: Int64)], StoreError> {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return .failure(FileDescriptor.posixError(errno, "cannot add '\(path)'"))
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            return .success([(path, Int64(info.st_size))])
        case S_IFDIR:
            break
        default:
            // Reading a FIFO waits forever for a writer; a device never ends.
            let kind: String
            switch info.st_mode & S_IFMT {
            case S_IFIFO: kind = "a named pipe (FIFO)"
            case S_IFSOCK: kind = "a socket"
            case S_IFCHR, S_IFBLK: kind = "a device"
            default: kind = "not a regular file"
            }
            return .failure(
                StoreError(.invalidArgument, "cannot add '\(path)': it is \(kind); only regular files can be added"))
        }
        guard recursive else {
            return .failure(
                StoreError(.invalidArgument, "cannot add '\(path)': it is a directory; use -r to add the files in it"))
        }
        var found: [(String, Int64)] = []
        let base = URL(fileURLWithPath: path)
        guard
            let walker = FileManager.default.enumerator(
                at: base, includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey],
                options: [.skipsHiddenFiles])
        else {
            return .failure(StoreError(.io, "cannot list '\(path)'"))
        }
        for case let url as URL in walker {
            guard let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey]),
                values.isRegularFile == true
            else { continue }
            let relative = String(url.path.dropFirst(base.path.count))
            let shown = path.hasSuffix("/") ? path + relative.drop { $0 == "/" } : path + relative
            found.append((shown, Int64(values.fileSize ?? 0)))
        }
        found.sort { $0.0 < $1.0 }
        return .success(found)
    }

    /// Finds an asset by full id or a unique prefix of at least 4 hex digits.
    ///
    /// - Throws: ``StoreError`` `.notFound`, `.ambiguous` (listing candidates)
    ///   or `.invalidArgument`.
    public func asset(_ idOrPrefix: String) throws -> Asset {
        try asset(id: resolveAssetID(idOrPrefix))
    }

    /// Resolves a full id or unique prefix to the id of a stored asset.
    public func resolveAssetID(_ idOrPrefix: String) throws -> AssetID {
        guard let prefix = AssetID.validPrefix(idOrPrefix) else {
            throw StoreError(
                .invalidArgument, "'\(idOrPrefix)' is not an asset id: give 4 to 64 hex digits of its SHA-256")
        }
        let matches = try read("cannot look up '\(idOrPrefix)'") { db in
            try String.fetchAll(
                db, sql: "SELECT id FROM asset WHERE id >= ? AND id < ? ORDER BY id LIMIT 11",
                arguments: [prefix, prefix + "g"])
        }
        switch matches.count {
        case 0:
            throw StoreError(
                .notFound, "no asset matches '\(idOrPrefix)'", hint: Hint("run {} to list them", .listAssets))
        case 1:
            return AssetID(validatedHex: matches[0])
        default:
            let shown = matches.prefix(10).map { String($0.prefix(16)) }.joined(separator: ", ")
            let more = matches.count > 10 ? ", …" : ""
            throw StoreError(
                .ambiguous, "asset prefix '\(idOrPrefix)' is ambiguous: it matches \(shown)\(more); give more digits")
        }
    }

    /// The asset with exactly this id.
    public func asset(id: AssetID) throws -> Asset {
        let found = try read("cannot read asset \(id.short)") { db -> Asset? in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM asset WHERE id = ?", arguments: [id.hex]) else {
                return nil
            }
            let paths = try String.fetchAll(
                db, sql: "SELECT path FROM asset_path WHERE asset_id = ? ORDER BY added_at, rowid",
                arguments: [id.hex])
            return try Store.decodeAsset(row, paths: paths)
        }
        guard let found else {
            throw StoreError(
                .notFound, "no asset \(id.short) in the store", hint: Hint("run {} to list them", .listAssets))
        }
        return found
    }

    /// Every asset, oldest first, optionally of one kind.
    public func assets(kind: MediaKind? = nil) throws -> [Asset] {
        var query = AssetQuery()
        query.kind = kind
        return try assets(matching: query)
    }

    /// The assets every filter of `query` holds for, in its order.
    public func assets(matching query: AssetQuery) throws -> [Asset] {
        try read("cannot list assets") { db in
            let (whereClause, arguments) = query.sql()
            let rows = try Row.fetchAll(
                db, sql: "SELECT a.* FROM asset a WHERE \(whereClause) ORDER BY \(query.orderBy)", arguments: arguments)
            var pathsByAsset: [String: [String]] = [:]
            // Only the paths of the assets listed: a selective filter reads little.
            let pathsSQL = """
                SELECT asset_id, path FROM asset_path
                WHERE asset_id IN (SELECT a.id FROM asset a WHERE \(whereClause)) ORDER BY added_at, rowid
                """
            for row in try Row.fetchAll(db, sql: pathsSQL, arguments: arguments) {
                pathsByAsset[row["asset_id"], default: []].append(row["path"])
            }
            return try rows.map { row in
                try Store.decodeAsset(row, paths: pathsByAsset[row["id"] as String] ?? [])
            }
        }
    }

    /// Writes the asset's original bytes to `destination` atomically, checking
    /// them against the id on the way. `"-"` means standard output.
    public func export(_ id: AssetID, to destination: String) throws {
        try fetchIfLazy(id)
        if destination == "-" {
            try objects.write(id, toDescriptor: STDOUT_FILENO)
        } else {
            try objects.export(id, to: destination)
        }
    }

    static func decodeAsset(_ row: Row, paths: [String]) throws -> Asset {
        let probeText: String = row["probe"]
        let media: MediaInfo
        do {
            media = try JSONDecoder().decode(MediaInfo.self, from: Data(probeText.utf8))
        } catch {
            throw StoreError(
                .database, "the probe of asset \(row["id"] as String) is damaged", hint: Hint("run {}", .check))
        }
        let kind = MediaKind(rawValue: row["kind"]) ?? media.kind
        return Asset(
            id: AssetID(validatedHex: row["id"]),
            size: row["size"],
            kind: kind,
            mime: row["mime"],
            format: row["format"],
            duration: row["duration"],
            bitRate: row["bit_rate"],
            width: row["width"],
            height: row["height"],
            fps: row["fps"],
            media: media,
            paths: paths,
            addedAt: Timestamp.parse(row["added_at"]) ?? Date(timeIntervalSince1970: 0))
    }
}
