import ArgumentParser
import OmniStore

struct TranslateCommand: ParsableCommand {
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

    func run() throws {
        let instruction =
            "Translate all speech in this video into \(language). Keep the same speaker, voice character, timing, lip movement, picture and everything else unchanged."
        var options = GenerationOptions(kind: "translate", instruction: instruction)
        generation.apply(to: &options)
        options.from = from
        options.task = options.task ?? "edit"
        options.extraSettings["language"] = .string(language)
        try GenerationRunner(store: global.openStore(), json: global.json).run(options, dryRun: generation.dryRun)
    }
}
