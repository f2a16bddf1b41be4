/// An error from an HTTP exchange: a transport failure (no response) or a
/// response the caller treats as failed.
public struct HTTPError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        /// DNS, connect, TLS or a dropped connection: no complete response.
        case transport
        /// The server answered too slowly.
        case timeout
        /// The request could not be built (bad URL, unreadable body file).
        case request
        /// A local file could not be written.
        case io
        /// The client refused the exchange: a scheme or host not allowed, or a body over its size limit.
        case refused
        /// The caller asked to stop (Ctrl-C): the transfer was abandoned.
        case cancelled
    }

    public let code: Code
    public let message: String
    /// The URL without its query string, which may carry a key.
    public let url: String
    /// libcurl's result code, when the failure came from libcurl.
    public let curlCode: Int?
    /// Bytes of a download already written when the failure happened.
    public var bytesReceived: Int64 = 0

    public init(_ code: Code, _ message: String, url: String, curlCode: Int? = nil) {
        self.code = code
        self.message = message
        self.url = HTTPError.redact(url)
        self.curlCode = curlCode
    }

    public var description: String { url.isEmpty ? message : "\(message) (\(url))" }

    /// Whether trying again may succeed.
    public var isRetryable: Bool { code == .transport || code == .timeout }

    /// Whether the request may have reached the server: false only when no
    /// connection was made (the host was not found or refused it), or the
    /// client refused the URL before sending anything.
    public var requestMayHaveArrived: Bool {
        if code == .refused && bytesReceived == 0 && curlCode == nil { return false }
        guard let curlCode else { return code != .request }
        // CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_COULDNT_RESOLVE_PROXY,
        // CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT.
        return ![1, 3, 5, 6, 7].contains(curlCode)
    }

    /// Drops the query string, where API keys travel.
    static func redact(_ url: String) -> String {
        guard let query = url.firstIndex(of: "?") else { return url }
        return String(url[..<query])
    }
}
