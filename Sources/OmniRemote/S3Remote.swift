import OmniBasics
import Crypto
import Foundation
import OmniHTTP

#if canImport(Glibc)
    import Glibc
#endif

/// A remote in an S3-compatible bucket, spoken to over libcurl with AWS
/// Signature Version 4.
///
/// Objects are sent with their SHA-256 as the signed payload hash, so S3
/// itself refuses bytes that do not match. Files above
/// ``multipartThreshold`` go up in parts, in parallel, and an interrupted
/// upload resumes from the parts S3 already holds; large downloads are
/// ranged, parallel and resumable too. Idempotent requests are retried with
/// backoff. A ref is replaced with a conditional PUT: `If-Match` on the ETag
/// it was read with, or `If-None-Match: *` to create it.
public final class S3Remote: RemoteTransport {
    public let bucket: String
    /// Key prefix inside the bucket, without slashes at either end ("" for the bucket root).
    public let prefix: String
    public let region: String
    let scheme: String
    let host: String
    let port: Int?
    let virtualHosted: Bool
    let signer: SigV4Signer
    let clients: ClientPool

    /// Files larger than this are uploaded and downloaded in parts.
    public static let multipartThreshold: Int64 = 64 << 20
    /// Parallel requests for one multipart transfer (`OMNISTORE_REMOTE_JOBS`, default 8).
    public let parallelism: Int

    public var displayURL: String { "s3://\(bucket)" + (prefix.isEmpty ? "" : "/\(prefix)") }

