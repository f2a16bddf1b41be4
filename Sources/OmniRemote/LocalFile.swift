import Crypto
import Foundation
import OmniBasics

#if canImport(Glibc)
    import Glibc
#endif

/// The remote's files, failing with ``RemoteError``.
typealias LocalFile = SystemFile<RemoteError>

extension RemoteError: SystemCallFailure {
    package static func posix(_ code: Int32, _ what: String) -> RemoteError {
        switch code {
        case ENOENT: return RemoteError(.notFound, "\(what): no such file or directory")
        case EACCES, EPERM: return RemoteError(.io, "\(what): permission denied; check the folder's permissions")
        case ENOSPC, EDQUOT:
            return RemoteError(.io, "\(what): no space left on device; free some space and run the command again")
        case EROFS: return RemoteError(.io, "\(what): the filesystem is read-only")
        default: return RemoteError(.io, "\(what): \(String(cString: strerror(code)))")
        }
    }
    package static func invalidArgument(_ message: String) -> RemoteError { RemoteError(.invalidArgument, message) }
    package static func notFound(_ message: String) -> RemoteError { RemoteError(.notFound, message) }
}

extension SystemFile where Failure == RemoteError {
    /// Opens an existing file for reading, refusing anything but a regular
    /// file: a FIFO, socket or device on a remote would block a read forever
    /// or never end. The open itself does not block (O_NONBLOCK), and the
    /// flag is cleared once the file is known to be regular.
    static func openRegular(_ path: String) throws(RemoteError) -> LocalFile {
        let file = try LocalFile.open(path, flags: O_RDONLY | O_NONBLOCK | O_NOCTTY)
        var info = stat()
        guard fstat(file.raw, &info) == 0 else { throw posixError(errno, "cannot read '\(path)'") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw RemoteError(
                .corrupt,
                "'\(path)' is not a regular file (a FIFO, device, socket or folder): remove it from the remote, then run the command again"
            )
        }
        let flags = fcntl(file.raw, F_GETFL)
        guard flags >= 0, fcntl(file.raw, F_SETFL, flags & ~O_NONBLOCK) == 0 else {
            throw posixError(errno, "cannot read '\(path)'")
        }
        return file
    }

    /// Reads the whole file, refusing one longer than `limit` bytes before
    /// holding more than that in memory.
    func readAll(limit: Int) throws(RemoteError) -> [UInt8] {
        var bytes: [UInt8] = []
        let chunk = 64 << 10
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try read(into: buffer, count: chunk)
            if n == 0 { return bytes }
            guard bytes.count + n <= limit else {
                throw RemoteError(
                    .corrupt,
                    "'\(path)' is larger than \(limit >> 10) KiB, more than such a record can be: the remote is damaged or hostile; remove the file from it"
                )
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: n))
        }
    }

    static func posixError(_ code: Int32, _ what: String) -> RemoteError { RemoteError.posix(code, what) }

    /// Creates `path`'s folder and its parents.
    static func makeDirectories(_ path: String) throws(RemoteError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw RemoteError(.io, "cannot create '\(path)': \(error.localizedDescription)")
        }
    }
}

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
