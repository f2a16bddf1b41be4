import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An owned POSIX file descriptor for transfers, closed on deinit.
final class LocalFile {
    let raw: Int32
    let path: String

    private init(raw: Int32, path: String) {
        self.raw = raw
        self.path = path
    }

    deinit { close(raw) }

    static func open(_ path: String, flags: Int32, mode: mode_t = 0o644) throws -> LocalFile {
        let fd = retrying { Glibc.open(path, flags | O_CLOEXEC, mode) }
        guard fd >= 0 else { throw posixError(errno, "cannot open '\(path)'") }
        return LocalFile(raw: fd, path: path)
    }

    /// Opens an existing file for reading, refusing anything but a regular
    /// file: a FIFO, socket or device on a remote would block a read forever
    /// or never end. The open itself does not block (O_NONBLOCK), and the
    /// flag is cleared once the file is known to be regular.
    static func openRegular(_ path: String) throws -> LocalFile {
        let fd = retrying { Glibc.open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC) }
        guard fd >= 0 else { throw posixError(errno, "cannot open '\(path)'") }
        let file = LocalFile(raw: fd, path: path)
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw posixError(errno, "cannot read '\(path)'") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw RemoteError(
                .corrupt, "'\(path)' is not a regular file (a FIFO, device, socket or folder): remove it from the remote, then run the command again")
        }
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0 else { throw posixError(errno, "cannot read '\(path)'") }
        return file
    }

    /// Reads the whole file, refusing one longer than `limit` bytes before
    /// holding more than that in memory.
    func readAll(limit: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        let chunk = 64 << 10
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try read(into: buffer, count: chunk)
            if n == 0 { return bytes }
            guard bytes.count + n <= limit else {
                throw RemoteError(
                    .corrupt, "'\(path)' is larger than \(limit >> 10) KiB, more than such a record can be: the remote is damaged or hostile; remove the file from it")
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: n))
        }
    }

    var size: Int64 {
        var info = stat()
        return fstat(raw, &info) == 0 ? Int64(info.st_size) : 0
    }

    func read(into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
        let n = LocalFile.retrying { Glibc.read(raw, buffer, count) }
        guard n >= 0 else { throw LocalFile.posixError(errno, "cannot read '\(path)'") }
        return n
    }

    func writeAll(_ buffer: UnsafeRawPointer, count: Int) throws {
        var offset = 0
        while offset < count {
            let n = LocalFile.retrying { Glibc.write(raw, buffer + offset, count - offset) }
            guard n > 0 else { throw LocalFile.posixError(errno, "cannot write '\(path)'") }
            offset += n
        }
    }

    func seek(to offset: Int64) throws {
        guard lseek(raw, off_t(offset), SEEK_SET) >= 0 else { throw LocalFile.posixError(errno, "cannot seek in '\(path)'") }
    }

    func sync() throws {
        guard fsync(raw) == 0 else { throw LocalFile.posixError(errno, "cannot flush '\(path)' to disk") }
    }

    static func retrying<T: BinaryInteger>(_ call: () -> T) -> T {
        while true {
            let result = call()
            if result >= 0 || errno != EINTR { return result }
        }
    }

    static func posixError(_ code: Int32, _ what: String) -> RemoteError {
        switch code {
        case ENOENT: return RemoteError(.notFound, "\(what): no such file or directory")
        case EACCES, EPERM: return RemoteError(.io, "\(what): permission denied; check the folder's permissions")
        case ENOSPC, EDQUOT: return RemoteError(.io, "\(what): no space left on device; free some space and run the command again")
        case EROFS: return RemoteError(.io, "\(what): the filesystem is read-only")
        default: return RemoteError(.io, "\(what): \(String(cString: strerror(code)))")
        }
    }

    /// Creates `path`'s folder and its parents.
    static func makeDirectories(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw RemoteError(.io, "cannot create '\(path)': \(error.localizedDescription)")
        }
    }

    /// fsyncs a folder so a rename into it survives a crash.
    static func syncDirectory(_ path: String) {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }
}

@available(*, unavailable)
extension LocalFile: Sendable {}

/// Hex SHA-256 helpers.
public enum Digest {
    /// The lowercase hex SHA-256 of bytes.
    public static func sha256(_ bytes: [UInt8]) -> String {
        SigV4Signer.hex(SHA256.hash(data: bytes))
    }

    /// The lowercase hex SHA-256 of a byte range of a file (the whole file by default).
    public static func sha256(file path: String, offset: Int64 = 0, length: Int64? = nil) throws -> String {
        let file = try LocalFile.open(path, flags: O_RDONLY)
        try file.seek(to: offset)
        let chunk = 4 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 4096)
        defer { buffer.deallocate() }
        var hasher = SHA256()
        var remaining = length ?? Int64.max
        while remaining > 0 {
            let n = try file.read(into: buffer, count: Int(min(Int64(chunk), remaining)))
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(start: buffer, count: n))
            remaining -= Int64(n)
        }
        return SigV4Signer.hex(hasher.finalize())
    }
}
