internal import CPosix
import Crypto
import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#endif

extension Store {
    /// The working file for a clip: the `workfile` setting, or `clip.<ext>`
    /// with the extension of the clip's container. With no asset, the file
    /// last checked out (or HEAD's output).
    func workfilePath(for asset: AssetID?) throws -> String {
        if let configured = try config("workfile") { return layout.workspace + "/" + configured }
        if asset == nil, let tracked = try trackedWorkfile() { return tracked.path }
        var target = asset
        if target == nil, let headTurn = try head().turn { target = try turn(headTurn).output }
        guard let target else { return layout.workspace + "/clip.mp4" }
        let found = try self.asset(id: target)
        return layout.workspace + "/clip." + Store.fileExtension(mime: found.mime)
    }

    static func fileExtension(mime: String) -> String {
        let known: [String: String] = [
            "video/mp4": "mp4", "video/quicktime": "mov", "video/webm": "webm", "video/x-matroska": "mkv",
            "video/3gpp": "3gp", "video/x-msvideo": "avi", "video/mp2t": "ts", "video/mpeg": "mpg",
            "video/ogg": "ogv", "video/x-flv": "flv", "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif",
            "image/webp": "webp", "image/bmp": "bmp", "image/tiff": "tiff", "audio/wav": "wav", "audio/mpeg": "mp3",
            "audio/flac": "flac", "audio/mp4": "m4a", "audio/ogg": "ogg", "audio/aac": "aac", "audio/webm": "weba",
            "audio/x-matroska": "mka",
        ]
        return known[mime] ?? "bin"
    }

    /// What the working file held when it was last written or hashed.
    struct TrackedWorkfile {
        let path: String
        let asset: AssetID
        let fingerprint: FileFingerprint
        /// When the fingerprint was taken (nanoseconds since the epoch).
        let recordedNanoseconds: Int64

        /// Whether the file at `path`, now `current`, can be taken to still
        /// hold `asset` without hashing it: nothing in its inode moved, and
        /// it had been still for a while when the fingerprint was taken, so
        /// no write in the same timestamp tick can hide behind it.
        func vouches(for path: String, _ current: FileFingerprint) -> Bool {
            path == self.path && current == fingerprint && fingerprint.isSettled(at: recordedNanoseconds)
        }
    }

