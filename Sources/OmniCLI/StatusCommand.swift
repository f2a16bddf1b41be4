import ArgumentParser
import OmniStore

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the branch, the HEAD turn and the working file's state.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let store = try global.openStore()
        let status = try store.status()
        let unanswered = try store.unansweredRequests()
        if global.json {
            Terminal.json(
                .object([
                    "branch": JSONValue(status.head.branch?.name),
                    "detached": .bool(status.head.branch == nil),
                    "head": JSONValue(status.head.turn?.hex),
                    "workfile": .object([
                        "path": .string(status.workfile.path), "state": .string(status.workfile.state.rawValue),
                        "sha256": JSONValue(status.workfile.hash?.hex),
                    ]),
                    "unanswered_requests": .array(unanswered.map(\.json)),
                ]))
            return
        }
        switch status.head {
        case .branch(let branch, nil): Terminal.out("On branch \(branch.name), no turns yet")
        case .branch(let branch, let turn?): Terminal.out("On branch \(branch.name) at \(turn.short)")
        case .detached(let turn): Terminal.out("HEAD detached at \(turn.short)")
        }
        if let turn = status.headTurn {
            Terminal.out("HEAD: \(turn.kind): \(TurnText.firstLine(turn.instruction))")
        }
        let path = Formatting.path(status.workfile.path)
        switch status.workfile.state {
        case .matchesHead: Terminal.out("working file \(path): matches HEAD")
        case .stored:
            Terminal.out(
                "working file \(path): differs from HEAD (its bytes are stored as \(status.workfile.hash?.short ?? "?"))"
            )
        case .modified:
            Terminal.out("working file \(path): modified, not recorded (use 'omnistore record -m MESSAGE' to keep it)")
        case .missing:
            // checkout HEAD would detach HEAD from its branch; checking out the branch keeps it.
            let restore: String
            switch status.head {
            case .branch(let branch, _): restore = "omnistore checkout \(branch.name)"
            case .detached: restore = "omnistore checkout HEAD"
            }
            Terminal.out("working file \(path): missing (use '\(restore)' to restore it)")
        }
        for item in unanswered {
            Terminal.out(
                "sent, no reply: may be billed: \(item.kind) \"\(TurnText.firstLine(item.instruction))\" at \(item.createdAt) (check the API's usage page, then 'omnistore resume --dismiss-unanswered')"
            )
        }
    }
}
