/// The error type of the `OmniLooks` library.
///
/// The message names what failed and, where there is one, what to do.
public struct LooksError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The class of failure, for callers that branch on it.
    public enum Code: String, Sendable, Equatable {
        /// The file has no pictures to look at (audio, or not media).
        case noPictures
        /// The pictures could not be decoded.
        case undecodable
        /// An argument is out of range, such as a distance above 256.
        case invalidArgument
    }

    public let code: Code
    /// What failed and what to do, in one line.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
