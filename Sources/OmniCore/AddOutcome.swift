/// What happened to one path given to ``Store/add(_:recursive:rehash:progress:)``.
public enum AddOutcome: Sendable {
    /// The bytes were new and are now stored.
    case added(Asset, path: String)
    /// The same bytes were already stored; only the path was remembered.
    case alreadyStored(Asset, path: String)
    /// Nothing was stored for this path.
    case failed(path: String, error: StoreError)

    /// The path as the caller gave it (or as found under a folder).
    public var path: String {
        switch self {
        case .added(_, let path), .alreadyStored(_, let path), .failed(let path, _): return path
        }
    }
}

/// Where a running ``Store/add(_:recursive:rehash:progress:)`` is, for progress display.
public struct AddProgress: Sendable {
    /// The file being copied.
    public let path: String
    /// Its position in the batch, from 0.
    public let fileIndex: Int
    public let fileCount: Int
    public let fileBytesDone: Int64
    public let fileBytesTotal: Int64
    public let batchBytesDone: Int64
    public let batchBytesTotal: Int64
}
