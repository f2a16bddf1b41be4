import ArgumentParser
import OmniStore

struct CheckoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkout",
        abstract: "Write a version's clip to the working file and move HEAD to it.",
        discussion: """
            A branch name makes HEAD follow that branch; any other revision detaches HEAD. The working \
            file is a copy (never a link into the store); a working file whose bytes are not recorded is \
            never overwritten without --force.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A branch or any revision.")
    var revision: String

    @Option(name: .customShort("b"), help: "Create this branch at the revision and switch to it.")
    var newBranch: String?

    @Option(
        name: .customLong("to"),
        help: ArgumentHelp("Write the clip to PATH instead; HEAD does not move.", valueName: "PATH"))
    var destination: String?

    @Flag(help: "Overwrite a working file whose bytes are not recorded.")
    var force = false

    func validate() throws {
        if newBranch != nil && destination != nil { throw ValidationError("-b and --to cannot be used together") }
    }

    func run() throws {
        let store = try global.openStore()
        let result = try store.checkout(revision, newBranch: newBranch, to: destination, force: force)
        if global.json {
            Terminal.json(
                .object([
                    "turn": .string(result.turn.id.hex), "path": .string(result.path),
                    "branch": JSONValue(destination == nil ? result.head.branch?.name : nil),
                    "detached": .bool(destination == nil && result.head.branch == nil),
                ]))
            return
        }
        let path = Formatting.path(result.path)
        if destination != nil {
            Terminal.out("wrote \(result.turn.id.short) to \(path)")
        } else if let branch = result.head.branch {
            Terminal.out("Switched to branch '\(branch.name)' at \(result.turn.id.short); \(path) updated")
        } else {
            Terminal.out(
                "HEAD is now at \(result.turn.id.short) (detached) \(TurnText.firstLine(result.turn.instruction)); \(path) updated"
            )
        }
    }
}
