import OmniRemote
import OmniCore

/// A named remote: where a store's graph is shared. Credentials are never
/// part of it; S3 ones come from the environment when a command runs.
public struct RemoteConfig: Sendable, Equatable {
    public let name: String
    /// `file:///path` or `s3://bucket/prefix`.
    public let url: String
    /// The S3 endpoint (`--endpoint`); nil means `AWS_ENDPOINT_URL` or AWS itself.
    public let endpoint: String?
    /// The S3 region (`--region`); nil means `AWS_REGION` or us-east-1.
    public let region: String?
    /// `path` or `virtual` S3 addressing; nil chooses.
    public let addressing: String?
    /// Whether pulls from it record objects without downloading them (`clone --lazy`).
    public let lazy: Bool

    public init(
        name: String, url: String, endpoint: String? = nil, region: String? = nil, addressing: String? = nil,
        lazy: Bool = false
    ) {
        self.name = name
        self.url = url
        self.endpoint = endpoint
        self.region = region
        self.addressing = addressing
        self.lazy = lazy
    }

    var s3Options: Remotes.S3Options {
        Remotes.S3Options(endpoint: endpoint, region: region, addressing: addressing)
    }

    /// The first rule a remote name breaks, or nil: a branch name without `/`.
    static func problem(_ name: String) -> String? {
        if name.contains("/") { return "it contains '/'" }
        return BranchName.problem(name)
    }
}

/// Where a transfer is, for progress displays.
public struct SyncProgress: Sendable {
    public enum Phase: String, Sendable {
        /// Comparing what each side has.
        case comparing
        /// Sending objects.
        case uploading
        /// Receiving objects.
        case downloading
        /// Sending or receiving turn records.
        case turns
    }

    public let phase: Phase
    public let bytesDone: Int64
    public let bytesTotal: Int64
    public let filesDone: Int
    public let filesTotal: Int
}

public typealias SyncProgressHandler = @Sendable (SyncProgress) -> Void

/// What happened to one branch in a push or pull.
public struct BranchSync: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// Both sides already agree.
        case upToDate
        /// The branch did not exist on the receiving side and was created.
        case created
        /// The receiving side only gained turns.
        case fastForward
        /// `push --force` replaced the remote branch; `old` lost its place there.
        case forced
        /// The local branch has turns the remote lacks (pull leaves it alone).
        case ahead
        /// Both sides have turns the other lacks: nothing moved (pull stored the remote's turns).
        case diverged(localOnly: Int, remoteOnly: Int)
        /// `pull --rebase` replayed the local-only turns onto the remote tip.
        case rebased(replayed: Int)
        /// The push was refused: the remote has turns this store lacks, or it moved meanwhile.
        case rejected(StoreError)
    }

    public let branch: String
    /// The receiving side's tip before (the remote's for push, the local branch's for pull).
    public let old: TurnID?
    /// The tip it has now, or would have had.
    public let new: TurnID?
    public let outcome: Outcome
}

/// What a push, pull or clone moved.
/// A remote branch that a fetch did not take: its name breaks the rules
/// for local branch names (`..`, a leading `-`, `HEAD`, a control character…).
public struct SkippedBranch: Sendable, Equatable {
    /// The name exactly as the remote has it (shown escaped by the CLI).
    public let name: String
    /// The rule it breaks.
    public let reason: String
}

public struct SyncResult: Sendable {
    public let remote: String
    public var branches: [BranchSync] = []
    public var objects = 0
    public var bytes: Int64 = 0
    public var turns = 0
    /// Objects recorded but left on the remote (lazy clone).
    public var lazyObjects = 0
    /// Metadata records sent or brought (tags, notes, ratings, library membership and paths).
    public var metaRecords = 0
    /// Library assets sent or brought that no turn being synced uses.
    public var libraryAssets = 0
    /// Remote branches left alone because their names are not valid here.
    public var skippedBranches: [SkippedBranch] = []

    /// Whether a branch was refused (the command should fail).
    public var hasRejection: Bool {
        branches.contains { if case .rejected = $0.outcome { return true } else { return false } }
    }
}
