import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A small blocking HTTP client over libcurl.
///
/// TLS verification is always on; proxies come from the usual `https_proxy`,
/// `http_proxy` and `no_proxy` variables (libcurl reads them). Request bodies
/// are produced as they are sent and downloads are written as they arrive,
/// so memory stays flat whatever the size. Calls block the calling thread:
/// make them from a thread that may block, not from Swift's cooperative pool.
public final class HTTPClient: @unchecked Sendable {
    // @unchecked: the libcurl handle is only used while `lock` is held.
    private let lock = NSLock()
    private var easy: CurlEasy?
    private let options: CurlEasy.Options
    private let schemes: SchemePolicy
    private let cancelled: @Sendable () -> Bool

    /// How long an exchange may take. The defaults suit a clip over a slow
    /// office link; a test or a script sets them lower through the
    /// environment, with curl's own names: `OMNISTORE_HTTP_MAX_TIME` (seconds
    /// per exchange, 0 for none; curl's --max-time), `OMNISTORE_HTTP_SPEED_LIMIT`
    /// (bytes per second; --speed-limit) and `OMNISTORE_HTTP_SPEED_TIME`
    /// (seconds below that speed before giving up; --speed-time).
    public struct Limits: Sendable, Equatable {
        public var connectSeconds = 15
        public var deadlineSeconds = 900
        public var lowSpeedBytesPerSecond = 1000
        public var lowSpeedSeconds = 60

        public init() {}

        /// The defaults, with whatever the environment sets.
        ///
        /// - Throws: ``HTTPError`` (code `.request`) naming a variable whose value is not a whole number.
        public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
            throws(HTTPError) -> Limits
        {
            var limits = Limits()
            func read(_ name: String, minimum: Int, into value: inout Int) throws(HTTPError) {
                guard let text = environment[name], !text.isEmpty else { return }
                guard let number = Int(text), number >= minimum else {
                    throw HTTPError(
                        .request, "\(name) must be a whole number, at least \(minimum), not '\(text)'", url: "")
                }
                value = number
            }
            try read("OMNISTORE_HTTP_MAX_TIME", minimum: 0, into: &limits.deadlineSeconds)
            try read("OMNISTORE_HTTP_SPEED_LIMIT", minimum: 1, into: &limits.lowSpeedBytesPerSecond)
            try read("OMNISTORE_HTTP_SPEED_TIME", minimum: 1, into: &limits.lowSpeedSeconds)
            return limits
        }
    }

    /// Which URL schemes a request (and every redirect it follows) may use.
    /// Whatever the policy, nothing but `http` and `https` ever reaches libcurl.
    public enum SchemePolicy: Sendable, Equatable {
        /// `https` and `http` to any host.
        case web
        /// `https` only.
        case httpsOnly
        /// `https`, and `http` only to a loopback host (a local test server).
        case httpsOrLoopbackHTTP
    }

    /// - Parameters:
    ///   - userAgent: sent on every request, such as `omnistore/0.2.0`.
    ///   - limits: the deadline and low-speed limit of every exchange.
    ///   - schemes: the schemes requests and redirects may use.
    ///   - cancelled: asked at least once a second during a transfer; true
    ///     abandons it with an ``HTTPError`` of code `.cancelled`.
    public init(
        userAgent: String, limits: Limits = Limits(), schemes: SchemePolicy = .web,
        cancelled: @escaping @Sendable () -> Bool = { false }
    ) {
        self.schemes = schemes
        self.cancelled = cancelled
        options = CurlEasy.Options(
            userAgent: userAgent, connectTimeout: limits.connectSeconds, lowSpeedBytes: limits.lowSpeedBytesPerSecond,
            lowSpeedSeconds: limits.lowSpeedSeconds, deadlineSeconds: limits.deadlineSeconds,
            caBundle: ProcessInfo.processInfo.environment["OMNISTORE_CA_BUNDLE"],
            protocols: schemes == .httpsOnly ? "https" : "http,https")
    }

    /// The origin of a URL (lowercased scheme and host, and the port, explicit
    /// or the scheme's default), or nil when it has no scheme or host.
    public static func origin(of url: String) -> String? {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(),
            let host = parts.host?.lowercased(), !host.isEmpty
        else { return nil }
        let port = parts.port ?? (scheme == "https" ? 443 : scheme == "http" ? 80 : -1)
        return "\(scheme)://\(host):\(port)"
    }

