import ArgumentParser
import OmniStore

struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a running interaction on the server and mark it cancelled here.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The interaction id ('omnistore resume --list' shows them).")
    var interaction: String

    func run() throws {
        let store = try global.openStore()
        try store.cancel(interaction, client: GenerationRunner.client())
        if global.json {
            Terminal.json(.object(["interaction": .string(interaction), "status": .string("cancelled")]))
        } else {
            Terminal.out("cancelled \(interaction)")
        }
    }
}
