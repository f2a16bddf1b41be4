import Foundation

/// One piece of a request body, produced as libcurl asks for it so that no
/// whole file (or its base64) is ever held in memory.
public enum BodySegment: Sendable {
    /// Bytes already in memory (JSON around the file parts).
    case bytes([UInt8])
    /// A byte range of a file, sent as is.
    case file(path: String, offset: Int64, length: Int64)
    /// A whole file, sent base64-encoded (for inline JSON media parts).
    case base64File(path: String, length: Int64)

    /// The number of bytes this segment puts on the wire.
    public var wireLength: Int64 {
        switch self {
        case .bytes(let bytes): return Int64(bytes.count)
        case .file(_, _, let length): return length
        case .base64File(_, let length): return (length + 2) / 3 * 4
        }
    }
}

/// An HTTP request.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    /// Header names and values, in order.
    public var headers: [(String, String)]
    public var body: [BodySegment]
    /// Headers that must not follow a redirect to another host (credentials).
    public var sensitiveHeaders: Set<String>

    public init(
        method: String, url: String, headers: [(String, String)] = [], body: [BodySegment] = [],
        sensitiveHeaders: Set<String> = []
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.sensitiveHeaders = sensitiveHeaders
    }

    /// A request with a JSON body.
    public static func json(
        _ method: String, _ url: String, body: String, headers: [(String, String)] = [],
        sensitiveHeaders: Set<String> = []
    ) -> HTTPRequest {
        HTTPRequest(
            method: method, url: url, headers: headers + [("Content-Type", "application/json")],
            body: [.bytes(Array(body.utf8))], sensitiveHeaders: sensitiveHeaders)
    }
}

/// An HTTP response. Header names are lowercased; a repeated header keeps its last value.
public struct HTTPResponse: Sendable {
    public let status: Int
    public let headers: [String: String]
    /// The body, for buffered requests; empty for downloads written to a file.
    public let body: [UInt8]

    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}