    func trackedWorkfile() throws -> TrackedWorkfile? {
        try read("cannot read the working file state") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM worktree WHERE only = 1").map {
                TrackedWorkfile(
                    path: $0["path"], asset: AssetID(validatedHex: $0["asset"]),
                    fingerprint: FileFingerprint(
                        device: $0["device"], inode: $0["inode"], size: $0["size"],
                        modifiedNanoseconds: $0["mtime_ns"], changedNanoseconds: $0["ctime_ns"]),
                    recordedNanoseconds: $0["recorded_ns"])
            }
        }
    }

    /// The state of the working file (the one last checked out, or HEAD's).
    public func workfileState() throws -> WorkfileStatus {
        try workfileState(at: workfilePath(for: nil))
    }

    func workfileState(at path: String) throws -> WorkfileStatus {
        guard let hash = try hashIfPresent(path) else {
            return WorkfileStatus(path: path, state: .missing, hash: nil)
        }
        let headOutput = try head().turn.map { try turn($0).output }
        if hash == headOutput { return WorkfileStatus(path: path, state: .matchesHead, hash: hash) }
        let stored = try read("cannot look up the working file") { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM asset WHERE id = ?)", arguments: [hash.hex]) ?? false
        }
        return WorkfileStatus(path: path, state: stored && objects.contains(hash) ? .stored : .modified, hash: hash)
    }

    /// The file's SHA-256, reusing the last checkout's hash when the file's
    /// fingerprint vouches for it (as git's index does); nil if it does not
    /// exist.
    ///
    /// A file hashed because the fingerprint was too fresh to trust, and
    /// found to hold the tracked bytes, is tracked again if it has settled
    /// since, so the next call is a single `stat` (git refreshes its index
    /// the same way).
    func hashIfPresent(_ path: String) throws -> AssetID? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw FileDescriptor.posixError(errno, "cannot read '\(path)'")
        }
        let before = FileFingerprint(info)
        let tracked = try trackedWorkfile()
        if let tracked, tracked.vouches(for: path, before) { return tracked.asset }
        let hashStarted = FileFingerprint.now()
        let hash = try ObjectStore.hash(path)
        if let tracked, tracked.path == path, tracked.asset == hash, !isReadOnly,
            before.isSettled(at: hashStarted), FileFingerprint.of(path) == before
        {
            // Best effort: a store another process is writing can refresh later.
            try? saveWorkfileFingerprint(path: path, asset: hash, fingerprint: before, recorded: hashStarted)
        }
        return hash
    }

    /// Writes a turn's output as the working file, refusing to overwrite
    /// unrecorded work unless `force`.
    ///
    /// - Returns: whether the file was written (false if it already matched).
    @discardableResult
    func writeWorkfile(turn: Turn, force: Bool, previous: WorkfileStatus) throws -> Bool {
        let target = try workfilePath(for: turn.output)
        let targetState = target == previous.path ? previous : try workfileState(at: target)
        if !force {
            for state in [previous, targetState] where !state.isSafeToReplace {
                throw StoreError(
                    .conflict,
                    "the working file '\(Formatting.relative(state.path))' has changes that are not recorded: record them with 'omnistore record -m MESSAGE', or use --force to discard them")
            }
        }
        var wrote = false
        if targetState.hash != turn.output {
            try copyObject(turn.output, to: target)
            wrote = true
        }
        if previous.path != target, previous.state != .missing {
            unlink(previous.path)
        }
        try trackWorkfile(path: target, asset: turn.output)
        return wrote
    }

    /// Remembers what the working file holds, so `status` need not re-hash it.
    func trackWorkfile(path: String, asset: AssetID) throws {
        guard let fingerprint = FileFingerprint.of(path) else { return }
        try saveWorkfileFingerprint(path: path, asset: asset, fingerprint: fingerprint, recorded: FileFingerprint.now())
    }

    private func saveWorkfileFingerprint(
        path: String, asset: AssetID, fingerprint: FileFingerprint, recorded: Int64
    ) throws {
        try write("cannot save the working file state") { db in
            try db.execute(
                sql: """
                    INSERT INTO worktree (only, path, asset, size, mtime_ns, inode, device, ctime_ns, recorded_ns)
                        VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(only) DO UPDATE SET path = excluded.path, asset = excluded.asset,
                        size = excluded.size, mtime_ns = excluded.mtime_ns, inode = excluded.inode,
                        device = excluded.device, ctime_ns = excluded.ctime_ns, recorded_ns = excluded.recorded_ns
                    """,
                arguments: [
                    path, asset.hex, fingerprint.size, fingerprint.modifiedNanoseconds, fingerprint.inode,
                    fingerprint.device, fingerprint.changedNanoseconds, recorded,
                ])
        }
    }

    /// Copies an object to a user-visible file: a new, writable file (never a
    /// hard link, so editing it cannot touch the store), sharing blocks with
    /// the object where the filesystem can (a FICLONE reflink, else
    /// copy_file_range, which reflinks on btrfs and XFS).
    func copyObject(_ id: AssetID, to destination: String) throws {
        try fetchIfLazy(id)
        let source = try FileDescriptor.openForReading(layout.objectPath(id))
        let target = try AtomicFile(destination: destination)
        let size = Int(try source.status().st_size)
        var copied = 0
        var useFallback = false
        if cposix_clone_file(target.file.raw, source.raw) == 0 {
            copied = size
        }
        while copied < size {
            let n = cposix_copy_file_range(source.raw, target.file.raw, size - copied)
            if n < 0 {
                if errno == EINTR { continue }
                if [EXDEV, ENOSYS, EINVAL, EOPNOTSUPP].contains(errno) && copied == 0 {
                    useFallback = true
                    break
                }
                throw FileDescriptor.posixError(errno, "cannot write '\(destination)'")
            }
            if n == 0 { break }
            copied += n
        }
        if useFallback {
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: ObjectStore.chunkSize, alignment: 4096)
            defer { buffer.deallocate() }
            while true {
                let n = try source.read(into: buffer, count: ObjectStore.chunkSize)
                if n == 0 { break }
                try target.file.writeAll(buffer, count: n)
            }
        }
        try target.commit()
    }

    /// Checks out a revision.
    ///
    /// - Parameters:
    ///   - revision: a branch (HEAD then follows it), or any revision (HEAD detaches).
    ///   - newBranch: create this branch at the revision and switch to it (`-b`).
    ///   - destination: write the output there instead, leaving HEAD alone (`--to`).
    ///   - force: overwrite a working file whose bytes are not recorded.
    public func checkout(
        _ revision: String, newBranch: String? = nil, to destination: String? = nil, force: Bool = false
    ) throws -> CheckoutResult {
        let turnID = try resolve(revision)
        let turn = try self.turn(turnID)
        if let destination {
            let path = Store.absoluteDestination(destination)
            if !force, let state = try? workfileState(at: path), state.state == .modified {
                throw StoreError(
                    .conflict,
                    "'\(destination)' exists and its bytes are not recorded: use --force to overwrite it, or pick another path")
            }
            try copyObject(turn.output, to: path)
            return CheckoutResult(head: try head(), turn: turn, path: path, wroteFile: true)
        }
        AtomicFile.removeAbandoned(in: layout.workspace)
        let previous = try workfileState()
        if !force, !previous.isSafeToReplace {
            throw StoreError(
                .conflict,
                "the working file '\(Formatting.relative(previous.path))' has changes that are not recorded: record them with 'omnistore record -m MESSAGE', or use --force to discard them")
        }
        let author = try self.author()
        let branch: BranchName?
        if let newBranch {
            branch = try BranchName(newBranch)
        } else if BranchName.problem(revision) == nil,
            try read("cannot read branches", { db in try Store.refTarget(db, "refs/heads/" + revision) }) != nil
        {
            branch = BranchName(trusted: revision)
        } else {
            branch = nil
        }
        let wrote = try writeWorkfile(turn: turn, force: force, previous: previous)
        try write("cannot move HEAD") { db in
            let before = try Store.head(db)
            let from = before.branch?.name ?? before.turn?.short ?? "nothing"
            if let newBranch, let branch {
                if try Store.refTarget(db, branch.ref) != nil {
                    throw StoreError(.conflict, "a branch named '\(newBranch)' already exists: check it out without -b")
                }
                try Store.updateRef(db, branch.ref, expected: nil, to: turnID, reason: "branch: created from \(revision)", author: author)
            }
            let target: Head = branch.map { .branch($0, turn: turnID) } ?? .detached(turnID)
            try Store.setHead(
                db, to: target, reason: "checkout: moving from \(from) to \(branch?.name ?? turnID.short)", author: author)
        }
        return CheckoutResult(head: try head(), turn: turn, path: try workfilePath(for: nil), wroteFile: wrote)
    }

    /// The branch, the HEAD turn and the working file's state.
    public func status() throws -> StoreStatus {
        let head = try self.head()
        return StoreStatus(head: head, headTurn: try head.turn.map(turn), workfile: try workfileState())
    }
}

/// What ``Store/checkout(_:newBranch:to:force:)`` did.
public struct CheckoutResult: Sendable {
    public let head: Head
    public let turn: Turn
    /// The file written (or left matching).
    public let path: String
    public let wroteFile: Bool
}

/// What `omnistore status` shows.
public struct StoreStatus: Sendable {
    public let head: Head
    public let headTurn: Turn?
    public let workfile: WorkfileStatus
}
