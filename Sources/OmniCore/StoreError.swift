/// The error type of the `OmniStore` library.
///
/// Every message is one line that says what failed and, where there is one,
/// what to do next, so the CLI can print it as is.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    /// The class of failure, for callers that branch on it.
    public enum Code: String, Sendable, Equatable {
        /// No store was found at or above the directory.
        case notAStore
        /// The store was written by a newer omnistore.
        case formatTooNew
        /// A named thing (asset, revision, file) does not exist.
        case notFound
        /// An id prefix matches more than one thing.
        case ambiguous
        /// An argument is malformed: a bad id, name or option value.
        case invalidArgument
        /// A file could not be read or written.
        case io
        /// The file is not media omnistore can read.
        case media
        /// Stored bytes no longer match their id.
        case corrupt
        /// The store cannot be written (read-only filesystem or permissions).
        case readOnly
        /// The database failed in a way the user cannot fix by retrying.
        case database
        /// The operation would lose data and needs explicit confirmation.
        case conflict
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
