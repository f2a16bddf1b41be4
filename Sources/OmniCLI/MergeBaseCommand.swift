import ArgumentParser
import OmniStore

struct MergeBaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge-base",
        abstract: "Print the best common ancestor of two versions (as git merge-base).")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print every best common ancestor, not just one.")
    var all = false

    @Argument(help: "One version.")
    var a: String

    @Argument(help: "The other version.")
    var b: String

    func run() throws {
        let bases = try global.openStore().mergeBases(a, b)
        let shown = all ? bases : Array(bases.prefix(1))
        if global.json {
            Terminal.json(.array(shown.map { .string($0.hex) }))
        } else {
            shown.forEach { Terminal.out($0.hex) }
        }
        if bases.isEmpty { throw CommandFailure() }
    }
}
