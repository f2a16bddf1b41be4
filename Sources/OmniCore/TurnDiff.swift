/// How two turns differ: their history since the merge base, their inputs,
/// settings and model, their output media, and their cost.
public struct TurnDiff: Sendable {
    /// One field that differs, with both values (nil where absent).
    public struct Change: Sendable, Equatable {
        public let field: String
        public let old: JSONValue?
        public let new: JSONValue?
    }

    public let a: Turn
    public let b: Turn
    /// The best common ancestors, newest first; empty for unrelated histories.
    public let mergeBases: [TurnID]
    /// Turns reachable from A but not from B, and the reverse.
    public let onlyA: [LogEntry]
    public let onlyB: [LogEntry]
    /// Inputs of B that A does not have, and inputs of A that B does not have.
    public let inputsAdded: [Turn.Input]
    public let inputsRemoved: [Turn.Input]
    /// Model and settings changes from A to B.
    public let settingChanges: [Change]
    /// Output media changes from A to B: duration, resolution, fps, codec, bit rate, audio streams.
    public let mediaChanges: [Change]
    /// The cost of the turns on each side since the merge base.
    public let costA: Double
    public let costB: Double

    public var json: JSONValue {
        func changes(_ list: [Change]) -> JSONValue {
            .array(list.map { .object(["field": .string($0.field), "old": $0.old ?? .null, "new": $0.new ?? .null]) })
        }
        func turns(_ list: [LogEntry]) -> JSONValue {
            .array(
                list.map {
                    .object([
                        "id": .string($0.id.hex), "kind": .string($0.kind.name), "instruction": .string($0.instruction),
                        "cost_usd": JSONValue($0.costUSD),
                    ])
                })
        }
        func inputs(_ list: [Turn.Input]) -> JSONValue {
            .array(list.map { .object(["asset": .string($0.asset.hex), "name": .string($0.name)]) })
        }
        return .object([
            "a": .string(a.id.hex), "b": .string(b.id.hex),
            "merge_base": JSONValue(mergeBases.first?.hex),
            "merge_bases": .array(mergeBases.map { .string($0.hex) }),
            "only_a": turns(onlyA), "only_b": turns(onlyB),
            "inputs_added": inputs(inputsAdded), "inputs_removed": inputs(inputsRemoved),
            "settings": changes(settingChanges), "media": changes(mediaChanges),
            "cost": .object(["a": .double(costA), "b": .double(costB)]),
        ])
    }
}
