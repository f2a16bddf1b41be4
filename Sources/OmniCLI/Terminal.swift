import Foundation
import OmniStore

#if canImport(Glibc)
    import Glibc
#endif

/// Writing to stdout and stderr, and knowing whether they are terminals.
enum Terminal {
    static var stderrIsTTY: Bool { isatty(STDERR_FILENO) == 1 }

    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// Many lines at once, written in large chunks rather than a syscall per line.
    static func out(lines: [String]) {
        var chunk = ""
        chunk.reserveCapacity(1 << 16)
        for line in lines {
            chunk += line
            chunk += "\n"
            if chunk.utf8.count >= 1 << 16 {
                FileHandle.standardOutput.write(Data(chunk.utf8))
                chunk.removeAll(keepingCapacity: true)
            }
        }
        if !chunk.isEmpty { FileHandle.standardOutput.write(Data(chunk.utf8)) }
    }

    static func err(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static func error(_ message: String) {
        err("error: \(message)")
    }

    static func json(_ value: JSONValue) {
        out(value.prettyText)
    }
}
