import Foundation

/// One version of a clip: an immutable record of what produced its output.
///
/// A turn's ``id`` is the SHA-256 of its canonical JSON record, so changing any
/// field makes a different turn, and any tool can verify an id.
///
/// Records are read forward-compatibly: a field this version does not know
/// (one a newer omnistore added) is kept in an `extra` map, written back into
/// the record and so into the id, and otherwise left alone. An older client
/// can therefore pull, verify and push a newer store's turns unchanged.
public struct Turn: Sendable, Equatable {
    /// A reference asset given to the turn, with the name it was given under.
    public struct Input: Sendable, Equatable {
        public var asset: AssetID
        public var name: String
        /// Fields of the input this version does not know.
        public var extra: [String: JSONValue]
        public init(asset: AssetID, name: String, extra: [String: JSONValue] = [:]) {
            self.asset = asset
            self.name = name
            self.extra = extra
        }
    }

    /// What the turn cost, and how that was worked out.
    public struct Cost: Sendable, Equatable {
        public var usd: Double
        /// Output seconds billed, when the cost is per second.
        public var seconds: Double?
        /// How `usd` was computed: `usage_tokens`, `seconds_x_rate`, `user`, …
        public var basis: String
        /// What omnistore estimated before sending the request, to compare
        /// the bill with (absent for costs that were not estimated).
        public var estimateUSD: Double?
        /// Fields of the cost this version does not know.
        public var extra: [String: JSONValue]
        public init(
            usd: Double, seconds: Double?, basis: String, estimateUSD: Double? = nil, extra: [String: JSONValue] = [:]
        ) {
            self.usd = usd
            self.seconds = seconds
            self.basis = basis
            self.estimateUSD = estimateUSD
            self.extra = extra
        }
    }

    /// The server-side state that produced the turn.
    public struct Interaction: Sendable, Equatable {
        public var id: String
        public var previousID: String?
        public var status: String
        /// Further fields the API reported (`created`, `usage`, `rehydrated`, …).
        public var extra: [String: JSONValue]
        public init(id: String, previousID: String?, status: String, extra: [String: JSONValue] = [:]) {
            self.id = id
            self.previousID = previousID
            self.status = status
            self.extra = extra
        }
    }

    public let id: TurnID
    public let parents: [TurnID]
    public let kind: TurnKind
    public let instruction: String
    public let inputs: [Input]
    public let output: AssetID
    public let model: String?
    public let interaction: Interaction?
    /// resolution, duration, aspect_ratio, task, seed, …
    public let settings: [String: JSONValue]
    public let cost: Cost?
    public let author: String
    /// RFC 3339 UTC with milliseconds, exactly as hashed.
    public let createdAt: String
    /// Top-level fields this version does not know, kept as they were read.
    public let extra: [String: JSONValue]

    /// Builds a turn and computes its id.
    public init(
        parents: [TurnID], kind: TurnKind, instruction: String, inputs: [Input], output: AssetID,
        model: String?, interaction: Interaction?, settings: [String: JSONValue], cost: Cost?,
        author: String, createdAt: String, extra: [String: JSONValue] = [:]
    ) {
        self.parents = parents
        self.kind = kind
        self.instruction = instruction
        self.inputs = inputs
        self.output = output
        self.model = model
        self.interaction = interaction
        self.settings = settings
        self.cost = cost
        self.author = author
        self.createdAt = createdAt
        self.extra = extra
        self.id = TurnID(
            validatedHex: CanonicalJSON.sha256(
                Turn.record(
                    parents: parents, kind: kind, instruction: instruction, inputs: inputs, output: output,
                    model: model, interaction: interaction, settings: settings, cost: cost, author: author,
                    createdAt: createdAt, extra: extra)))
    }

    /// The same turn on other parents (a rebase): every other field, known or
    /// not, is kept.
    public func replacingParents(_ parents: [TurnID]) -> Turn {
        Turn(
            parents: parents, kind: kind, instruction: instruction, inputs: inputs, output: output, model: model,
            interaction: interaction, settings: settings, cost: cost, author: author, createdAt: createdAt,
            extra: extra)
    }

    /// The record that is hashed: every field but the id.
    public var record: JSONValue {
        Turn.record(
            parents: parents, kind: kind, instruction: instruction, inputs: inputs, output: output, model: model,
            interaction: interaction, settings: settings, cost: cost, author: author, createdAt: createdAt,
            extra: extra)
    }

    private static func record(
        parents: [TurnID], kind: TurnKind, instruction: String, inputs: [Input], output: AssetID, model: String?,
        interaction: Interaction?, settings: [String: JSONValue], cost: Cost?, author: String, createdAt: String,
        extra: [String: JSONValue]
    ) -> JSONValue {
        var interactionJSON = JSONValue.null
        if let interaction {
            var members = interaction.extra
            members["id"] = .string(interaction.id)
            members["previous_id"] = JSONValue(interaction.previousID)
            members["status"] = .string(interaction.status)
            interactionJSON = .object(members)
        }
        // Unknown fields go in first, so a known one can never be overridden by them.
        return .object(
            extra.merging([
                "parents": .array(parents.map { .string($0.hex) }),
                "kind": .string(kind.name),
                "instruction": .string(instruction),
                "inputs": .array(
                    inputs.map {
                        .object($0.extra.merging(["asset": .string($0.asset.hex), "name": .string($0.name)]) { $1 })
                    }),
                "output": .string(output.hex),
                "model": JSONValue(model),
                "interaction": interactionJSON,
                "settings": .object(settings),
                "cost": cost.map { cost -> JSONValue in
                    var members = cost.extra.merging([
                        "usd": .double(cost.usd), "seconds": JSONValue(cost.seconds), "basis": .string(cost.basis),
                    ]) { $1 }
                    // Only when there is one: older turns keep their bytes, and so their ids.
                    if let estimate = cost.estimateUSD { members["estimate_usd"] = .double(estimate) }
                    return .object(members)
                } ?? .null,
                "author": .string(author),
                "created_at": .string(createdAt),
            ]) { $1 })
    }

