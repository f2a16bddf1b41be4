import Crypto
import Foundation

/// The id of a stored asset: the lowercase hex SHA-256 of its bytes.
///
/// It is exactly what `sha256sum` prints for the file, so anyone can check a
/// stored object with standard tools.
public struct AssetID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The 64 lowercase hex digits.
    public let hex: String

    /// Validates a full 64-digit hex id; returns nil for anything else.
    public init?(_ text: String) {
        let lower = text.lowercased()
        guard lower.utf8.count == 64, lower.utf8.allSatisfy(AssetID.isHexDigit) else { return nil }
        hex = lower
    }

    package init(validatedHex: String) {
        hex = validatedHex
    }

    /// The id of bytes whose SHA-256 is `digest`.
    init(digest: SHA256Digest) {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        for byte in digest {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0F)])
        }
        hex = String(decoding: bytes, as: UTF8.self)
    }

    /// The first 12 digits, the short form used in listings.
    public var short: String { String(hex.prefix(12)) }

    public var description: String { hex }

    public static func < (lhs: AssetID, rhs: AssetID) -> Bool { lhs.hex < rhs.hex }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66)
    }

    /// Checks that `text` can be an id prefix (4 to 64 hex digits) and lowercases it.
    static func validPrefix(_ text: String) -> String? {
        let lower = text.lowercased()
        guard (4...64).contains(lower.utf8.count), lower.utf8.allSatisfy(isHexDigit) else { return nil }
        return lower
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = AssetID(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a SHA-256 hex id"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}
