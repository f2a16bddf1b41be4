import OmniBasics
import Foundation
import GRDB

/// Brings the objects a lazy clone has recorded but not downloaded.
///
/// The core knows which objects are lazy (the `lazy_object` table) but not
/// where remotes are or how to talk to them; the sync module does, and
/// provides a source. The store that needs the bytes asks its own source, so a
/// download lands in that store and its index.
public protocol LazyObjectSource: Sendable {
    /// Downloads those of `ids` that `store` lacks and records them; returns
    /// how many were downloaded.
    func fetchLazyObjects(_ ids: [AssetID], into store: Store) throws -> Int
}

extension Store {
    /// Where this store's missing lazy objects come from. Without a source, an
    /// object that was never downloaded is reported as such, naming the
    /// command that fetches it.
    public var lazyObjectSource: (any LazyObjectSource)? {
        get { lazySource.value }
        set { lazySource.withValue { $0 = newValue } }
    }

    /// Fetches one object on demand if this is a lazy clone that has not
    /// downloaded it yet; does nothing when the file is there.
    package func fetchIfLazy(_ id: AssetID) throws {
        guard !objects.contains(id) else { return }
        if let source = lazyObjectSource {
            _ = try source.fetchLazyObjects([id], into: self)
        } else if try lazyObjectIDs().contains(id.hex) {
            throw StoreError(
                .notFound, "object \(id.short) has not been downloaded from its remote",
                hint: Hint("run {}", .fetchObjects))
        }
    }

    /// The ids of objects this lazy clone has recorded but not downloaded.
    package func lazyObjectIDs() throws -> Set<String> {
        try read("cannot read lazy objects") { db in Set(try String.fetchAll(db, sql: "SELECT asset FROM lazy_object"))
        }
    }
}