    public init(
        bucket: String, prefix: String, endpoint: String?, region: String, addressing: String?,
        credentials: AWSCredentials
    ) throws {
        self.bucket = bucket
        self.prefix = prefix
        self.region = region
        let base = endpoint ?? "https://s3.\(region).amazonaws.com"
        guard let components = URLComponents(string: base), let scheme = components.scheme,
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            throw RemoteError(.invalidArgument, "'\(base)' is not an S3 endpoint: give http(s)://host[:port]")
        }
        self.scheme = scheme
        self.host = host
        self.port = components.port
        switch addressing {
        case "path": virtualHosted = false
        case "virtual": virtualHosted = true
        case nil: virtualHosted = endpoint == nil && !bucket.contains(".")
        default:
            throw RemoteError(.invalidArgument, "addressing must be 'path' or 'virtual', not '\(addressing ?? "")'")
        }
        signer = SigV4Signer(credentials: credentials, region: region, service: "s3")
        parallelism = S3Remote.jobs()
        do {
            clients = ClientPool(limits: try HTTPClient.Limits.fromEnvironment())
        } catch {
            throw RemoteError(.invalidArgument, error.message)
        }
    }

    /// Parallel transfers: `OMNISTORE_REMOTE_JOBS`, else 8.
    public static func jobs(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        environment["OMNISTORE_REMOTE_JOBS"].flatMap(Int.init).map { max(1, min($0, 64)) } ?? 8
    }

    /// S3's bucket naming rules, in short.
    static func isValidBucket(_ name: String) -> Bool {
        guard (3...63).contains(name.count) else { return false }
        return name.utf8.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2E
        }
    }

    func fullKey(_ key: String) -> String { prefix.isEmpty ? key : prefix + "/" + key }

    // MARK: - Requests

    struct Request {
        var method: String
        /// A key relative to the remote root; nil addresses the bucket.
        var key: String?
        var query: [(String, String)] = []
        var headers: [(String, String)] = []
        var body: [BodySegment] = []
        var payloadHash = SigV4Signer.emptyPayloadHash
    }

    /// The host header and URL path for a key (or the bucket).
    func address(_ key: String?) -> (host: String, path: String) {
        let portSuffix = port.map { ":\($0)" } ?? ""
        let objectPath = key.map { "/" + fullKey($0) } ?? "/"
        if virtualHosted { return ("\(bucket).\(host)\(portSuffix)", objectPath) }
        return ("\(host)\(portSuffix)", "/\(bucket)" + (key.map { "/" + fullKey($0) } ?? ""))
    }

    /// Signs a request for now and builds what libcurl sends.
    func signed(_ request: Request) -> HTTPRequest {
        let (hostHeader, path) = address(request.key)
        var headers = request.headers
        headers.append(("host", hostHeader))
        headers.append(("x-amz-date", SigV4Signer.amzDate(Date())))
        headers.append(("x-amz-content-sha256", request.payloadHash))
        if let token = signer.credentials.sessionToken { headers.append(("x-amz-security-token", token)) }
        let signature = signer.sign(
            method: request.method, path: path, query: request.query, headers: headers,
            payloadHash: request.payloadHash,
            amzDate: headers.first { $0.0 == "x-amz-date" }?.1 ?? "")
        headers.append(("Authorization", signature.authorization))
        let query = request.query.map { "\(SigV4Signer.encode($0.0))=\(SigV4Signer.encode($0.1))" }.joined(
            separator: "&")
        let url = "\(scheme)://\(hostHeader)\(SigV4Signer.encodePath(path))" + (query.isEmpty ? "" : "?" + query)
        return HTTPRequest(
            method: request.method, url: url, headers: headers, body: request.body,
            sensitiveHeaders: ["authorization", "x-amz-security-token"])
    }

    /// Sends a request, retrying network failures and 5xx/429 answers with
    /// backoff when it is safe to repeat.
    func send(
        _ request: Request, what: @autoclosure () -> String, retry: Bool = true, maxBodyBytes: Int = 64 << 20
    ) throws -> HTTPResponse {
        try retrying(what(), retry: retry) { client in try client.send(signed(request), maxBodyBytes: maxBodyBytes) }
    }

    func retrying(
        _ what: String, retry: Bool, _ call: (HTTPClient) throws -> HTTPResponse
    ) throws -> HTTPResponse {
        let attempts = retry ? S3Remote.retries.attempts : 1
        var attempt = 0
        while true {
            attempt += 1
            do {
                let response = try clients.with { try call($0) }
                if retry, attempt < attempts,
                    [500, 502, 503, 504, 429].contains(response.status) || isRequestTimeout(response)
                {
                    S3Remote.backoff(attempt)
                    continue
                }
                return response
            } catch let error as HTTPError
                where error.code == .refused && error.message.hasPrefix("the response is larger")
            {
                throw RemoteError(
                    .corrupt,
                    "\(displayURL) answered '\(what)' with more than such a file can be (\(error.message)): the remote is damaged or hostile"
                )
            } catch let error as HTTPError {
                guard error.isRetryable, attempt < attempts else {
                    throw RemoteError(
                        .transport,
                        "cannot \(what) on \(displayURL): \(error.message); check the network and run the command again"
                    )
                }
                S3Remote.backoff(attempt)
            }
        }
    }

    private func isRequestTimeout(_ response: HTTPResponse) -> Bool {
        response.status == 400 && response.bodyText.contains("<Code>RequestTimeout</Code>")
    }

    /// Six tries, 0.2 s doubling to at most 5 s, ±25%: S3's own advice for 5xx and 429.
    static let retries = Backoff(attempts: 6, base: 0.2, cap: 5, jitter: 0.75...1.25)

    /// Waits before the retry that follows try `attempt` (1 for the first try).
    static func backoff(_ attempt: Int) {
        _ = Backoff.pause(retries.delay(beforeRetry: attempt - 1))
    }

    /// Turns an unexpected answer into a one-line error that says what to do.
    func failure(_ response: HTTPResponse, _ what: String) -> RemoteError {
        let code = S3XML.value("Code", in: response.bodyText) ?? "HTTP \(response.status)"
        let message = S3XML.value("Message", in: response.bodyText).map { ": \($0)" } ?? ""
        switch response.status {
        case 301, 307:
            return RemoteError(
                .invalidArgument, "cannot \(what): bucket \(bucket) is in another region (\(code))",
                hint: Hint("set AWS_REGION or {}", .option(.region), separator: "; "))
        case 400 where code == "AuthorizationHeaderMalformed":
            return RemoteError(
                .invalidArgument, "cannot \(what): bucket \(bucket) is in another region (\(code))",
                hint: Hint("set AWS_REGION or {}", .option(.region), separator: "; "))
        case 401, 403:
            return RemoteError(
                .authentication,
                "cannot \(what): S3 refused the request (\(code)\(message)); check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the bucket's permissions"
            )
        case 404 where code == "NoSuchBucket":
            return RemoteError(
                .notFound, "bucket \(bucket) does not exist at \(scheme)://\(host)",
                hint: Hint("create it first, or check {}", .option(.endpoint)))
        default:
            return RemoteError(.protocolError, "cannot \(what) on \(displayURL): \(code)\(message)")
        }
    }

    // MARK: - RemoteTransport

    public func list(_ listPrefix: String) throws -> [RemoteEntry] {
        var entries: [RemoteEntry] = []
        var token: String? = nil
        let strip = prefix.isEmpty ? 0 : prefix.count + 1
        repeat {
            var query = [("list-type", "2"), ("prefix", fullKey(listPrefix))]
            if let token { query.append(("continuation-token", token)) }
            let response = try send(Request(method: "GET", key: nil, query: query), what: "list \(listPrefix)")
            guard response.status == 200 else { throw failure(response, "list \(listPrefix)") }
            let text = response.bodyText
            for block in S3XML.blocks("Contents", in: text) {
                guard let key = S3XML.value("Key", in: block),
                    let size = S3XML.value("Size", in: block).flatMap(Int64.init)
                else { continue }
                entries.append(RemoteEntry(key: String(key.dropFirst(strip)), size: size))
            }
            token =
                S3XML.value("IsTruncated", in: text) == "true" ? S3XML.value("NextContinuationToken", in: text) : nil
        } while token != nil
        return entries
    }

    public func size(of key: String) throws -> Int64? {
        let response = try send(Request(method: "HEAD", key: key), what: "look up \(key)")
        switch response.status {
        case 200: return response.headers["content-length"].flatMap(Int64.init) ?? 0
        case 404: return nil
        default: throw failure(response, "look up \(key)")
        }
    }

    public func read(_ key: String, limit: Int) throws -> [UInt8]? {
        // One byte over the limit tells "too large" from "exactly the limit".
        let response = try send(Request(method: "GET", key: key), what: "read \(key)", maxBodyBytes: limit + 1)
        switch response.status {
        case 200:
            try S3Remote.checkSize(response.body, limit: limit, key: key, remote: displayURL)
            return response.body
        case 404: return nil
        default: throw failure(response, "read \(key)")
        }
    }

    static func checkSize(_ body: [UInt8], limit: Int, key: String, remote: String) throws {
        guard body.count <= limit else {
            throw RemoteError(
                .corrupt,
                "\(key) on \(remote) is larger than \(limit >> 10) KiB, more than such a record can be: the remote is damaged or hostile; remove it from the bucket"
            )
        }
    }

    public func write(_ key: String, bytes: [UInt8]) throws {
        let request = Request(
            method: "PUT", key: key, headers: [("content-type", "application/octet-stream")], body: [.bytes(bytes)],
            payloadHash: Digest.sha256(bytes))
        let response = try send(request, what: "write \(key)")
        guard response.status == 200 else { throw failure(response, "write \(key)") }
    }

    public func upload(
        _ key: String, from path: String, size: Int64, sha256: String, progress: @escaping TransferProgress
    ) throws {
        if size > S3Remote.multipartThreshold {
            try uploadMultipart(key, from: path, size: size, progress: progress)
            return
        }
        let request = Request(
            method: "PUT", key: key, headers: [("content-type", "application/octet-stream")],
            body: [.file(path: path, offset: 0, length: size)], payloadHash: sha256)
        let response = try send(request, what: "upload \(key)")
        guard response.status == 200 else {
            if S3XML.value("Code", in: response.bodyText) == "XAmzContentSHA256Mismatch" {
                throw RemoteError(
                    .corrupt, "S3 refused \(key): the local bytes do not hash to their id",
                    hint: Hint("run {}", .check, separator: "; "))
            }
            throw failure(response, "upload \(key)")
        }
        progress(size)
    }

    public func download(_ key: String, size: Int64, to path: String, progress: @escaping TransferProgress) throws {
        if size > S3Remote.multipartThreshold {
            try downloadInParts(key, size: size, to: path, progress: progress)
            return
        }
        let file = try LocalFile.open(path, flags: O_WRONLY | O_CREAT, mode: 0o600)
        var done = file.size
        if done >= size {
            guard ftruncate(file.raw, 0) == 0 else { throw LocalFile.posixError(errno, "cannot reset '\(path)'") }
            done = 0
        }
        for attempt in 1...S3Remote.retries.attempts {
            try file.seek(to: done)
            var request = Request(method: "GET", key: key)
            if done > 0 { request.headers.append(("range", "bytes=\(done)-")) }
            let before = done
            // An error answer's body must not stay behind the good bytes.
            guard ftruncate(file.raw, off_t(done)) == 0 else {
                throw LocalFile.posixError(errno, "cannot reset '\(path)'")
            }
            var reported: Int64 = 0
            do {
                let (response, written) = try clients.with {
                    // Never more than the object's declared size: an endless body stops here.
                    try $0.send(signed(request), bodyTo: file.raw, maxBytes: size - done) { now in
                        progress(now - reported)
                        reported = now
                    }
                }
                if response.status == 206 || (response.status == 200 && before == 0) {
                    done += written
                    progress(written - reported)
                    guard done == size else {
                        throw RemoteError(
                            .corrupt,
                            "\(key) on \(displayURL) has \(done) bytes, not \(size): the remote copy is damaged")
                    }
                    try file.sync()
                    return
                }
                if response.status == 200 {
                    // The server ignored the range: start over.
                    guard ftruncate(file.raw, 0) == 0 else {
                        throw LocalFile.posixError(errno, "cannot reset '\(path)'")
                    }
                    done = 0
                    continue
                }
                if response.status == 404 {
                    throw RemoteError(
                        .notFound,
                        "\(key) is missing from \(displayURL): the remote is incomplete; push it again from a full store"
                    )
                }
                if [500, 502, 503, 504, 429].contains(response.status), attempt < S3Remote.retries.attempts {
                    S3Remote.backoff(attempt)
                    continue
                }
                throw failure(response, "download \(key)")
            } catch let error as HTTPError {
                if error.code == .refused {
                    throw RemoteError(
                        .corrupt,
                        "\(key) on \(displayURL) is larger than the \(size) bytes its record declares: the remote copy is damaged; push it again from a store that has it intact"
                    )
                }
                guard error.isRetryable, attempt < S3Remote.retries.attempts else {
                    throw RemoteError(
                        .transport,
                        "cannot download \(key) from \(displayURL): \(error.message); run the command again to resume")
                }
                done = before + error.bytesReceived
                progress(error.bytesReceived - reported)
                S3Remote.backoff(attempt)
            }
        }
        throw RemoteError(
            .transport, "cannot download \(key) from \(displayURL): it kept failing; run the command again to resume")
    }

    public func readRef(_ key: String) throws -> RemoteRef? {
        let response = try send(
            Request(method: "GET", key: key), what: "read \(key)", maxBodyBytes: RemoteLimits.ref + 1)
        switch response.status {
        case 200:
            guard let etag = response.headers["etag"] else {
                throw RemoteError(
                    .protocolError, "\(displayURL) sent \(key) without an ETag: this server cannot hold refs safely")
            }
            try S3Remote.checkSize(response.body, limit: RemoteLimits.ref, key: key, remote: displayURL)
            return RemoteRef(value: response.body, version: etag)
        case 404: return nil
        default: throw failure(response, "read \(key)")
        }
    }

    public func swapRef(_ key: String, expected: RemoteRef?, to value: [UInt8]) throws -> Bool {
        var request = Request(
            method: "PUT", key: key, headers: [("content-type", "application/octet-stream")], body: [.bytes(value)],
            payloadHash: Digest.sha256(value))
        if let expected {
            request.headers.append(("if-match", expected.version))
        } else {
            request.headers.append(("if-none-match", "*"))
        }
        for attempt in 1...S3Remote.retries.attempts {
            let response: HTTPResponse
            do {
                response = try send(request, what: "update \(key)", retry: false)
            } catch let error as RemoteError where error.code == .transport {
                // The PUT may have landed before the connection broke: look.
                S3Remote.backoff(attempt)
                let now = try readRef(key)
                if now?.value == value { return true }
                if now?.value != expected?.value || attempt == S3Remote.retries.attempts {
                    if now?.value != expected?.value { return false }
                    throw error
                }
                continue
            }
            switch response.status {
            case 200: return true
            case 412, 409: return false
            case 500...504 where attempt < S3Remote.retries.attempts, 429 where attempt < S3Remote.retries.attempts:
                S3Remote.backoff(attempt)
                let now = try readRef(key)
                if now?.value == value { return true }
                if now?.value != expected?.value { return false }
            case 501:
                throw RemoteError(
                    .protocolError,
                    "\(displayURL) does not support conditional writes (If-Match): refs cannot be updated safely there")
            default:
                throw failure(response, "update \(key)")
            }
        }
        throw RemoteError(
            .transport, "cannot update \(key) on \(displayURL): the server kept failing; run the command again")
    }
}

/// Idle HTTP clients, one per concurrent request, so parallel transfers each
/// keep their own connection.
final class ClientPool: @unchecked Sendable {
    // @unchecked: `idle` is only touched under `lock`; each client is used by one thread at a time.
    private let lock = NSLock()
    private var idle: [HTTPClient] = []
    private let limits: HTTPClient.Limits

    init(limits: HTTPClient.Limits) { self.limits = limits }

    func with<T>(_ body: (HTTPClient) throws -> T) throws -> T {
        lock.lock()
        let client = idle.popLast() ?? HTTPClient(userAgent: "omnistore-remote/0.1", limits: limits)
        lock.unlock()
        defer {
            lock.lock()
            idle.append(client)
            lock.unlock()
        }
        return try body(client)
    }
}
