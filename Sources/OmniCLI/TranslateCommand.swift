import ArgumentParser
import OmniStore

struct TranslateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "translate",
        abstract: "Translate the speech in a clip into another language, keeping the speaker and the picture.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var generation: GenerationArguments

    @Option(help: ArgumentHelp("The version to translate (default HEAD).", valueName: "REV"))
    var from: String?

    @Argument(help: "The target language, such as German or pt-BR.")
    var language: String

    func validate() throws {
        if language.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("give the target language") }
    }

    func run() async throws {
        var options = GenerationOptions.translation(into: language)
        generation.apply(to: &options)
        options.from = from
        try await GenerationRunner(store: global.openStore(), json: global.json).run(options, dryRun: generation.dryRun)
    }
}
