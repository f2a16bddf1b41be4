import ArgumentParser
import OmniStore

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Show the history of turns, children before parents (git's --topo-order).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Revisions to start from; HEAD when none.")
    var revisions: [String] = []

    @Flag(help: "Start from every branch and HEAD.")
    var all = false

    @Flag(help: "Draw the graph of turns with ASCII lines.")
    var graph = false

    @Option(name: [.customShort("n"), .customLong("max-count")], help: "Show at most N turns.")
    var limit: Int?

    @Flag(help: "Also list generations that ended without a turn (blocked, failed, cancelled).")
    var attempts = false

    @Flag(help: "Print only how many turns there are (like git rev-list --count).")
    var count = false

    func validate() throws {
        if let limit, limit < 0 { throw ValidationError("-n must be 0 or more") }
    }

    func run() throws {
        let store = try global.openStore()
        if count {
            let total = try store.countTurns(revisions, all: all)
            let shown = limit.map { min($0, total) } ?? total
            if global.json {
                Terminal.json(.object(["count": .int(Int64(shown))]))
            } else {
                Terminal.out(String(shown))
            }
            return
        }
        let entries = try store.log(revisions, all: all, limit: limit)
        if global.json {
            let turns = JSONValue.array(try entries.map { try store.turn($0.id).json })
            if attempts {
                Terminal.json(.object(["turns": turns, "attempts": .array(try store.failedAttempts().map(\.json))]))
            } else {
                Terminal.json(turns)
            }
            return
        }
        let head = try store.head()
        let branches = try store.branchLabels()
        let rows = entries.map { TurnText.logColumns($0, head: head, branches: branches) }
        if graph {
            var drawer = GraphDrawer()
            var output: [String] = []
            for (entry, line) in zip(entries, Formatting.table(rows)) {
                output += drawer.draw(entry.id, parents: entry.parents, text: line)
            }
            Terminal.out(lines: output)
        } else {
            Terminal.out(lines: Formatting.table(rows))
        }
        if attempts {
            let failed = try store.failedAttempts()
            Terminal.out(failed.isEmpty ? "no failed attempts" : "failed attempts:")
            for attempt in failed {
                Terminal.out(
                    "  \(attempt.interaction ?? "-")  \(attempt.status)  \(attempt.errorCode ?? "")  \(TurnText.firstLine(attempt.instruction)): \(attempt.message)"
                )
            }
        }
    }
}
