import Foundation
import OmniHTTP

#if canImport(Glibc)
    import Glibc
#endif

/// A JSON value read from a file with bounded memory: any string longer than
/// ``SpilledJSON/spillThreshold`` bytes (an inline base64 video) is written to
/// its own file instead of memory.
public indirect enum SpilledJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    /// A long string left on disk: the file holding its raw (unescaped) text.
    case spilled(path: String, length: Int64)
    case array([SpilledJSON])
    case object([String: SpilledJSON])

    /// Strings longer than this go to disk.
    public static let spillThreshold = 256 << 10

    public subscript(key: String) -> SpilledJSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var number: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    public var array: [SpilledJSON]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// Every spill file under this value, to delete when done.
    public var spillFiles: [String] {
        switch self {
        case .spilled(let path, _): return [path]
        case .array(let items): return items.flatMap(\.spillFiles)
        case .object(let members): return members.values.flatMap(\.spillFiles)
        default: return []
        }
    }

    /// Small values as plain text JSON (spilled strings become null), for logs and records.
    public var compactText: String {
        switch self {
        case .null, .spilled: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .number(let value):
            return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
        case .string(let value):
            let data =
                (try? JSONSerialization.data(withJSONObject: [value], options: [.withoutEscapingSlashes]))
                ?? Data("[\"\"]".utf8)
            return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
        case .array(let items): return "[" + items.map(\.compactText).joined(separator: ",") + "]"
        case .object(let members):
            return "{"
                + members.keys.sorted().map { key in
                    SpilledJSON.string(key).compactText + ":" + (members[key] ?? .null).compactText
                }.joined(separator: ",") + "}"
        }
    }

    /// Parses the JSON document in `path`, spilling long strings into `spillDirectory`.
    public static func parse(file path: String, spillDirectory: String) throws -> SpilledJSON {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw InteractionsError.local("cannot read the API response '\(path)'") }
        defer { close(fd) }
        var reader = Reader(fd: fd, spillDirectory: spillDirectory)
        do {
            reader.skipSpace()
            let value = try reader.value(depth: 0)
            reader.skipSpace()
            guard reader.peek() == nil else { throw reader.fail("trailing characters") }
            return value
        } catch {
            for file in reader.spilled { unlink(file) }
            throw error
        }
    }

    /// Parses JSON held in memory (small responses).
    public static func parse(bytes: [UInt8]) throws -> SpilledJSON {
        let path = NSTemporaryDirectory() + "omnistore-json-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw InteractionsError.local("cannot write a temp file in \(NSTemporaryDirectory())")
        }
        defer { unlink(path) }
        return try parse(file: path, spillDirectory: NSTemporaryDirectory())
    }

    private struct Reader {
        let fd: Int32
        let spillDirectory: String
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var count = 0
        var position = 0
        var consumed: Int64 = 0
        var spilled: [String] = []

        init(fd: Int32, spillDirectory: String) {
            self.fd = fd
            self.spillDirectory = spillDirectory
        }

        func fail(_ what: String) -> InteractionsError {
            InteractionsError.protocolError("the API answered with malformed JSON (\(what) at byte \(consumed))")
        }

        mutating func peek() -> UInt8? {
            if position == count {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                guard n > 0 else { return nil }
                count = n
                position = 0
            }
            return buffer[position]
        }

        mutating func next() -> UInt8? {
            guard let byte = peek() else { return nil }
            position += 1
            consumed += 1
            return byte
        }

        mutating func skipSpace() {
            while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { _ = next() }
        }

        mutating func literal(_ text: String) throws {
            for expected in text.utf8 { guard next() == expected else { throw fail("expected \(text)") } }
        }

        mutating func value(depth: Int) throws -> SpilledJSON {
            guard depth < 256 else { throw fail("nesting too deep") }
            guard let byte = peek() else { throw fail("unexpected end") }
            switch byte {
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "\""): return try string()
            case UInt8(ascii: "["):
                _ = next()
                var items: [SpilledJSON] = []
                skipSpace()
                if peek() == UInt8(ascii: "]") { _ = next(); return .array(items) }
                while true {
                    skipSpace()
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    switch next() {
                    case UInt8(ascii: ","): continue
                    case UInt8(ascii: "]"): return .array(items)
                    default: throw fail("expected , or ]")
                    }
                }
            case UInt8(ascii: "{"):
                _ = next()
                var members: [String: SpilledJSON] = [:]
                skipSpace()
                if peek() == UInt8(ascii: "}") { _ = next(); return .object(members) }
                while true {
                    skipSpace()
                    guard case .string(let key) = try string() else { throw fail("object key too long") }
                    skipSpace()
                    guard next() == UInt8(ascii: ":") else { throw fail("expected :") }
                    skipSpace()
                    members[key] = try value(depth: depth + 1)
                    skipSpace()
                    switch next() {
                    case UInt8(ascii: ","): continue
                    case UInt8(ascii: "}"): return .object(members)
                    default: throw fail("expected , or }")
                    }
                }
            default:
                var text = ""
                while let byte = peek(), (byte >= 0x30 && byte <= 0x39) || "+-.eE".utf8.contains(byte) {
                    text.unicodeScalars.append(Unicode.Scalar(byte))
                    _ = next()
                }
                guard let number = Double(text) else { throw fail("bad value") }
                return .number(number)
            }
        }

        mutating func string() throws -> SpilledJSON {
            guard next() == UInt8(ascii: "\"") else { throw fail("expected a string") }
            var bytes: [UInt8] = []
            var spill: Int32 = -1
            var spillPath = ""
            var spilledLength: Int64 = 0
            defer { if spill >= 0 { close(spill) } }
            func flush() throws {
                guard spill >= 0, !bytes.isEmpty else { return }
                let written = bytes.withUnsafeBytes { write(spill, $0.baseAddress, $0.count) }
                guard written == bytes.count else {
                    throw InteractionsError.local("cannot write a temp file in \(spillDirectory)")
                }
                spilledLength += Int64(bytes.count)
                bytes.removeAll(keepingCapacity: true)
            }
            while true {
                guard let byte = next() else { throw fail("unterminated string") }
                if byte == UInt8(ascii: "\"") { break }
                if byte == UInt8(ascii: "\\") {
                    guard let escape = next() else { throw fail("unterminated string") }
                    switch escape {
                    case UInt8(ascii: "n"): bytes.append(0x0A)
                    case UInt8(ascii: "t"): bytes.append(0x09)
                    case UInt8(ascii: "r"): bytes.append(0x0D)
                    case UInt8(ascii: "b"): bytes.append(0x08)
                    case UInt8(ascii: "f"): bytes.append(0x0C)
                    case UInt8(ascii: "u"):
                        var hex = ""
                        for _ in 0..<4 { hex.unicodeScalars.append(Unicode.Scalar(next() ?? 0x30)) }
                        guard let code = UInt32(hex, radix: 16) else { throw fail("bad \\u escape") }
                        let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                        bytes.append(contentsOf: Array(String(scalar).utf8))
                    default: bytes.append(escape)
                    }
                } else {
                    bytes.append(byte)
                }
                if spill < 0 && bytes.count > SpilledJSON.spillThreshold {
                    spillPath = spillDirectory + "/spill-\(UUID().uuidString.prefix(12))"
                    spill = open(spillPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
                    guard spill >= 0 else {
                        throw InteractionsError.local("cannot write a temp file in \(spillDirectory)")
                    }
                    spilled.append(spillPath)
                }
                if spill >= 0 && bytes.count >= 64 << 10 { try flush() }
            }
            if spill >= 0 {
                try flush()
                return .spilled(path: spillPath, length: spilledLength)
            }
            return .string(String(decoding: bytes, as: UTF8.self))
        }
    }
}