    /// The top-level fields this version interprets; any other is kept in ``extra``.
    static let knownFields: Set<String> = [
        "parents", "kind", "instruction", "inputs", "output", "model", "interaction", "settings", "cost",
        "author", "created_at",
    ]

    /// The canonical bytes whose SHA-256 is ``id``.
    public var canonicalText: String { CanonicalJSON.text(record) }

    /// The record plus its id, for `--json` output.
    public var json: JSONValue {
        guard case .object(var members) = record else { return record }
        members["id"] = .string(id.hex)
        return .object(members)
    }

    /// Reads a turn back from its JSON record (any key order and spacing).
    ///
    /// Fields this version does not know are kept, not refused (see ``Turn``).
    ///
    /// - Throws: ``StoreError`` when a known field is missing or has the wrong type.
    public init(json: JSONValue) throws {
        func fail(_ what: String) -> StoreError { StoreError(.invalidArgument, "not a turn record: \(what)") }
        guard case .object(let members) = json else { throw fail("expected an object") }
        // `id` is the claimed id of `--json` output, checked below, never hashed.
        let extra = members.filter { !Turn.knownFields.contains($0.key) && $0.key != "id" }
        guard let parentsJSON = members["parents"]?.arrayValue else { throw fail("parents must be a list of turn ids") }
        let parents = try parentsJSON.map { value -> TurnID in
            guard let text = value.stringValue, let id = TurnID(text) else {
                throw fail("parents must hold turn ids (64 lowercase hex digits)")
            }
            return id
        }
        // Each field is named on its own, so a refused record says what to fix.
        func text(_ field: String) throws -> String {
            guard let value = members[field] else { throw fail("\(field) is missing") }
            guard let text = value.stringValue else { throw fail("\(field) must be a string") }
            return text
        }
        let kind = TurnKind(try text("kind"))
        let instruction = try text("instruction")
        let outputText = try text("output")
        guard let output = AssetID(outputText) else {
            throw fail("output must be an asset id (64 lowercase hex digits), not '\(outputText.prefix(80))'")
        }
        let author = try text("author")
        let createdAt = try text("created_at")
        let inputs = try (members["inputs"]?.arrayValue ?? []).map { value -> Input in
            guard case .object(var fields) = value, let text = fields.removeValue(forKey: "asset")?.stringValue,
                let asset = AssetID(text), let name = fields.removeValue(forKey: "name")?.stringValue
            else { throw fail("an input needs asset and name") }
            return Input(asset: asset, name: name, extra: fields)
        }
        var interaction: Interaction? = nil
        if let value = members["interaction"], case .object(var fields) = value {
            guard let id = fields.removeValue(forKey: "id")?.stringValue,
                let status = fields.removeValue(forKey: "status")?.stringValue
            else { throw fail("an interaction needs id and status") }
            let previous = fields.removeValue(forKey: "previous_id")?.stringValue
            interaction = Interaction(id: id, previousID: previous, status: status, extra: fields)
        }
        var cost: Cost? = nil
        if let value = members["cost"], case .object(let fields) = value {
            guard let usd = value["usd"]?.doubleValue, let basis = value["basis"]?.stringValue else {
                throw fail("a cost needs usd and basis")
            }
            // A negative or infinite cost would make every total wrong.
            guard usd >= 0, usd.isFinite else { throw fail("cost usd must be a non-negative number, not \(usd)") }
            if let seconds = value["seconds"]?.doubleValue, !(seconds >= 0 && seconds.isFinite) {
                throw fail("cost seconds must be a non-negative number, not \(seconds)")
            }
            let estimate = value["estimate_usd"]?.doubleValue
            if let estimate, !(estimate >= 0 && estimate.isFinite) {
                throw fail("cost estimate_usd must be a non-negative number, not \(estimate)")
            }
            let known: Set<String> = ["usd", "seconds", "basis", "estimate_usd"]
            cost = Cost(
                usd: usd, seconds: value["seconds"]?.doubleValue, basis: basis, estimateUSD: estimate,
                extra: fields.filter { !known.contains($0.key) })
        }
        self.init(
            parents: parents, kind: kind, instruction: instruction, inputs: inputs, output: output,
            model: members["model"]?.stringValue, interaction: interaction,
            settings: members["settings"]?.objectValue ?? [:], cost: cost, author: author, createdAt: createdAt,
            extra: extra)
        if let claimed = members["id"]?.stringValue, claimed != id.hex {
            throw StoreError(
                .corrupt, "turn record does not match its id \(claimed.prefix(12)) (it hashes to \(id.short))")
        }
    }
}
