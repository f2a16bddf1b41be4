import ArgumentParser
import OmniStore

struct EditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit",
        abstract: "Edit a version conversationally: continue its server state with an instruction.",
        discussion: """
            Continues HEAD (or --from REV) through previous_interaction_id. When that state has expired, \
            the stored clip is sent instead (rehydration), so any version can always be continued.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var generation: GenerationArguments

    @Option(help: ArgumentHelp("The version to continue (default HEAD).", valueName: "REV"))
    var from: String?

    @Argument(help: "What to change.")
    var instruction: String

    func run() async throws {
        var options = GenerationOptions(kind: .edit, instruction: instruction)
        generation.apply(to: &options)
        options.from = from
        try await GenerationRunner(store: global.openStore(), json: global.json).run(options, dryRun: generation.dryRun)
    }
}
