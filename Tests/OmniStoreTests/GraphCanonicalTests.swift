import Foundation
import OmniStore
import TestSupport
import Testing

/// Turn ids are the SHA-256 of the canonical JSON record: checked with
/// sha256sum, with an independent rebuild of the canonical text in Python
/// from `show --json`, and by reading records back in other key orders.
@Suite struct GraphCanonicalIDs {
    /// A store with one turn that uses every field and awkward values.
    static func richTurn(_ label: String, settings extra: [String: JSONValue] = [:]) throws
        -> (dir: TemporaryDirectory, workspace: String, store: Store, turn: Turn)
    {
        let dir = try TemporaryDirectory(label)
        let workspace = try dir.makeDirectory("ws")
        let (store, _) = try Store.create(at: workspace)
        let clip = try dir.write(WAV.data(seed: 501), to: "out.wav")
        let reference = try dir.write(WAV.data(seed: 502), to: "ref.wav")
        let first = try store.record(RecordRequest(output: AssetSource(.file(clip)), instruction: "first"))

        var request = RecordRequest(
            output: AssetSource(.file(try dir.write(WAV.data(seed: 503), to: "out2.wav"))),
            instruction: "Make it \"noir\" \\ with\ttabs and\nnew lines: é ✓ 😀 \u{1} \u{1F} \u{7F} \u{2028} end")
        request.inputs = [AssetSource(.file(reference), name: "style ref"), AssetSource(.file(clip))]
        request.kind = "edit"
        request.model = "veo-3.1"
        request.interaction = Turn.Interaction(
            id: "int_123", previousID: "int_122", status: "completed",
            extra: [
                "usage": .object(["input_tokens": .int(120), "ratio": .double(0.1234567)]),
                "created": .int(1_700_000_000),
            ])
        var settings: [String: JSONValue] = [
            "resolution": .string("1280x720"), "duration": .double(8), "seed": .int(42),
            "big": .int(12_345_678_901_234_567), "neg": .double(-2.5), "ratio": .double(0.1234567),
            "third": .double(1.0 / 3.0), "huge": .double(1e20), "flag": .bool(true), "off": .bool(false),
            "none": .null, "list": .array([.int(1), .double(0.5), .string("x"), .array([])]),
            "nested": .object(["b": .int(1), "a": .object(["z": .null, "é": .string("ü")]), "": .object([:])]),
            "é": .int(1), "Z": .int(2), "a": .int(3), "😀": .string("emoji key"), "ｚ": .int(4),
            "negzero": .double(-0.0), "small": .double(0.000123), "fps": .double(29.97),
        ]
        settings.merge(extra) { $1 }
        request.settings = settings
        request.cost = Turn.Cost(usd: 0.034, seconds: 8.25, basis: "seconds_x_rate")
        let result = try store.record(request)
        #expect(result.turn.parents == [first.turn.id])
        return (dir, workspace, store, result.turn)
    }

    @Test("the id is sha256sum of canonicalText, and the stored record reads back to the same bytes")
    func sha256sum() async throws {
        let (dir, _, store, turn) = try Self.richTurn("graph-canonical-sha")
        let path = try dir.write(turn.canonicalText, to: "record.json")
        #expect(try await SHA256Sum.hash(path) == turn.id.hex)
        let stored = try store.turn(turn.id)
        #expect(stored.id == turn.id)
        #expect(stored.canonicalText == turn.canonicalText)
        // Canonical form: no whitespace between tokens (the only spaces are inside strings).
        let parsed = try JSONParser.parse(turn.canonicalText)
        #expect(CanonicalJSON.text(parsed) == turn.canonicalText)
        #expect(!turn.canonicalText.contains("\n"))
        #expect(turn.canonicalText.hasPrefix("{\"author\":"))
        #expect(parsed.objectValue?["id"] == nil, "the id is not part of what is hashed")
        #expect(parsed.objectValue?.count == 11)
    }

