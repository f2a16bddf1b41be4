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
        let fileCount = files.count
        let batchDone = Locked(Int64(0))
        // Hash, copy and probe on every core; record a chunk of files in one
        // transaction (one asset pack, one metadata record), so a folder of
        // small files costs a few commits instead of one per file.
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        var chunkStart = 0
        while chunkStart < files.count {
            let base = chunkStart
            let chunk = Array(files[chunkStart..<min(files.count, chunkStart + Store.addChunk)])
            chunkStart += chunk.count
            // Many small files: write their copies out, flush once, rename
            // them all, then flush the renames once, before the transaction
            // that names them (git's core.fsyncMethod=batch).
            let batch = chunk.count >= 8 ? UnpublishedObjects() : nil
            // One read for the chunk's fingerprints instead of one a file.
            let remembered = rehash ? [:] : ((try? storedFingerprints(chunk.map { Store.absolute($0.path) })) ?? [:])
            let prepared = Locked([Int: Result<PreparedFile, StoreError>]())
            try? ParallelWork.run(chunk.count, workers: workers) { index in
                let file = chunk[index]
                let reported = Locked(Int64(0))
                let result: Result<PreparedFile, StoreError>
                do throws(StoreError) {
                    result = .success(
                        try self.prepare(
                            file.path, trustFingerprint: !rehash, remembered: remembered,
                            batch: batch.map { ($0, index) }
                        ) { done, total in
                            let delta =
                                done
                                - reported.withValue { old in
                                    defer { old = done }
                                    return old
                                }
                            // Under the lock, so the batch total never goes backwards between threads.
                            batchDone.withValue { value in
                                value += delta
                                progress?(
                                    AddProgress(
                                        path: file.path, fileIndex: base + index, fileCount: fileCount,
                                        fileBytesDone: done, fileBytesTotal: total, batchBytesDone: value,
                                        batchBytesTotal: batchTotal))
                            }
                        })
                } catch {
                    result = .failure(error)
                }
                prepared.withValue { $0[index] = result }
            }
            if let batch {
                let (failures, published) = batch.publishAll(objects)
                prepared.withValue { results in
                    for index in chunk.indices {
                        if let error = failures[index] {
                            results[index] = .failure(error)
                        } else if case .success(var done) = results[index], var stored = done.stored {
                            stored.repairs = stored.repairs && published.contains(index)
                            done.stored = stored
                            results[index] = .success(done)
                        }
                    }
                }
            }
            // By position in the chunk: the same path may be given twice.
            let ready = chunk.indices.compactMap { index -> (index: Int, path: String, file: PreparedFile)? in
                guard case .success(let file) = prepared.value[index] else { return nil }
                return (index, chunk[index].path, file)
            }
            var recorded: [Int: Result<(asset: Asset, isNew: Bool), StoreError>] = [:]
            do {
                for (entry, asset) in zip(ready, try record(ready.map { ($0.path, $0.file) }, intoLibrary: true)) {
                    recorded[entry.index] = .success(asset)
                }
            } catch let error as StoreError {
                for entry in ready { recorded[entry.index] = .failure(error) }
            } catch {
                let failure = StoreError(.io, "cannot record the added files: \(error)")
                for entry in ready { recorded[entry.index] = .failure(failure) }
            }
            for (index, file) in chunk.enumerated() {
                switch prepared.value[index] {
                case .failure(let error):
                    outcomes[file.slot] = .failed(path: file.path, error: error)
                case .success:
                    switch recorded[index] {
                    case .success(let done)?:
                        outcomes[file.slot] =
                            done.isNew
                            ? .added(done.asset, path: file.path) : .alreadyStored(done.asset, path: file.path)
                    case .failure(let error)?:
                        outcomes[file.slot] = .failed(path: file.path, error: error)
                    case nil:
                        outcomes[file.slot] = .failed(
                            path: file.path, error: StoreError(.io, "cannot add '\(file.path)': it was not recorded"))
                    }
                case nil:
                    // Cancelled before this file started.
                    outcomes[file.slot] = .failed(
                        path: file.path, error: StoreError(.io, "cannot add '\(file.path)': the add was stopped"))
                }
            }
        }
        return (0..<slot).compactMap { outcomes[$0] }
    }

    /// How many files one transaction of a folder add records.
    static let addChunk = 256

    /// Adds one file and returns its asset, throwing instead of reporting.
    ///
    /// - Returns: the asset and whether its bytes were new to the store.
    @discardableResult
    public func add(file path: String) throws -> (asset: Asset, isNew: Bool) {
        try add(file: path, recordedPath: nil)
    }

    /// Adds one file, remembering `recordedPath` (such as `interaction:v1_…`)
    /// instead of the temp file's path.
    ///
    /// - Parameter intoLibrary: the asset joins the library (what `add` does;
    ///   a clip recorded or generated belongs to its turn instead).
    package func add(file path: String, recordedPath: String?, intoLibrary: Bool = false) throws -> (
        asset: Asset, isNew: Bool
    ) {
        objects.removeAbandonedTemporaries()
        let prepared = try prepare(
            path, recordedPath: recordedPath, trustFingerprint: recordedPath == nil, progress: { _, _ in })
        guard let done = try record([(path, prepared)], intoLibrary: intoLibrary).first else {
            throw StoreError(.database, "cannot record '\(path)' in the store: run the command again")
        }
        return done
    }

    /// Copies staged by the jobs of one chunk, published together once synced.
    final class UnpublishedObjects: @unchecked Sendable {
        // @unchecked: `staged` is only touched under `lock`; each staged
        // object is handed over once by the job that made it, then used by
        // the one thread that publishes the batch.
        private let lock = NSLock()
        private var staged: [(slot: Int, object: StagedObject)] = []

        /// - Parameter slot: the file's position in its chunk.
        func keep(_ object: StagedObject, for slot: Int) {
            lock.lock()
            staged.append((slot, object))
            lock.unlock()
        }

        /// Syncs every copy with one flush, renames each into place, and
        /// syncs the renames with one more.
        ///
        /// - Returns: the error of each slot whose object could not be
        ///   stored, and the slots whose object this call stored (not already there).
        func publishAll(_ objects: ObjectStore) -> (failures: [Int: StoreError], published: Set<Int>) {
            lock.lock()
            let all = staged
            staged = []
            lock.unlock()
            guard !all.isEmpty else { return ([:], []) }
            var failures: [Int: StoreError] = [:]
            var published: Set<Int> = []
            do throws(StoreError) {
                try objects.syncBatch(all.map(\.object))
                for (slot, object) in all {
                    do throws(StoreError) {
                        if try object.publish(durable: false) { published.insert(slot) }
                    } catch {
                        failures[slot] = error
                    }
                }
                // The renames, durable before the transaction that names them commits.
                try objects.flushJournal()
            } catch {
                for (slot, object) in all {
                    object.discard()
                    failures[slot] = error
                }
            }
            return (failures, published)
        }
    }

    /// A file whose bytes are stored (or were already), not yet recorded in the index.
    struct PreparedFile: Sendable {
        var id: AssetID
        var absolutePath: String
        /// Set when the bytes were stored by this call (or repair a missing object).
        var stored: StoredBytes?
        /// Whether the recorded path is a file's, whose fingerprint is remembered.
        var fingerprinted: Bool

        struct StoredBytes: Sendable {
            var size: Int64
            var media: MediaInfo
            var probeText: String
            /// The object file was missing and this call stored it (racing
            /// another process that adds the same new bytes is not a repair).
            var repairs: Bool
            var fingerprint: FileFingerprint?
            var hashStartedAt: Int64
        }
    }

    /// Copies, hashes, probes and publishes one file's bytes (or finds it
    /// unchanged since it was last added), touching no index row.
    ///
    /// - Parameter batch: leave the copy unsynced and unpublished, in
    ///   `unpublished`, for the caller to sync with a whole batch first.
    ///   - remembered: the stored fingerprints of a chunk's paths, read at
    ///     once; nil to look this path's up.
    private func prepare(
        _ path: String, recordedPath: String? = nil, trustFingerprint: Bool,
        remembered: [String: (AssetID, FileFingerprint)]? = nil, batch: (UnpublishedObjects, slot: Int)? = nil,
        progress: (Int64, Int64) -> Void
    ) throws(StoreError) -> PreparedFile {
        do {
            try lease.acquireShared()
            let absolutePath = recordedPath ?? Store.absolute(path)
            let knownAsset = { (fingerprint: FileFingerprint) throws -> AssetID? in
                guard let remembered else { return try self.fingerprintedAsset(at: absolutePath, fingerprint) }
                guard let (id, stored) = remembered[absolutePath], stored == fingerprint else { return nil }
                return id
            }
            if trustFingerprint, let fingerprint = FileFingerprint.of(path),
                let id = try knownAsset(fingerprint),
                // A quarantined or not-yet-fetched object is repaired by a real add.
                objects.contains(id)
            {
                progress(fingerprint.size, fingerprint.size)
                return PreparedFile(id: id, absolutePath: absolutePath, stored: nil, fingerprinted: false)
            }
            let staged = try objects.stage(from: path, durable: batch == nil, progress: progress)
            let media: MediaInfo
            do {
                media = try MediaProbe.probe(path: staged.temporaryPath, nameHint: path)
            } catch let error as MediaError {
                throw StoreError(.media, "cannot add '\(path)': \(error.message)")
            }
            // Re-adding the bytes of an asset whose object went missing (say,
            // quarantined by fsck) repairs it and counts as adding (see record).
            let objectWasMissing = !objects.contains(staged.id)
            let source = staged.source
            var publishedHere = false
            if let (batch, slot) = batch {
                batch.keep(staged, for: slot)
            } else {
                publishedHere = try staged.publish()
            }
            let probeText = try String(decoding: JSONEncoder().encode(media), as: UTF8.self)
            return PreparedFile(
                id: staged.id, absolutePath: absolutePath,
                stored: .init(
                    size: staged.size, media: media, probeText: probeText,
                    repairs: objectWasMissing && (batch != nil || publishedHere),
                    fingerprint: source?.fingerprint, hashStartedAt: source?.hashStartedAt ?? 0),
                fingerprinted: recordedPath == nil)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.io, "cannot add '\(path)': \(error)")
        }
    }

    /// Records prepared files in one transaction: their assets, paths and
    /// fingerprints, and (`intoLibrary`) their library membership and paths
    /// as one metadata record.
    ///
    /// - Returns: each file's asset, and whether its bytes were new, in order.
    private func record(_ files: [(path: String, file: PreparedFile)], intoLibrary: Bool) throws -> [(
        asset: Asset, isNew: Bool
    )] {
        guard !files.isEmpty else { return [] }
        let root = layout.workspace
        let author = intoLibrary ? try self.author() : ""
        let news = try write("cannot record '\(files[0].path)' in the store") { db -> [(asset: Asset, isNew: Bool)] in
            var news: [Bool] = []
            var members: [AssetID] = []
            var newPaths: [(AssetID, String)] = []
            for (_, file) in files {
                let now = Timestamp.format(Date())
                var isNew = false
                if let stored = file.stored {
                    let media = stored.media
                    let video = media.primaryVideo
                    // Cached: a folder add runs these once a file.
                    try db.cachedStatement(
                        sql: """
                            INSERT OR IGNORE INTO asset
                                (id, size, kind, mime, format, duration, bit_rate, width, height, fps, probe, added_at,
                                 display_width, display_height, taken_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """
                    ).execute(
                        arguments: [
                            file.id.hex, stored.size, media.kind.rawValue, media.mime, media.formatName,
                            media.duration, media.bitRate, video?.width, video?.height, video?.fps, stored.probeText,
                            now, media.displaySize?.width, media.displaySize?.height, media.capturedAt,
                        ])
                    let inserted = db.changesCount > 0
                    if inserted {
                        RecordStage.current?.stage(
                            asset: StoreRecords.assetRecord(
                                id: file.id, size: stored.size, kind: media.kind.rawValue, mime: media.mime,
                                format: media.formatName, duration: media.duration, bitRate: media.bitRate,
                                width: video?.width.map(Int64.init), height: video?.height.map(Int64.init),
                                fps: video?.fps, probe: stored.probeText, addedAt: now))
                    }
                    // A row without its object file: this add repaired it.
                    // The same bytes twice in one call: only the first is new.
                    isNew = (inserted || stored.repairs) && !members.contains(file.id)
                    if file.fingerprinted {
                        try Store.rememberFingerprint(
                            stored.fingerprint, hashStartedAt: stored.hashStartedAt, of: file.absolutePath,
                            as: file.id, db: db)
                    }
                }
                if try Store.rememberPath(file.absolutePath, of: file.id, at: now, db: db) {
                    newPaths.append((file.id, file.absolutePath))
                }
                members.append(file.id)
                news.append(isNew)
            }
            if intoLibrary { try Store.joinLibrary(members, newPaths: newPaths, root: root, author: author, db) }
            // The assets as stored, read in the same transaction: one query for the chunk.
            let list = Set(members).map { "'\($0.hex)'" }.joined(separator: ",")
            var paths: [String: [String]] = [:]
            for row in try Row.fetchAll(
                db,
                sql: "SELECT asset_id, path FROM asset_path WHERE asset_id IN (\(list)) ORDER BY added_at, rowid")
            {
                paths[row["asset_id"], default: []].append(row["path"])
            }
            var probes: [String: (text: String, media: MediaInfo)] = [:]
            for (_, file) in files {
                if let stored = file.stored { probes[file.id.hex] = (stored.probeText, stored.media) }
            }
            var assets: [String: Asset] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM asset WHERE id IN (\(list))") {
                let hex: String = row["id"]
                assets[hex] = try Store.decodeAsset(row, paths: paths[hex] ?? [], probed: probes[hex])
            }
            return try zip(members, news).map { id, isNew in
                guard let asset = assets[id.hex] else {
                    throw StoreError(.database, "asset \(id.short) vanished while adding: run the command again")
                }
                return (asset, isNew)
            }
        }
        return news
    }

    /// The fingerprints stored for these paths, with their assets: one query.
    func storedFingerprints(_ absolutePaths: [String]) throws -> [String: (AssetID, FileFingerprint)] {
        guard !absolutePaths.isEmpty else { return [:] }
        return try read("cannot look up the added paths") { db in
            var found: [String: (AssetID, FileFingerprint)] = [:]
            let marks = Array(repeating: "?", count: absolutePaths.count).joined(separator: ",")
            for row in try Row.fetchAll(
                db,
                sql:
                    "SELECT path, asset_id, device, inode, size, mtime_ns, ctime_ns FROM path_stat WHERE path IN (\(marks))",
                arguments: StatementArguments(absolutePaths))
            {
                found[row["path"]] = (
                    AssetID(validatedHex: row["asset_id"]),
                    FileFingerprint(
                        device: row["device"], inode: row["inode"], size: row["size"],
                        modifiedNanoseconds: row["mtime_ns"], changedNanoseconds: row["ctime_ns"])
                )
            }
            return found
        }
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
    ///
    /// - Returns: whether the asset had no such path before.
    @discardableResult
    static func rememberPath(_ absolutePath: String, of id: AssetID, at now: String, db: Database) throws -> Bool {
        let known =
            try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM asset_path WHERE asset_id = ? AND path = ?)"),
                arguments: [id.hex, absolutePath]) ?? false
        try db.cachedStatement(
            sql: """
                INSERT INTO asset_path (asset_id, path, added_at, touched_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(asset_id, path) DO UPDATE SET touched_at = excluded.touched_at
                """
        ).execute(arguments: [id.hex, absolutePath, now, now])
        RecordStage.current?.stage(path: absolutePath, of: id, at: now)
        return !known
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
        try db.cachedStatement(
            sql: """
                INSERT INTO path_stat (path, asset_id, device, inode, size, mtime_ns, ctime_ns)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(path) DO UPDATE SET
                    asset_id = excluded.asset_id, device = excluded.device, inode = excluded.inode,
                    size = excluded.size, mtime_ns = excluded.mtime_ns, ctime_ns = excluded.ctime_ns
                """
        ).execute(
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
        let base = path.hasSuffix("/") ? String(path.dropLast()) : path
        guard walk(base, into: &found) else { return .failure(StoreError(.io, "cannot list '\(path)'")) }
        found.sort { $0.0 < $1.0 }
        return .success(found)
    }

    /// Adds the regular files under `folder` (hidden ones and hidden
    /// folders skipped, symbolic links not followed) with their sizes: one
    /// readdir per folder and one stat per file, as git's index refresh.
    ///
    /// - Returns: false when `folder` itself cannot be listed.
    private static func walk(_ folder: String, into found: inout [(String, Int64)]) -> Bool {
        guard let directory = opendir(folder) else { return false }
        defer { closedir(directory) }
        var folders: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(".") { continue }
            let child = folder + "/" + name
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_DIR):
                folders.append(child)
            case Int32(DT_REG), Int32(DT_UNKNOWN):
                var info = stat()
                guard lstat(child, &info) == 0 else { continue }
                switch info.st_mode & S_IFMT {
                case S_IFREG: found.append((child, Int64(info.st_size)))
                case S_IFDIR: folders.append(child)
                default: break
                }
            default:
                break  // symbolic links, pipes, sockets, devices
            }
        }
        for child in folders { _ = walk(child, into: &found) }
        return true
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
        try checkBranch(of: query)
        return try read("cannot list assets") { db in
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

    /// Refuses a query on a branch that does not exist (rather than listing nothing).
    func checkBranch(of query: AssetQuery) throws {
        guard let branch = query.branch else { return }
        let name = try BranchName(branch)
        guard try read("cannot read branch", { db in try Store.refTarget(db, name.ref) }) != nil else {
            throw StoreError(
                .notFound, "no branch named '\(BranchName.printable(branch))' (or it has no turn yet)",
                hint: Hint("run {} to list them", .listBranches))
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

    /// - Parameter probed: the probe the caller made and encoded as the
    ///   row's `probe`, sparing the decode when the row holds exactly it.
    static func decodeAsset(_ row: Row, paths: [String], probed: (text: String, media: MediaInfo)? = nil) throws
        -> Asset
    {
        let probeText: String = row["probe"]
        let media: MediaInfo
        do {
            if let probed, probed.text == probeText {
                media = probed.media
            } else {
                media = try JSONDecoder().decode(MediaInfo.self, from: Data(probeText.utf8))
            }
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
