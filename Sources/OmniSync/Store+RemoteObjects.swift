import Foundation
import GRDB
import OmniMedia
import OmniRemote
import OmniCore
import OmniBasics

#if canImport(Glibc)
    import Glibc
#endif

extension Store {
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
                    try transport.download(
                        Store.objectKey(id), size: size, to: partial, progress: { meter?.add(bytes: $0) })
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
                "object \(id.short) on \(remoteName) is corrupt (its bytes hash to \(actual.short)): nothing was stored; push it again from a store that has it intact"
            )
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
        guard rename(path, finalPath) == 0 else {
            throw FileDescriptor.posixError(errno, "cannot store object \(id.short)")
        }
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
                guard
                    let row = try Row.fetchOne(
                        db,
                        sql:
                            "SELECT l.remote, a.size FROM lazy_object l JOIN asset a ON a.id = l.asset WHERE l.asset = ?",
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
                    "object \(batch[0].0.short) was not downloaded and remote '\(remoteName)' is gone",
                    hint: Hint("add it back with {}", .addRemote(remoteName)))
            }
            let transport = try openTransport(config)
            let meter = TransferMeter(
                phase: .downloading, files: batch.count, bytes: batch.reduce(0) { $0 + $1.2 }, handler: progress)
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
                try self.downloadObject(
                    small[index].0, size: small[index].1, from: transport, remoteName: remoteName, meter: meter)
            }
        }
    }

    /// Downloads the objects of the turns named by revisions (their output
    /// and inputs), for a lazy clone that will need them offline.
    ///
    /// - Parameters:
    ///   - revisions: the turns whose output and inputs to download.
    ///   - progress: transfer progress, called from the transfer threads.
    ///   - all: every object this lazy clone has not downloaded.
    public func fetchObjects(_ revisions: [String], all: Bool = false, progress: SyncProgressHandler? = nil) throws
        -> Int
    {
        var ids: [AssetID] = []
        if all {
            ids = try read("cannot read lazy objects") { db in
                try String.fetchAll(db, sql: "SELECT asset FROM lazy_object ORDER BY asset").map(
                    AssetID.init(validatedHex:))
            }
        }
        for revision in revisions {
            let turn = try self.turn(resolve(revision))
            ids.append(contentsOf: [turn.output] + turn.inputs.map(\.asset))
        }
        var seen: Set<AssetID> = []
        return try fetchLazyObjects(ids.filter { seen.insert($0).inserted }, progress: progress)
    }
}

/// A lazy clone's missing objects, downloaded from the remote each was
/// recorded from. Set it as a store's `Store.lazyObjectSource` so that
/// `export`, `checkout` and frames fetch what they need on demand.
public struct RemoteObjectSource: LazyObjectSource {
    public init() {}

    public func fetchLazyObjects(_ ids: [AssetID], into store: Store) throws -> Int {
        try store.fetchLazyObjects(ids)
    }
}
