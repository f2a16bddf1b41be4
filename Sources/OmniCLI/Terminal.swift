import Foundation
import OmniStore

#if canImport(Glibc)
    import Glibc
#endif

/// Writing to stdout and stderr, and knowing whether they are terminals.
enum Terminal {
    static var stderrIsTTY: Bool { isatty(STDERR_FILENO) == 1 }

    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data((shown(text) + "\n").utf8))
    }

    /// Many lines at once, written in large chunks rather than a syscall per line.
    static func out(lines: [String]) {
        var chunk = ""
        chunk.reserveCapacity(1 << 16)
        for line in lines {
            chunk += shown(line)
            chunk += "\n"
            if chunk.utf8.count >= 1 << 16 {
                FileHandle.standardOutput.write(Data(chunk.utf8))
                chunk.removeAll(keepingCapacity: true)
            }
        }
        if !chunk.isEmpty { FileHandle.standardOutput.write(Data(chunk.utf8)) }
    }

    static func err(_ text: String) {
        FileHandle.standardError.write(Data((shown(text) + "\n").utf8))
    }

    /// Text as it may reach a terminal: control characters (C0, DEL, C1) and
    /// the bidirectional overrides are written as escapes (`\x1b`, `\u{202e}`),
    /// so that an instruction, a path or a name from a remote can neither
    /// retitle or clear the terminal nor forge a line. Line feeds and tabs stay.
    ///
    /// Every human line goes through here; `--json` is already escaped as JSON.
    static func shown(_ text: String) -> String {
        guard mayNeedEscape(text) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) {
                result +=
                    scalar.value < 0x80
                    ? "\\x" + hex(scalar.value, digits: 2) : "\\u{" + hex(scalar.value, digits: 4) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// A fast byte scan first: every character escaped starts with a byte
    /// below 0x20, 0x7F, 0xC2 (C1) or 0xE2 (the bidi controls), so most lines
    /// (a long `log`) are passed on as they are.
    private static func mayNeedEscape(_ text: String) -> Bool {
        text.utf8.contains { byte in
            (byte < 0x20 && byte != 0x0A && byte != 0x09) || byte == 0x7F || byte == 0xC2 || byte == 0xE2
        }
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: false
        case 0x00..<0x20, 0x7F..<0xA0: true
        // Bidirectional embeddings, overrides and isolates, which reorder what follows on screen.
        case 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    static func error(_ message: String) {
        err("error: \(message)")
    }

    /// JSON keeps the exact text: the writer escapes C0 controls, and the few
    /// other characters a terminal acts on become `\u` escapes, which is the
    /// same JSON. They can only stand inside strings, so a plain replace is exact.
    static func json(_ value: JSONValue) {
        let text = value.prettyText
        guard mayNeedEscape(text) else {
            FileHandle.standardOutput.write(Data((text + "\n").utf8))
            return
        }
        var escaped = ""
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) {
                escaped += "\\u" + hex(scalar.value, digits: 4)
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
        FileHandle.standardOutput.write(Data((escaped + "\n").utf8))
    }
}
