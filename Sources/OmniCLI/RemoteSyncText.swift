import Foundation
import OmniStore

/// Printing what push, pull and clone did, and their progress.
enum RemoteSyncText {
    /// Reports a push or pull: JSON, or the remote's URL, a line per branch
    /// and the summary on stderr, as git does.
    static func report(_ result: SyncResult, store: Store, json: Bool, push: Bool, started: Date) throws {
        if json {
            Terminal.json(self.json(result))
            return
        }
        let url = try store.remote(result.remote).url
        Terminal.err(push ? "To \(url)" : "From \(url)")
        for sync in result.branches { Terminal.err(outcomeText(sync, remote: result.remote, push: push)) }
        warnSkipped(result)
        Terminal.err(summary(result, sent: push, seconds: Date().timeIntervalSince(started)))
    }

    /// A progress handler drawing one line with bytes/s on a terminal.
    static func progress(_ line: ProgressLine) -> SyncProgressHandler {
        { progress in
            switch progress.phase {
            case .uploading, .downloading:
                line.update(
                    done: progress.bytesDone, total: progress.bytesTotal,
                    label: "\(progress.phase.rawValue) \(progress.filesDone)/\(progress.filesTotal) objects")
            case .turns:
                line.update(
                    done: Int64(progress.filesDone), total: Int64(max(progress.filesTotal, progress.filesDone)),
                    label: "turns")
            case .comparing:
                break
            }
        }
    }

    static func outcomeText(_ sync: BranchSync, remote: String, push: Bool) -> String {
        let range = "\(sync.old?.short.prefix(7) ?? "")..\(sync.new?.short.prefix(7) ?? "")"
        let arrow = push ? "\(sync.branch) -> \(remote)/\(sync.branch)" : "\(remote)/\(sync.branch) -> \(sync.branch)"
        switch sync.outcome {
        case .upToDate: return " = [up to date]      \(arrow)"
        case .created: return " * [new branch]      \(arrow)"
        case .fastForward: return "   \(range)  \(arrow)"
        case .forced:
            return
                " + \(range)  \(arrow) (forced update: \(remote)/\(sync.branch) was \(sync.old?.short ?? "?"); turns only it reached are no longer on that branch)"
        case .ahead: return " = [ahead]           \(arrow) (\(sync.branch) has turns \(remote) lacks: push them)"
        case .diverged(let localOnly, let remoteOnly):
            return " ! [diverged]        \(arrow) (\(localOnly) local and \(remoteOnly) remote turn(s); nothing moved)"
        case .rebased(let count): return " ~ [rebased]         \(arrow) (replayed \(count) turn(s) on top)"
        case .rejected(let why): return " ! [rejected]        \(arrow) (\(ErrorText.of(why)))"
        }
    }

    static func outcomeName(_ outcome: BranchSync.Outcome) -> String {
        switch outcome {
        case .upToDate: return "up_to_date"
        case .created: return "created"
        case .fastForward: return "fast_forward"
        case .forced: return "forced"
        case .ahead: return "ahead"
        case .diverged: return "diverged"
        case .rebased: return "rebased"
        case .rejected: return "rejected"
        }
    }

    static func json(_ result: SyncResult) -> JSONValue {
        .object([
            "remote": .string(result.remote),
            "objects": .int(Int64(result.objects)),
            "bytes": .int(result.bytes),
            "turns": .int(Int64(result.turns)),
            "lazy_objects": .int(Int64(result.lazyObjects)),
            "meta_records": .int(Int64(result.metaRecords)),
            "library_assets": .int(Int64(result.libraryAssets)),
            "skipped_branches": .array(
                result.skippedBranches.map { .object(["name": .string($0.name), "reason": .string($0.reason)]) }),
            "branches": .array(
                result.branches.map { sync in
                    var members: [String: JSONValue] = [
                        "branch": .string(sync.branch), "old": JSONValue(sync.old?.hex),
                        "new": JSONValue(sync.new?.hex),
                        "outcome": .string(outcomeName(sync.outcome)),
                    ]
                    if case .rejected(let why) = sync.outcome { members["reason"] = .string(ErrorText.of(why)) }
                    if case .diverged(let local, let remote) = sync.outcome {
                        members["local_only"] = .int(Int64(local))
                        members["remote_only"] = .int(Int64(remote))
                    }
                    return .object(members)
                }),
        ])
    }

    /// One warning line per remote branch that was not taken, its name
    /// escaped (line breaks too: a name must not start a forged line).
    static func warnSkipped(_ result: SyncResult) {
        for skipped in result.skippedBranches {
            let name = skipped.name.replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(
                of: "\t", with: "\\t")
            Terminal.err(
                "warning: skipped \(result.remote)'s branch '\(name)': \(skipped.reason); rename it on the remote to fetch it"
            )
        }
    }

    static func summary(_ result: SyncResult, sent: Bool, seconds: Double) -> String {
        let verb = sent ? "sent" : "received"
        var text = "\(verb) \(result.objects) object(s) (\(Formatting.bytes(result.bytes))), \(result.turns) turn(s)"
        if result.libraryAssets > 0 { text += ", \(result.libraryAssets) of them library asset(s) no turn uses" }
        if result.metaRecords > 0 { text += ", \(result.metaRecords) metadata record(s)" }
        if result.lazyObjects > 0 { text += "; \(result.lazyObjects) object(s) left on the remote until needed" }
        if result.bytes > 0 && seconds > 0 { text += " at \(Formatting.rate(Double(result.bytes) / seconds))" }
        return text
    }
}
