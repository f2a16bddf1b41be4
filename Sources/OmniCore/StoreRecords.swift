import Foundation
internal import CPosix
import GRDB

#if canImport(Glibc)
    import Glibc
#endif

/// The files that make the database an index: what a write transaction
/// learns is written to files before the transaction commits, so a lost or
/// damaged `omnistore.db` can be rebuilt from them (``Store/rebuildIndex(at:)``),
/// as Fossil rebuilds its tables from artifacts and git keeps refs as files.
///
/// ```
/// .omnistore/turns/<sha256>    each turn's canonical record (the bytes its id hashes)
/// .omnistore/assets/<sha256>   asset packs: {"assets": [records], "paths": [...]}, one per write
/// .omnistore/refs.journal      one JSON line per change of a ref, HEAD or the reflog
/// ```
///
/// The layout of `turns/` and `assets/` is the folder remote's. The code that
/// changes refs, inserts turns or remembers paths stages its change here (it
/// runs inside ``Store/write(_:_:)``, which makes the stage current); the
/// stage is written and fsynced when the transaction's body has succeeded,
/// still inside the transaction, and dropped when the body throws.
final class RecordStage: @unchecked Sendable {
    // @unchecked: a stage is made, filled and flushed inside one write
    // transaction, on the one thread that runs it; it is never shared.
    @TaskLocal static var current: RecordStage?

    private var turns: [Turn] = []
    private var assets: [JSONValue] = []
    private var paths: [JSONValue] = []
    private var journalLines: [String] = []
    /// Metadata records to write to `meta/` (made here or pulled).
    private var metaRecords: [MetaRecord] = []
    /// Record files this stage created, removed again if the commit fails.
    private(set) var created: [String] = []
    /// The journal's size after this stage's lines, recorded in the same
    /// transaction (see ``Store/reconcileJournal(_:_:)``).
    private(set) var journalSize: Int64?

    /// A new turn's record, written to `turns/`.
    func stage(turn: Turn) { turns.append(turn) }

    /// An asset's record (the remote's fields), written in this write's pack.
    func stage(asset record: JSONValue) { assets.append(record) }

    /// A path an asset was added from, and when.
    func stage(path: String, of id: AssetID, at time: String) {
        paths.append(.object(["asset": .string(id.hex), "path": .string(path), "at": .string(time)]))
    }

    /// A metadata record, written to `meta/`.
    func stage(metaRecord record: MetaRecord) { metaRecords.append(record) }

    /// One change for the ref journal (see ``RefJournal``).
    func stage(journal entry: JSONValue) { journalLines.append(CanonicalJSON.text(entry)) }

    /// Writes everything staged, each file durable before this returns.
    func flush(_ layout: StoreLayout) throws(StoreError) {
        // Many records at once (an import, a pull, the first open of an older
        // store) are written first and made durable with one syncfs, as git's
        // core.fsyncMethod=batch does, instead of two fsyncs each.
        let batch = turns.count > 8
        for turn in turns {
            let path = layout.turnRecordPath(turn.id)
            if FileManager.default.fileExists(atPath: path) { continue }
            try StoreRecords.writeFile(
                Array(turn.canonicalText.utf8), to: path, creating: layout.turnsDirectory, durable: !batch)
            created.append(path)
        }
        if batch {
            let folder = try FileDescriptor.openDirectory(layout.turnsDirectory)
            guard cposix_syncfs(folder.raw) == 0 else {
                throw FileDescriptor.posixError(errno, "cannot sync the turn records")
            }
        }
        let metaBatch = metaRecords.count > 8
        for record in metaRecords {
            let path = layout.metaRecordsDirectory + "/" + record.id
            if FileManager.default.fileExists(atPath: path) { continue }
            try StoreRecords.writeFile(
                Array(record.canonicalText.utf8), to: path, creating: layout.metaRecordsDirectory,
                durable: !metaBatch)
            created.append(path)
        }
        if metaBatch {
            let folder = try FileDescriptor.openDirectory(layout.metaRecordsDirectory)
            guard cposix_syncfs(folder.raw) == 0 else {
                throw FileDescriptor.posixError(errno, "cannot sync the metadata records")
            }
        }
        if !assets.isEmpty || !paths.isEmpty {
            let bytes = Array(
                CanonicalJSON.text(.object(["assets": .array(assets), "paths": .array(paths)])).utf8)
            let path = layout.assetPacksDirectory + "/" + CanonicalJSON.hexDigest(bytes)
            if !FileManager.default.fileExists(atPath: path) {
                try StoreRecords.writeFile(bytes, to: path, creating: layout.assetPacksDirectory)
                created.append(path)
            }
        }
        if !journalLines.isEmpty {
            journalSize = try RefJournal(layout).append(journalLines)
        }
        discard()
    }

