import Foundation
import GRDB
import OmniBasics

/// The library: every asset that was added (by ``Store/add(_:recursive:rehash:progress:)``,
/// or as a reference given as a file) and not removed. What is added is kept:
/// gc removes only assets out of the library that nothing else keeps.
/// Membership is journaled, so a rebuilt index has the same library.
extension Store {
    /// Puts assets into the library, inside a write transaction; journals the new members.
    static func joinLibrary(_ ids: [AssetID], _ db: Database) throws {
        let now = Store.now()
        for id in ids {
            try db.execute(
                sql: "INSERT OR IGNORE INTO library (asset, added_at) VALUES (?, ?)", arguments: [id.hex, now])
            if db.changesCount > 0 { RefJournal.library(id, member: true, at: now) }
        }
    }

    /// Whether an asset is in the library.
    public func isInLibrary(_ id: AssetID) throws -> Bool {
        try read("cannot read the library") { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM library WHERE asset = ?)", arguments: [id.hex])
                ?? false
        }
    }

    /// How many assets the library holds.
    public func libraryCount() throws -> Int {
        try read("cannot read the library") { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM library") ?? 0 }
    }

    /// Takes assets out of the library, each named by its id (or a unique
    /// prefix) or by a path it was added from. Their bytes stay until gc
    /// finds that nothing else keeps them (a turn, a pending generation)
    /// and the grace period has passed. All or nothing: one name that is not
    /// in the library refuses the whole call.
    ///
    /// - Returns: the assets removed, in the order named.
    @discardableResult
    public func removeFromLibrary(_ names: [String]) throws -> [AssetID] {
        try lease.acquireShared()
        let ids = try names.map { try libraryMember(named: $0) }
        let now = Store.now()
        try write("cannot remove assets from the library") { db in
            for id in ids {
                try db.execute(sql: "DELETE FROM library WHERE asset = ?", arguments: [id.hex])
                if db.changesCount > 0 { RefJournal.library(id, member: false, at: now) }
            }
        }
        var seen: Set<AssetID> = []
        return ids.filter { seen.insert($0).inserted }
    }

    /// The library member a name means (see ``assetNamed(_:)``).
    private func libraryMember(named name: String) throws -> AssetID {
        let id = try assetNamed(name)
        guard try isInLibrary(id) else {
            throw StoreError(.notFound, "asset \(id.short) ('\(BranchName.printable(name))') is not in the library")
        }
        return id
    }
}
