import Crypto
import Foundation

/// AWS Signature Version 4 over plain values: no SDK, no hidden headers.
///
/// The signer canonicalizes a request exactly as the AWS "sig-v4 test suite"
/// describes (path segments percent-encoded once, as S3 wants; query pairs
/// encoded and sorted; header names lowercased, values trimmed with inner
/// runs of spaces folded, repeated headers joined by commas), builds the
/// string to sign over the credential scope, and derives the signing key by
/// the HMAC-SHA256 chain `AWS4<secret>` → date → region → service →
/// `aws4_request`.
public struct SigV4Signer: Sendable {
    /// What signing produced, step by step, so tests can check each one.
    public struct Signature: Sendable {
        public let canonicalRequest: String
        public let stringToSign: String
        public let signature: String
        /// The `Authorization` header value.
        public let authorization: String
        /// Lowercased names of the signed headers, joined by `;`.
        public let signedHeaders: String
    }

    public let credentials: AWSCredentials
    public let region: String
    public let service: String

    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The SHA-256 of an empty payload.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Signs a request.
    ///
    /// - Parameters:
    ///   - method: `GET`, `PUT`, …
    ///   - path: the decoded path, starting with `/`; each segment is
    ///     percent-encoded once.
    ///   - query: decoded name/value pairs in any order.
    ///   - headers: every header to sign, including `host` and `x-amz-date`
    ///     (and `x-amz-security-token` for temporary credentials).
    ///   - payloadHash: the hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
    ///   - amzDate: the moment in `x-amz-date`, as `yyyyMMdd'T'HHmmss'Z'`.
    public func sign(
        method: String, path: String, query: [(String, String)], headers: [(String, String)], payloadHash: String,
        amzDate: String
    ) -> Signature {
        let encoded: [(name: String, value: String)] = query.map {
            (SigV4Signer.encode($0.0), SigV4Signer.encode($0.1))
        }
        let sorted = encoded.sorted { a, b in a.name != b.name ? a.name < b.name : a.value < b.value }
        let canonicalQuery = sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
        var folded: [String: [String]] = [:]
        for (name, value) in headers {
            folded[name.lowercased(), default: []].append(SigV4Signer.trimHeaderValue(value))
        }
        let names = folded.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(folded[$0, default: []].joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let canonicalRequest = [
            method, SigV4Signer.encodePath(path), canonicalQuery, canonicalHeaders, signedHeaders, payloadHash,
        ].joined(separator: "\n")
        let day = String(amzDate.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256", amzDate, scope, SigV4Signer.hex(SHA256.hash(data: Array(canonicalRequest.utf8))),
        ].joined(separator: "\n")
        let key = signingKey(day: day)
        let signature = SigV4Signer.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return Signature(
            canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature,
            authorization: authorization, signedHeaders: signedHeaders)
    }

    /// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request")`.
    func signingKey(day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array(("AWS4" + credentials.secretAccessKey).utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return key
    }

    /// The `x-amz-date` form of a moment: `20150830T123600Z`.
    public static func amzDate(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d%02d%02dT%02d%02d%02dZ", c.year ?? 1970, c.month ?? 1, c.day ?? 1, c.hour ?? 0, c.minute ?? 0,
            c.second ?? 0)
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters.
    public static func encode(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if isUnreserved(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// Encodes each segment of a path, keeping the `/` between them.
    public static func encodePath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { encode(String($0)) }.joined(separator: "/")
    }

    static func isUnreserved(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
            || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
    }

    /// Trims a header value and folds each inner run of spaces to one space.
    static func trimHeaderValue(_ value: String) -> String {
        var out = ""
        var pendingSpace = false
        for scalar in value.unicodeScalars {
            if scalar == " " || scalar == "\t" {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace { out += " " }
            pendingSpace = false
            out.unicodeScalars.append(scalar)
        }
        return out
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        var out = ""
        for byte in digest { out += String(format: "%02x", byte) }
        return out
    }
}
