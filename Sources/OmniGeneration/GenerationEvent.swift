import OmniBasics
import OmniCore

/// Progress of a generation, for display.
public enum GenerationEvent: Sendable {
    case uploading(name: String, bytes: Int64)
    /// The server accepted the create; the interaction is saved as pending.
    case created(interaction: String)
    case polling(interaction: String, status: String, elapsed: Double)
    case downloading(interaction: String, bytes: Int64)
    /// The parent's server state is gone; its clip is sent instead.
    case rehydrating(reason: String)
}

/// A generation that finished and was recorded.
public struct GenerationResult: Sendable {
    public let record: RecordResult
    public let interaction: String
    /// True when another process recorded this interaction first; the turn is that one.
    public var alreadyRecorded = false

    public init(record: RecordResult, interaction: String, alreadyRecorded: Bool = false) {
        self.record = record
        self.interaction = interaction
        self.alreadyRecorded = alreadyRecorded
    }
}

/// A generation stopped by the user before it finished: the interaction is
/// still pending in the store, or, stopped before the API answered the
/// create, kept as an attempt that may be billed.
public struct GenerationInterrupted: Error, CustomStringConvertible, Sendable {
    /// Nil when the create was interrupted before its reply.
    public let interaction: String?
    /// What became of the work, and what to do next.
    public var hint: Hint {
        guard let interaction else {
            return Hint(
                "the request may have started and be billed; it is kept as an attempt ({})", .listAttempts)
        }
        return Hint(
            "interaction \(interaction) keeps running on the server and is saved as pending; run {} to finish it or {} to stop it",
            .resume(interaction), .cancel(interaction))
    }

    /// The message with each remedy named by `name`.
    public func text(naming name: (Remedy) -> String) -> String {
        Hint.join(interaction == nil ? "interrupted before the API answered" : "interrupted", hint, naming: name)
    }

    public var description: String { text { $0.libraryName } }
}

/// A started interaction not yet recorded as a turn.
public struct PendingInteraction: Sendable {
    public let id: String
    public let status: String
    public let plan: GenerationPlan
    public let createdAt: String

    public var json: JSONValue {
        .object([
            "interaction": .string(id), "status": .string(status), "created_at": .string(createdAt),
            "kind": .string(plan.kind.name), "instruction": .string(plan.instruction),
            "parent": JSONValue(plan.parent?.hex),
            "estimate_usd": .double(plan.estimateUSD),
        ])
    }
}

/// A generation that ended without a turn: blocked, failed or cancelled.
public struct FailedAttempt: Sendable {
    public let interaction: String?
    public let kind: TurnKind
    public let instruction: String
    public let parent: TurnID?
    public let status: String
    public let errorCode: String?
    public let message: String
    public let createdAt: String

    public var json: JSONValue {
        .object([
            "interaction": JSONValue(interaction), "kind": .string(kind.name), "instruction": .string(instruction),
            "parent": JSONValue(parent?.hex), "status": .string(status), "error_code": JSONValue(errorCode),
            "message": .string(message), "created_at": .string(createdAt),
        ])
    }
}
