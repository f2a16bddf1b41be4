import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How a module's own error type is made from a failed system call.
///
/// The file code is shared, but each module keeps its one error type and its
/// wording: the core says "the filesystem is read-only" as a `readOnly` store
/// error, a remote says it as an I/O error of the remote.
package protocol SystemCallFailure: Error {
    /// The error for a call on `what` (such as "cannot read '/x'") that failed
    /// with the errno `code`.
    static func posix(_ code: Int32, _ what: String) -> Self
    /// The error for an argument that cannot work, such as a folder given
    /// where a file is written.
    static func invalidArgument(_ message: String) -> Self
    /// The error for a file or folder that is not there.
    static func notFound(_ message: String) -> Self
}

/// An owned POSIX file descriptor, closed on deinit. Every failed call
/// becomes a `Failure` through ``SystemCallFailure/posix(_:_:)``.
package final class SystemFile<Failure: SystemCallFailure> {
    package let raw: Int32
    package let path: String

    package init(raw: Int32, path: String) {
        self.raw = raw
        self.path = path
    }

    deinit { close(raw) }

    /// Opens `path` with `flags` (close-on-exec is always added).
    package static func open(_ path: String, flags: Int32, mode: mode_t = 0o644, what: String? = nil) throws(Failure)
        -> SystemFile
    {
        let fd = retryingOnInterrupt { Glibc.open(path, flags | O_CLOEXEC, mode) }
        guard fd >= 0 else { throw Failure.posix(errno, what ?? "cannot open '\(path)'") }
        return SystemFile(raw: fd, path: path)
    }

    /// Opens an existing file for reading.
    package static func openForReading(_ path: String) throws(Failure) -> SystemFile {
        try open(path, flags: O_RDONLY, what: "cannot read '\(path)'")
    }

    /// Creates a new file that must not exist yet.
    package static func createExclusive(_ path: String, mode: mode_t = 0o644) throws(Failure) -> SystemFile {
        try open(path, flags: O_RDWR | O_CREAT | O_EXCL, mode: mode, what: "cannot create '\(path)'")
    }

    /// Opens (creating if needed) a file used only for `flock`.
    package static func openForLocking(_ path: String) throws(Failure) -> SystemFile {
        try open(path, flags: O_RDWR | O_CREAT, what: "cannot open lock file '\(path)'")
    }

    /// Opens a directory so it can be fsynced after a rename into it.
    package static func openDirectory(_ path: String) throws(Failure) -> SystemFile {
        try open(path, flags: O_RDONLY | O_DIRECTORY, what: "cannot open folder '\(path)'")
    }

    package func status() throws(Failure) -> stat {
        var info = stat()
        guard fstat(raw, &info) == 0 else { throw Failure.posix(errno, "cannot stat '\(path)'") }
        return info
    }

    /// The file's size, or 0 when it cannot be read.
    package var size: Int64 {
        var info = stat()
        return fstat(raw, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// Reads up to `count` bytes; 0 means end of file.
    package func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(Failure) -> Int {
        let n = SystemFile.retryingOnInterrupt { Glibc.read(raw, buffer, count) }
        guard n >= 0 else { throw Failure.posix(errno, "cannot read '\(path)'") }
        return n
    }

    /// Reads until `count` bytes or the end of the file, so that every chunk
    /// but the last is whole even where reads come back short (FUSE, NFS).
    package func readFully(into buffer: UnsafeMutableRawPointer, count: Int) throws(Failure) -> Int {
        var total = 0
        while total < count {
            let n = try read(into: buffer + total, count: count - total)
            if n == 0 { break }
            total += n
        }
        return total
    }

    /// Writes all `count` bytes, looping over short writes.
    package func writeAll(_ buffer: UnsafeRawPointer, count: Int) throws(Failure) {
        var offset = 0
        while offset < count {
            let n = SystemFile.retryingOnInterrupt { Glibc.write(raw, buffer + offset, count - offset) }
            guard n > 0 else { throw Failure.posix(errno, "cannot write '\(path)'") }
            offset += n
        }
    }

    package func seek(to offset: Int64) throws(Failure) {
        guard lseek(raw, off_t(offset), SEEK_SET) >= 0 else { throw Failure.posix(errno, "cannot seek in '\(path)'") }
    }

    package func sync() throws(Failure) {
        guard fsync(raw) == 0 else { throw Failure.posix(errno, "cannot flush '\(path)' to disk") }
    }

    /// Takes an advisory lock; `wait: false` returns false instead of blocking
    /// when another process holds it.
    package func lockExclusive(wait: Bool) -> Bool {
        flock(raw, LOCK_EX | (wait ? 0 : LOCK_NB)) == 0
    }

    package static func retryingOnInterrupt<T: BinaryInteger>(_ call: () -> T) -> T {
        while true {
            let result = call()
            if result >= 0 || errno != EINTR { return result }
        }
    }

    /// fsyncs a folder so a rename into it survives a crash; best effort.
    package static func syncDirectory(_ path: String) {
        try? openDirectory(path).sync()
    }
}

@available(*, unavailable)
extension SystemFile: Sendable {}