    /// Removes the record files this stage wrote: its transaction did not
    /// commit (a full disk, an I/O error), so they describe nothing.
    func removeCreated() {
        for path in created { unlink(path) }
        created = []
    }

    func discard() {
        turns = []
        assets = []
        paths = []
        journalLines = []
        metaRecords = []
    }
}

package enum StoreRecords {
    /// An asset's record: the fields a remote's asset packs hold.
    static func assetRecord(
        id: AssetID, size: Int64, kind: String, mime: String, format: String, duration: Double?, bitRate: Int64?,
        width: Int64?, height: Int64?, fps: Double?, probe: String, addedAt: String
    ) -> JSONValue {
        .object([
            "id": .string(id.hex), "size": .int(size), "kind": .string(kind), "mime": .string(mime),
            "format": .string(format), "duration": JSONValue(duration), "bit_rate": JSONValue(bitRate),
            "width": JSONValue(width), "height": JSONValue(height), "fps": JSONValue(fps), "probe": .string(probe),
            "added_at": .string(addedAt),
        ])
    }

    /// Writes a content-addressed file atomically: temp, fsync, rename, fsync the folder.
    static func writeFile(_ bytes: [UInt8], to path: String, creating directory: String, durable: Bool = true)
        throws(StoreError)
    {
        if !FileManager.default.fileExists(atPath: directory) {
            guard mkdir(directory, 0o755) == 0 || errno == EEXIST else {
                throw FileDescriptor.posixError(errno, "cannot create '\(directory)'")
            }
        }
        let file = try AtomicFile(destination: path)
        try file.file.writeAll(bytes, count: bytes.count)
        try file.commit(durable: durable)
    }

    /// Reads a record file whole, refusing one larger than `limit` bytes.
    static func read(_ path: String, limit: Int = 1 << 20) throws(StoreError) -> [UInt8] {
        let file = try FileDescriptor.openForReading(path)
        let info = try file.status()
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw StoreError(.corrupt, "'\(path)' is not a regular file")
        }
        guard Int(info.st_size) <= limit else {
            throw StoreError(.corrupt, "'\(path)' is \(info.st_size) bytes, more than a record can be (\(limit))")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        let count: Int
        do {
            count = try bytes.withUnsafeMutableBytes { buffer in
                guard let base = buffer.baseAddress else { return 0 }
                return try file.readFully(into: base, count: buffer.count)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.io, "cannot read '\(path)': \(error)")
        }
        return Array(bytes.prefix(count))
    }
}

