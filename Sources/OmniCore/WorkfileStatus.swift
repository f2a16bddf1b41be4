/// The working file's state against HEAD, as `status` shows it.
public struct WorkfileStatus: Sendable, Equatable {
    public enum State: String, Sendable {
        /// It holds HEAD's output.
        case matchesHead = "matches HEAD"
        /// Its bytes are stored (another turn's output or an added asset) but are not HEAD's output.
        case stored = "differs from HEAD, stored"
        /// Its bytes are in no turn and no asset: work that would be lost.
        case modified = "modified, not recorded"
        /// There is no working file.
        case missing = "missing"
    }

    /// Absolute path of the working file.
    public let path: String
    public let state: State
    /// The SHA-256 of its bytes, when it exists.
    public let hash: AssetID?

    /// Whether overwriting or removing it loses nothing.
    public var isSafeToReplace: Bool { state != .modified }
}
