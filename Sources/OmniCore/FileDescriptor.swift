import Foundation
import OmniBasics

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The core's files, failing with ``StoreError``.
package typealias FileDescriptor = SystemFile<StoreError>
/// The core's atomic writes (temp, fsync, rename), failing with ``StoreError``.
package typealias AtomicFile = AtomicSystemFile<StoreError>

extension StoreError: SystemCallFailure {
    package static func posix(_ code: Int32, _ what: String) -> StoreError { FileDescriptor.posixError(code, what) }
    package static func invalidArgument(_ message: String) -> StoreError { StoreError(.invalidArgument, message) }
    package static func notFound(_ message: String) -> StoreError { StoreError(.notFound, message) }
}

extension SystemFile where Failure == StoreError {
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
                .io,
                "\(what): file too large for this process's file size limit (ulimit -f) or the filesystem; raise the limit and run the command again"
            )
        default: return StoreError(.io, "\(what): \(String(cString: strerror(code)))")
        }
    }
}