/// The ref journal: every change of a ref, of HEAD and of the reflog, one
/// canonical JSON object per line, appended and fsynced under the database's
/// write lock before the transaction that makes the change commits. Replayed
/// in order it gives the refs, HEAD and the reflog.
///
/// Lines: `{"op":"ref","name":R,"target":ID|null}`,
/// `{"op":"head","symbolic":R}` or `{"op":"head","detached":ID}`,
/// `{"op":"reflog","ref":R,"old":…,"new":…,"at":…,"author":…,"reason":…}`,
/// `{"op":"rename","from":R,"to":R}` and `{"op":"reflog-expire","before":T}`;
/// paid work (`sending`, `send-failed`, `pending`, `pending-done`, `attempt`,
/// `dismiss-unanswered`); settings (`config`), remotes (`remote`) and
/// lazy-object markers (`lazy`).
/// A line cut short by a kill has no newline and is ignored.
package struct RefJournal {
    let path: String

    init(_ layout: StoreLayout) { path = layout.refJournalPath }

    /// - Returns: the journal's size afterwards.
    @discardableResult
    func append(_ lines: [String]) throws(StoreError) -> Int64 {
        let fd = FileDescriptor.retryingOnInterrupt { open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw FileDescriptor.posixError(errno, "cannot write the ref journal '\(path)'") }
        defer { close(fd) }
        let bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { buffer in
                FileDescriptor.retryingOnInterrupt {
                    write(fd, buffer.baseAddress.map { $0 + done }, bytes.count - done)
                }
            }
            guard n > 0 else { throw FileDescriptor.posixError(errno, "cannot write the ref journal '\(path)'") }
            done += n
        }
        guard fdatasync(fd) == 0 else {
            throw FileDescriptor.posixError(errno, "cannot sync the ref journal '\(path)'")
        }
        return Int64(lseek(fd, 0, SEEK_END))
    }

    /// The journal's size in bytes (0 when it does not exist yet).
    func size() -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// Cuts the journal back to `size` bytes, durably.
    func truncate(to size: Int64) throws(StoreError) {
        guard Glibc.truncate(path, off_t(size)) == 0 else {
            throw FileDescriptor.posixError(errno, "cannot cut back the ref journal '\(path)'")
        }
        if let file = try? FileDescriptor.openForReading(path) { _ = fdatasync(file.raw) }
    }

    /// Every complete line, parsed; a damaged line is reported, not guessed at.
    func entries() throws -> (entries: [JSONValue], damaged: Int) {
        guard FileManager.default.fileExists(atPath: path) else { return ([], 0) }
        let bytes = try StoreRecords.read(path, limit: Int.max)
        var entries: [JSONValue] = []
        var damaged = 0
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        // The last piece has no newline: empty after a clean append, else cut short by a kill.
        lines.removeLast()
        for line in lines where !line.isEmpty {
            if let value = try? JSONParser.parse(String(decoding: line, as: UTF8.self)) {
                entries.append(value)
            } else {
                damaged += 1
            }
        }
        return (entries, damaged)
    }

    /// The journal's lines, built in one place for the changes that stage
    /// them and for the snapshot that gc writes (``Store/compactJournal()``).
    package enum Line {
        static func ref(_ name: String, target: String?) -> JSONValue {
            .object(["op": .string("ref"), "name": .string(name), "target": JSONValue(target)])
        }

        static func head(symbolic: String) -> JSONValue {
            .object(["op": .string("head"), "symbolic": .string(symbolic)])
        }

        static func head(detached: String) -> JSONValue {
            .object(["op": .string("head"), "detached": .string(detached)])
        }

        static func reflog(ref: String, old: String?, new: String?, at: String, author: String, reason: String)
            -> JSONValue
        {
            .object([
                "op": .string("reflog"), "ref": .string(ref), "old": JSONValue(old), "new": JSONValue(new),
                "at": .string(at), "author": .string(author), "reason": .string(reason),
            ])
        }

        static func pending(attempt: String, interaction: String, status: String, plan: String, at: String) -> JSONValue
        {
            .object([
                "op": .string("pending"), "attempt": .string(attempt), "interaction": .string(interaction),
                "status": .string(status), "plan": .string(plan), "at": .string(at),
            ])
        }

        static func attempt(_ columns: [String: JSONValue]) -> JSONValue {
            var entry = columns
            entry["op"] = .string("attempt")
            return .object(entry)
        }

        static func config(_ key: String, value: String?) -> JSONValue {
            .object(["op": .string("config"), "key": .string(key), "value": JSONValue(value)])
        }

        static func remote(_ name: String, columns: [String: JSONValue]?) -> JSONValue {
            .object([
                "op": .string("remote"), "name": .string(name), "remote": columns.map { JSONValue.object($0) } ?? .null,
            ])
        }

        /// A remote's row, as its `remote` line holds it.
        package static func remoteColumns(
            url: String, endpoint: String?, region: String?, addressing: String?, lazy: Bool, addedAt: String
        ) -> [String: JSONValue] {
            [
                "url": .string(url), "endpoint": JSONValue(endpoint), "region": JSONValue(region),
                "addressing": JSONValue(addressing), "lazy": .bool(lazy), "added_at": .string(addedAt),
            ]
        }

        static func lazy(_ asset: String, remote: String?) -> JSONValue {
            .object(["op": .string("lazy"), "asset": .string(asset), "remote": JSONValue(remote)])
        }

        /// An asset put into the library (`member`), or taken out of it.
        static func library(_ asset: String, member: Bool, at: String) -> JSONValue {
            .object(["op": .string("library"), "asset": .string(asset), "member": .bool(member), "at": .string(at)])
        }
    }

    // MARK: staging, from inside a write transaction

    static func ref(_ name: String, target: TurnID?) {
        RecordStage.current?.stage(journal: Line.ref(name, target: target?.hex))
    }

    static func head(_ head: Head) {
        switch head {
        case .branch(let branch, _): RecordStage.current?.stage(journal: Line.head(symbolic: branch.ref))
        case .detached(let turn): RecordStage.current?.stage(journal: Line.head(detached: turn.hex))
        }
    }

    static func reflog(ref: String, old: TurnID?, new: TurnID?, at: String, author: String, reason: String) {
        RecordStage.current?.stage(
            journal: Line.reflog(ref: ref, old: old?.hex, new: new?.hex, at: at, author: author, reason: reason))
    }

    static func rename(from: String, to: String) {
        RecordStage.current?.stage(
            journal: .object(["op": .string("rename"), "from": .string(from), "to": .string(to)]))
    }

    // Paid work: a create is journaled before it is sent, and every change
    // of the pending and attempt tables with it, so that a lost index never
    // forgets an interaction that may be billed.

    /// Staged in a write of its own that commits just before a create is
    /// sent: the journal line is durable before the request leaves.
    package static func sending(attempt: String, plan: JSONValue, at: String) {
        RecordStage.current?.stage(
            journal: .object(["op": .string("sending"), "attempt": .string(attempt), "plan": plan, "at": .string(at)]))
    }

    /// A create settled without a pending interaction: refused by the API
    /// (nothing started), or kept as an attempt (sent, no reply).
    package static func sendFailed(attempt: String) {
        RecordStage.current?.stage(journal: .object(["op": .string("send-failed"), "attempt": .string(attempt)]))
    }

    package static func pending(attempt: String, interaction: String, status: String, plan: String, at: String) {
        RecordStage.current?.stage(
            journal: Line.pending(attempt: attempt, interaction: interaction, status: status, plan: plan, at: at))
    }

    package static func pendingDone(interaction: String) {
        RecordStage.current?.stage(
            journal: .object(["op": .string("pending-done"), "interaction": .string(interaction)]))
    }

    package static func attempt(_ columns: [String: JSONValue]) {
        RecordStage.current?.stage(journal: Line.attempt(columns))
    }

    // Settings, remotes and lazy-object markers: journaled like refs, so
    // that a rebuild brings them back as the store had them.

    static func config(_ key: String, value: String?) {
        RecordStage.current?.stage(journal: Line.config(key, value: value))
    }

    /// A remote added (its columns) or removed (nil).
    package static func remote(_ name: String, columns: [String: JSONValue]?) {
        RecordStage.current?.stage(journal: Line.remote(name, columns: columns))
    }

    /// An object that a lazy clone has not fetched (`remote`), or has now (nil).
    package static func lazy(_ asset: AssetID, remote: String?) {
        RecordStage.current?.stage(journal: Line.lazy(asset.hex, remote: remote))
    }

    /// An asset put into the library, or taken out of it.
    static func library(_ asset: AssetID, member: Bool, at: String) {
        RecordStage.current?.stage(journal: Line.library(asset.hex, member: member, at: at))
    }

    /// Every unanswered request so far is dismissed by the user.
    package static func dismissUnanswered(at: String) {
        RecordStage.current?.stage(journal: .object(["op": .string("dismiss-unanswered"), "at": .string(at)]))
    }

    static func expireReflog(before: String) {
        RecordStage.current?.stage(journal: .object(["op": .string("reflog-expire"), "before": .string(before)]))
    }
}

extension Store {
    /// Inserts an attempt from its journal columns (``RefJournal/Line/attempt(_:)``).
    package static func insertAttempt(_ columns: JSONValue, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO attempt (interaction_id, kind, instruction, parent, status, error_code, message, plan, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                columns["interaction_id"]?.stringValue, columns["kind"]?.stringValue ?? "",
                columns["instruction"]?.stringValue ?? "",
                columns["parent"]?.stringValue, columns["status"]?.stringValue ?? "failed",
                columns["error_code"]?.stringValue,
                columns["message"]?.stringValue ?? "", columns["plan"]?.stringValue ?? "{}",
                columns["created_at"]?.stringValue ?? "",
            ])
    }
}
