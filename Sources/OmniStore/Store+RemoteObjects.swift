import Foundation
import GRDB
import OmniMedia
import OmniRemote

#if canImport(Glibc)
    import Glibc
#endif

extension Store {
    /// Where interrupted downloads wait to be resumed (never under `objects/`,
    /// whose stray temp files other commands remove).
    var partialDirectory: String { layout.storeDirectory + "/remote-partial" }

    /// Partial downloads untouched this long are taken for abandoned: fsck
    /// reports them and gc removes them (a pull before then resumes them).
    public static let partialDownloadExpiry: TimeInterval = 3 * 86_400

    /// Partial downloads not written to for `age` seconds (all of them for
    /// 0) that no running pull holds, with their sizes.
    func stalePartialDownloads(olderThan age: TimeInterval) -> [(path: String, size: Int64)] {
        let cutoff = Date().timeIntervalSince1970 - age
        var found: [(String, Int64)] = []
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: partialDirectory)) ?? []).sorted() {
            let path = partialDirectory + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            guard age == 0 || Double(info.st_mtim.tv_sec) < cutoff else { continue }
            // A pull writing it holds its flock (the .parts journal beside it is its companion).
            let lockTarget = name.hasSuffix(".parts") ? String(path.dropLast(".parts".count)) : path
            if let held = try? FileDescriptor.openForReading(lockTarget), flock(held.raw, LOCK_EX | LOCK_NB) != 0 { continue }
            found.append((path, Int64(info.st_size)))
        }
        return found
    }

    /// Downloads one object, verifies its SHA-256, and only then publishes
    /// it under `objects/`. A corrupt copy is deleted and refused.
    func downloadObject(
        _ id: AssetID, size: Int64, from transport: any RemoteTransport, remoteName: String, meter: TransferMeter?
    ) throws {
        if objects.contains(id) {
            meter?.add(bytes: size, files: 1)
            return
        }
        if mkdir(partialDirectory, 0o755) != 0 && errno != EEXIST {
            throw FileDescriptor.posixError(errno, "cannot create '\(partialDirectory)'")
        }
        let partial = partialDirectory + "/" + id.hex
        // Two pulls into one store must not write one partial file at once:
        // the second waits on the first's flock, then finds the object stored.
        let lock = try FileDescriptor.openForLocking(partial)
        guard flock(lock.raw, LOCK_EX) == 0 else { throw FileDescriptor.posixError(errno, "cannot lock '\(partial)'") }
        if objects.contains(id) {
            unlink(partial)
            meter?.add(bytes: size, files: 1)
            return
        }
        var actual = id
        // A second try starts from nothing, in case a resumed or interrupted
        // download mixed in bad bytes; a mismatch then is the remote's copy.
        for attempt in 1...2 {
            do {
                try remoteCall {
                    try transport.download(Store.objectKey(id), size: size, to: partial, progress: { meter?.add(bytes: $0) })
                }
            } catch let error as StoreError where error.code == .corrupt {
                // Over its declared size, or not a file at all: what was
                // written cannot be resumed. An interruption or a network
                // error keeps the partial file, so a rerun continues it.
                unlink(partial)
                unlink(partial + ".parts")
                throw error
            }
            actual = try ObjectStore.hash(partial)
            if actual == id { break }
            unlink(partial)
            unlink(partial + ".parts")
            if attempt == 1 { meter?.add(bytes: -size) }
        }
        guard actual == id else {
            throw StoreError(
                .corrupt,
                "object \(id.short) on \(remoteName) is corrupt (its bytes hash to \(actual.short)): nothing was stored; push it again from a store that has it intact")
        }
        try publishDownloaded(partial, as: id)
        meter?.add(files: 1)
    }

    /// Moves a verified download under its object path (read-only, durable).
    private func publishDownloaded(_ path: String, as id: AssetID) throws {
        let finalPath = layout.objectPath(id)
        if access(finalPath, F_OK) == 0 {
            unlink(path)
            return
        }
        let fanout = layout.fanoutDirectory(id)
        let createdFanout = mkdir(fanout, 0o755) == 0
        if !createdFanout && errno != EEXIST { throw FileDescriptor.posixError(errno, "cannot create '\(fanout)'") }
        _ = chmod(path, 0o444)
        try FileDescriptor.openForReading(path).sync()
        guard rename(path, finalPath) == 0 else { throw FileDescriptor.posixError(errno, "cannot store object \(id.short)") }
        try FileDescriptor.openDirectory(fanout).sync()
        if createdFanout { try FileDescriptor.openDirectory(layout.objectsDirectory).sync() }
    }

    /// Downloads objects this lazy clone has recorded but not fetched.
    ///
    /// - Returns: how many were downloaded.
    @discardableResult
    public func fetchLazyObjects(_ ids: [AssetID], progress: SyncProgressHandler? = nil) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let rows = try read("cannot read lazy objects") { db in
            try ids.compactMap { id -> (AssetID, String, Int64)? in
                guard let row = try Row.fetchOne(
                    db, sql: "SELECT l.remote, a.size FROM lazy_object l JOIN asset a ON a.id = l.asset WHERE l.asset = ?",
                    arguments: [id.hex])
                else { return nil }
                return (id, row["remote"], row["size"])
            }
        }
        // Not a lazy object (or not a lazy clone): nothing to do, and nothing written.
        guard !rows.isEmpty else { return 0 }
        let wanted = rows.filter { !objects.contains($0.0) }
        var fetched = 0
        for remoteName in Set(wanted.map(\.1)).sorted() {
            let batch = wanted.filter { $0.1 == remoteName }
            let config: RemoteConfig
            do {
                config = try remote(remoteName)
            } catch {
                throw StoreError(
                    .notFound,
                    "object \(batch[0].0.short) was not downloaded and remote '\(remoteName)' is gone: add it back with 'omnistore remote add \(remoteName) URL'")
            }
            let transport = try openTransport(config)
            let meter = TransferMeter(phase: .downloading, files: batch.count, bytes: batch.reduce(0) { $0 + $1.2 }, handler: progress)
            try downloadAll(batch.map { ($0.0, $0.2) }, from: transport, remoteName: remoteName, meter: meter)
            fetched += batch.count
        }
        // The remote's record said what the bytes were; now the bytes say it.
        // A record that lied about the type or the picture (a hostile or
        // broken remote) is corrected from the probe, as 'add' would have it.
        var probed: [AssetRow] = []
        for (id, _, _) in rows where objects.contains(id) {
            if let row = try? AssetRow(probing: layout.objectPath(id), id: id) { probed.append(row) }
        }
        try write("cannot update lazy objects") { db in
            for (id, _, _) in rows where objects.contains(id) {
                try db.execute(sql: "DELETE FROM lazy_object WHERE asset = ?", arguments: [id.hex])
                RefJournal.lazy(id, remote: nil)
            }
            for row in probed {
                try row.correct(db)
            }
        }
        return fetched
    }

    /// Downloads objects: large ones one by one (in parallel parts), the rest in parallel.
    func downloadAll(
        _ items: [(AssetID, Int64)], from transport: any RemoteTransport, remoteName: String, meter: TransferMeter
    ) throws {
        let large = items.filter { $0.1 > S3Remote.multipartThreshold }
        let small = items.filter { $0.1 <= S3Remote.multipartThreshold }
        for (id, size) in large {
            try downloadObject(id, size: size, from: transport, remoteName: remoteName, meter: meter)
        }
        try remoteCall {
            try ParallelWork.run(small.count, workers: S3Remote.jobs()) { index in
                try self.downloadObject(small[index].0, size: small[index].1, from: transport, remoteName: remoteName, meter: meter)
            }
        }
    }

    /// Downloads the objects of the turns named by revisions (their output
    /// and inputs), for a lazy clone that will need them offline.
    ///
    /// - Parameter all: every object this lazy clone has not downloaded.
    public func fetchObjects(_ revisions: [String], all: Bool = false, progress: SyncProgressHandler? = nil) throws -> Int {
        var ids: [AssetID] = []
        if all {
            ids = try read("cannot read lazy objects") { db in
                try String.fetchAll(db, sql: "SELECT asset FROM lazy_object ORDER BY asset").map(AssetID.init(validatedHex:))
            }
        }
        for revision in revisions {
            let turn = try self.turn(resolve(revision))
            ids.append(contentsOf: [turn.output] + turn.inputs.map(\.asset))
        }
        var seen: Set<AssetID> = []
        return try fetchLazyObjects(ids.filter { seen.insert($0).inserted }, progress: progress)
    }

    /// Fetches one object on demand if this is a lazy clone that has not
    /// downloaded it yet; does nothing when the file is there.
    func fetchIfLazy(_ id: AssetID) throws {
        guard !objects.contains(id) else { return }
        try fetchLazyObjects([id])
    }

    /// The ids of objects this lazy clone has recorded but not downloaded.
    func lazyObjectIDs() throws -> Set<String> {
        try read("cannot read lazy objects") { db in Set(try String.fetchAll(db, sql: "SELECT asset FROM lazy_object")) }
    }
}

/// The on-demand download behind `export` and `checkout` in a lazy clone,
/// reachable from code that only knows the store's layout.
enum RemoteObjectFetcher {
    /// Downloads the object if it is missing and recorded as lazy; returns
    /// quietly otherwise (the caller then reports a missing object as usual).
    static func fetchIfLazy(_ id: AssetID, layout: StoreLayout) throws(StoreError) {
        guard access(layout.objectPath(id), F_OK) != 0 else { return }
        do {
            let store = try Store.open(at: layout.workspace)
            try store.fetchIfLazy(id)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.io, "cannot download object \(id.short): \(error)")
        }
    }
}
