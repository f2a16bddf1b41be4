import ArgumentParser
import Foundation
import OmniStore

struct PullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Fetch branches from a remote and bring local ones up to date where nothing is lost.",
        discussion: """
            Turns and objects are verified (ids re-hashed) before anything is stored, and the remote's \
            tips are kept as REMOTE/BRANCH (see 'branch -a' and 'log --all'). A missing local branch is \
            created and one that is behind moves forward. One that has diverged never moves: the remote's \
            turns are stored and the divergence reported; --rebase re-records your local-only turns on top \
            of the remote's, so that a push then succeeds.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Replay local-only turns onto the remote tip when a branch has diverged.")
    var rebase = false

    @Argument(help: "The remote (default: origin), then branches (default: all of the remote's).")
    var arguments: [String] = []

    func run() throws {
        let store = try global.openStore()
        let (remote, branches) = try RemoteArguments.split(arguments, store: store)
        let line = ProgressLine()
        let start = Date()
        let result = try store.pull(
            from: remote, branches: branches, rebase: rebase, progress: RemoteSyncText.progress(line))
        line.finish()
        try RemoteSyncText.report(result, store: store, json: global.json, push: false, started: start)
        let diverged = result.branches.filter { if case .diverged = $0.outcome { return true } else { return false } }
        if let first = diverged.first {
            throw CommandFailure(
                message:
                    "\(first.branch) has diverged from \(result.remote)/\(first.branch) and was left as it was; the remote's turns are stored as \(result.remote)/\(first.branch): run 'omnistore pull --rebase' to replay yours on top"
            )
        }
    }
}
