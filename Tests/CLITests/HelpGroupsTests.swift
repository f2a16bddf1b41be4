import Foundation
import TestSupport
import Testing

/// `omnistore --help` groups the subcommands by what they are for, as git's
/// help does, and every subcommand is listed once, under one group.
@Suite struct HelpGroups {
    static let groups: [String: [String]] = [
        "FILES": ["init", "add", "rm", "assets", "meta", "dupes", "show", "export", "probe", "config"],
        "HISTORY": ["record", "log", "status", "branch", "checkout", "diff", "reflog", "merge-base", "rev-parse"],
        "GENERATION": ["generate", "edit", "translate", "resume", "cancel", "cost"],
        "FRAMES": ["thumbnail", "sheet"],
        "INTEGRITY": ["fsck", "gc"],
        "REMOTES": ["remote", "push", "pull", "clone", "fetch-objects"],
    ]

    @Test("--help lists each subcommand once, under its group")
    func grouped() async throws {
        let dir = try TemporaryDirectory("help-groups")
        let help = try await OmnistoreCLI.check(["--help"], in: dir.path)
        var group: String? = nil
        var listed: [String: [String]] = [:]
        for line in help.stdoutLines {
            if line.hasSuffix(" SUBCOMMANDS:") {
                group = String(line.dropLast(" SUBCOMMANDS:".count))
            } else if line.hasSuffix(":") || line.isEmpty {
                group = nil
            } else if let group, line.hasPrefix("  "), !line.hasPrefix("   "), !line.hasPrefix("  See ") {
                // A command line starts with two spaces; a wrapped abstract with more.
                listed[group, default: []].append(String(line.dropFirst(2).prefix { $0 != " " }))
            }
        }
        #expect(listed == Self.groups, "\(help.stdout)")
    }
}
