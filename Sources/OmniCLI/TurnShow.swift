import Foundation
import OmniStore

/// The full view of one turn, for `show REV`.
struct TurnShow {
    let store: Store
    let json: Bool

    func show(_ id: TurnID) throws {
        let turn = try store.turn(id)
        let output = try store.asset(id: turn.output)
        let inputs = try turn.inputs.map { ($0, try store.asset(id: $0.asset)) }
        let children = try store.children(of: id)
        let branches = (try store.branchLabels()[id] ?? []).sorted()
        if json {
            var members = turn.json.objectValue ?? [:]
            members["children"] = .array(children.map { .string($0.hex) })
            members["branches"] = .array(branches.map { .string($0.name) })
            members["output_asset"] = output.json
            members["input_assets"] = .array(inputs.map { $0.1.json })
            Terminal.json(.object(members))
            return
        }
        let head = try store.head()
        let label = TurnText.labels(id, head: head, branches: try store.branchLabels())
        var rows: [[String]] = [["turn", id.hex + (label.isEmpty ? "" : " " + label)]]
        rows.append(["kind", turn.kind.name])
        if !turn.parents.isEmpty { rows.append(["parents", turn.parents.map(\.short).joined(separator: " ")]) }
        if !children.isEmpty { rows.append(["children", children.map(\.short).joined(separator: " ")]) }
        rows.append(["author", turn.author])
        rows.append(["date", turn.createdAt])
        if let model = turn.model { rows.append(["model", model]) }
        if let cost = turn.cost {
            var text = TurnText.usd(cost.usd) + " (\(cost.basis)"
            if let seconds = cost.seconds { text += ", \(JSONValue.double(seconds).compactText) s" }
            rows.append(["cost", text + ")"])
        }
        if let interaction = turn.interaction {
            var text = "\(interaction.id) (\(interaction.status))"
            if let previous = interaction.previousID { text += " after \(previous)" }
            rows.append(["interaction", text])
        }
        for key in turn.settings.keys.sorted() {
            rows.append([
                key == turn.settings.keys.sorted().first ? "settings" : "",
                "\(key)=\(turn.settings[key].map(Self.text) ?? "")",
            ])
        }
        rows.append(["output", Self.assetLine(output)])
        for (index, (input, asset)) in inputs.enumerated() {
            rows.append([index == 0 ? "inputs" : "", "\(input.name): " + Self.assetLine(asset)])
        }
        Formatting.table(rows).forEach(Terminal.out)
        Terminal.out("")
        for line in turn.instruction.split(separator: "\n", omittingEmptySubsequences: false) {
            Terminal.out("    " + line)
        }
    }

    static func text(_ value: JSONValue) -> String {
        if case .string(let string) = value { return string }
        return value.compactText
    }

    static func assetLine(_ asset: Asset) -> String {
        Formatting.assetRow(asset).dropLast().joined(separator: "  ")
    }
}
