import OmniBasics
import OmniCore

/// One step of a push, pull, clone or object fetch: transfer progress, then the result.
public typealias SyncStep<Output: Sendable> = Progress<SyncProgress, Output>

/// Sync for async code: each call runs its synchronous counterpart on a
/// thread of its own (`BlockingWork`), so transfers never block a thread
/// of Swift's cooperative pool.
extension Store {
    /// Sends branches to a remote, as `push(to:branches:force:progress:)`,
    /// as a stream of transfer progress that ends with the result.
    public func pushing(to remote: String? = nil, branches: [String] = [], force: Bool = false)
        -> AsyncThrowingStream<SyncStep<SyncResult>, any Error>
    {
        BlockingWork.stream { emit, _ in try self.push(to: remote, branches: branches, force: force, progress: emit) }
    }

    /// Fetches branches from a remote, as `pull(from:branches:rebase:progress:)`,
    /// as a stream of transfer progress that ends with the result.
    public func pulling(from remote: String? = nil, branches: [String] = [], rebase: Bool = false)
        -> AsyncThrowingStream<SyncStep<SyncResult>, any Error>
    {
        BlockingWork.stream { emit, _ in
            try self.pull(from: remote, branches: branches, rebase: rebase, progress: emit)
        }
    }

    /// Sends branches to a remote, as `push(to:branches:force:progress:)`.
    public func push(to remote: String? = nil, branches: [String] = [], force: Bool = false) async throws
        -> SyncResult
    {
        try await BlockingWork.run { _ in try self.push(to: remote, branches: branches, force: force, progress: nil) }
    }

    /// Fetches branches from a remote, as `pull(from:branches:rebase:progress:)`.
    public func pull(from remote: String? = nil, branches: [String] = [], rebase: Bool = false) async throws
        -> SyncResult
    {
        try await BlockingWork.run { _ in
            try self.pull(from: remote, branches: branches, rebase: rebase, progress: nil)
        }
    }

    /// Makes a new store from a remote, as `clone(from:into:lazy:endpoint:region:addressing:filter:progress:)`.
    public static func clone(
        from url: String, into directory: String, lazy: Bool = false, endpoint: String? = nil, region: String? = nil,
        addressing: String? = nil, filter: LibraryFilter = LibraryFilter()
    ) async throws -> (store: Store, result: SyncResult) {
        try await BlockingWork.run { _ in
            try Store.clone(
                from: url, into: directory, lazy: lazy, endpoint: endpoint, region: region, addressing: addressing,
                filter: filter, progress: nil)
        }
    }
}
