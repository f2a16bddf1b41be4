import ArgumentParser
import OmniStore

struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a new clip from text, images or reference clips (a new root turn).",
        discussion: "Needs GOOGLE_API_KEY or GEMINI_API_KEY. Use --dry-run to see the request and its cost first.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var generation: GenerationArguments

    @Argument(help: "The prompt.")
    var prompt: String

    func run() async throws {
        var options = GenerationOptions(kind: .generate, instruction: prompt)
        generation.apply(to: &options)
        try await GenerationRunner(store: global.openStore(), json: global.json).run(options, dryRun: generation.dryRun)
    }
}
