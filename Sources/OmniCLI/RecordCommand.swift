import ArgumentParser
import Foundation
import OmniStore

struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record a turn for a clip made anywhere (another generator, an NLE).",
        discussion: """
            With no CLIP, records the working file. The parent is HEAD unless --parent is given, and the \
            current branch advances. References are files (added to the store) or stored asset ids, \
            each optionally followed by :NAME.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The clip the turn produced; the working file when omitted.")
    var clip: String?

    @Option(name: .shortAndLong, help: "What the turn did: the instruction or prompt.")
    var message: String

    @Option(
        name: .customLong("ref"), help: ArgumentHelp("A reference: PATH|ASSET[:NAME]. Repeatable.", valueName: "REF"))
    var refs: [String] = []

    @Option(
        name: .customLong("parent"),
        help: ArgumentHelp("A parent revision (repeat for a merge); default HEAD.", valueName: "REV"))
    var parents: [String] = []

    @Option(help: "The model that made the clip.")
    var model: String?

    @Option(help: "The Interactions API id holding the server state for this turn.")
    var interaction: String?

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp("A setting, key=value (resolution, duration, seed, …). Repeatable.", valueName: "KEY=VALUE"))
    var settings: [String] = []

    @Option(help: ArgumentHelp("What the turn cost, in US dollars.", valueName: "USD"))
    var cost: Double?

    func validate() throws {
        if message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw ValidationError("the message is empty: say what the turn did with -m MESSAGE")
        }
        for setting in settings where !setting.contains("=") || setting.hasPrefix("=") {
            throw ValidationError("'\(setting)' is not a setting: write key=value")
        }
        if let cost, !(cost >= 0 && cost.isFinite) { throw ValidationError("--cost must be a non-negative number") }
    }

    func run() throws {
        let store = try global.openStore()
        var request = RecordRequest(output: clip.map(AssetSource.parse), instruction: message)
        request.inputs = refs.map(AssetSource.parse)
        request.parents = parents.isEmpty ? nil : parents
        request.model = model
        request.interaction = interaction.map { Turn.Interaction(id: $0, previousID: nil, status: "completed") }
        request.settings = Dictionary(settings.map(SettingValue.parse), uniquingKeysWith: { _, last in last })
        request.cost = cost.map { Turn.Cost(usd: $0, seconds: nil, basis: "user") }
        let result = try store.record(request)
        if global.json {
            var json = result.turn.json.objectValue ?? [:]
            json["branch"] = JSONValue(result.branch?.name)
            json["side_branch"] = JSONValue(result.sideBranch?.name)
            json["workfile_updated"] = .bool(result.workfileUpdated)
            Terminal.json(.object(json))
            return
        }
        let where_ =
            result.branch.map { "[\($0.name) \(result.turn.id.short)]" } ?? "[detached HEAD \(result.turn.id.short)]"
        if let side = result.sideBranch, let branch = result.branch {
            Terminal.out("[\(side.name) \(result.turn.id.short)] \(TurnText.firstLine(result.turn.instruction))")
            Terminal.err(
                "note: \(branch.name) moved to \(result.branchTip?.short ?? "?") while this turn was made from \(result.turn.parents.first?.short ?? "nothing"); the turn is kept on new branch '\(side.name)'"
            )
        } else {
            Terminal.out("\(where_) \(TurnText.firstLine(result.turn.instruction))")
        }
    }
}

/// Parses `key=value` settings: integers, decimals and booleans keep their type.
enum SettingValue {
    static func parse(_ text: String) -> (String, JSONValue) {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let key = String(parts[0])
        let raw = parts.count > 1 ? String(parts[1]) : ""
        if let int = Int64(raw) { return (key, .int(int)) }
        if let double = Double(raw), double.isFinite, raw.contains(".") { return (key, .double(double)) }
        if raw == "true" || raw == "false" { return (key, .bool(raw == "true")) }
        return (key, .string(raw))
    }
}
