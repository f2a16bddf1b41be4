import ArgumentParser
import Foundation
import OmniStore

struct GcCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Remove assets no turn uses (after a grace period), expired reflog entries and caches.",
        discussion: """
            An asset is kept while any turn (output or input) or pending interaction uses it, and for \
            the grace period (default 14 days) after it was last added. Turns are never removed. \
            Reflog entries older than 90 days expire. gc waits for running add/record/generate \
            commands and they wait for it, so it can never remove an asset one of them is about to use.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .customLong("dry-run"), help: "Report what would be removed; remove nothing.")
    var dryRun = false

    @Option(help: ArgumentHelp("Grace period: 'now', or an age such as 14d, 12h, 2w, 2.weeks.ago.", valueName: "AGE"))
    var prune: String = "14d"

    func validate() throws {
        if GcCommand.parseAge(prune) == nil {
            throw ValidationError("--prune takes 'now' or an age such as 14d, 12h, 2w or 2.weeks.ago, not '\(prune)'")
        }
    }

    static func parseAge(_ text: String) -> TimeInterval? {
        if text == "now" { return 0 }
        let units: [String: TimeInterval] = [
            "s": 1, "second": 1, "seconds": 1, "m": 60, "minute": 60, "minutes": 60, "h": 3600, "hour": 3600,
            "hours": 3600, "d": 86_400, "day": 86_400, "days": 86_400, "w": 604_800, "week": 604_800, "weeks": 604_800,
        ]
        var body = text.hasSuffix(".ago") ? String(text.dropLast(4)) : text
        body = body.replacingOccurrences(of: ".", with: "")
        let digits = body.prefix { $0.isNumber }
        guard let count = Double(digits), let unit = units[String(body.dropFirst(digits.count))] else { return nil }
        return count * unit
    }

    func run() throws {
        let store = try global.openStore()
        let report = try store.gc(pruneAge: GcCommand.parseAge(prune) ?? Store.defaultPruneAge, dryRun: dryRun) {
            Terminal.err("waiting for running omnistore commands to finish…")
        }
        if global.json {
            Terminal.json(report.json)
            return
        }
        let verb = dryRun ? "would remove" : "removed"
        for id in report.removedAssets { Terminal.out("\(verb) asset \(id.short)") }
        for hex in report.removedDanglingFiles { Terminal.out("\(verb) unindexed object \(String(hex.prefix(12)))") }
        for path in report.removedPartialDownloads {
            Terminal.out("\(verb) abandoned partial download \(Formatting.path(path))")
        }
        Terminal.out(
            "\(verb) \(report.removedAssets.count) asset(s) and \(report.removedDanglingFiles.count) unindexed object(s), \(Formatting.bytes(report.bytesFreed)); \(report.expiredReflogEntries) reflog entries expired; caches \(Formatting.bytes(report.cacheBytesFreed)); ref journal \(Formatting.bytes(report.journalBytesBefore)) -> \(Formatting.bytes(report.journalBytesAfter))"
        )
    }
}
