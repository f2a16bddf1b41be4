import ArgumentParser
import Foundation
import OmniStore

struct PushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Send branches to a remote: the objects, turns and refs it lacks.",
        discussion: """
            Objects go first, then turns, then each branch by compare-and-swap, so an interrupted push \
            never leaves a remote branch naming a turn whose objects are missing; run it again to finish. \
            A branch whose remote tip this store does not contain is refused: pull first, or use --force.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Overwrite remote branches even when that drops turns from them (says which).")
    var force = false

    @Argument(help: "The remote (default: origin), then branches (default: the current one).")
    var arguments: [String] = []

    func run() throws {
        let store = try global.openStore()
        let (remote, branches) = try RemoteArguments.split(arguments, store: store)
        let line = ProgressLine()
        let start = Date()
        let result = try store.push(
            to: remote, branches: branches, force: force, progress: RemoteSyncText.progress(line))
        line.finish()
        try RemoteSyncText.report(result, store: store, json: global.json, push: true, started: start)
        if result.hasRejection {
            throw CommandFailure(
                message:
                    "failed to push some branches to \(result.remote): pull first ('omnistore pull \(result.remote)'), then push again"
            )
        }
    }
}

/// `[REMOTE] [BRANCH...]`: the first word is a remote when one has that name.
enum RemoteArguments {
    static func split(_ arguments: [String], store: Store) throws -> (remote: String?, branches: [String]) {
        guard let first = arguments.first else { return (nil, []) }
        if try store.remotes().contains(where: { $0.name == first }) { return (first, Array(arguments.dropFirst())) }
        return (nil, arguments)
    }
}
