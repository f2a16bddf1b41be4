import OmniBasics
import OmniHTTP

/// An error from the Interactions or Files API, or from talking to it.
///
/// Messages carry the server's own text and a hint; they never contain the API key.
public struct InteractionsError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        case missingKey, authentication, permission, paymentRequired, notFound, invalidRequest, rateLimited
        case server, transport, timeout, blocked, noVideo, failed, cancelled, protocolError, local
        /// A video link or download refused by omnistore (scheme, host or size).
        case refused
        /// The video download was answered with an error status.
        case downloadFailed
        /// The caller asked to stop (Ctrl-C) while a call was under way.
        case interrupted
    }

    public let kind: Kind
    /// The HTTP status, when there was a response.
    public let status: Int?
    /// The API's error code (`invalid_request`, `safety`, `RESOURCE_EXHAUSTED`, `429`, …).
    public let apiCode: String?
    public let message: String
    /// Seconds the server asked us to wait (`Retry-After`).
    public let retryAfter: Double?
    /// The request may have reached the server, but no answer came back (a
    /// timeout, a cut or oversized reply, an interrupt): for a create, the
    /// interaction may have started and be billed.
    public var unanswered = false
    /// What this request's outcome means for the caller, said after the
    /// message ("the request may have started and be billed").
    public var aside: Hint? = nil

    public init(_ kind: Kind, status: Int? = nil, apiCode: String? = nil, message: String, retryAfter: Double? = nil) {
        self.kind = kind
        self.status = status
        self.apiCode = apiCode
        self.message = message
        self.retryAfter = retryAfter
    }

    /// The error for a failed HTTP exchange (no usable response).
    init(http error: HTTPError, message: String) {
        let kind: Kind
        switch error.code {
        case .timeout: kind = .timeout
        case .refused: kind = .refused
        case .cancelled: kind = .interrupted
        case .transport, .request, .io: kind = .transport
        }
        self.init(kind, message: message)
        unanswered = error.requestMayHaveArrived
    }

    static func local(_ message: String) -> InteractionsError { InteractionsError(.local, message: message) }
    static func protocolError(_ message: String) -> InteractionsError {
        InteractionsError(.protocolError, message: message)
    }

    /// What the user can do about it.
    public var hint: Hint {
        switch kind {
        case .missingKey: return Hint("set GOOGLE_API_KEY or GEMINI_API_KEY")
        case .authentication: return Hint("check GOOGLE_API_KEY / GEMINI_API_KEY")
        case .permission: return Hint("the key's project cannot use this model or feature")
        case .paymentRequired: return Hint("enable billing on the key's project; do not retry")
        case .notFound: return Hint("the interaction or model does not exist (or its stored state expired)")
        case .invalidRequest: return Hint("fix the request; nothing was generated")
        case .rateLimited: return Hint("wait and run the command again")
        case .server: return Hint("the service failed; run the command again later")
        case .transport, .timeout: return Hint("check the network; {} picks up started work", .resume(nil))
        case .blocked: return Hint("the request was blocked by safety filters; rephrase it or change the references")
        case .noVideo: return Hint("the model returned no video; rephrase the instruction and try again")
        case .failed: return Hint("the generation failed on the server")
        case .cancelled: return Hint("the interaction was cancelled")
        case .protocolError: return Hint("the API answered in an unexpected form; run the command again")
        case .local: return Hint("check the disk and the store")
        case .refused:
            return Hint(
                "the server sent a video omnistore will not take; check GOOGLE_GEMINI_BASE_URL, then run {}",
                .resume(nil))
        case .downloadFailed:
            return Hint("the video could not be fetched; the interaction stays pending: run {}", .resume(nil))
        case .interrupted: return Hint("interrupted; {} picks up started work", .resume(nil))
        }
    }

    /// The message, the aside, the API's code and status, and the hint, with
    /// remedies named by `name`.
    public func text(naming name: (Remedy) -> String) -> String {
        var text = Hint.join(message, aside, naming: name)
        var details: [String] = []
        if let apiCode { details.append(apiCode) }
        if let status { details.append("HTTP \(status)") }
        if !details.isEmpty { text += " (\(details.joined(separator: ", ")))" }
        return text + ": " + hint.text(naming: name)
    }

    public var description: String { text { $0.libraryName } }

    /// The same error with every occurrence of `secret` in its texts replaced.
    func redacting(_ secret: String?) -> InteractionsError {
        var copy = InteractionsError(
            kind, status: status, apiCode: apiCode.map { Redaction.scrub($0, secret) },
            message: Redaction.scrub(message, secret),
            retryAfter: retryAfter)
        copy.unanswered = unanswered
        copy.aside = aside
        return copy
    }

    /// Builds the error for a non-2xx response, decoding both error shapes:
    /// `{"error":{"code":"snake_case",…}}` and Google RPC `{"error":{"code":429,"status":…}}`.
    static func from(response: HTTPResponse, context: String) -> InteractionsError {
        var apiCode: String? = nil
        var message = "\(context) failed"
        if let json = try? SpilledJSON.parse(bytes: response.body), let error = json["error"] {
            switch error["code"] {
            case .string(let code)?: apiCode = code
            case .number(let code)?: apiCode = error["status"]?.string ?? String(Int(code))
            default: break
            }
            if let text = error["message"]?.string, !text.isEmpty { message = "\(context): \(text)" }
        }
        let retryAfter = response.headers["retry-after"].flatMap(Double.init)
        let kind: Kind
        switch response.status {
        case 400, 409, 416: kind = .invalidRequest
        case 401: kind = .authentication
        case 402: kind = .paymentRequired
        case 403: kind = .permission
        case 404: kind = .notFound
        case 429: kind = .rateLimited
        case 500...599: kind = .server
        default: kind = .failed
        }
        return InteractionsError(
            kind, status: response.status, apiCode: apiCode, message: message, retryAfter: retryAfter)
    }
}

/// Removes a secret (the API key) from text that came from a server.
enum Redaction {
    static let marker = "[REDACTED]"

    static func scrub(_ text: String, _ secret: String?) -> String {
        guard let secret, secret.count >= 4, text.contains(secret) else { return text }
        return text.replacingOccurrences(of: secret, with: marker)
    }
}
