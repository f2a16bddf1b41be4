import Foundation

/// One file on a remote, as a listing shows it.
public struct RemoteEntry: Sendable, Equatable {
    /// The key relative to the remote's root, such as `objects/ab/cdef…`.
    public let key: String
    public let size: Int64
}

/// A ref file read from a remote, with the version a compare-and-swap must name.
public struct RemoteRef: Sendable, Equatable {
    /// The file's bytes (a turn id and a newline).
    public let value: [UInt8]
    /// An S3 ETag, or the bytes themselves for a shared folder.
    public let version: String
}

/// Progress reports from transfers: bytes moved since the last call.
public typealias TransferProgress = @Sendable (_ bytes: Int64) -> Void

/// Where a store's objects, turns and refs are shared: a folder (NAS) or an
/// S3-compatible bucket.
///
/// The layout is the same everywhere and everything in it but the refs is
/// immutable and named by its content:
///
/// ```
/// objects/ab/cdef…     object bytes, named by SHA-256 (the same ids as the store)
/// assets/<id>          what the store knows about an object (probe), for lazy clones
/// turns/<id>           canonical turn records; receivers re-verify the id
/// refs/heads/<name>    a branch: its tip turn id
/// ```
///
/// Every method blocks; call from threads that may block. Implementations
/// are safe to call from several threads at once.
public protocol RemoteTransport: Sendable {
    /// The remote's URL, for messages.
    var displayURL: String { get }

    /// The files under `prefix` (such as `objects/` or `refs/heads/`).
    func list(_ prefix: String) throws -> [RemoteEntry]

    /// The size of one file, or nil when it is absent.
    func size(of key: String) throws -> Int64?

    /// A small file's bytes, or nil when it is absent.
    ///
    /// - Parameters:
    ///   - key: the file's path in the remote (`turns/<id>`).
    ///   - limit: the most bytes such a file can hold (``RemoteLimits``);
    ///     a longer one is refused before more than that is held in memory.
    func read(_ key: String, limit: Int) throws -> [UInt8]?

    /// Writes a small immutable file (a turn or asset record).
    func write(_ key: String, bytes: [UInt8]) throws

    /// Uploads a local file under `key`; `sha256` is its hex SHA-256 (for an
    /// object, its id), which the receiving side checks where it can.
    /// Interrupted uploads of large files resume where they stopped.
    func upload(_ key: String, from path: String, size: Int64, sha256: String, progress: @escaping TransferProgress)
        throws

    /// Downloads `key` into `path`, resuming what an interrupted download of
    /// the same key left there. The caller verifies the bytes.
    func download(_ key: String, size: Int64, to path: String, progress: @escaping TransferProgress) throws

    /// Reads a ref file with its version, or nil when it does not exist.
    func readRef(_ key: String) throws -> RemoteRef?

    /// Replaces a ref file if it is still at `expected` (nil: if it does not
    /// exist yet).
    ///
    /// - Returns: false when the ref moved (the compare failed); nothing was written then.
    func swapRef(_ key: String, expected: RemoteRef?, to value: [UInt8]) throws -> Bool
}

/// The most bytes a small remote file can hold. A ref is one line and a turn
/// record a few KiB; anything far larger is damage or an attack, and reading
/// it whole would cost its size in memory.
public enum RemoteLimits {
    /// A ref file (`refs/heads/<name>`).
    public static let ref = 1 << 20
    /// A turn record (`turns/<id>`).
    public static let turn = 1 << 20
    /// An asset pack (`assets/<id>`): one per push, its records a few hundred bytes each.
    public static let assetPack = 256 << 20
    /// A metadata record (`meta/<id>`): one per command, a line per asset changed.
    public static let metaRecord = 64 << 20
}

/// Opening a transport from a remote URL.
public enum Remotes {
    /// S3 settings that are not credentials: where to send requests.
    public struct S3Options: Sendable, Equatable {
        /// `http(s)://host[:port]`; nil means AWS (`https://s3.<region>.amazonaws.com`).
        public var endpoint: String?
        public var region: String?
        /// `path`, `virtual`, or nil to choose (path style for custom endpoints).
        public var addressing: String?

        public init(endpoint: String? = nil, region: String? = nil, addressing: String? = nil) {
            self.endpoint = endpoint
            self.region = region
            self.addressing = addressing
        }
    }

    /// Checks a remote URL: `file:///path`, a plain absolute path, or `s3://bucket[/prefix]`.
    public static func validate(_ url: String) throws {
        _ = try parse(url)
    }

    enum Location {
        case folder(String)
        case s3(bucket: String, prefix: String)
    }

    static func parse(_ url: String) throws -> Location {
        if url.hasPrefix("file://") {
            let path = String(url.dropFirst("file://".count))
            guard path.hasPrefix("/") else {
                throw RemoteError(.invalidArgument, "'\(url)' is not a file URL: write file:///absolute/path")
            }
            return .folder(path.removingPercentEncoding ?? path)
        }
        if url.hasPrefix("/") { return .folder(url) }
        if url.hasPrefix("s3://") {
            let rest = url.dropFirst("s3://".count)
            let bucket = String(rest.prefix { $0 != "/" })
            let prefix = rest.dropFirst(bucket.count).split(separator: "/").joined(separator: "/")
            guard S3Remote.isValidBucket(bucket) else {
                throw RemoteError(
                    .invalidArgument,
                    "'\(bucket)' is not an S3 bucket name: use 3-63 lowercase letters, digits, '-' and '.'")
            }
            return .s3(bucket: bucket, prefix: prefix)
        }
        throw RemoteError(
            .invalidArgument, "'\(url)' is not a remote URL: use file:///mnt/nas/project.omni or s3://bucket/prefix")
    }

    /// Opens the transport for a URL. S3 credentials come from the
    /// environment now and live only in memory.
    ///
    /// - Parameters:
    ///   - url: a folder path, `file://` URL or `s3://bucket/prefix` URL.
    ///   - s3: the endpoint, region and addressing of an S3 remote.
    ///   - environment: where S3 credentials are read from.
    ///   - create: for a folder, create it when missing (push and clone targets).
    public static func open(
        _ url: String, s3: S3Options = S3Options(), environment: [String: String] = ProcessInfo.processInfo.environment,
        create: Bool = false
    ) throws -> any RemoteTransport {
        switch try parse(url) {
        case .folder(let path):
            return try FileRemote(root: path, create: create)
        case .s3(let bucket, let prefix):
            let region = s3.region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
            let endpoint = s3.endpoint ?? environment["AWS_ENDPOINT_URL_S3"] ?? environment["AWS_ENDPOINT_URL"]
            let credentials = try AWSCredentials.fromEnvironment(environment)
            return try S3Remote(
                bucket: bucket, prefix: prefix, endpoint: endpoint, region: region, addressing: s3.addressing,
                credentials: credentials)
        }
    }
}
