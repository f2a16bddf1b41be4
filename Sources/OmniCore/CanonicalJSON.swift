import Crypto
import Foundation

/// The canonical serialization that turn ids hash.
///
/// - UTF-8, no insignificant whitespace;
/// - object keys sorted by their UTF-8 bytes, no duplicates;
/// - strings escape only `"`, `\` and control characters (`\b \f \n \r \t`, else `\u00xx`);
/// - an integral number is written as an integer (`10`, `-3`); any other is
///   rounded to 6 decimals and written in fixed notation without trailing
///   zeros and point (`0.1`, `0.034`, `2.5`; `2.0000001` gives `2`, `-0.0000001`
///   gives `0`), which is `("%.6f" % x).rstrip("0").rstrip(".")` in Python, with
///   `-0` written as `0`.
///
/// Any tool can rebuild the bytes from a turn's JSON and check that their
/// SHA-256 is the turn's id.
public enum CanonicalJSON {
    /// The canonical bytes of a JSON value.
    public static func text(_ value: JSONValue) -> String {
        var out = ""
        write(value, to: &out)
        return out
    }

    /// The lowercase hex SHA-256 of the canonical text.
    public static func sha256(_ value: JSONValue) -> String {
        hexDigest(Array(text(value).utf8))
    }

    package static func hexDigest(_ bytes: [UInt8]) -> String {
        AssetID(digest: SHA256.hash(data: bytes)).hex
    }

    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 {
            return String(Int64(value))
        }
        var text = String(format: "%.6f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        // A negative value that rounds to zero reads back as the integer 0.
        return text == "-0" ? "0" : text
    }

    private static func write(_ value: JSONValue, to out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .int(let number): out += String(number)
        case .double(let number): out += number.isFinite ? CanonicalJSON.number(number) : "null"
        case .string(let string): JSONValue.writeString(string, to: &out)
        case .array(let items):
            out += "["
            for (offset, item) in items.enumerated() {
                if offset > 0 { out += "," }
                write(item, to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            let keys = members.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            for (offset, key) in keys.enumerated() {
                if offset > 0 { out += "," }
                JSONValue.writeString(key, to: &out)
                out += ":"
                write(members[key, default: .null], to: &out)
            }
            out += "}"
        }
    }
}
