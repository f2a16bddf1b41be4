import Foundation
import OmniStore
import Testing

/// The library speaks library terms (issue 13): no message in a library
/// module names an `omnistore` command or a CLI flag. Advice is a ``Hint``
/// whose remedies each caller names: the CLI as commands, the library as calls.
@Suite struct LibraryVocabulary {
    static let libraryModules = [
        "OmniBasics", "OmniCore", "OmniGeneration", "OmniSync", "OmniRemote", "OmniInteractions", "OmniMedia",
        "OmniHTTP",
    ]
    /// A reflog reason names the operation, as git's `pull --rebase (finish)` does.
    static let allowed = ["\"pull --rebase: replayed"]

    static var sources: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("Sources")
    }

    @Test("no string literal in a library module names an omnistore command or a flag")
    func noCommandLineInLibraryMessages() throws {
        // A string literal holding `'omnistore x`, ` --flag` or `-b NAME`.
        let pattern = try NSRegularExpression(pattern: #""[^"]*('omnistore |(^|[ (])--[a-z]|-b NAME)[^"]*""#)
        var found: [String] = []
        var scanned = 0
        for module in Self.libraryModules {
            let folder = Self.sources.appendingPathComponent(module)
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".swift")
            {
                scanned += 1
                let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let code = line.trimmingCharacters(in: .whitespaces)
                    if code.hasPrefix("//") || Self.allowed.contains(where: { code.contains($0) }) { continue }
                    let range = NSRange(code.startIndex..., in: code)
                    if pattern.firstMatch(in: code, range: range) != nil {
                        found.append("\(module)/\(name):\(number + 1): \(code)")
                    }
                }
            }
        }
        #expect(scanned > 50, "the scan found only \(scanned) files under \(Self.sources.path)")
        #expect(found.isEmpty, "library messages that name the CLI:\n\(found.joined(separator: "\n"))")
    }

    @Test("a hint names each remedy in the caller's terms, in order")
    func hintRendering() {
        let hint = Hint("run {} to finish it or {} to stop it", .resume("v1_a"), .cancel("v1_a"), separator: "; ")
        #expect(
            hint.text { "<\($0.libraryName)>" }
                == "run <Store.resume(\"v1_a\")> to finish it or <Store.cancel(\"v1_a\")> to stop it")
        let error = StoreError(.conflict, "interrupted", hint: hint)
        #expect(
            error.message == "interrupted; run Store.resume(\"v1_a\") to finish it or Store.cancel(\"v1_a\") to stop it"
        )
        #expect(error.text { _ in "X" } == "interrupted; run X to finish it or X to stop it")
        // A template with more placeholders than remedies keeps the extra ones visible.
        #expect(Hint("run {} and {}", .check).text { _ in "fsck" } == "run fsck and {}")
    }
}
