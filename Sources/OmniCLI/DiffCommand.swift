import ArgumentParser
import OmniStore

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two versions: history since their merge base, inputs, settings, media and cost.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The old version.")
    var a: String

    @Argument(help: "The new version; HEAD when omitted.")
    var b: String = "HEAD"

    func run() throws {
        let diff = try global.openStore().diff(a, b)
        if global.json {
            Terminal.json(diff.json)
            return
        }
        Terminal.out("diff \(diff.a.id.short) \(diff.b.id.short)")
        Terminal.out("merge base: \(diff.mergeBases.map(\.short).joined(separator: " ").ifEmpty("none (unrelated histories)"))")
        for (label, turns, cost) in [(a, diff.onlyA, diff.costA), (b, diff.onlyB, diff.costB)] {
            Terminal.out("")
            Terminal.out("only in \(label): \(turns.count) turn\(turns.count == 1 ? "" : "s"), \(TurnText.usd(cost))")
            for turn in turns {
                Terminal.out("  \(turn.id.short) \(turn.kind): \(TurnText.firstLine(turn.instruction))")
            }
        }
        if !diff.inputsAdded.isEmpty || !diff.inputsRemoved.isEmpty {
            Terminal.out("")
            Terminal.out("inputs:")
            for input in diff.inputsRemoved { Terminal.out("- \(input.name) \(input.asset.short)") }
            for input in diff.inputsAdded { Terminal.out("+ \(input.name) \(input.asset.short)") }
        }
        for (title, changes) in [("settings", diff.settingChanges), ("output", diff.mediaChanges)] where !changes.isEmpty {
            Terminal.out("")
            Terminal.out("\(title):")
            let rows = changes.map { ["  " + $0.field, Self.text($0.old), "->", Self.text($0.new)] }
            Formatting.table(rows).forEach(Terminal.out)
        }
    }

    static func text(_ value: JSONValue?) -> String {
        guard let value, value != .null else { return "(none)" }
        if case .string(let string) = value { return string.count == 64 ? String(string.prefix(12)) : string }
        return value.compactText
    }
}

extension String {
    func ifEmpty(_ replacement: String) -> String { isEmpty ? replacement : self }
}
