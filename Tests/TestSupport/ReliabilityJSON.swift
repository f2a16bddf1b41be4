import Foundation

/// A strict JSON reader that keeps strings exactly as written: every Unicode
/// scalar, including a leading U+FEFF that Foundation's bridging drops, and no
/// normalization. For the byte-exact checks of the reliability suite.
public enum ExactJSON {
    public indirect enum Value: Sendable, Equatable {
        case object([(String, Value)])
        case array([Value])
        case string(String)
        case number(String)
        case bool(Bool)
        case null

        public static func == (lhs: Value, rhs: Value) -> Bool {
            switch (lhs, rhs) {
            case (.object(let a), .object(let b)):
                return a.count == b.count
                    && zip(a, b).allSatisfy { Array($0.0.utf8) == Array($1.0.utf8) && $0.1 == $1.1 }
            case (.array(let a), .array(let b)): return a == b
            case (.string(let a), .string(let b)): return Array(a.utf8) == Array(b.utf8)
            case (.number(let a), .number(let b)): return a == b
            case (.bool(let a), .bool(let b)): return a == b
            case (.null, .null): return true
            default: return false
            }
        }

        public subscript(key: String) -> Value? {
            guard case .object(let members) = self else { return nil }
            return members.first { Array($0.0.utf8) == Array(key.utf8) }?.1
        }

        public var string: String? {
            if case .string(let text) = self { return text }
            return nil
        }

        public var array: [Value]? {
            if case .array(let items) = self { return items }
            return nil
        }
    }

    public static func parse(_ text: String) throws -> Value {
        var parser = Parser(scalars: Array(text.unicodeScalars))
        parser.skipSpace()
        let value = try parser.value()
        parser.skipSpace()
        guard parser.index == parser.scalars.count else {
            throw TestSupportError("trailing text after JSON at \(parser.index)")
        }
        return value
    }

    struct Parser {
        let scalars: [Unicode.Scalar]
        var index = 0

        mutating func skipSpace() {
            while index < scalars.count, [" ", "\n", "\r", "\t"].contains(scalars[index]) { index += 1 }
        }

        mutating func expect(_ scalar: Unicode.Scalar) throws {
            guard index < scalars.count, scalars[index] == scalar else {
                throw TestSupportError("expected '\(scalar)' at \(index)")
            }
            index += 1
        }

        mutating func literal(_ word: String) throws {
            for scalar in word.unicodeScalars { try expect(scalar) }
        }

        mutating func value() throws -> Value {
            guard index < scalars.count else { throw TestSupportError("unexpected end of JSON") }
            switch scalars[index] {
            case "{":
                index += 1
                var members: [(String, Value)] = []
                skipSpace()
                if index < scalars.count, scalars[index] == "}" {
                    index += 1
                    return .object(members)
                }
                while true {
                    skipSpace()
                    let key = try string()
                    skipSpace()
                    try expect(":")
                    skipSpace()
                    members.append((key, try value()))
                    skipSpace()
                    if index < scalars.count, scalars[index] == "," {
                        index += 1
                        continue
                    }
                    try expect("}")
                    return .object(members)
                }
            case "[":
                index += 1
                var items: [Value] = []
                skipSpace()
                if index < scalars.count, scalars[index] == "]" {
                    index += 1
                    return .array(items)
                }
                while true {
                    skipSpace()
                    items.append(try value())
                    skipSpace()
                    if index < scalars.count, scalars[index] == "," {
                        index += 1
                        continue
                    }
                    try expect("]")
                    return .array(items)
                }
            case "\"": return .string(try string())
            case "t":
                try literal("true")
                return .bool(true)
            case "f":
                try literal("false")
                return .bool(false)
            case "n":
                try literal("null")
                return .null
            default:
                let start = index
                while index < scalars.count, "+-0123456789.eE".unicodeScalars.contains(scalars[index]) { index += 1 }
                guard index > start else { throw TestSupportError("unexpected '\(scalars[index])' at \(index)") }
                return .number(String(String.UnicodeScalarView(scalars[start..<index])))
            }
        }

        mutating func hex4() throws -> UInt32 {
            guard index + 4 <= scalars.count,
                let value = UInt32(String(String.UnicodeScalarView(scalars[index..<index + 4])), radix: 16)
            else {
                throw TestSupportError("bad \\u escape at \(index)")
            }
            index += 4
            return value
        }

        mutating func string() throws -> String {
            try expect("\"")
            var out = String.UnicodeScalarView()
            while true {
                guard index < scalars.count else { throw TestSupportError("unterminated string") }
                let scalar = scalars[index]
                index += 1
                switch scalar {
                case "\"": return String(out)
                case "\\":
                    guard index < scalars.count else { throw TestSupportError("unterminated escape") }
                    let escape = scalars[index]
                    index += 1
                    switch escape {
                    case "\"": out.append("\"")
                    case "\\": out.append("\\")
                    case "/": out.append("/")
                    case "b": out.append("\u{8}")
                    case "f": out.append("\u{C}")
                    case "n": out.append("\n")
                    case "r": out.append("\r")
                    case "t": out.append("\t")
                    case "u":
                        var code = try hex4()
                        if (0xD800..<0xDC00).contains(code), index + 6 <= scalars.count, scalars[index] == "\\",
                            scalars[index + 1] == "u"
                        {
                            index += 2
                            let low = try hex4()
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let decoded = Unicode.Scalar(code) else {
                            throw TestSupportError("bad code point \(code)")
                        }
                        out.append(decoded)
                    default: throw TestSupportError("bad escape \\\(escape)")
                    }
                default:
                    guard scalar.value >= 0x20 else {
                        throw TestSupportError("raw control character in a string at \(index)")
                    }
                    out.append(scalar)
                }
            }
        }
    }
}
