import ArgumentParser
import OmniStore

struct RevParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rev-parse",
        abstract: "Print the full turn id of each revision (as git rev-parse).")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Revisions: HEAD, a branch, a turn id prefix, REV~N, REV^N.")
    var revisions: [String]

    func validate() throws {
        if revisions.isEmpty { throw ValidationError("give at least one revision") }
    }

    func run() throws {
        let store = try global.openStore()
        let ids = try revisions.map { try store.resolve($0) }
        if global.json {
            Terminal.json(.array(ids.map { .string($0.hex) }))
        } else {
            ids.forEach { Terminal.out($0.hex) }
        }
    }
}
