import ArgumentParser
import OmniStore

struct RmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Take assets out of the library, so that gc may delete them once nothing else keeps them.",
        discussion: """
            What you add is kept: gc never deletes an asset of the library. rm takes assets out of it, \
            named by id (or a unique prefix) or by a path they were added from. Their bytes stay while \
            a turn or a pending generation uses them, and until gc's grace period has passed. \
            Nothing is removed unless every name is in the library.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("Assets to take out of the library.", valueName: "ASSET|PATH"))
    var names: [String] = []

    func validate() throws {
        if names.isEmpty { throw ValidationError("give at least one asset id or path to remove from the library") }
    }

    func run() throws {
        let removed = try global.openStore().removeFromLibrary(names)
        if global.json {
            Terminal.json(.object(["removed": .array(removed.map { .string($0.hex) })]))
        } else {
            for id in removed { Terminal.out("removed \(id.short) from the library") }
        }
    }
}
