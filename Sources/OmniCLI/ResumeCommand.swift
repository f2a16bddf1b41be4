internal import CPosix
import ArgumentParser
import OmniStore

struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Finish interactions that were started but not stored (after Ctrl-C, a crash or a lost network).")

    @OptionGroup var global: GlobalOptions

    @Flag(name: .shortAndLong, help: "Only list the pending interactions.")
    var list = false

    @Argument(help: "One interaction id; all pending ones when omitted.")
    var interaction: String?

    func run() throws {
        let store = try global.openStore()
        if list {
            let pending = try store.pendingInteractions()
            if global.json { Terminal.json(.array(pending.map(\.json))) } else {
                for item in pending {
                    Terminal.out("\(item.id)  \(item.plan.kind)  \(item.createdAt)  \(TurnText.firstLine(item.plan.instruction))")
                }
            }
            return
        }
        if try store.pendingInteractions().isEmpty && interaction == nil {
            if !global.json { Terminal.out("nothing to resume") } else { Terminal.json(.array([])) }
            return
        }
        let client = try GenerationRunner.client()
        cposix_catch_interrupt()
        let line = StatusLine()
        let results: [Result<GenerationResult, any Error>]
        do {
            results = try store.resume(interaction, client: client, events: { line.show($0) }, shouldStop: { cposix_interrupted() != 0 })
        } catch let interrupted as GenerationInterrupted {
            line.finish()
            Terminal.err(interrupted.description)
            throw CommandFailure(exitCode: 130)
        }
        line.finish()
        var failed = 0
        for result in results {
            switch result {
            case .success(let done): GenerationRunner.report(done, json: global.json)
            case .failure(let error):
                failed += 1
                Terminal.error("\(error)")
            }
        }
        if failed > 0 { throw CommandFailure() }
    }
}
