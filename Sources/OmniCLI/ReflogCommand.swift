import ArgumentParser
import OmniStore

struct ReflogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reflog",
        abstract: "Show every move of HEAD or of a branch, newest first.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "HEAD (default) or a branch name.")
    var ref: String = "HEAD"

    @Option(name: [.customShort("n"), .customLong("max-count")], help: "Show at most N entries.")
    var limit: Int?

    func run() throws {
        let entries = try global.openStore().reflog(ref, limit: limit)
        if global.json {
            Terminal.json(.array(entries.map(\.json)))
            return
        }
        for (index, entry) in entries.enumerated() {
            Terminal.out("\(entry.new?.short ?? "(deleted)   ") \(ref)@{\(index)}: \(entry.reason)")
        }
    }
}
