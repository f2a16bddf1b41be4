import OmniBasics

/// The error type of the `OmniRemote` module.
///
/// Every message is one line that says what failed and what to do next. No
/// message ever carries a credential: URLs are shown without their query and
/// signed headers are never echoed.
public struct RemoteError: Error, CustomStringConvertible, Sendable {
    /// The class of failure, for callers that branch on it.
    public enum Code: String, Sendable, Equatable {
        /// The remote URL or an option is malformed.
        case invalidArgument
        /// The key does not exist on the remote.
        case notFound
        /// A compare-and-swap lost: the ref moved since it was read.
        case conflict
        /// The credentials are missing, wrong or not allowed to do this.
        case authentication
        /// The network failed or the server kept failing.
        case transport
        /// The server answered in a way this client does not understand.
        case protocolError
        /// Bytes did not hash to their id.
        case corrupt
        /// A local or shared-folder file could not be read or written.
        case io
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

    /// The reason and the hint, with remedies named by library calls.
    public var message: String { Hint.join(reason, hint) { $0.libraryName } }

    public var description: String { message }
}
