import Foundation
import GRDB
import OmniRemote
import OmniCore
import OmniBasics

#if canImport(Glibc)
    import Glibc
#endif

extension Store {
    // MARK: - Remotes

    /// Adds a remote. Nothing is contacted; the URL is only checked for form.
    public func addRemote(
        _ name: String, url: String, endpoint: String? = nil, region: String? = nil, addressing: String? = nil,
        lazy: Bool = false
    ) throws {
        if let problem = RemoteConfig.problem(name) {
            throw StoreError(.invalidArgument, "'\(BranchName.printable(name))' is not a valid remote name: \(problem)")
        }
        try remoteCall { try Remotes.validate(url) }
        if let addressing, addressing != "path" && addressing != "virtual" {
            throw StoreError(
                .invalidArgument, "the S3 addressing style must be 'path' or 'virtual', not '\(addressing)'")
        }
        let stored = url.hasPrefix("/") ? "file://" + url : url
        try write("cannot add remote '\(name)'") { db in
            if try String.fetchOne(db, sql: "SELECT name FROM remote WHERE name = ?", arguments: [name]) != nil {
                throw StoreError(
                    .conflict, "remote '\(name)' already exists",
                    hint: Hint("remove it first with {}", .removeRemote(name)))
            }
            let now = Store.now()
            try db.execute(
                sql:
                    "INSERT INTO remote (name, url, endpoint, region, addressing, lazy, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [name, stored, endpoint, region, addressing, lazy, now])
            RefJournal.remote(
                name,
                columns: RefJournal.Line.remoteColumns(
                    url: stored, endpoint: endpoint, region: region, addressing: addressing, lazy: lazy, addedAt: now))
        }
    }

    /// Removes a remote and its remote-tracking branches.
    public func removeRemote(_ name: String) throws {
        let author = try self.author()
        try write("cannot remove remote '\(name)'") { db in
            guard try String.fetchOne(db, sql: "SELECT name FROM remote WHERE name = ?", arguments: [name]) != nil
            else {
                throw StoreError(
                    .notFound, "no remote named '\(name)'", hint: Hint("run {} to list them", .listRemotes))
            }
            let lazy =
                try Int.fetchOne(db, sql: "SELECT count(*) FROM lazy_object WHERE remote = ?", arguments: [name]) ?? 0
            if lazy > 0 {
                throw StoreError(
                    .conflict,
                    "remote '\(name)' still holds \(lazy) object(s) this lazy clone has not downloaded",
                    hint: Hint("run {} first", .fetchObjects))
            }
            for ref in try String.fetchAll(
                db, sql: "SELECT name FROM ref WHERE name LIKE ?", arguments: ["refs/remotes/\(name)/%"])
            {
                try Store.updateRef(
                    db, ref, expected: Store.refTarget(db, ref), to: nil, reason: "remote: removed \(name)",
                    author: author)
            }
            try db.execute(sql: "DELETE FROM remote WHERE name = ?", arguments: [name])
            RefJournal.remote(name, columns: nil)
        }
    }

    /// Every remote, by name.
    public func remotes() throws -> [RemoteConfig] {
        try read("cannot list remotes") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM remote ORDER BY name").map {
                RemoteConfig(
                    name: $0["name"], url: $0["url"], endpoint: $0["endpoint"], region: $0["region"],
                    addressing: $0["addressing"], lazy: $0["lazy"])
            }
        }
    }

    /// The named remote, or the default one: `origin`, else the only remote.
    public func remote(_ name: String?) throws -> RemoteConfig {
        let all = try remotes()
        if let name {
            guard let found = all.first(where: { $0.name == name }) else {
                throw StoreError(.notFound, "no remote named '\(name)'", hint: Hint("add it with {}", .addRemote(name)))
            }
            return found
        }
        if let origin = all.first(where: { $0.name == "origin" }) { return origin }
        if all.count == 1 { return all[0] }
        if all.isEmpty {
            throw StoreError(.notFound, "this store has no remote", hint: Hint("add one with {}", .addRemote("origin")))
        }
        throw StoreError(.invalidArgument, "this store has several remotes and none is 'origin': name the one to use")
    }

    /// Remote-tracking branches (`REMOTE/BRANCH`), sorted by name.
    public func remoteBranches() throws -> [(remote: String, branch: String, turn: TurnID)] {
        try read("cannot list remote branches") { db in
            try Row.fetchAll(db, sql: "SELECT name, target FROM ref WHERE name LIKE 'refs/remotes/%' ORDER BY name")
                .compactMap { row in
                    let name = String((row["name"] as String).dropFirst("refs/remotes/".count))
                    guard let slash = name.firstIndex(of: "/") else { return nil }
                    return (
                        String(name[..<slash]), String(name[name.index(after: slash)...]),
                        TurnID(validatedHex: row["target"])
                    )
                }
        }
    }

    func openTransport(_ remote: RemoteConfig, create: Bool = false) throws -> any RemoteTransport {
        try remoteCall { try Remotes.open(remote.url, s3: remote.s3Options, create: create) }
    }

    /// Runs transport code, turning its errors into ``StoreError``.
    func remoteCall<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as RemoteError {
            throw Store.storeError(error)
        }
    }

    static func storeError(_ error: RemoteError) -> StoreError {
        switch error.code {
        case .invalidArgument: return StoreError(.invalidArgument, error.reason, hint: error.hint)
        case .notFound: return StoreError(.notFound, error.reason, hint: error.hint)
        case .conflict: return StoreError(.conflict, error.reason, hint: error.hint)
        case .corrupt: return StoreError(.corrupt, error.reason, hint: error.hint)
        case .authentication, .transport, .protocolError, .io: return StoreError(.io, error.reason, hint: error.hint)
        }
    }

    // MARK: - Remote layout

    static func objectKey(_ id: AssetID) -> String { "objects/\(id.hex.prefix(2))/\(id.hex.dropFirst(2))" }
    static func turnKey(_ id: TurnID) -> String { "turns/\(id.hex)" }
    static func branchKey(_ branch: String) -> String { "refs/heads/\(branch)" }

    /// Parses a ref file: a turn id and a newline.
    static func parseRef(_ ref: RemoteRef, key: String, remote: String) throws -> TurnID {
        let text = String(decoding: ref.value, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let id = TurnID(text) else {
            throw StoreError(
                .corrupt, "\(key) on \(remote) does not hold a turn id", hint: Hint("repair it with {}", .forcePush))
        }
        return id
    }

    /// Which of `keys` exist on the remote: a HEAD each for a few, one
    /// listing of `prefix` for many.
    func existing(_ keys: [String], prefix: String, on transport: any RemoteTransport) throws -> Set<String> {
        guard !keys.isEmpty else { return [] }
        if keys.count > 32 {
            let listed = Set(try remoteCall { try transport.list(prefix) }.map(\.key))
            return Set(keys.filter { listed.contains($0) })
        }
        let found = Locked(Set<String>())
        try remoteCall {
            try ParallelWork.run(keys.count, workers: S3Remote.jobs()) { index in
                if try transport.size(of: keys[index]) != nil { found.withValue { _ = $0.insert(keys[index]) } }
            }
        }
        return found.value
    }

    /// What a remote keeps about an object, so lazy clones know an asset
    /// (kind, size, probe) before they have its bytes.
    func assetRecord(_ id: AssetID) throws -> JSONValue {
        let row = try read("cannot read asset \(id.short)") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM asset WHERE id = ?", arguments: [id.hex])
        }
        guard let row else {
            throw StoreError(.notFound, "asset \(id.short) is not in the store", hint: Hint("run {}", .check))
        }
        return JSONValue.object([
            "id": .string(id.hex), "size": .int(row["size"]), "kind": .string(row["kind"]),
            "mime": .string(row["mime"]),
            "format": .string(row["format"]), "duration": JSONValue(row["duration"] as Double?),
            "bit_rate": JSONValue(row["bit_rate"] as Int64?), "width": JSONValue(row["width"] as Int64?),
            "height": JSONValue(row["height"] as Int64?), "fps": JSONValue(row["fps"] as Double?),
            "probe": .string(row["probe"]), "added_at": .string(row["added_at"]),
        ])
    }

    /// One file of asset records for a push, named by its SHA-256 like
    /// everything else on a remote: `assets/<sha256>`. One request per push
    /// instead of one per object.
    func assetPack(_ ids: [AssetID]) throws -> (key: String, bytes: [UInt8]) {
        let text = CanonicalJSON.text(.object(["assets": .array(try ids.map(assetRecord))]))
        let bytes = Array(text.utf8)
        return ("assets/" + CanonicalJSON.hexDigest(bytes), bytes)
    }

    // MARK: - Push

    /// Sends branches to a remote: the objects, asset records and turns the
    /// remote lacks, then each branch by compare-and-swap.
    ///
    /// Objects go first, then turns, then refs, so a push stopped at any
    /// point never leaves a remote branch naming a turn whose objects are
    /// not all there; running it again sends only what is still missing. A
    /// branch whose remote tip is not an ancestor of the local one is
    /// refused (pull first) unless `force`.
    ///
    /// - Parameters:
    ///   - force: overwrite remote branches that have turns this store lacks.
    ///   - progress: transfer progress, called from the transfer threads.
    ///   - remoteName: the remote; nil for the default (``remote(_:)``).
    ///   - names: branch names; empty for the current branch.
    public func push(
        to remoteName: String? = nil, branches names: [String] = [], force: Bool = false,
        progress: SyncProgressHandler? = nil
    ) throws -> SyncResult {
        let config = try remote(remoteName)
        let transport = try openTransport(config, create: true)
        var result = SyncResult(remote: config.name)
        let head = try self.head()
        var branchNames = names
        if branchNames.isEmpty {
            guard let current = head.branch else {
                throw StoreError(.invalidArgument, "HEAD is detached: name the branch to push")
            }
            // An unborn branch (a store that only holds a library) sends the library alone.
            let born = try read("cannot read branch") { db in try Store.refTarget(db, current.ref) } != nil
            branchNames = born ? [current.name] : []
        }
        // Decide each branch before sending anything.
        var plans:
            [(branch: BranchName, local: TurnID, remote: RemoteRef?, remoteTip: TurnID?, outcome: BranchSync.Outcome)] =
                []
        for name in branchNames {
            let branch = try BranchName(name)
            guard let local = try read("cannot read branch", { db in try Store.refTarget(db, branch.ref) }) else {
                throw StoreError(
                    .notFound, "no branch named '\(name)'", hint: Hint("run {} to list them", .listBranches))
            }
            let key = Store.branchKey(name)
            let remoteRef = try remoteCall { try transport.readRef(key) }
            let remoteTip = try remoteRef.map { try Store.parseRef($0, key: key, remote: config.name) }
            let outcome: BranchSync.Outcome
            if let remoteTip {
                if remoteTip == local {
                    outcome = .upToDate
                } else if try hasTurn(remoteTip), try isAncestor(remoteTip, of: local) {
                    outcome = .fastForward
                } else if force {
                    outcome = .forced
                } else {
                    outcome = .rejected(
                        StoreError(
                            .conflict,
                            "\(config.name)/\(name) has turns this store lacks",
                            hint: Hint(
                                "run {} first (or {} to overwrite it)", .pull(remote: config.name, branch: name),
                                .forcePush)))
                }
            } else {
                outcome = .created
            }
            plans.append((branch, local, remoteRef, remoteTip, outcome))
        }
        let sending = plans.filter {
            switch $0.outcome {
            case .created, .fastForward, .forced: return true
            default: return false
            }
        }
        // What the remote already has: everything reachable from the tips we know are there.
        // (Tracking tips are checked: a remote emptied since the last push holds none of them.)
        let tracked = try read("cannot read remote branches") { db in
            try String.fetchAll(
                db, sql: "SELECT DISTINCT target FROM ref WHERE name LIKE ?",
                arguments: ["refs/remotes/\(config.name)/%"])
        }.compactMap(TurnID.init)
        let stillThere = try existing(tracked.map(Store.turnKey), prefix: "turns/", on: transport)
        let known = tracked.filter { stillThere.contains(Store.turnKey($0)) } + plans.compactMap(\.remoteTip)
        let candidates = try read("cannot walk the graph") { db -> [Turn] in
            let graph = TurnGraph(db)
            let include = try sending.map { try graph.seq(of: $0.local) }
            var exclude: [Int64] = []
            for id in Set(known) {
                if let seq = try Int64.fetchOne(db, sql: "SELECT seq FROM turn WHERE id = ?", arguments: [id.hex]) {
                    exclude.append(seq)
                }
            }
            let seqs = try graph.onlyReachable(from: include, notFrom: exclude)
            return try seqs.reversed().map { seq in
                guard let text = try String.fetchOne(db, sql: "SELECT record FROM turn WHERE seq = ?", arguments: [seq])
                else {
                    throw StoreError(.database, "turn #\(seq) vanished while reading: run the command again")
                }
                return try Turn(json: JSONParser.parse(text))
            }
        }
        progress?(
            SyncProgress(phase: .comparing, bytesDone: 0, bytesTotal: 0, filesDone: 0, filesTotal: candidates.count))
        let presentTurns = try existing(candidates.map { Store.turnKey($0.id) }, prefix: "turns/", on: transport)
        let turnsToSend = candidates.filter { !presentTurns.contains(Store.turnKey($0.id)) }
        var assetIDs: [AssetID] = []
        var seen: Set<AssetID> = []
        for turn in turnsToSend {
            for id in [turn.output] + turn.inputs.map(\.asset) where seen.insert(id).inserted { assetIDs.append(id) }
        }
        // The library travels too: every member, whether or not a turn uses it.
        try recordLibraryBaseline()
        let turnAssetCount = assetIDs.count
        for id in try libraryMembers() where seen.insert(id).inserted { assetIDs.append(id) }
        let presentObjects = try existing(assetIDs.map(Store.objectKey), prefix: "objects/", on: transport)
        let objectsToSend = assetIDs.filter { !presentObjects.contains(Store.objectKey($0)) }
        let sendingSet = Set(objectsToSend)
        // Records for the turns' assets (as before), and for library assets the remote lacks.
        let packIDs =
            Array(assetIDs.prefix(turnAssetCount))
            + assetIDs.dropFirst(turnAssetCount).filter { sendingSet.contains($0) }
        result.libraryAssets = assetIDs.dropFirst(turnAssetCount).filter { sendingSet.contains($0) }.count
        // A lazy clone first fetches what it has not downloaded.
        try fetchLazyObjects(objectsToSend.filter { !objects.contains($0) })
        let sizes = try read("cannot read asset sizes") { db in
            try objectsToSend.map { id -> Int64 in
                try Int64.fetchOne(db, sql: "SELECT size FROM asset WHERE id = ?", arguments: [id.hex]) ?? 0
            }
        }
        let meter = TransferMeter(
            phase: .uploading, files: objectsToSend.count, bytes: sizes.reduce(0, +), handler: progress)
        let jobs = S3Remote.jobs()
        // What lazy clones learn about the assets: before anything that names them.
        if !packIDs.isEmpty {
            let pack = try assetPack(packIDs)
            try remoteCall { try transport.write(pack.key, bytes: pack.bytes) }
        }
        // Each turn goes up as soon as the last of its missing objects is
        // there (objects before turns, turn by turn), so sending turns
        // overlaps sending objects. Large objects go one at a time (their
        // parts in parallel), then the rest in parallel.
        let gate = TurnGate(turns: turnsToSend, missing: Set(objectsToSend))
        let texts = turnsToSend.map { (Store.turnKey($0.id), Array($0.canonicalText.utf8)) }
        let order = objectsToSend.indices.sorted { sizes[$0] > sizes[$1] }
        let large = order.filter { sizes[$0] > S3Remote.multipartThreshold }
        let small = order.filter { sizes[$0] <= S3Remote.multipartThreshold }
        let layout = self.layout
        let sendTurn: @Sendable (Int) throws -> Void = { index in
            try transport.write(texts[index].0, bytes: texts[index].1)
        }
        let upload: @Sendable (Int) throws -> [Int] = { index in
            let id = objectsToSend[index]
            try transport.upload(
                Store.objectKey(id), from: layout.objectPath(id), size: sizes[index], sha256: id.hex,
                progress: { meter.add(bytes: $0) })
            meter.add(files: 1)
            return gate.stored(id)
        }
        try remoteCall {
            var readyTurns = gate.readyAtStart
            for index in large { readyTurns += try upload(index) }
            let tasks: [(object: Int?, turn: Int?)] = small.map { ($0, nil) } + readyTurns.map { (nil, $0) }
            try ParallelWork.run(tasks.count, workers: jobs) { task in
                if let object = tasks[task].object {
                    for turn in try upload(object) { try sendTurn(turn) }
                } else if let turn = tasks[task].turn {
                    try sendTurn(turn)
                }
            }
        }
        result.objects = objectsToSend.count
        result.bytes = sizes.reduce(0, +)
        result.turns = turnsToSend.count
        // Metadata records after the objects they name, before the refs.
        result.metaRecords = try pushMetaRecords(to: transport)
        // Refs last, each by compare-and-swap.
        let author = try self.author()
        for plan in plans {
            var outcome = plan.outcome
            switch plan.outcome {
            case .created, .fastForward, .forced:
                let key = Store.branchKey(plan.branch.name)
                let value = Array((plan.local.hex + "\n").utf8)
                let swapped = try remoteCall { try transport.swapRef(key, expected: plan.remote, to: value) }
                if !swapped {
                    outcome = .rejected(
                        StoreError(
                            .conflict,
                            "\(config.name)/\(plan.branch.name) moved while pushing",
                            hint: Hint("run {}, then push again", .pull(remote: config.name, branch: plan.branch.name)))
                    )
                }
            default:
                break
            }
            if case .rejected = outcome {
            } else {
                try setTrackingRef(config.name, plan.branch.name, to: plan.local, reason: "push", author: author)
            }
            result.branches.append(
                BranchSync(branch: plan.branch.name, old: plan.remoteTip, new: plan.local, outcome: outcome))
        }
        return result
    }

    /// Sends the metadata records the remote lacks (`meta/<sha256>`).
    ///
    /// - Returns: how many were sent.
    func pushMetaRecords(to transport: any RemoteTransport) throws -> Int {
        let local = try metaRecordIDs()
        guard !local.isEmpty else { return 0 }
        let remote = Set(try remoteCall { try transport.list("meta/") }.map { String($0.key.dropFirst("meta/".count)) })
        let missing = local.subtracting(remote).sorted()
        try remoteCall {
            try ParallelWork.run(missing.count, workers: S3Remote.jobs()) { index in
                let bytes = try self.metaRecordBytes(missing[index])
                try transport.write(Store.metaKey(missing[index]), bytes: bytes)
            }
        }
        return missing.count
    }

    static func metaKey(_ id: String) -> String { "meta/" + id }

    func hasTurn(_ id: TurnID) throws -> Bool {
        try read("cannot look up turn \(id.short)") { db in try Store.turnExists(db, id.hex) }
    }

    /// Points `refs/remotes/REMOTE/BRANCH` at a turn, logging the move.
    func setTrackingRef(_ remote: String, _ branch: String, to turn: TurnID, reason: String, author: String) throws {
        try lease.acquireShared()
        try write("cannot update \(remote)/\(branch)") { db in
            let ref = Store.trackingRef(remote, branch)
            let current = try Store.refTarget(db, ref)
            if current != turn {
                try Store.updateRef(
                    db, ref, expected: current, to: turn, reason: "\(reason): \(remote)/\(branch)", author: author)
            }
        }
    }
}

