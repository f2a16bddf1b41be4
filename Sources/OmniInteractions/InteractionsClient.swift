import Foundation
import OmniBasics
import OmniHTTP

#if canImport(Glibc)
    import Glibc
#endif

/// A client for the Interactions API and the Files API, over libcurl.
///
/// Only idempotent calls (GET, upload chunks, downloads) are retried, on 429,
/// 5xx and timeouts, with exponential backoff, jitter and `Retry-After`. A
/// create is re-sent only after a 429, which means the server did not take
/// it: a create that may have reached the server is never re-sent blindly.
/// Every call blocks the calling thread.
public final class InteractionsClient: Sendable {
    public let configuration: InteractionsConfiguration
    private let http: HTTPClient
    /// Five tries; the pause before retry N is `baseDelay * 2^N`, capped at
    /// 8 s, times a jitter of 0.5–1, and at least the server's `Retry-After`.
    private let backoff: Backoff
    private let baseDelay: Double

    private let cancelled: @Sendable () -> Bool
    private let userAgent: String
    private let limits: HTTPClient.Limits

    /// - Parameters:
    ///   - configuration: the API key, base URL and version.
    ///   - userAgent: the User-Agent header.
    ///   - baseDelay: the pause before the first retry, in seconds.
    ///   - limits: the deadline and low-speed limit of each exchange.
    ///   - cancelled: asked during every transfer and every pause between
    ///     retries (at least once a second); true stops the call with an
    ///     error of kind `.interrupted`.
    public init(
        configuration: InteractionsConfiguration, userAgent: String, baseDelay: Double = 0.5,
        limits: HTTPClient.Limits = HTTPClient.Limits(), cancelled: @escaping @Sendable () -> Bool = { false }
    ) {
        self.configuration = configuration
        self.http = HTTPClient(
            userAgent: userAgent, limits: limits, schemes: Self.schemePolicy(for: configuration.baseURL),
            cancelled: cancelled)
        self.baseDelay = baseDelay
        self.backoff = Backoff(attempts: 5, base: baseDelay, cap: 8, jitter: 0.5...1.0)
        self.cancelled = cancelled
        self.userAgent = userAgent
        self.limits = limits
    }

    /// The same client, whose transfers and pauses also stop once `stop`
    /// turns true: how a cancelled task reaches a request in flight.
    public func stopping(when stop: @escaping @Sendable () -> Bool) -> InteractionsClient {
        let own = cancelled
        return InteractionsClient(
            configuration: configuration, userAgent: userAgent, baseDelay: baseDelay, limits: limits,
            cancelled: { own() || stop() })
    }

    /// `https` only, unless the base URL is itself `http` on loopback (a local test server).
    static func schemePolicy(for baseURL: String) -> HTTPClient.SchemePolicy {
        let parts = URLComponents(string: baseURL)
        if parts?.scheme?.lowercased() == "http", let host = parts?.host, HTTPClient.isLoopback(host) {
            return .httpsOrLoopbackHTTP
        }
        return .httpsOnly
    }

    /// The origins the key may be sent to: the base URL's, and the public API's.
    private var keyOrigins: Set<String> {
        Set(
            [
                HTTPClient.origin(of: configuration.baseURL),
                HTTPClient.origin(of: InteractionsConfiguration.defaultBaseURL),
            ].compactMap { $0 })
    }

