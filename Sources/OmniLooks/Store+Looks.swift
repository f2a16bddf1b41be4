import Foundation
import GRDB
import OmniBasics
import OmniCore
import OmniMedia

extension Store {
    /// Called as looks are made: how many are done, of how many missing from
    /// the cache. Called from the threads that make them.
    public typealias LookProgress = @Sendable (_ done: Int, _ total: Int) -> Void

    /// The looks of `assets` (images and clips; others are left out), from
    /// the cache or made now, in parallel across cores, and cached.
    ///
    /// An asset whose pictures cannot be decoded gets a look with no frames,
    /// cached too, so it is not decoded again; one whose bytes are not here
    /// (a lazy clone) is left out and not cached. Failing to write the cache
    /// (a read-only store) does not fail the call.
    ///
    /// - Parameters:
    ///   - assets: the assets.
    ///   - progress: told as each missing look is made.
    public func looks(of assets: [Asset], progress: LookProgress? = nil) throws -> [AssetID: Look] {
        let pictured = assets.filter { $0.kind != .audio }
        var looks = try read("cannot read the look cache") { db in try LookCache.read(pictured.map(\.id), db) }
        let missing = pictured.filter { looks[$0.id] == nil && objects.contains($0.id) }
        guard !missing.isEmpty else { return looks }
        let made = Locked<[(AssetID, Look)]>([])
        let store = self
        try ParallelWork.run(missing.count, workers: ProcessInfo.processInfo.activeProcessorCount) { index in
            let asset = missing[index]
            let look: Look
            do {
                look = try LookMaker.look(ofFileAt: store.objectPath(for: asset.id), media: asset.media)
            } catch is LooksError {
                look = Look(frames: [], duration: asset.kind == .image ? nil : asset.duration)
            }
            let done = made.withValue {
                $0.append((asset.id, look))
                return $0.count
            }
            progress?(done, missing.count)
        }
        let fresh = made.value
        for (id, look) in fresh { looks[id] = look }
        let now = Timestamp.format(Date())
        _ = try? write("cannot cache looks") { db in try LookCache.write(fresh, at: now, db) }
        return looks
    }

