/// The parts of an Interaction resource that omnistore uses.
public struct Interaction: Sendable {
    /// Where the output video is.
    public enum Video: Sendable, Equatable {
        /// Inline base64, already spilled to a file by the reader.
        case inlineBase64(path: String)
        /// Inline base64 small enough to sit in the JSON text.
        case inlineText(String)
        /// A Files API download link.
        case uri(String)
    }

    public let id: String
    public let status: String
    public let created: String?
    public let previousInteractionID: String?
    /// The `usage` object as compact JSON text, if present.
    public let usageJSON: String?
    public let totalOutputTokens: Int?
    /// The video of the last `model_output` step, if any.
    public let video: Video?
    /// Error codes and messages from `errors[]` and step errors.
    public let errors: [(code: String, message: String)]
    /// Text from the model's output steps, to explain a missing video.
    public let outputText: String?
    /// Temp files holding spilled strings; delete when done.
    public let spillFiles: [String]

    /// Statuses after which the interaction never changes.
    public static let terminalStatuses: Set<String> = [
        "completed", "failed", "cancelled", "incomplete", "budget_exceeded",
    ]

    public var isTerminal: Bool { Interaction.terminalStatuses.contains(status) }

    /// - Parameter secret: the API key, removed from every text the server sent.
    init(_ json: SpilledJSON, secret: String? = nil) throws {
        guard let id = json["id"]?.string, let status = json["status"]?.string else {
            throw InteractionsError.protocolError("the API answered without an interaction id and status")
        }
        if let secret, secret.count >= 4, id.contains(secret) || status.contains(secret) {
            throw InteractionsError.protocolError(
                "the API answered with an interaction id or status holding the API key")
        }
        func scrub(_ text: String) -> String { Redaction.scrub(text, secret) }
        self.id = id
        self.status = status
        created = json["created"]?.string.map(scrub)
        previousInteractionID = json["previous_interaction_id"]?.string.map(scrub)
        usageJSON = json["usage"].map(\.compactText).map(scrub)
        totalOutputTokens = json["usage"]?["total_output_tokens"]?.number.map { Int($0) }
        var errors: [(String, String)] = []
        for error in json["errors"]?.array ?? [] {
            errors.append((scrub(Interaction.code(error["code"])), scrub(error["message"]?.string ?? "")))
        }
        var video: Video? = nil
        var texts: [String] = []
        let steps = json["steps"]?.array ?? json["outputs"]?.array ?? []
        for step in steps where step["type"]?.string == "model_output" {
            if let error = step["error"] {
                errors.append((scrub(Interaction.code(error["code"])), scrub(error["message"]?.string ?? "")))
            }
            for content in step["content"]?.array ?? [] {
                switch content["type"]?.string {
                case "video":
                    if case .spilled(let path, _)? = content["data"] {
                        video = .inlineBase64(path: path)
                    } else if let data = content["data"]?.string {
                        video = .inlineText(data)
                    } else if let uri = content["uri"]?.string {
                        video = .uri(uri)
                    }
                case "text":
                    if let text = content["text"]?.string { texts.append(scrub(text)) }
                default: break
                }
            }
        }
        self.errors = errors
        self.video = video
        self.outputText = texts.isEmpty ? nil : texts.joined(separator: " ")
        self.spillFiles = json.spillFiles
    }

    private static func code(_ value: SpilledJSON?) -> String {
        switch value {
        case .string(let code)?: return code
        case .number(let code)?: return String(Int(code))
        default: return "unknown"
        }
    }

    /// Codes that mean a policy block rather than a fault.
    public static let blockCodes: Set<String> = [
        "safety", "prohibited_content", "recitation", "spii", "blocklist", "language", "image_safety",
        "image_prohibited_content", "image_recitation", "image_other", "content_blocked",
    ]

    /// The failure this terminal interaction represents, or nil if it produced a video.
    public var failure: InteractionsError? {
        if let blocked = errors.first(where: { Interaction.blockCodes.contains($0.code) }) {
            return InteractionsError(.blocked, apiCode: blocked.code, message: "generation blocked: \(blocked.message)")
        }
        switch status {
        case "completed":
            if video != nil { return nil }
            let reason = errors.first.map { "\($0.code): \($0.message)" } ?? outputText ?? "no reason given"
            return InteractionsError(.noVideo, message: "the interaction completed without a video (\(reason))")
        case "cancelled":
            return InteractionsError(.cancelled, message: "interaction \(id) was cancelled")
        default:
            let reason = errors.first.map { "\($0.code): \($0.message)" } ?? "status \(status)"
            return InteractionsError(
                .failed, apiCode: errors.first?.code, message: "interaction \(id) \(status): \(reason)")
        }
    }
}
