import ArgumentParser
import OmniStore

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Finish interactions that were started but not stored (after Ctrl-C, a crash or a lost network).")

    @OptionGroup var global: GlobalOptions

    @Flag(name: .shortAndLong, help: "Only list the pending interactions, and requests sent with no reply.")
    var list = false

    @Flag(help: "Dismiss the requests that were sent and got no reply (check the API's usage page first).")
    var dismissUnanswered = false

    @Argument(help: "One interaction id; all pending ones when omitted.")
    var interaction: String?

    func validate() throws {
        if dismissUnanswered && (list || interaction != nil) {
            throw ValidationError("--dismiss-unanswered stands alone: give neither --list nor an interaction")
        }
    }

    func run() async throws {
        let store = try global.openStore()
        if dismissUnanswered {
            let count = try store.dismissUnansweredRequests()
            if global.json {
                Terminal.json(.object(["dismissed": .int(Int64(count))]))
            } else {
                Terminal.out(count == 0 ? "no unanswered requests" : "dismissed \(count) unanswered request(s)")
            }
            return
        }
        if list {
            let pending = try store.pendingInteractions()
            let unanswered = try store.unansweredRequests()
            if global.json {
                Terminal.json(.array(pending.map(\.json)))
            } else {
                for item in pending {
                    Terminal.out(
                        "\(item.id)  \(item.plan.kind)  \(item.createdAt)  \(TurnText.firstLine(item.plan.instruction))"
                    )
                }
                for item in unanswered {
                    Terminal.out(
                        "sent, no reply (may be billed)  \(item.kind)  \(item.createdAt)  \(TurnText.firstLine(item.instruction))"
                    )
                }
                if !unanswered.isEmpty {
                    Terminal.out("check the API's usage page, then 'omnistore resume --dismiss-unanswered'")
                }
            }
            return
        }
        if try store.pendingInteractions().isEmpty && interaction == nil {
            if !global.json { Terminal.out("nothing to resume") } else { Terminal.json(.array([])) }
            return
        }
        let client = try GenerationRunner.client()
        let line = ProgressLine()
        let results: [Result<GenerationResult, any Error>]
        let interaction = self.interaction
        do {
            results = try await Interrupt.cancelling {
                try await store.resume(interaction, client: client, progress: { line.show($0) })
            }
        } catch let interrupted as GenerationInterrupted {
            line.finish()
            Terminal.err(ErrorText.of(interrupted))
            throw CommandFailure(exitCode: 130)
        }
        line.finish()
        var failed = 0
        for result in results {
            switch result {
            case .success(let done): GenerationRunner.report(done, json: global.json)
            case .failure(let error):
                failed += 1
                Terminal.error(ErrorText.of(error))
            }
        }
        if failed > 0 { throw CommandFailure() }
    }
}