/// Which turns may be sent: those whose missing objects are all on the remote now.
final class TurnGate: @unchecked Sendable {
    // @unchecked: the maps are only touched under `lock`.
    private let lock = NSLock()
    private var waiting: [AssetID: [Int]] = [:]
    private var remaining: [Int: Int] = [:]
    /// Turns that need no object sent.
    let readyAtStart: [Int]

    init(turns: [Turn], missing: Set<AssetID>) {
        var ready: [Int] = []
        for (index, turn) in turns.enumerated() {
            let needs = Set([turn.output] + turn.inputs.map(\.asset)).intersection(missing)
            if needs.isEmpty {
                ready.append(index)
            } else {
                remaining[index] = needs.count
                for id in needs { waiting[id, default: []].append(index) }
            }
        }
        readyAtStart = ready
    }

    /// Notes that an object is stored and returns the turns that became ready.
    func stored(_ id: AssetID) -> [Int] {
        lock.lock()
        defer { lock.unlock() }
        var ready: [Int] = []
        for index in waiting.removeValue(forKey: id) ?? [] {
            let left = (remaining[index] ?? 1) - 1
            remaining[index] = left
            if left == 0 { ready.append(index) }
        }
        return ready
    }
}

/// Counts bytes and files moved by parallel workers and reports them.
final class TransferMeter: @unchecked Sendable {
    // @unchecked: the counters are only touched under `lock`.
    private let lock = NSLock()
    private let phase: SyncProgress.Phase
    private let filesTotal: Int
    private let bytesTotal: Int64
    private var files = 0
    private var bytes: Int64 = 0
    private let handler: SyncProgressHandler?

    init(phase: SyncProgress.Phase, files: Int, bytes: Int64, handler: SyncProgressHandler?) {
        self.phase = phase
        self.filesTotal = files
        self.bytesTotal = bytes
        self.handler = handler
        report()
    }

    func add(bytes delta: Int64 = 0, files fileDelta: Int = 0) {
        lock.lock()
        bytes += delta
        files += fileDelta
        lock.unlock()
        report()
    }

    private func report() {
        guard let handler else { return }
        lock.lock()
        let snapshot = SyncProgress(
            phase: phase, bytesDone: bytes, bytesTotal: bytesTotal, filesDone: files, filesTotal: filesTotal)
        lock.unlock()
        handler(snapshot)
    }
}
