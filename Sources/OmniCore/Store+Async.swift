import OmniBasics

/// The core's long operations for async code. Each runs its synchronous
/// counterpart on a thread of its own (`BlockingWork`), so SQLite and
/// FFmpeg never block a thread of Swift's cooperative pool.
extension Store {
    /// One step of fsck: objects hashed so far (done, total), then the report.
    public typealias FsckProgress = Progress<FsckProgressCount, FsckReport>

    /// Verifies the store, as `fsck(fast:progress:)`, as a stream of
    /// progress that ends with the report.
    public func checking(fast: Bool = false) -> AsyncThrowingStream<FsckProgress, any Error> {
        BlockingWork.stream { emit, _ in
            try self.fsck(fast: fast) { done, total in emit(FsckProgressCount(done: done, total: total)) }
        }
    }

    /// Verifies the store, as `fsck(fast:progress:)`.
    public func fsck(fast: Bool = false) async throws -> FsckReport {
        try await BlockingWork.run { _ in try self.fsck(fast: fast, progress: nil) }
    }

    /// Removes what nothing keeps, as `gc(pruneAge:dryRun:waiting:)`.
    public func gc(pruneAge: Double = Store.defaultPruneAge, dryRun: Bool = false) async throws -> GCReport {
        try await BlockingWork.run { _ in try self.gc(pruneAge: pruneAge, dryRun: dryRun, waiting: {}) }
    }

    /// Writes a version's clip to the working file (or `destination`), as
    /// `checkout(_:newBranch:to:force:)`.
    public func checkout(
        _ revision: String, newBranch: String? = nil, to destination: String? = nil, force: Bool = false
    ) async throws -> CheckoutResult {
        try await BlockingWork.run { _ in
            try self.checkout(revision, newBranch: newBranch, to: destination, force: force)
        }
    }

    /// Exact-frame thumbnails of an asset, as `thumbnails(of:_:)`.
    public func thumbnails(of asset: Asset, _ request: ThumbnailRequest) async throws -> ThumbnailResult {
        try await BlockingWork.run { _ in try self.thumbnails(of: asset, request) }
    }

    /// A contact sheet of an asset, as `contactSheet(of:columns:rows:tileWidth:exact:)`.
    public func contactSheet(
        of asset: Asset, columns: Int = 5, rows: Int = 2, tileWidth: Int = 320, exact: Bool = false
    ) async throws -> ContactSheet {
        try await BlockingWork.run { _ in
            try self.contactSheet(of: asset, columns: columns, rows: rows, tileWidth: tileWidth, exact: exact)
        }
    }
}

/// How far fsck's hashing has got, in objects.
public struct FsckProgressCount: Sendable, Equatable {
    public let done: Int64
    public let total: Int64
}