    /// Whether `host` is a loopback address or name.
    public static func isLoopback(_ host: String) -> Bool {
        let name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if name == "localhost" || name == "::1" || name.hasSuffix(".localhost") { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// Throws unless the policy allows `url`'s scheme and host.
    private func checkScheme(_ url: String) throws(HTTPError) {
        let parts = URLComponents(string: url)
        let scheme = parts?.scheme?.lowercased() ?? ""
        let host = parts?.host ?? ""
        let allowed: Bool
        switch scheme {
        case "https": allowed = !host.isEmpty
        case "http":
            allowed = !host.isEmpty && (schemes == .web || (schemes == .httpsOrLoopbackHTTP && Self.isLoopback(host)))
        default: allowed = false
        }
        guard allowed else {
            let what =
                scheme.isEmpty ? "a link without a scheme" : "a \(scheme) link" + (host.isEmpty ? "" : " to \(host)")
            let only =
                schemes == .web ? "http and https" : schemes == .httpsOnly ? "https" : "https (and http to loopback)"
            throw HTTPError(
                .refused, "refused \(what): only \(only) is allowed",
                url: scheme == "http" || scheme == "https" ? url : "")
        }
    }

    /// The libcurl version in use.
    public static var curlVersion: String { CurlRuntime.version }

    /// Sends a request and buffers the response body.
    ///
    /// - Parameters:
    ///   - request: the method, URL, headers and body.
    ///   - maxBodyBytes: a larger body (64 MiB at most) stops the
    ///   transfer with an ``HTTPError`` of code `.refused`.
    public func send(_ request: HTTPRequest, maxBodyBytes: Int = 64 << 20) throws -> HTTPResponse {
        let state = TransferState()
        state.bodyLimit = max(0, min(maxBodyBytes, 64 << 20))
        let status = try transfer(request, state: state)
        return HTTPResponse(status: status, headers: state.headers, body: state.body)
    }

    /// Sends a request and writes the response body to an open file
    /// descriptor as it arrives.
    ///
    /// - Returns: the response (with an empty `body`) and the bytes written.
    ///
    /// - Parameters:
    ///   - request: the method, URL, headers and body.
    ///   - descriptor: an open file descriptor the body is written to.
    ///   - progress: called with the bytes written so far.
    ///   - maxBytes: a larger body stops the transfer with an ``HTTPError`` of code `.refused`.
    public func send(
        _ request: HTTPRequest, bodyTo descriptor: Int32, maxBytes: Int64 = .max, progress: ((Int64) -> Void)? = nil
    ) throws -> (HTTPResponse, Int64) {
        let state = TransferState()
        state.sink = descriptor
        state.maxBytes = max(0, maxBytes)
        state.progress = progress
        let status = try transfer(request, state: state)
        return (HTTPResponse(status: status, headers: state.headers, body: []), state.bytesWritten)
    }

    /// Follows redirects itself so that sensitive headers (API keys) are sent
    /// only to the origin (scheme, host and port) they were meant for.
    private func transfer(_ original: HTTPRequest, state: TransferState) throws(HTTPError) -> Int {
        lock.lock()
        defer { lock.unlock() }
        state.cancelled = cancelled
        let handle: CurlEasy
        if let easy {
            handle = easy
        } else {
            handle = try CurlEasy()
            easy = handle
        }
        var request = original
        let originalOrigin = Self.origin(of: original.url)
        for _ in 0..<6 {
            try checkScheme(request.url)
            state.headers = [:]
            state.body = []
            state.segments = request.body
            state.segmentIndex = 0
            state.segmentOffset = 0
            var headers = request.headers
            if originalOrigin == nil || Self.origin(of: request.url) != originalOrigin {
                headers.removeAll { name, _ in request.sensitiveHeaders.contains(name.lowercased()) }
            }
            let status = try handle.perform(request, headers: headers, state: state, options: options)
            guard [301, 302, 303, 307, 308].contains(status), let location = state.headers["location"],
                let next = URL(string: location, relativeTo: URL(string: request.url))?.absoluteString
            else { return status }
            if state.sink >= 0 {
                // A redirect's own body must not end up in the download.
                if ftruncate(state.sink, 0) != 0 || lseek(state.sink, 0, SEEK_SET) < 0 {
                    throw HTTPError(.io, "cannot rewind the download file", url: request.url)
                }
                state.bytesWritten = 0
            }
            if status == 303 || ((status == 301 || status == 302) && request.method == "POST") {
                request = HTTPRequest(
                    method: "GET", url: next, headers: request.headers, sensitiveHeaders: request.sensitiveHeaders)
            } else {
                request.url = next
            }
        }
        throw HTTPError(.transport, "too many redirects", url: original.url)
    }
}
