import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An owned POSIX file descriptor, closed on deinit.
package final class FileDescriptor {
    package let raw: Int32
    let path: String

    private init(raw: Int32, path: String) {
        self.raw = raw
        self.path = path
    }

    deinit { close(raw) }

    /// Opens an existing file for reading.
    package static func openForReading(_ path: String) throws(StoreError) -> FileDescriptor {
        let fd = retryingOnInterrupt { open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw posixError(errno, "cannot read '\(path)'") }
        return FileDescriptor(raw: fd, path: path)
    }

    /// Creates a new file that must not exist yet.
    static func createExclusive(_ path: String, mode: mode_t = 0o644) throws(StoreError) -> FileDescriptor {
        let fd = retryingOnInterrupt { open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode) }
        guard fd >= 0 else { throw posixError(errno, "cannot create '\(path)'") }
        return FileDescriptor(raw: fd, path: path)
    }

    /// Opens (creating if needed) a file used only for `flock`.
    package static func openForLocking(_ path: String) throws(StoreError) -> FileDescriptor {
        let fd = retryingOnInterrupt { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }
        guard fd >= 0 else { throw posixError(errno, "cannot open lock file '\(path)'") }
        return FileDescriptor(raw: fd, path: path)
    }

    /// Opens a directory so it can be fsynced after a rename into it.
    package static func openDirectory(_ path: String) throws(StoreError) -> FileDescriptor {
        let fd = retryingOnInterrupt { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw posixError(errno, "cannot open folder '\(path)'") }
        return FileDescriptor(raw: fd, path: path)
    }

    package func status() throws(StoreError) -> stat {
        var info = stat()
        guard fstat(raw, &info) == 0 else { throw FileDescriptor.posixError(errno, "cannot stat '\(path)'") }
        return info
    }

    /// Reads up to `count` bytes; 0 means end of file.
    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(StoreError) -> Int {
        let n = FileDescriptor.retryingOnInterrupt { Glibc.read(raw, buffer, count) }
        guard n >= 0 else { throw FileDescriptor.posixError(errno, "cannot read '\(path)'") }
        return n
    }

    /// Reads until `count` bytes or the end of the file, so that every chunk
    /// but the last is whole even where reads come back short (FUSE, NFS).
    func readFully(into buffer: UnsafeMutableRawPointer, count: Int) throws(StoreError) -> Int {
        var total = 0
        while total < count {
            let n = try read(into: buffer + total, count: count - total)
            if n == 0 { break }
            total += n
        }
        return total
    }

    /// Writes all `count` bytes, looping over short writes.
    func writeAll(_ buffer: UnsafeRawPointer, count: Int) throws(StoreError) {
        var offset = 0
        while offset < count {
            let n = FileDescriptor.retryingOnInterrupt { Glibc.write(raw, buffer + offset, count - offset) }
            guard n > 0 else { throw FileDescriptor.posixError(errno, "cannot write '\(path)'") }
            offset += n
        }
    }

    package func sync() throws(StoreError) {
        guard fsync(raw) == 0 else { throw FileDescriptor.posixError(errno, "cannot flush '\(path)' to disk") }
    }

    /// Takes an advisory lock; `wait: false` returns false instead of blocking
    /// when another process holds it.
    func lockExclusive(wait: Bool) -> Bool {
        flock(raw, LOCK_EX | (wait ? 0 : LOCK_NB)) == 0
    }

    static func retryingOnInterrupt<T: BinaryInteger>(_ call: () -> T) -> T {
        while true {
            let result = call()
            if result >= 0 || errno != EINTR { return result }
        }
    }

    /// Maps an errno to a one-line message with a hint for the common cases.
    package static func posixError(_ code: Int32, _ what: String) -> StoreError {
        switch code {
        case ENOENT: return StoreError(.notFound, "\(what): no such file or directory")
        case EACCES, EPERM: return StoreError(.io, "\(what): permission denied")
        case EROFS: return StoreError(.readOnly, "\(what): the filesystem is read-only")
        case ENOSPC, EDQUOT:
            return StoreError(.io, "\(what): no space left on device; free some space and run the command again")
        case EISDIR: return StoreError(.invalidArgument, "\(what): is a directory")
        case EFBIG:
            return StoreError(
                .io, "\(what): file too large for this process's file size limit (ulimit -f) or the filesystem; raise the limit and run the command again")
        default: return StoreError(.io, "\(what): \(String(cString: strerror(code)))")
        }
    }
}

@available(*, unavailable)
extension FileDescriptor: Sendable {}
