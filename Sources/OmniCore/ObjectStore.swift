import OmniBasics
internal import CPosix
import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The folder of content-addressed object files, written the way git writes
/// loose objects: temp file in `objects/`, fsync, rename.
package struct ObjectStore: Sendable {
    let layout: StoreLayout

    /// Bytes per read: large enough that syscalls cost nothing next to hashing.
    static let chunkSize = 4 << 20
    static let temporaryPrefix = "tmp_obj_"
    /// Files at least this large are written around the page cache (see
    /// ``ChunkWriter``); smaller ones are cheap to cache and often read back
    /// at once (a reference image, a clip about to be probed or checked out).
    static let directIOThreshold: Int64 = 32 << 20

    /// Copies `sourcePath` into a temp file in `objects/`, hashing in the same
    /// pass, and fsyncs it. Nothing is visible under an object path until
    /// ``StagedObject/publish()``.
    /// - Parameter durable: fsync the copy; false when the caller syncs a
    ///   batch at once (``syncBatch()``) before publishing it.
    func stage(
        from sourcePath: String, durable: Bool = true, progress: (_ done: Int64, _ total: Int64) -> Void
    ) throws(StoreError) -> StagedObject {
        let source = try FileDescriptor.openForReading(sourcePath)
        let info = try source.status()
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw StoreError(.invalidArgument, "'\(sourcePath)' is a directory: use -r to add its files")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw StoreError(.invalidArgument, "'\(sourcePath)' is not a regular file")
        }
        let total = Int64(info.st_size)
        _ = posix_fadvise(source.raw, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))

        let staged = try StagedObject.create(in: self, fileExtension: ObjectStore.safeExtension(of: sourcePath))
        staged.source = (FileFingerprint(info), FileFingerprint.now())
        // Hashing and writing overlap: while this thread hashes a chunk, a
        // second thread writes it (and starts its writeback), so the copy
        // costs about as much as the hash alone instead of adding to it.
        // Reserving the blocks up front spares the filesystem from growing the
        // file chunk by chunk (and fails early, cleanly, when the disk is full);
        // the size still grows with what is written.
        if total > 0 {
            let reserved = cposix_reserve(staged.file.raw, total)
            if reserved == ENOSPC || reserved == EDQUOT {
                throw FileDescriptor.posixError(reserved, "cannot add '\(sourcePath)'")
            }
        }
        let writer = ChunkWriter(
            fd: staged.file.raw, path: staged.temporaryPath, directIO: total >= ObjectStore.directIOThreshold,
            expectedSize: total)
        defer { writer.release() }
        var hasher = SHA256()
        var done: Int64 = 0
        var slot = 0
        while true {
            let buffer = writer.acquire(slot)
            let n: Int
            do {
                n = try source.readFully(into: buffer, count: writer.chunkSize)
            } catch {
                writer.free(slot)
                throw error
            }
            if n == 0 {
                writer.free(slot)
                break
            }
            writer.write(slot, count: n, at: done)
            hasher.update(bufferPointer: UnsafeRawBufferPointer(start: buffer, count: n))
            done += Int64(n)
            progress(done, total)
            slot = (slot + 1) % ChunkWriter.slots
        }
        try writer.finish(durable: durable)
        let digest = hasher.finalize()
        staged.id = AssetID(digest: digest)
        staged.size = done
        return staged
    }

    /// Makes a batch of staged copies durable as git's
    /// `core.fsyncMethod=batch` does: each file's data is written out
    /// (writeout only, no cache flush), then one fsync of a new file in
    /// `objects/` commits the filesystem's journal, with every allocation in
    /// it, and flushes the device's cache once for all of them.
    func syncBatch(_ staged: [StagedObject]) throws(StoreError) {
        for object in staged where cposix_wait_writeout(object.file.raw) != 0 {
            throw FileDescriptor.posixError(errno, "cannot write '\(object.temporaryPath)' out")
        }
        try flushJournal()
    }

    /// One full fsync for everything written so far (renames included):
    /// of a new, empty file, so that the journal holds a change to commit.
    func flushJournal() throws(StoreError) {
        let path =
            "\(layout.objectsDirectory)/\(ObjectStore.temporaryPrefix)flush_\(UUID().uuidString.prefix(13).lowercased())"
        let file = try FileDescriptor.createExclusive(path, mode: 0o600)
        defer { unlink(path) }
        try file.sync()
    }

    /// The source's extension if it is short and plain (letters and digits), else "".
    static func safeExtension(of path: String) -> String {
        let name = (path as NSString).lastPathComponent
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        let ext = name[name.index(after: dot)...].lowercased()
        guard (1...8).contains(ext.count), ext.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            return ""
        }
        return ext
    }

    /// Whether the object's file exists.
    package func contains(_ id: AssetID) -> Bool {
        access(layout.objectPath(id), F_OK) == 0
    }

    /// Removes temp files left by killed processes.
    ///
    /// A live writer holds an exclusive `flock` on its temp file for as long as
    /// it writes, and the kernel drops that lock when the process dies, so a
    /// temp file whose lock can be taken belongs to nobody. A brand-new empty
    /// file is spared: its writer may not have locked it yet.
    @discardableResult
    func removeAbandonedTemporaries() -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: layout.objectsDirectory) else {
            return []
        }
        var removed: [String] = []
        for name in names where name.hasPrefix(ObjectStore.temporaryPrefix) {
            let path = layout.objectsDirectory + "/" + name
            guard let file = try? FileDescriptor.openForReading(path), file.lockExclusive(wait: false),
                let info = try? file.status()
            else { continue }
            let age = Date().timeIntervalSince1970 - Double(info.st_mtim.tv_sec)
            if info.st_size == 0 && age < 10 { continue }
            if unlink(path) == 0 { removed.append(path) }
        }
        return removed
    }

    /// Streams an object to `destination`, re-hashing it on the way, and
    /// publishes the copy atomically. A corrupt object is refused, not copied.
    func export(_ id: AssetID, to destination: String) throws(StoreError) {
        let objectPath = layout.objectPath(id)
        let source: FileDescriptor
        do {
            source = try FileDescriptor.openForReading(objectPath)
        } catch  where error.code == .notFound {
            throw StoreError(
                .notFound, "object \(id.short) is missing from the store",
                hint: Hint("re-add the original file, then run {}", .check))
        }
        let target = try AtomicFile(destination: destination)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: ObjectStore.chunkSize, alignment: 4096)
        defer { buffer.deallocate() }
        var hasher = SHA256()
        while true {
            let n = try source.read(into: buffer, count: ObjectStore.chunkSize)
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(start: buffer, count: n))
            try target.file.writeAll(buffer, count: n)
        }
        let actual = AssetID(digest: hasher.finalize())
        guard actual == id else {
            throw StoreError(
                .corrupt, "object \(id.short) is corrupt (its bytes hash to \(actual.short))",
                hint: Hint("run {} to quarantine it", .check))
        }
        try target.commit()
    }

    /// Streams an object to an already-open descriptor such as stdout, after
    /// checking it against its id: bytes already sent cannot be taken back.
    func write(_ id: AssetID, toDescriptor output: Int32) throws(StoreError) {
        let objectPath = layout.objectPath(id)
        let actual: AssetID
        do {
            actual = try ObjectStore.hash(objectPath)
        } catch  where error.code == .notFound {
            throw StoreError(
                .notFound, "object \(id.short) is missing from the store",
                hint: Hint("re-add the original file, then run {}", .check))
        }
        guard actual == id else {
            throw StoreError(
                .corrupt, "object \(id.short) is corrupt (its bytes hash to \(actual.short))",
                hint: Hint("run {} to quarantine it", .check))
        }
        let source = try FileDescriptor.openForReading(objectPath)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: ObjectStore.chunkSize, alignment: 4096)
        defer { buffer.deallocate() }
        while true {
            let n = try source.read(into: buffer, count: ObjectStore.chunkSize)
            if n == 0 { break }
            var offset = 0
            while offset < n {
                let written = FileDescriptor.retryingOnInterrupt { Glibc.write(output, buffer + offset, n - offset) }
                guard written > 0 else { throw FileDescriptor.posixError(errno, "cannot write the output") }
                offset += written
            }
        }
    }
}

extension ObjectStore {
    /// The SHA-256 of a file, streamed with bounded memory.
    package static func hash(_ path: String) throws(StoreError) -> AssetID {
        let source = try FileDescriptor.openForReading(path)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunkSize, alignment: 4096)
        defer { buffer.deallocate() }
        var hasher = SHA256()
        while true {
            let n = try source.read(into: buffer, count: chunkSize)
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(start: buffer, count: n))
        }
        return AssetID(digest: hasher.finalize())
    }
}