    /// What a `--like` argument names: a file's path (hashed, not added), or
    /// else an asset id, unique prefix or revision (whose output clip is used).
    ///
    /// - Returns: the look, and the asset when the name is one (so that it
    ///   can be left out of its own matches).
    /// - Throws: ``LooksError`` when the file has no pictures; `StoreError`
    ///   when the name is no file, asset or revision.
    public func look(named name: String) throws -> (look: Look, asset: AssetID?) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: name, isDirectory: &isDirectory), !isDirectory.boolValue {
            return (try LookMaker.look(ofFileAt: name), nil)
        }
        let asset = try mediaAsset(named: name)
        guard asset.kind != .audio else {
            throw LooksError(.noPictures, "asset \(asset.id.short) is audio: give an image or a video to look like")
        }
        guard let look = try looks(of: [asset])[asset.id] else {
            throw LooksError(
                .undecodable, "the bytes of asset \(asset.id.short) are not here: fetch them first ('fetch-objects')")
        }
        return (look, asset.id)
    }

    /// The assets among `assets` that look like `name` (see ``look(named:)``)
    /// within `distance`, nearest first, ties in the order given.
    ///
    /// - Parameters:
    ///   - assets: the candidates, such as what `Store.assets(matching:)` lists.
    ///   - name: a file's path, or an asset or revision (left out of its own matches).
    ///   - distance: the largest distance listed, 0…256 (``PDQ/matchDistance`` is Meta's match).
    ///   - progress: told as the looks missing from the cache are made.
    public func assets(
        _ assets: [Asset], like name: String, within distance: Int, progress: LookProgress? = nil
    ) throws -> [LookMatch] {
        try Self.checkDistance(distance)
        let (target, own) = try look(named: name)
        let candidates = assets.filter { $0.id != own }
        let looks = try looks(of: candidates, progress: progress)
        let indexed = candidates.compactMap { asset in looks[asset.id].map { (asset, $0) } }
        let index = LookIndex(indexed.map(\.1))
        // Nearest first; equal distances keep the listing's order.
        return index.matches(of: target, within: distance).sorted { ($0.distance, $0.entry) < ($1.distance, $1.entry) }
            .map { LookMatch(asset: indexed[$0.entry].0, distance: $0.distance) }
    }

    /// The assets a query matches that look like `name`, within `distance`,
    /// nearest first, ties in the query's order: as
    /// ``assets(_:like:within:progress:)`` over `assets(matching: query)`,
    /// but only the matches (and assets whose look is not cached yet) are
    /// read whole, so a warm query over a large library decodes no probe.
    public func assets(
        matching query: AssetQuery, like name: String, within distance: Int, progress: LookProgress? = nil
    ) throws -> [LookMatch] {
        try Self.checkDistance(distance)
        let (target, own) = try look(named: name)
        let candidates = try assetSummaries(matching: query).filter { $0.kind != .audio && $0.id != own }
        var looks = try read("cannot read the look cache") { db in try LookCache.read(candidates.map(\.id), db) }
        let uncached = try candidates.filter { looks[$0.id] == nil }.map { try asset(id: $0.id) }
        if !uncached.isEmpty {
            for (id, look) in try self.looks(of: uncached, progress: progress) { looks[id] = look }
        }
        let indexed = candidates.compactMap { summary in looks[summary.id].map { (summary.id, $0) } }
        let index = LookIndex(indexed.map(\.1))
        return try index.matches(of: target, within: distance)
            .sorted { ($0.distance, $0.entry) < ($1.distance, $1.entry) }
            .map { LookMatch(asset: try asset(id: indexed[$0.entry].0), distance: $0.distance) }
    }

    /// Sets of two or more images or clips that look alike within `distance`.
    ///
    /// Incremental, as hydrus's duplicate search is: each asset is searched
    /// against every look once at a distance, and what it found is kept, so
    /// a second call at the same or a smaller distance searches only assets
    /// added since. Two assets are in one set when a chain of matches joins
    /// them.
    ///
    /// - Parameters:
    ///   - distance: 0…256; 0 is the same picture, 8 and 16 near copies, 31
    ///     Meta's match (re-encodes, resizes, small edits).
    ///   - progress: told as the looks missing from the cache are made.
    public func dupes(within distance: Int, progress: LookProgress? = nil) throws -> DupesReport {
        try Self.checkDistance(distance)
        let assets = try assets(matching: AssetQuery()).filter { $0.kind != .audio }
        let looks = try looks(of: assets, progress: progress)
        let searched = try read("cannot read the look cache") { db in
            try Dictionary(
                uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT asset, distance FROM look_search").map {
                    ($0["asset"] as String, $0["distance"] as Int)
                })
        }
        let indexed = assets.compactMap { asset in looks[asset.id].map { (asset.id, $0) } }
        // Those searched before come first: each pending asset is compared
        // with the assets before it, so every pair is compared once, and
        // pairs of two assets searched before are not compared again.
        let done = indexed.filter { (searched[$0.0.hex] ?? -1) >= distance }
        let pending = indexed.filter { (searched[$0.0.hex] ?? -1) < distance }
        let ordered = done + pending
        let index = LookIndex(ordered.map(\.1))
        let found = Locked<[(String, String, Int)]>([])
        try ParallelWork.run(pending.count, workers: ProcessInfo.processInfo.activeProcessorCount) { job in
            let entry = done.count + job
            let id = ordered[entry].0
            let pairs = index.matches(of: ordered[entry].1, within: distance, before: index.slots[entry]).map {
                let other = ordered[$0.entry].0
                return id.hex < other.hex ? (id.hex, other.hex, $0.distance) : (other.hex, id.hex, $0.distance)
            }
            found.withValue { $0 += pairs }
        }
        let newPairs = found.value
        let now = Timestamp.format(Date())
        // A cache: a store that cannot be written still gets its answer.
        _ = try? write("cannot cache duplicate searches") { db in
            for (a, b, d) in newPairs {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO look_pair (a, b, distance) VALUES (?, ?, ?)", arguments: [a, b, d])
            }
            for (id, _) in pending {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO look_search (asset, distance, searched_at) VALUES (?, ?, ?)",
                    arguments: [id.hex, distance, now])
            }
        }
        var pairs = try read("cannot read the look cache") { db in
            try Row.fetchAll(db, sql: "SELECT a, b, distance FROM look_pair WHERE distance <= ?", arguments: [distance])
                .map { ($0["a"] as String, $0["b"] as String, $0["distance"] as Int) }
        }
        pairs += newPairs
        return DupesReport(
            distance: distance, searched: pending.count, sets: DupeSet.group(assets, pairs: pairs))
    }

    static func checkDistance(_ distance: Int) throws {
        guard (0...256).contains(distance) else {
            throw LooksError(
                .invalidArgument, "a distance is 0 to 256 bits of 256, not \(distance); 31 is Meta's match")
        }
    }
}
