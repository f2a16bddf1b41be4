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
