import OmniBasics
import OmniCore

/// The looks for async code: each runs its synchronous counterpart on a
/// thread of its own (`BlockingWork`), so decoding and SQLite never block a
/// thread of Swift's cooperative pool. A cancelled task stops between assets.
extension Store {
    /// The assets among `assets` that look like `name`, as `assets(_:like:within:)`.
    ///
    /// - Parameters:
    ///   - assets: the candidates.
    ///   - name: a file's path, or an asset or revision.
    ///   - distance: the largest distance listed, 0…256.
    public func assets(_ assets: [Asset], like name: String, within distance: Int) async throws -> [LookMatch] {
        try await BlockingWork.run { _ in try self.assets(assets, like: name, within: distance) }
    }

    /// Sets of near-duplicates, as `dupes(within:)`.
    ///
    /// - Parameter distance: 0…256.
    public func dupes(within distance: Int) async throws -> DupesReport {
        try await BlockingWork.run { _ in try self.dupes(within: distance) }
    }
}
