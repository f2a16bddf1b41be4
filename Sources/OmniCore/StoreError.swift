import OmniBasics

/// The error type of the `OmniStore` library.
///
/// An error is a ``Code`` (the class of failure), a one-line ``reason`` in
/// the library's own terms, and, where there is something to do, a `Hint`
/// whose remedies the caller names in its own terms: the CLI as commands to
/// type, ``message`` as library calls.
public struct StoreError: Error, CustomStringConvertible, Sendable, Equatable {
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
    /// What failed, with no advice.
    public let reason: String
    /// What to do about it.
    public let hint: Hint?

    public init(_ code: Code, _ reason: String, hint: Hint? = nil) {
        self.code = code
        self.reason = reason
        self.hint = hint
    }

    /// The reason and the hint, with remedies named by the library calls that perform them.
    public var message: String { Hint.join(reason, hint) { $0.libraryName } }

    /// The reason and the hint, each remedy named by `name`.
    public func text(naming name: (Remedy) -> String) -> String { Hint.join(reason, hint, naming: name) }

    public var description: String { message }
}