    /// Runs `body`, removing the key from the text of any error it throws.
    private func scrubbed<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as InteractionsError {
            throw error.redacting(configuration.apiKey)
        } catch let error as HTTPError {
            throw InteractionsError(http: error, message: error.description).redacting(configuration.apiKey)
        }
    }

    private func headers() throws -> [(String, String)] {
        guard let key = configuration.apiKey else {
            throw InteractionsError(.missingKey, message: "no API key")
        }
        return [("x-goog-api-key", key), ("Api-Revision", "2026-05-20")]
    }

    private static let sensitive: Set<String> = ["x-goog-api-key"]

    /// Creates an interaction (`POST /{version}/interactions`).
    ///
    /// - Parameters:
    ///   - body: the request body, as segments (JSON and file parts).
    ///   - spillDirectory: where a large reply is written while it is parsed.
    ///   - maxVideoBytes: the most the clip may weigh, should the
    ///   reply carry it inline; a larger reply is refused.
    public func create(body: [BodySegment], spillDirectory: String, maxVideoBytes: Int64 = 2 << 30) throws
        -> Interaction
    {
        try scrubbed { try createUnscrubbed(body: body, spillDirectory: spillDirectory, maxVideoBytes: maxVideoBytes) }
    }

    private func createUnscrubbed(body: [BodySegment], spillDirectory: String, maxVideoBytes: Int64) throws
        -> Interaction
    {
        var request = HTTPRequest(
            method: "POST", url: configuration.interactionsURL,
            headers: try headers() + [("Content-Type", "application/json")],
            body: body, sensitiveHeaders: Self.sensitive)
        request.headers.append(("Accept", "application/json"))
        var attempt = 0
        while true {
            let (response, path) = try sendToFile(
                request, spillDirectory: spillDirectory, maxBytes: Self.replyLimit(maxVideoBytes: maxVideoBytes))
            defer { unlink(path) }
            if response.status == 429, backoff.allowsRetry(after: attempt) {
                // 429 means the create was refused, so sending it again cannot bill twice.
                let error = InteractionsError.from(response: bodyOf(path, response), context: "create")
                try sleepBackoff(attempt, retryAfter: error.retryAfter)
                attempt += 1
                continue
            }
            guard (200..<300).contains(response.status) else {
                throw InteractionsError.from(response: bodyOf(path, response), context: "create interaction")
            }
            return try Interaction(
                SpilledJSON.parse(file: path, spillDirectory: spillDirectory), secret: configuration.apiKey)
        }
    }

    /// Reads an interaction (`GET /{version}/interactions/{id}`), streaming the
    /// response to disk so an inline video never sits in memory.
    ///
    /// - Parameters:
    ///   - id: the interaction id.
    ///   - spillDirectory: where a large reply is written while it is parsed.
    ///   - maxVideoBytes: the most the clip may weigh, should the
    ///   reply carry it inline; a larger reply is refused.
    public func get(_ id: String, spillDirectory: String, maxVideoBytes: Int64 = 2 << 30) throws -> Interaction {
        try scrubbed { try getUnscrubbed(id, spillDirectory: spillDirectory, maxVideoBytes: maxVideoBytes) }
    }

    private func getUnscrubbed(_ id: String, spillDirectory: String, maxVideoBytes: Int64) throws -> Interaction {
        let request = HTTPRequest(
            method: "GET", url: "\(configuration.interactionsURL)/\(Self.escape(id))", headers: try headers(),
            sensitiveHeaders: Self.sensitive)
        let path: String = try retrying("get interaction \(id)") {
            let (response, path) = try sendToFile(
                request, spillDirectory: spillDirectory, maxBytes: Self.replyLimit(maxVideoBytes: maxVideoBytes))
            if (200..<300).contains(response.status) { return .success(path) }
            defer { unlink(path) }
            return .failure(InteractionsError.from(response: bodyOf(path, response), context: "get interaction \(id)"))
        }
        defer { unlink(path) }
        return try Interaction(
            SpilledJSON.parse(file: path, spillDirectory: spillDirectory), secret: configuration.apiKey)
    }

    /// Cancels a running background interaction.
    public func cancel(_ id: String) throws {
        try scrubbed { try cancelUnscrubbed(id) }
    }

    private func cancelUnscrubbed(_ id: String) throws {
        let request = HTTPRequest(
            method: "POST", url: "\(configuration.interactionsURL)/\(Self.escape(id))/cancel",
            headers: try headers() + [("Content-Type", "application/json")], body: [.bytes(Array("{}".utf8))],
            sensitiveHeaders: Self.sensitive)
        let response = try http.send(request)
        guard (200..<300).contains(response.status) else {
            throw InteractionsError.from(response: response, context: "cancel interaction \(id)")
        }
    }

    /// Uploads a file with the resumable protocol in 8 MiB chunks; returns its `uri`.
    public func upload(path: String, mimeType: String, displayName: String, size: Int64) throws -> String {
        try scrubbed { try uploadUnscrubbed(path: path, mimeType: mimeType, displayName: displayName, size: size) }
    }

    private func uploadUnscrubbed(path: String, mimeType: String, displayName: String, size: Int64) throws -> String {
        let start = HTTPRequest.json(
            "POST", configuration.uploadURL,
            body: #"{"file":{"display_name":\#(JSONText.quote(displayName))}}"#,
            headers: try headers() + [
                ("X-Goog-Upload-Protocol", "resumable"), ("X-Goog-Upload-Command", "start"),
                ("X-Goog-Upload-Header-Content-Length", String(size)), ("X-Goog-Upload-Header-Content-Type", mimeType),
            ], sensitiveHeaders: Self.sensitive)
        let session: String = try retrying("start upload") {
            let response = try http.send(start)
            guard (200..<300).contains(response.status), let url = response.headers["x-goog-upload-url"] else {
                return .failure(InteractionsError.from(response: response, context: "start upload of \(displayName)"))
            }
            return .success(url)
        }
        // The upload url is the server's choice: the key goes there only on the API's own origin.
        let sessionGetsKey = HTTPClient.origin(of: session).map { keyOrigins.contains($0) } ?? false
        let sessionHeaders = try headers().filter { sessionGetsKey || $0.0 != "x-goog-api-key" }
        let chunk: Int64 = 8 << 20
        var offset: Int64 = 0
        while true {
            let length = min(chunk, size - offset)
            let last = offset + length >= size
            let request = HTTPRequest(
                method: "POST", url: session,
                headers: sessionHeaders + [
                    ("X-Goog-Upload-Offset", String(offset)),
                    ("X-Goog-Upload-Command", last ? "upload, finalize" : "upload"),
                ], body: [.file(path: path, offset: offset, length: length)], sensitiveHeaders: Self.sensitive)
            let response: HTTPResponse = try retrying("upload \(displayName)") {
                let response = try http.send(request)
                if (200..<300).contains(response.status) { return .success(response) }
                return .failure(InteractionsError.from(response: response, context: "upload \(displayName)"))
            }
            offset += length
            if last || response.headers["x-goog-upload-status"] == "final" {
                let json = try SpilledJSON.parse(bytes: response.body)
                guard let uri = (json["file"] ?? json)["uri"]?.string, let name = (json["file"] ?? json)["name"]?.string
                else { throw InteractionsError.protocolError("the upload finished without a file uri") }
                try waitUntilActive(name)
                return uri
            }
        }
    }

    /// Polls a Files API file until it is ACTIVE.
    /// A Files API file's `state` (`PROCESSING`, `ACTIVE`, `FAILED`), or nil when the server gives none.
    private func fileState(_ name: String, url: String) throws -> String? {
        let request = HTTPRequest(method: "GET", url: url, headers: try headers(), sensitiveHeaders: Self.sensitive)
        let response: HTTPResponse = try retrying("get \(name)") {
            let response = try http.send(request)
            if (200..<300).contains(response.status) { return .success(response) }
            return .failure(InteractionsError.from(response: response, context: "get \(name)"))
        }
        return try SpilledJSON.parse(bytes: response.body)["state"]?.string
    }

    private func waitUntilActive(_ name: String) throws {
        for attempt in 0..<120 {
            let state = try fileState(name, url: configuration.fileURL(name))
            if state == "ACTIVE" || state == nil { return }
            if state == "FAILED" {
                throw InteractionsError(.failed, message: "the Files API could not process \(name)")
            }
            try pause(min(1 + Double(attempt), 5))
        }
        throw InteractionsError(.timeout, message: "\(name) did not become ACTIVE")
    }

    /// Downloads a video link into `descriptor`, following redirects (the key
    /// goes only to the API's own origin) and resuming with `Range` after a
    /// dropped connection.
    ///
    /// - Parameters:
    ///   - uri: the video's link, as the API gave it.
    ///   - descriptor: an open file descriptor the video is written to.
    ///   - progress: called with the bytes downloaded so far.
    ///   - maxBytes: the most the video may be; a larger one stops the
    ///   download with an error of kind `.refused`.
    public func download(
        _ uri: String, to descriptor: Int32, maxBytes: Int64 = .max, progress: ((Int64) -> Void)? = nil
    ) throws -> Int64 {
        try scrubbed { try downloadUnscrubbed(uri, to: descriptor, maxBytes: maxBytes, progress: progress) }
    }

    private func downloadUnscrubbed(_ uri: String, to descriptor: Int32, maxBytes: Int64, progress: ((Int64) -> Void)?)
        throws -> Int64
    {
        var received: Int64 = 0
        var attempt = 0
        // The key goes only to the API's own origin (scheme, host and port); a
        // link elsewhere (a signed storage URL) must work without it.
        let sendsKey = HTTPClient.origin(of: uri).map { keyOrigins.contains($0) } ?? false
        let host = URLComponents(string: uri)?.host ?? "?"
        // A Files API link on the API's own origin: wait until the file is ACTIVE.
        let file = sendsKey ? Self.fileResource(ofDownload: uri) : nil
        if let file { try waitUntilDownloadable(file) }
        var notReady = 0
        while true {
            var headers = sendsKey ? try headers() : []
            if received > 0 { headers.append(("Range", "bytes=\(received)-")) }
            let request = HTTPRequest(method: "GET", url: uri, headers: headers, sensitiveHeaders: Self.sensitive)
            do {
                let start = received
                let (response, written) = try http.send(request, bodyTo: descriptor, maxBytes: maxBytes - start) {
                    progress?(start + $0)
                }
                if response.status == 200 && start > 0 {
                    // The server ignored Range: start over from byte 0.
                    let total = written
                    if ftruncate(descriptor, 0) != 0 || lseek(descriptor, 0, SEEK_SET) < 0 {
                        throw InteractionsError.local("cannot rewind the download")
                    }
                    received = 0
                    if total > 0 { attempt += 1; continue }
                }
                guard response.status == 200 || response.status == 206 else {
                    // The error's body went to the download file: read it back, then drop it.
                    let body = Self.readBack(descriptor, from: start)
                    if ftruncate(descriptor, off_t(start)) != 0 || lseek(descriptor, off_t(start), SEEK_SET) < 0 {
                        throw InteractionsError.local("cannot rewind the download")
                    }
                    let error = InteractionsError.from(
                        response: HTTPResponse(status: response.status, headers: response.headers, body: body),
                        context: "the video download from \(host)")
                    // 400 FAILED_PRECONDITION: the file is not ACTIVE yet.
                    if response.status == 400, error.apiCode?.uppercased() == "FAILED_PRECONDITION", notReady < 5 {
                        notReady += 1
                        if let file {
                            try waitUntilDownloadable(file)
                        } else {
                            try sleepBackoff(notReady, retryAfter: nil)
                        }
                        continue
                    }
                    throw InteractionsError(
                        .downloadFailed, status: response.status, apiCode: error.apiCode, message: error.message)
                }
                return start + written
            } catch let error as HTTPError where error.isRetryable && backoff.allowsRetry(after: attempt) {
                received += error.bytesReceived
                try sleepBackoff(attempt, retryAfter: nil)
                attempt += 1
            } catch let error as HTTPError where error.code == .refused {
                let what =
                    error.message.hasPrefix("the response is larger")
                    ? "the video from \(host) is larger than \(maxBytes) bytes, more than this clip can be"
                    : "the video link was refused: \(error.message)"
                throw InteractionsError(.refused, message: what)
            } catch let error as HTTPError {
                throw InteractionsError(http: error, message: "download failed: \(error.message)")
            }
        }
    }

    /// The Files API resource (`…/files/<id>`) of a `…/files/<id>:download` link, or nil.
    static func fileResource(ofDownload uri: String) -> String? {
        guard var parts = URLComponents(string: uri), parts.path.hasSuffix(":download"),
            parts.path.range(of: #"/files/[^/:]+:download$"#, options: .regularExpression) != nil
        else { return nil }
        parts.path.removeLast(":download".count)
        parts.query = nil
        parts.fragment = nil
        return parts.string
    }

    /// Polls a generated file until it is ACTIVE (about 2 minutes at most, backing off to 5 s).
    private func waitUntilDownloadable(_ fileURL: String) throws {
        let name = fileURL.split(separator: "/").suffix(2).joined(separator: "/")
        let deadline = Date().addingTimeInterval(Self.fileWaitSeconds)
        var attempt = 0
        while true {
            let state = try fileState(name, url: fileURL)
            if state == "ACTIVE" || state == nil { return }
            if state == "FAILED" {
                throw InteractionsError(
                    .failed, apiCode: "FAILED", message: "the server could not produce the video (\(name) is FAILED)")
            }
            guard Date() < deadline else {
                throw InteractionsError(
                    .downloadFailed,
                    message: "\(name) is still \(state ?? "not ready") after \(Int(Self.fileWaitSeconds)) s")
            }
            try pause(min(baseDelay * pow(2, Double(attempt)), 5, max(0, deadline.timeIntervalSinceNow)))
            attempt += 1
        }
    }

    /// How long a generated file may stay PROCESSING (`OMNISTORE_FILE_WAIT_SECONDS`, default 120).
    static var fileWaitSeconds: Double {
        ProcessInfo.processInfo.environment["OMNISTORE_FILE_WAIT_SECONDS"].flatMap(Double.init).map { max(0, $0) }
            ?? 120
    }

    /// Up to 64 KiB of what was written to `descriptor` from `offset` on.
    private static func readBack(_ descriptor: Int32, from offset: Int64) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(offset)) }
        return count > 0 ? Array(buffer.prefix(count)) : []
    }

    // MARK: - Plumbing

    /// The most a JSON reply may weigh apart from an inline video: a
    /// generous few MiB (`OMNISTORE_MAX_REPLY_BYTES` overrides it).
    static var jsonReplyLimit: Int64 {
        ProcessInfo.processInfo.environment["OMNISTORE_MAX_REPLY_BYTES"].flatMap { Int64($0) }.flatMap {
            $0 > 0 ? $0 : nil
        }
            ?? (8 << 20)
    }

    /// The most a reply may weigh when it may carry the clip inline: the JSON
    /// plus the clip's base64 text.
    public static func replyLimit(maxVideoBytes: Int64) -> Int64 {
        let video = maxVideoBytes >= Int64.max / 2 ? Int64.max / 2 : (max(0, maxVideoBytes) + 2) / 3 * 4
        return jsonReplyLimit + video
    }

    private func sendToFile(_ request: HTTPRequest, spillDirectory: String, maxBytes: Int64) throws -> (
        HTTPResponse, String
    ) {
        let path = spillDirectory + "/response-\(UUID().uuidString.prefix(12))"
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw InteractionsError.local("cannot write a temp file in \(spillDirectory)") }
        defer { close(fd) }
        do {
            let (response, _) = try http.send(request, bodyTo: fd, maxBytes: maxBytes)
            return (response, path)
        } catch let error as HTTPError {
            unlink(path)
            if error.code == .refused && error.message.hasPrefix("the response is larger") {
                var refused = InteractionsError(
                    .refused,
                    message:
                        "the API's reply is larger than \(maxBytes) bytes, more than a reply with this clip inline can be"
                )
                refused.unanswered = true
                throw refused
            }
            throw InteractionsError(http: error, message: "cannot reach the API: \(error.message)")
        }
    }

    /// The response with the start of its body (enough to decode an error),
    /// read back from the file it was streamed to.
    private func bodyOf(_ path: String, _ response: HTTPResponse) -> HTTPResponse {
        let data = FileManager.default.contents(atPath: path) ?? Data()
        return HTTPResponse(status: response.status, headers: response.headers, body: Array(data.prefix(1 << 20)))
    }

    private func retrying<T>(_ what: String, _ call: () throws -> Result<T, InteractionsError>) throws -> T {
        var attempt = 0
        while true {
            let outcome: Result<T, InteractionsError>
            do {
                outcome = try call()
            } catch let error as InteractionsError
                where (error.kind == .transport || error.kind == .timeout) && backoff.allowsRetry(after: attempt)
            {
                try sleepBackoff(attempt, retryAfter: nil)
                attempt += 1
                continue
            } catch let error as HTTPError where error.isRetryable && backoff.allowsRetry(after: attempt) {
                try sleepBackoff(attempt, retryAfter: nil)
                attempt += 1
                continue
            } catch let error as HTTPError {
                throw InteractionsError(http: error, message: "\(what): \(error.message)")
            }
            switch outcome {
            case .success(let value): return value
            case .failure(let error):
                let retryable = error.kind == .rateLimited || error.kind == .server || error.kind == .timeout
                guard retryable && backoff.allowsRetry(after: attempt) else { throw error }
                try sleepBackoff(attempt, retryAfter: error.retryAfter)
                attempt += 1
            }
        }
    }

    private func sleepBackoff(_ attempt: Int, retryAfter: Double?) throws {
        try pause(backoff.delay(beforeRetry: attempt, retryAfter: retryAfter))
    }

    /// Sleeps, waking every 50 ms to see whether the caller asked to stop.
    private func pause(_ seconds: Double) throws {
        guard Backoff.pause(seconds, stop: cancelled) else {
            throw InteractionsError(.interrupted, message: "interrupted")
        }
    }

    static func escape(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/")))
            ?? id
    }

    /// Decodes an inline video (spilled or in the JSON text) into `descriptor`.
    public static func writeInlineVideo(_ video: Interaction.Video, to descriptor: Int32) throws -> Int64 {
        switch video {
        case .inlineBase64(let path):
            return try Base64FileDecoder.decode(from: path, to: descriptor)
        case .inlineText(let text):
            guard let data = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
                throw InteractionsError.protocolError("the API sent a video that is not valid base64")
            }
            let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written == data.count else { throw InteractionsError.local("cannot write the video") }
            return Int64(written)
        case .uri:
            throw InteractionsError.local("a uri video must be downloaded")
        }
    }
}

/// JSON string quoting for hand-built bodies.
enum JSONText {
    static func quote(_ text: String) -> String {
        SpilledJSON.string(text).compactText
    }
}
