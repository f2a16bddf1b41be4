import OmniBasics
import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A remote in a shared folder (a NAS mount, a USB disk, another path).
///
/// Files are written the way git writes loose objects: a temp file in the
/// destination folder, fsync, rename, fsync the folder. A ref is replaced
/// under `<ref>.lock`, created with `O_EXCL` and renamed over the ref, as git
/// does; the lock's creator also holds an `flock` on it, so a lock left by a
/// killed push is recognised and removed.
public final class FileRemote: RemoteTransport {
    public let root: String
    public var displayURL: String { "file://" + root }

    /// Seconds to wait for another push's ref lock before giving up.
    static let lockWait: Double = 20

    /// - Parameters:
    ///   - root: the folder holding the remote.
    ///   - create: create the folder when missing.
    public init(root: String, create: Bool) throws {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: self.root, isDirectory: &isDirectory) {
            guard create else {
                throw RemoteError(
                    .notFound, "remote folder '\(self.root)' does not exist: check the path (or push to create it)")
            }
            try LocalFile.makeDirectories(self.root)
        } else if !isDirectory.boolValue {
            throw RemoteError(.invalidArgument, "remote '\(self.root)' is a file, not a folder")
        }
    }

    func path(_ key: String) -> String { root + "/" + key }

    public func list(_ prefix: String) throws -> [RemoteEntry] {
        let base = path(prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix)
        guard let walker = FileManager.default.enumerator(atPath: base) else { return [] }
        var entries: [RemoteEntry] = []
        let keyPrefix = prefix.hasSuffix("/") ? prefix : prefix + "/"
        for case let relative as String in walker {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") || name.hasSuffix(".lock") { continue }
            var info = stat()
            guard stat(base + "/" + relative, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            entries.append(RemoteEntry(key: keyPrefix + relative, size: Int64(info.st_size)))
        }
        return entries
    }

    public func size(of key: String) throws -> Int64? {
        var info = stat()
        guard stat(path(key), &info) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw LocalFile.posixError(errno, "cannot read '\(path(key))'")
        }
        return Int64(info.st_size)
    }

    public func read(_ key: String, limit: Int) throws -> [UInt8]? {
        guard let file = try openIfPresent(path(key)) else { return nil }
        return try file.readAll(limit: limit)
    }

    /// Refuses to write into `directory` when it, or the part of it that
    /// exists, resolves outside the remote's folder: a `turns/` or `objects/`
    /// that is a symlink elsewhere must not make a push write there.
    func checkInside(_ directory: String) throws {
        var probe = directory
        while access(probe, F_OK) != 0, probe.count > root.count {
            probe = (probe as NSString).deletingLastPathComponent
        }
        guard let resolvedRoot = FileRemote.resolved(root), let resolved = FileRemote.resolved(probe) else {
            throw LocalFile.posixError(errno, "cannot resolve '\(probe)'")
        }
        guard resolved == resolvedRoot || resolved.hasPrefix(resolvedRoot == "/" ? "/" : resolvedRoot + "/") else {
            throw RemoteError(
                .invalidArgument,
                "'\(probe)' leads out of the remote (to '\(resolved)'): replace the symlink with a folder, then push again"
            )
        }
    }

    static func resolved(_ path: String) -> String? {
        guard let real = realpath(path, nil) else { return nil }
        defer { free(real) }
        return String(cString: real)
    }

    /// Creates the folder a key lives in, inside the remote only.
    func makeDirectory(for target: String) throws -> String {
        let directory = (target as NSString).deletingLastPathComponent
        try checkInside(directory)
        try LocalFile.makeDirectories(directory)
        try checkInside(directory)
        return directory
    }

    public func write(_ key: String, bytes: [UInt8]) throws {
        let target = path(key)
        if access(target, F_OK) == 0 { return }
        let directory = try makeDirectory(for: target)
        let temporary = directory + "/.tmp-" + UUID().uuidString.prefix(12).lowercased()
        let file = try LocalFile.open(temporary, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o444)
        do {
            try bytes.withUnsafeBytes { buffer in
                if let base = buffer.baseAddress { try file.writeAll(base, count: buffer.count) }
            }
            try file.sync()
            guard rename(temporary, target) == 0 else { throw LocalFile.posixError(errno, "cannot write '\(target)'") }
        } catch {
            unlink(temporary)
            throw error
        }
        LocalFile.syncDirectory(directory)
    }

    public func upload(
        _ key: String, from source: String, size: Int64, sha256: String, progress: @escaping TransferProgress
    ) throws {
        let target = path(key)
        if access(target, F_OK) == 0 { return }
        let directory = try makeDirectory(for: target)
        // One partial file per object: a rerun continues it, and the flock
        // makes a second pusher of the same object wait for the first.
        let partialPath = directory + "/." + (target as NSString).lastPathComponent + ".partial"
        let partial = try LocalFile.open(partialPath, flags: O_RDWR | O_CREAT, mode: 0o644)
        guard flock(partial.raw, LOCK_EX) == 0 else {
            throw LocalFile.posixError(errno, "cannot lock '\(partialPath)'")
        }
        if access(target, F_OK) == 0 {
            unlink(partialPath)
            return
        }
        var hasher = SHA256()
        var done = partial.size
        if done > size {
            guard ftruncate(partial.raw, 0) == 0 else {
                throw LocalFile.posixError(errno, "cannot reset '\(partialPath)'")
            }
            done = 0
        }
        let input = try LocalFile.open(source, flags: O_RDONLY)
        let chunk = 4 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 4096)
        defer { buffer.deallocate() }
        // What an earlier run wrote is re-read into the hash, so the whole
        // file is verified however many runs it took.
        try partial.seek(to: 0)
        var resumed: Int64 = 0
        while resumed < done {
            let n = try partial.read(into: buffer, count: Int(min(Int64(chunk), done - resumed)))
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(start: buffer, count: n))
            resumed += Int64(n)
        }
        progress(done)
        try input.seek(to: done)
        try partial.seek(to: done)
        while done < size {
            let n = try input.read(into: buffer, count: chunk)
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(start: buffer, count: n))
            try partial.writeAll(buffer, count: n)
            done += Int64(n)
            progress(Int64(n))
        }
        try partial.sync()
        let actual = SigV4Signer.hex(hasher.finalize())
        guard done == size, actual == sha256 else {
            unlink(partialPath)
            throw RemoteError(
                .corrupt, "the copy of \(key) hashes to \(actual.prefix(12)), not \(sha256.prefix(12))",
                hint: Hint("run {} on the local store, then push again", .check))
        }
        _ = fchmod(partial.raw, 0o444)
        guard rename(partialPath, target) == 0 else { throw LocalFile.posixError(errno, "cannot store '\(target)'") }
        LocalFile.syncDirectory(directory)
    }

    public func download(_ key: String, size: Int64, to destination: String, progress: @escaping TransferProgress)
        throws
    {
        guard let input = try openIfPresent(path(key)) else {
            throw RemoteError(
                .notFound,
                "\(key) is missing from \(displayURL): the remote is incomplete; push it again from a full store")
        }
        let output = try LocalFile.open(destination, flags: O_WRONLY | O_CREAT, mode: 0o600)
        var done = output.size
        if done > size {
            guard ftruncate(output.raw, 0) == 0 else {
                throw LocalFile.posixError(errno, "cannot reset '\(destination)'")
            }
            done = 0
        }
        progress(done)
        try input.seek(to: done)
        try output.seek(to: done)
        let chunk = 4 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 4096)
        defer { buffer.deallocate() }
        // Never more than the record declares: a file that keeps growing (or
        // a symlink to something endless) stops here, not at a full disk.
        while done < size {
            let n = try input.read(into: buffer, count: Int(min(Int64(chunk), size - done)))
            if n == 0 { break }
            try output.writeAll(buffer, count: n)
            done += Int64(n)
            progress(Int64(n))
        }
        if done == size, try input.read(into: buffer, count: 1) > 0 {
            throw RemoteError(
                .corrupt,
                "\(key) on \(displayURL) is larger than the \(size) bytes its record declares: the remote copy is damaged; push it again from a store that has it intact"
            )
        }
        try output.sync()
    }

    public func readRef(_ key: String) throws -> RemoteRef? {
        guard let bytes = try read(key, limit: RemoteLimits.ref) else { return nil }
        return RemoteRef(value: bytes, version: String(decoding: bytes, as: UTF8.self))
    }

    public func swapRef(_ key: String, expected: RemoteRef?, to value: [UInt8]) throws -> Bool {
        let target = path(key)
        let directory = try makeDirectory(for: target)
        let lockPath = target + ".lock"
        let lock = try acquireLock(lockPath)
        var renamed = false
        defer { if !renamed { unlink(lockPath) } }
        let current = try readRef(key)
        guard current?.value == expected?.value else { return false }
        try value.withUnsafeBytes { buffer in
            if let base = buffer.baseAddress { try lock.writeAll(base, count: buffer.count) }
        }
        try lock.sync()
        guard rename(lockPath, target) == 0 else { throw LocalFile.posixError(errno, "cannot update '\(target)'") }
        renamed = true
        LocalFile.syncDirectory(directory)
        return true
    }

    /// Creates `<ref>.lock` with `O_EXCL`, waiting for a live holder and
    /// removing a lock whose holder died (its flock is free and it is not brand new).
    /// The regular file at `path`, or nil when there is none.
    private func openIfPresent(_ path: String) throws(RemoteError) -> LocalFile? {
        do {
            return try LocalFile.openRegular(path)
        } catch {
            if error.code == .notFound { return nil }
            throw error
        }
    }

    private func acquireLock(_ lockPath: String) throws -> LocalFile {
        let deadline = Date().addingTimeInterval(FileRemote.lockWait)
        while true {
            let fd = LocalFile.retryingOnInterrupt {
                Glibc.open(lockPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            }
            if fd >= 0 {
                close(fd)
                let lock = try LocalFile.open(lockPath, flags: O_RDWR)
                _ = flock(lock.raw, LOCK_EX)
                return lock
            }
            guard errno == EEXIST else { throw LocalFile.posixError(errno, "cannot create '\(lockPath)'") }
            if let stale = try? LocalFile.open(lockPath, flags: O_RDONLY), flock(stale.raw, LOCK_EX | LOCK_NB) == 0 {
                var info = stat()
                if fstat(stale.raw, &info) == 0, Date().timeIntervalSince1970 - Double(info.st_mtim.tv_sec) > 2 {
                    unlink(lockPath)
                    continue
                }
            }
            if Date() > deadline {
                throw RemoteError(
                    .conflict,
                    "'\(lockPath)' is held by another push: wait for it, or remove the file if no push is running")
            }
            usleep(50_000)
        }
    }
}
