import Foundation
import OmniHTTP
import OmniInteractions
import OmniStore

/// Runs a generation for a command: dry run, progress on a terminal,
/// Ctrl-C that leaves the interaction pending, and the result line.
struct GenerationRunner {
    let store: Store
    let json: Bool

    static func client() throws -> InteractionsClient {
        let configuration = InteractionsConfiguration.fromEnvironment()
        guard configuration.apiKey != nil else {
            throw CommandFailure(message: "no API key: set GOOGLE_API_KEY or GEMINI_API_KEY (it is never stored)")
        }
        let limits: HTTPClient.Limits
        do {
            limits = try HTTPClient.Limits.fromEnvironment()
        } catch {
            throw CommandFailure(message: error.message)
        }
        return InteractionsClient(
            configuration: configuration, userAgent: "omnistore/\(OmnistoreCommand.version)", limits: limits)
    }

    func run(_ options: GenerationOptions, dryRun: Bool) async throws {
        if dryRun {
            let (plan, request) = try store.previewGeneration(options)
            let estimate = Self.estimateText(plan)
            if json {
                Terminal.json(
                    .object([
                        "request": request, "estimate_usd": .double(plan.estimateUSD),
                        "estimate_labelled": .bool(plan.estimateIsLabelled), "rehydrated": .bool(plan.rehydrated),
                    ]))
            } else {
                Terminal.out("POST /\(InteractionsConfiguration.fromEnvironment().apiVersion)/interactions")
                Terminal.out(request.prettyText)
                Terminal.out("estimated cost: \(estimate)")
            }
            return
        }
        let client = try Self.client()
        let progress = ProgressLine()
        let store = self.store
        do {
            // The library's async API; Ctrl-C cancels its task, which stops the request in flight.
            let result = try await Interrupt.cancelling {
                try await store.generate(options, client: client, progress: { progress.show($0) })
            }
            progress.finish()
            Self.report(result, json: json)
        } catch let interrupted as GenerationInterrupted {
            progress.finish()
            Terminal.err(ErrorText.of(interrupted))
            throw CommandFailure(exitCode: 130)
        } catch let error as InteractionsError {
            progress.finish()
            throw CommandFailure(message: ErrorText.of(error))
        }
    }

    static func estimateText(_ plan: GenerationPlan) -> String {
        var text = String(format: "$%.2f (%d s at %@", plan.estimateUSD, plan.duration, plan.resolution)
        if plan.estimateIsLabelled { text += ", an estimate: official \(plan.resolution) pricing is unpublished" }
        return text + ")"
    }

    static func report(_ result: GenerationResult, json: Bool) {
        let turn = result.record.turn
        if result.alreadyRecorded {
            Terminal.err(
                "note: interaction \(result.interaction) was already recorded by another omnistore as turn \(turn.id.short)"
            )
        }
        if json {
            var members = turn.json.objectValue ?? [:]
            members["branch"] = JSONValue(result.record.branch?.name)
            members["side_branch"] = JSONValue(result.record.sideBranch?.name)
            Terminal.json(.object(members))
            return
        }
        let branch = result.record.sideBranch ?? result.record.branch
        let cost = turn.cost.map { String(format: " $%.2f", $0.usd) } ?? ""
        Terminal.out(
            "[\(branch?.name ?? "detached HEAD") \(turn.id.short)] \(turn.kind):\(cost) \(TurnText.firstLine(turn.instruction))"
        )
        if let side = result.record.sideBranch, let moved = result.record.branch {
            Terminal.err("note: \(moved.name) moved while this ran; the turn is kept on new branch '\(side.name)'")
        }
    }
}

extension ProgressLine {
    /// Shows a generation's progress: its status on the line, and the
    /// moments worth keeping (the interaction's id, a rehydration) as lines of their own.
    func show(_ event: GenerationEvent) {
        switch event {
        case .uploading(let name, let bytes): show("uploading \(name) (\(Formatting.bytes(bytes)))")
        case .created(let id):
            // Said on every stream, so a crash right after still leaves the id on screen.
            Terminal.err("started interaction \(id)")
        case .polling(let id, let status, let elapsed): show("\(id): \(status) \(Int(elapsed))s")
        case .downloading(let id, let bytes): show("\(id): downloading \(Formatting.bytes(bytes))")
        case .rehydrating(let reason): Terminal.err("note: \(reason); sending the stored clip instead (rehydrating)")
        }
    }
}
