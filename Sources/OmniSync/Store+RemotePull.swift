import Foundation
import GRDB
import OmniMedia
import OmniRemote
import OmniCore
import OmniBasics

#if canImport(Glibc)
    import Glibc
#endif

extension Store {
    /// What a fetch brought in for one remote branch.
    struct FetchedBranch {
        let name: String
        let tip: TurnID
        let previousTracking: TurnID?
    }

    /// Fetches remote branches: their turns (ids re-verified), their objects
    /// (SHA-256 verified before they become visible; only recorded when
    /// `lazy`), then the remote-tracking refs, in that order.
    func fetch(
        _ config: RemoteConfig, transport: any RemoteTransport, branches names: [String], lazy: Bool,
        progress: SyncProgressHandler?, result: inout SyncResult
    ) throws -> [FetchedBranch] {
        // Held from before the first object lands until the process ends, so
        // gc cannot take downloaded objects for strays before their rows exist.
        try lease.acquireShared()
        // Remote tips.
        var refKeys: [String]
        if names.isEmpty {
            refKeys = []
            for key in try remoteCall({ try transport.list("refs/heads/") }).map(\.key).sorted() {
                // A name no local command could use or delete is never made a branch here.
                let name = String(key.dropFirst("refs/heads/".count))
                if let problem = BranchName.problem(name) {
                    result.skippedBranches.append(SkippedBranch(name: name, reason: problem))
                } else {
                    refKeys.append(key)
                }
            }
        } else {
            refKeys = names.map(Store.branchKey)
        }
        let tips = Locked([String: TurnID]())
        let keys = refKeys
        try remoteCall {
            try ParallelWork.run(keys.count, workers: S3Remote.jobs()) { index in
                guard let ref = try transport.readRef(keys[index]) else { return }
                let tip = try Store.parseRef(ref, key: keys[index], remote: config.name)
                tips.withValue { $0[keys[index]] = tip }
            }
        }
        refKeys = refKeys.filter { tips.value[$0] != nil }
        if !names.isEmpty, let missing = names.first(where: { tips.value[Store.branchKey($0)] == nil }) {
            throw StoreError(
                .notFound, "\(config.name) has no branch '\(missing)'",
                hint: Hint("run {} to fetch them all", .pull(remote: config.name, branch: nil)))
        }
        // Turns: walk from the tips through parents this store lacks.
        let turns = try fetchTurns(
            Array(Set(tips.value.values)), transport: transport, remoteName: config.name, progress: progress)
        result.turns = turns.count
        // Metadata records first (they are small, and say which library assets to bring).
        result.metaRecords = try fetchMetaRecords(transport: transport, remoteName: config.name)
        // Assets the new turns use that this store does not have.
        var needed: [AssetID] = []
        var seen: Set<AssetID> = []
        for turn in turns {
            for id in [turn.output] + turn.inputs.map(\.asset) where seen.insert(id).inserted { needed.append(id) }
        }
        // Then the library assets the records name, within this store's filter.
        let filter = try libraryFilter()
        var libraryOnly: Set<AssetID> = []
        for member in try recordedMembersMissing()
        where filter.admits(size: nil, tags: member.tags) && seen.insert(member.id).inserted {
            needed.append(member.id)
            libraryOnly.insert(member.id)
        }
        let known = try read("cannot read assets") { db in
            Set(try String.fetchAll(db, sql: "SELECT id FROM asset"))
        }
        let lazyKnown = try lazyObjectIDs()
        var newAssets = needed.filter { !known.contains($0.hex) }
        // A lazy fetch learns about assets from the remote's records; a full
        // one probes the bytes it downloads, as 'add' does.
        var rows: [AssetID: AssetRow] = [:]
        if lazy && !newAssets.isEmpty {
            rows = try assetRecords(Set(newAssets), transport: transport, remoteName: config.name)
            // Too large for the filter: the library asset stays on the remote.
            if let maxSize = filter.maxSize {
                for id in libraryOnly where (rows[id]?.size ?? 0) > maxSize {
                    rows[id] = nil
                    libraryOnly.remove(id)
                    needed.removeAll { $0 == id }
                    newAssets.removeAll { $0 == id }
                }
            }
        }
        // Objects: everything new unless lazy, plus any whose file is missing here.
        let sizes = try read("cannot read asset sizes") { db in
            try Dictionary(
                uniqueKeysWithValues: needed.filter { known.contains($0.hex) }.map { id in
                    (id, try Int64.fetchOne(db, sql: "SELECT size FROM asset WHERE id = ?", arguments: [id.hex]) ?? 0)
                })
        }
        var downloads: [(AssetID, Int64)] = []
        var unsized: [AssetID] = []
        for id in needed where !objects.contains(id) {
            if rows[id] != nil { continue }  // lazy: recorded, not downloaded
            if let size = sizes[id] {
                if !lazyKnown.contains(id.hex) { downloads.append((id, size)) }
            } else {
                unsized.append(id)
            }
        }
        if !unsized.isEmpty {
            // New objects to download: their sizes come from a listing (or a HEAD each, for a few).
            let listed: [String: Int64]
            if unsized.count > 32 {
                listed = Dictionary(
                    try remoteCall { try transport.list("objects/") }.map { ($0.key, $0.size) },
                    uniquingKeysWith: { a, _ in a })
            } else {
                let found = Locked([String: Int64]())
                let ids = unsized
                try remoteCall {
                    try ParallelWork.run(ids.count, workers: S3Remote.jobs()) { index in
                        let key = Store.objectKey(ids[index])
                        if let size = try transport.size(of: key) { found.withValue { $0[key] = size } }
                    }
                }
                listed = found.value
            }
            for id in unsized {
                if libraryOnly.contains(id) {
                    // A library asset the remote lacks, or one too large for the filter, stays behind.
                    guard let size = listed[Store.objectKey(id)], size <= (filter.maxSize ?? .max) else {
                        libraryOnly.remove(id)
                        needed.removeAll { $0 == id }
                        newAssets.removeAll { $0 == id }
                        continue
                    }
                    downloads.append((id, size))
                    continue
                }
                guard let size = listed[Store.objectKey(id)] else {
                    throw StoreError(
                        .notFound,
                        "object \(id.short) is missing from \(config.name): the remote is incomplete; push to it again from a full store"
                    )
                }
                downloads.append((id, size))
            }
        }
        let meter = TransferMeter(
            phase: .downloading, files: downloads.count, bytes: downloads.reduce(0) { $0 + $1.1 }, handler: progress)
        try downloadAll(downloads, from: transport, remoteName: config.name, meter: meter)
        for id in newAssets where rows[id] == nil {
            rows[id] = try AssetRow(probing: layout.objectPath(id), id: id)
        }
        result.objects = downloads.count
        result.bytes = downloads.reduce(0) { $0 + $1.1 }
        result.lazyObjects = lazy ? newAssets.filter { !objects.contains($0) }.count : 0
        result.libraryAssets = libraryOnly.count
        let root = layout.workspace
        // Index: assets, then turns (parents first), then the tracking refs, in one transaction.
        let author = try self.author()
        let ordered = Store.parentsFirst(turns)
        var fetched: [FetchedBranch] = []
        try write("cannot store what was fetched from \(config.name)") { db in
            for id in newAssets {
                guard let row = rows[id] else { continue }
                try row.insert(db)
                if !objects.contains(id) {
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO lazy_object (asset, remote) VALUES (?, ?)",
                        arguments: [id.hex, config.name])
                    RefJournal.lazy(id, remote: config.name)
                }
            }
            // Their membership, tags and paths, as the records give them.
            try Store.adoptArrivedAssets(Set(newAssets), root: root, db)
            for turn in ordered { _ = try Store.insert(turn, db) }
            for key in refKeys {
                guard let tip = tips.value[key] else { continue }
                let branch = String(key.dropFirst("refs/heads/".count))
                let ref = Store.trackingRef(config.name, branch)
                let current = try Store.refTarget(db, ref)
                if current != tip {
                    try Store.updateRef(
                        db, ref, expected: current, to: tip, reason: "fetch: \(config.name)/\(branch)", author: author)
                }
                fetched.append(FetchedBranch(name: branch, tip: tip, previousTracking: current))
            }
        }
        return fetched
    }

    /// Brings the metadata records this store lacks (`meta/<sha256>`), each
    /// checked against its name, and stores them.
    ///
    /// - Returns: how many were new.
    func fetchMetaRecords(transport: any RemoteTransport, remoteName: String) throws -> Int {
        let local = try metaRecordIDs()
        let missing = try remoteCall { try transport.list("meta/") }.map { String($0.key.dropFirst("meta/".count)) }
            .filter { !local.contains($0) && $0.count == 64 && $0.allSatisfy(\.isHexDigit) }
        let found = Locked([MetaRecord]())
        try remoteCall {
            try ParallelWork.run(missing.count, workers: S3Remote.jobs()) { index in
                let id = missing[index]
                guard let bytes = try transport.read(Store.metaKey(id), limit: RemoteLimits.metaRecord) else { return }
                guard CanonicalJSON.hexDigest(bytes) == id,
                    let value = try? JSONParser.parse(String(decoding: bytes, as: UTF8.self)),
                    let record = try? MetaRecord(json: value), record.id == id
                else {
                    throw StoreError(
                        .corrupt,
                        "metadata record \(id.prefix(12)) on \(remoteName) is damaged: push to the remote again from a full store"
                    )
                }
                found.withValue { $0.append(record) }
            }
        }
        return try storeMetaRecords(found.value.sorted { $0.id < $1.id })
    }

    /// Reads the remote's asset records (every `assets/` pack) for `wanted`.
    func assetRecords(_ wanted: Set<AssetID>, transport: any RemoteTransport, remoteName: String) throws -> [AssetID:
        AssetRow]
    {
        let packs = try remoteCall { try transport.list("assets/") }.map(\.key)
        let found = Locked([AssetID: AssetRow]())
        try remoteCall {
            try ParallelWork.run(packs.count, workers: S3Remote.jobs()) { index in
                guard let bytes = try transport.read(packs[index], limit: RemoteLimits.assetPack) else { return }
                guard Digest.sha256(bytes) == String(packs[index].dropFirst("assets/".count)),
                    let value = try? JSONParser.parse(String(decoding: bytes, as: UTF8.self)),
                    let records = value["assets"]?.arrayValue
                else {
                    throw StoreError(
                        .corrupt,
                        "\(packs[index]) on \(remoteName) is damaged: push to the remote again from a full store")
                }
                for record in records {
                    guard let id = record["id"]?.stringValue.flatMap(AssetID.init), wanted.contains(id) else {
                        continue
                    }
                    let row = try AssetRow(id: id, record: record, remote: remoteName)
                    found.withValue { $0[id] = row }
                }
            }
        }
        return found.value
    }

    /// Downloads the turns reachable from `tips` that this store lacks,
    /// checking that each record hashes to its id. A walk that goes deep
    /// switches to listing `turns/` once and fetching in parallel.
    func fetchTurns(
        _ tips: [TurnID], transport: any RemoteTransport, remoteName: String, progress: SyncProgressHandler?
    ) throws -> [Turn] {
        var fetched: [TurnID: Turn] = [:]
        var frontier = try tips.filter { try !hasTurn($0) }
        var level = 0
        let meter = TransferMeter(phase: .turns, files: 0, bytes: 0, handler: progress)
        while !frontier.isEmpty {
            level += 1
            if level == 4 {
                // Deep history: fetch every turn the remote lists that this store lacks.
                let listed = try remoteCall { try transport.list("turns/") }.compactMap {
                    TurnID(String($0.key.dropFirst("turns/".count)))
                }
                let local = try read("cannot read turns") { db in
                    Set(try String.fetchAll(db, sql: "SELECT id FROM turn"))
                }
                let missing = listed.filter { !local.contains($0.hex) && fetched[$0] == nil }
                for turn in try downloadTurns(
                    missing, transport: transport, remoteName: remoteName, required: false, meter: meter)
                {
                    fetched[turn.id] = turn
                }
            }
            let batch = frontier.filter { fetched[$0] == nil }
            for turn in try downloadTurns(
                batch, transport: transport, remoteName: remoteName, required: true, meter: meter)
            {
                fetched[turn.id] = turn
            }
            var next: [TurnID] = []
            var queued: Set<TurnID> = []
            for id in frontier {
                guard let turn = fetched[id] else { continue }
                for parent in turn.parents where fetched[parent] == nil && queued.insert(parent).inserted {
                    if try !hasTurn(parent) { next.append(parent) }
                }
            }
            // Parents already fetched still need their own parents walked.
            frontier = next
            if frontier.isEmpty { break }
        }
        // Keep only turns reachable from the tips (a listing may bring others).
        var reachable: [Turn] = []
        var stack = tips
        var visited: Set<TurnID> = []
        while let id = stack.popLast() {
            guard visited.insert(id).inserted, let turn = fetched[id] else { continue }
            reachable.append(turn)
            stack.append(contentsOf: turn.parents)
        }
        return reachable
    }

    private func downloadTurns(
        _ ids: [TurnID], transport: any RemoteTransport, remoteName: String, required: Bool, meter: TransferMeter
    ) throws -> [Turn] {
        let found = Locked([Turn]())
        try remoteCall {
            try ParallelWork.run(ids.count, workers: S3Remote.jobs()) { index in
                let id = ids[index]
                guard let bytes = try transport.read(Store.turnKey(id), limit: RemoteLimits.turn) else {
                    if required {
                        throw StoreError(
                            .notFound,
                            "turn \(id.short) is missing from \(remoteName): the remote is incomplete; push to it again from a full store"
                        )
                    }
                    return
                }
                let turn: Turn
                do {
                    turn = try Turn(json: JSONParser.parse(String(decoding: bytes, as: UTF8.self)))
                } catch {
                    throw StoreError(
                        .corrupt, "turn \(id.short) on \(remoteName) is unreadable (\(error)): it was not stored")
                }
                guard turn.id == id else {
                    throw StoreError(
                        .corrupt,
                        "turn \(id.short) on \(remoteName) does not match its id (its record hashes to \(turn.id.short)): it was not stored"
                    )
                }
                found.withValue { $0.append(turn) }
                meter.add(files: 1)
            }
        }
        return found.value
    }

    /// Orders turns so each comes after its parents among them.
    static func parentsFirst(_ turns: [Turn]) -> [Turn] {
        let byID = Dictionary(turns.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var done: Set<TurnID> = []
        var ordered: [Turn] = []
        for turn in turns.sorted(by: { $0.createdAt < $1.createdAt }) {
            var stack: [(Turn, Bool)] = [(turn, false)]
            while let (current, expanded) = stack.popLast() {
                if done.contains(current.id) { continue }
                if expanded {
                    done.insert(current.id)
                    ordered.append(current)
                    continue
                }
                stack.append((current, true))
                for parent in current.parents.reversed() where !done.contains(parent) {
                    if let parentTurn = byID[parent] { stack.append((parentTurn, false)) }
                }
            }
        }
        return ordered
    }

    // MARK: - Pull

    /// Fetches remote branches and brings local ones up to date where that
    /// loses nothing: a missing local branch is created, one that is behind
    /// fast-forwards, one that is ahead stays. A branch that has diverged is
    /// never moved: the remote's turns are stored (`REMOTE/BRANCH`) and the
    /// divergence reported, unless `rebase` replays the local-only turns onto
    /// the remote tip (new turns with new parents; the old ones stay in the reflog).
    public func pull(
        from remoteName: String? = nil, branches names: [String] = [], rebase: Bool = false,
        progress: SyncProgressHandler? = nil
    ) throws -> SyncResult {
        let config = try remote(remoteName)
        let transport = try openTransport(config)
        var result = SyncResult(remote: config.name)
        let fetched = try fetch(
            config, transport: transport, branches: names, lazy: config.lazy, progress: progress, result: &result)
        for branch in fetched {
            result.branches.append(try integrate(branch, remote: config.name, rebase: rebase))
        }
        return result
    }

    /// Moves the local branch to the fetched tip when that loses nothing.
    func integrate(_ fetched: FetchedBranch, remote: String, rebase: Bool) throws -> BranchSync {
        let branch = try BranchName(fetched.name)
        let author = try self.author()
        let local = try read("cannot read branch") { db in try Store.refTarget(db, branch.ref) }
        let tip = fetched.tip
        guard let local else {
            try write("cannot create branch \(fetched.name)") { db in
                try Store.updateRef(
                    db, branch.ref, expected: nil, to: tip, reason: "pull: created from \(remote)/\(fetched.name)",
                    author: author)
            }
            return BranchSync(branch: fetched.name, old: nil, new: tip, outcome: .created)
        }
        if local == tip { return BranchSync(branch: fetched.name, old: local, new: tip, outcome: .upToDate) }
        if try isAncestor(local, of: tip) {
            let workfileBefore = try workfileState()
            try write("cannot move branch \(fetched.name)") { db in
                try Store.updateRef(
                    db, branch.ref, expected: local, to: tip, reason: "pull: fast-forward to \(remote)/\(fetched.name)",
                    author: author)
            }
            if try head().branch == branch, workfileBefore.isSafeToReplace {
                _ = try? writeWorkfile(turn: turn(tip), force: false, previous: workfileBefore)
            }
            return BranchSync(branch: fetched.name, old: local, new: tip, outcome: .fastForward)
        }
        if try isAncestor(tip, of: local) {
            return BranchSync(branch: fetched.name, old: local, new: tip, outcome: .ahead)
        }
        let (localOnly, remoteOnly) = try read("cannot walk the graph") { db -> ([Int64], Int) in
            let graph = TurnGraph(db)
            let (l, r) = (try graph.seq(of: local), try graph.seq(of: tip))
            return (
                try graph.onlyReachable(from: [l], notFrom: [r]), try graph.onlyReachable(from: [r], notFrom: [l]).count
            )
        }
        guard rebase else {
            return BranchSync(
                branch: fetched.name, old: local, new: tip,
                outcome: .diverged(localOnly: localOnly.count, remoteOnly: remoteOnly))
        }
        let newTip = try replay(localOnly, onto: tip, branch: branch, expected: local, remote: remote, author: author)
        return BranchSync(branch: fetched.name, old: local, new: newTip, outcome: .rebased(replayed: localOnly.count))
    }

    /// Re-records turns (given newest first) on top of `base`: same records,
    /// new parents, so new ids. The branch then points at the last of them.
    private func replay(
        _ seqs: [Int64], onto base: TurnID, branch: BranchName, expected: TurnID, remote: String, author: String
    ) throws -> TurnID {
        try lease.acquireShared()
        return try write("cannot rebase \(branch.name)") { db -> TurnID in
            var mapping: [TurnID: TurnID] = [:]
            var last = base
            for seq in seqs.reversed() {
                guard let text = try String.fetchOne(db, sql: "SELECT record FROM turn WHERE seq = ?", arguments: [seq])
                else {
                    throw StoreError(.database, "turn #\(seq) vanished while rebasing: run the command again")
                }
                let old = try Turn(json: JSONParser.parse(text))
                var parents = old.parents.map { mapping[$0] ?? $0 }
                if !old.parents.contains(where: { mapping[$0] != nil }) {
                    if parents.isEmpty { parents = [base] } else { parents[0] = base }
                }
                var unique: [TurnID] = []
                for parent in parents where !unique.contains(parent) { unique.append(parent) }
                let replayed = old.replacingParents(unique)
                _ = try Store.insert(replayed, db)
                mapping[old.id] = replayed.id
                last = replayed.id
            }
            try Store.updateRef(
                db, branch.ref, expected: expected, to: last,
                reason: "pull --rebase: replayed \(seqs.count) turn(s) onto \(remote)/\(branch.name)", author: author)
            return last
        }
    }

    // MARK: - Clone

    /// Makes a new store in `directory` from a remote: every branch, with
    /// HEAD on `main` (or the first branch). With `lazy`, objects are only
    /// recorded, and downloaded when a command first needs their bytes.
    public static func clone(
        from url: String, into directory: String, lazy: Bool = false, endpoint: String? = nil, region: String? = nil,
        addressing: String? = nil, filter: LibraryFilter = LibraryFilter(), progress: SyncProgressHandler? = nil
    ) throws -> (store: Store, result: SyncResult) {
        let path = Store.absolute(directory)
        if FileManager.default.fileExists(atPath: path + "/" + StoreLayout.directoryName) {
            throw StoreError(.conflict, "'\(directory)' already holds a store: clone into a new folder")
        }
        let createdFolder = !FileManager.default.fileExists(atPath: path)
        do {
            let (store, _) = try Store.create(at: path)
            store.lazyObjectSource = RemoteObjectSource()
            try store.addRemote(
                "origin", url: url, endpoint: endpoint, region: region, addressing: addressing, lazy: lazy)
            try store.setLibraryFilter(filter)
            let config = try store.remote("origin")
            let transport = try store.openTransport(config)
            var result = SyncResult(remote: "origin")
            let fetched = try store.fetch(
                config, transport: transport, branches: [], lazy: lazy, progress: progress, result: &result)
            let author = try store.author()
            try store.write("cannot create branches") { db in
                for branch in fetched {
                    try Store.updateRef(
                        db, "refs/heads/" + branch.name, expected: nil, to: branch.tip, reason: "clone: from \(url)",
                        author: author)
                }
                let main = fetched.first { $0.name == "main" } ?? fetched.first
                if let main {
                    try Store.setHead(
                        db, to: .branch(BranchName(trusted: main.name), turn: main.tip), reason: "clone: from \(url)",
                        author: author)
                }
            }
            result.branches = fetched.map { BranchSync(branch: $0.name, old: nil, new: $0.tip, outcome: .created) }
            return (store, result)
        } catch {
            if createdFolder {
                try? FileManager.default.removeItem(atPath: path)
            } else {
                try? FileManager.default.removeItem(atPath: path + "/" + StoreLayout.directoryName)
            }
            throw error
        }
    }
}
