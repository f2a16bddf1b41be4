import OmniBasics
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

    /// The file last checked out, and the asset written there.
    struct TrackedWorkfile {
        let path: String
        let asset: AssetID
    }

    func trackedWorkfile() throws -> TrackedWorkfile? {
        try read("cannot read the working file state") { db in
            try Row.fetchOne(db, sql: "SELECT path, asset FROM worktree WHERE only = 1").map {
                TrackedWorkfile(path: $0["path"], asset: AssetID(validatedHex: $0["asset"]))
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
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM asset WHERE id = ?)", arguments: [hash.hex])
                ?? false
        }
        return WorkfileStatus(path: path, state: stored && objects.contains(hash) ? .stored : .modified, hash: hash)
    }

    /// The file's SHA-256, reusing a hash when the file's fingerprint vouches
    /// for it (`path_stat`, as for `add`; git's index does the same); nil if
    /// it does not exist.
    ///
    /// A checkout's fresh file is hashed until it has settled; once it is
    /// found to still hold what was checked out, its fingerprint is kept, so
    /// the next call is a single `stat` (git refreshes its index the same way).
    func hashIfPresent(_ path: String) throws -> AssetID? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw FileDescriptor.posixError(errno, "cannot read '\(path)'")
        }
        let before = FileFingerprint(info)
        let absolutePath = Store.absolute(path)
        if let known = try fingerprintedAsset(at: absolutePath, before) { return known }
        let hashStarted = FileFingerprint.now()
        let hash = try ObjectStore.hash(path)
        if !isReadOnly, let tracked = try trackedWorkfile(), tracked.path == path, tracked.asset == hash,
            before.isSettled(at: hashStarted), FileFingerprint.of(path) == before
        {
            // Best effort: a store another process is writing can refresh later.
            try? write("cannot save the working file state") { db in
                try Store.rememberFingerprint(before, hashStartedAt: hashStarted, of: absolutePath, as: hash, db: db)
            }
        }
        return hash
    }

    /// Writes a turn's output as the working file, refusing to overwrite
    /// unrecorded work unless `force`.
    ///
    /// - Returns: whether the file was written (false if it already matched).
    @discardableResult
    package func writeWorkfile(turn: Turn, force: Bool, previous: WorkfileStatus) throws -> Bool {
        let prepared = try prepareWorkfile(output: turn.output, force: force, previous: previous)
        return try install(prepared)
    }

    /// The new working file, written in full under a temp name but not yet in
    /// place: record writes it before its turn commits, so a full disk fails
    /// the command while the store and the old working file are untouched.
    struct PreparedWorkfile {
        let target: String
        let output: AssetID
        let previous: WorkfileStatus
        /// Nil when the target already holds the output.
        let file: AtomicFile?
    }

    /// - Throws: a conflict when the working file (or the file that the
    ///   output would be written to) has unrecorded changes and not `force`.
    func prepareWorkfile(output: AssetID, force: Bool, previous: WorkfileStatus) throws -> PreparedWorkfile {
        let target = try workfilePath(for: output)
        let targetState = target == previous.path ? previous : try workfileState(at: target)
        if !force {
            for state in [previous, targetState] where !state.isSafeToReplace {
                throw StoreError(
                    .conflict,
                    "the working file '\(Formatting.path(state.path))' has changes that are not recorded",
                    hint: Hint(
                        "record them with {}, or use {} to discard them", .record(givenClip: false), .option(.force)))
            }
        }
        let file = targetState.hash == output ? nil : try copyObjectUncommitted(output, to: target)
        return PreparedWorkfile(target: target, output: output, previous: previous, file: file)
    }

    /// Puts a prepared working file in place.
    ///
    /// - Returns: whether the file was written (false if it already matched).
    @discardableResult
    func install(_ prepared: PreparedWorkfile) throws -> Bool {
        try prepared.file?.commit()
        if prepared.previous.path != prepared.target, prepared.previous.state != .missing {
            unlink(prepared.previous.path)
        }
        try trackWorkfile(path: prepared.target, asset: prepared.output)
        return prepared.file != nil
    }

    /// Remembers what the working file holds. Its fingerprint, taken the
    /// moment it was written, is too fresh to vouch for it: any older one of
    /// the path is dropped, and `status` hashes the file until it settles.
    func trackWorkfile(path: String, asset: AssetID) throws {
        try write("cannot save the working file state") { db in
            try db.execute(
                sql: """
                    INSERT INTO worktree (only, path, asset) VALUES (1, ?, ?)
                    ON CONFLICT(only) DO UPDATE SET path = excluded.path, asset = excluded.asset
                    """,
                arguments: [path, asset.hex])
            try Store.rememberFingerprint(nil, hashStartedAt: 0, of: Store.absolute(path), as: asset, db: db)
        }
    }

    /// Copies an object to a user-visible file: a new, writable file (never a
    /// hard link, so editing it cannot touch the store), sharing blocks with
    /// the object where the filesystem can (a FICLONE reflink, else
    /// copy_file_range, which reflinks on btrfs and XFS).
    func copyObject(_ id: AssetID, to destination: String) throws {
        try copyObjectUncommitted(id, to: destination).commit()
    }

    /// The copy of ``copyObject(_:to:)``, written and synced to its temp file
    /// but not renamed into place.
    func copyObjectUncommitted(_ id: AssetID, to destination: String) throws -> AtomicFile {
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
        try target.file.sync()
        return target
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
                    "'\(destination)' exists and its bytes are not recorded",
                    hint: Hint("use {} to overwrite it, or pick another path", .option(.force)))
            }
            try copyObject(turn.output, to: path)
            return CheckoutResult(head: try head(), turn: turn, path: path, wroteFile: true)
        }
        AtomicFile.removeAbandoned(in: layout.workspace)
        let previous = try workfileState()
        if !force, !previous.isSafeToReplace {
            throw StoreError(
                .conflict,
                "the working file '\(Formatting.path(previous.path))' has changes that are not recorded",
                hint: Hint("record them with {}, or use {} to discard them", .record(givenClip: false), .option(.force))
            )
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
                try Store.updateRef(
                    db, branch.ref, expected: nil, to: turnID, reason: "branch: created from \(revision)",
                    author: author)
            }
            let target: Head = branch.map { .branch($0, turn: turnID) } ?? .detached(turnID)
            try Store.setHead(
                db, to: target, reason: "checkout: moving from \(from) to \(branch?.name ?? turnID.short)",
                author: author)
        }
        return CheckoutResult(head: try head(), turn: turn, path: try workfilePath(for: nil), wroteFile: wrote)
    }

    /// The branch, the HEAD turn and the working file's state.
    public func status() throws -> StoreStatus {
        let head = try self.head()
        return StoreStatus(head: head, headTurn: try head.turn.map(turn), workfile: try workfileState())
    }
}

/// What `Store.checkout(_:newBranch:to:force:)` did.
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