    /// JSON text with keys in reverse order, spaces and new lines everywhere,
    /// and numbers in Swift's shortest form.
    static func scrambled(_ value: JSONValue, level: Int = 0) -> String {
        let pad = String(repeating: "   ", count: level + 1)
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .double(let number): return number.isFinite ? "\(number)" : "null"
        case .string: return value.compactText
        case .array(let items):
            return "[ \n" + items.map { pad + scrambled($0, level: level + 1) }.joined(separator: " ,\n") + "\n ]"
        case .object(let members):
            let keys = members.keys.sorted(by: >)
            return "{\r\n"
                + keys.map { key in
                    pad + JSONValue.string(key).compactText + " :\t" + scrambled(members[key]!, level: level + 1)
                }.joined(separator: ",\n") + "\n}"
        }
    }

    @Test("Turn(json:) of the record with keys reordered and whitespace added has the same id")
    func reordered() throws {
        let (_, _, _, turn) = try Self.richTurn("graph-canonical-reorder")
        for json in [turn.record, turn.json] {
            let text = Self.scrambled(json)
            #expect(text != turn.canonicalText)
            let reread = try Turn(json: JSONParser.parse(text))
            #expect(reread.id == turn.id)
            #expect(reread.canonicalText == turn.canonicalText)
        }
        // Foundation's serializer, in its own key order and pretty-printed.
        let object = try JSONSerialization.jsonObject(with: Data(turn.json.compactText.utf8))
        let pretty = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted])
        #expect(try Turn(json: JSONParser.parse(String(decoding: pretty, as: UTF8.self))).id == turn.id)
    }

    @Test("a record that does not hash to its claimed id is refused; an unknown field is kept and hashed")
    func tampered() throws {
        let (_, _, _, turn) = try Self.richTurn("graph-canonical-tamper")
        guard case .object(var members) = turn.json else {
            Issue.record("turn.json is not an object")
            return
        }
        members["instruction"] = .string(turn.instruction + "!")
        let corrupt = #expect(throws: StoreError.self) { try Turn(json: .object(members)) }
        #expect(corrupt?.code == .corrupt)
        members["instruction"] = .string(turn.instruction)
        // An unknown field is part of the hash: added under the old id, it no longer matches.
        members["review_link"] = .string("https://example.com/r/1")
        let unmatched = #expect(throws: StoreError.self) { try Turn(json: .object(members)) }
        #expect(unmatched?.code == .corrupt)
        members["id"] = nil
        let newer = try Turn(json: .object(members))
        #expect(newer.extra == ["review_link": .string("https://example.com/r/1")])
        #expect(newer.id != turn.id && newer.canonicalText.contains("\"review_link\":"))
        #expect(try Turn(json: JSONParser.parse(newer.canonicalText)).id == newer.id)
        // Changing any field changes the id.
        let other = Turn(
            parents: turn.parents, kind: turn.kind, instruction: turn.instruction, inputs: turn.inputs,
            output: turn.output, model: turn.model, interaction: turn.interaction, settings: turn.settings,
            cost: turn.cost, author: turn.author + " ", createdAt: turn.createdAt)
        #expect(other.id != turn.id)
        let same = Turn(
            parents: turn.parents, kind: turn.kind, instruction: turn.instruction, inputs: turn.inputs,
            output: turn.output, model: turn.model, interaction: turn.interaction, settings: turn.settings,
            cost: turn.cost, author: turn.author, createdAt: turn.createdAt)
        #expect(same.id == turn.id)
    }

    static func pythonCanonical(_ dir: TemporaryDirectory, workspace: String, id: TurnID) async throws
        -> (text: String, sha256: String)
    {
        let shown = try await OmnistoreCLI.check(["show", id.hex, "--json"], in: workspace)
        return try await GraphCanonicalPython.canonical(of: shown.stdoutData, scratch: dir.path)
    }

    @Test("Python's json.dumps(sort_keys, compact) of show --json, with the documented number rule, hashes to the id")
    func python() async throws {
        let (dir, workspace, store, turn) = try Self.richTurn("graph-canonical-python")
        for id in [turn.id, turn.parents[0]] {
            let (text, sha) = try await Self.pythonCanonical(dir, workspace: workspace, id: id)
            #expect(text == (try store.turn(id)).canonicalText)
            #expect(sha == id.hex)
        }
    }

    @Test("numbers that round to an integer at 6 decimals: the turn reads back, and show --json rebuilds to the id")
    func pythonRoundingEdges() async throws {
        let (dir, workspace, store, turn) = try Self.richTurn(
            "graph-canonical-edges",
            settings: [
                "almost_two": .double(2.0000001), "tiny": .double(0.0000004), "neg_tiny": .double(-0.0000001),
                "neg_almost_two": .double(-2.0000001),
            ])
        let stored = try? store.turn(turn.id)
        #expect(stored != nil, "the stored record must hash to its id; canonical text: \(turn.canonicalText)")
        guard let stored else { return }
        #expect(stored.canonicalText == turn.canonicalText)
        let (text, sha) = try await Self.pythonCanonical(dir, workspace: workspace, id: turn.id)
        #expect(text == stored.canonicalText)
        #expect(sha == turn.id.hex)
    }
}
