import Foundation
import OmniStore
import Testing

/// A refused turn record says which field is wrong (issue 12, item 9), and a
/// cost below zero is refused rather than making every total negative.
@Suite struct TurnRecordFields {
    static let output = String(repeating: "ab", count: 32)

    static func record(_ changes: [String: String?]) -> String {
        var fields: [String: String] = [
            "parents": "[]", "kind": "\"record\"", "instruction": "\"first\"", "inputs": "[]",
            "output": "\"\(output)\"", "model": "null", "interaction": "null", "settings": "{}", "cost": "null",
            "author": "\"a <a@b>\"", "created_at": "\"2026-12-02T00:00:00Z\"",
        ]
        for (key, value) in changes { fields[key] = value }
        return "{" + fields.keys.sorted().map { "\"\($0)\":\(fields[$0] ?? "")" }.joined(separator: ",") + "}"
    }

    @Test(
        "each bad field is named in the error",
        arguments: [
            ("output", "\"not-an-id\"", "output must be an asset id"),
            ("output", "12", "output must be a string"),
            ("kind", nil, "kind is missing"),
            ("instruction", "[]", "instruction must be a string"),
            ("author", nil, "author is missing"),
            ("created_at", "false", "created_at must be a string"),
            ("parents", "[\"xyz\"]", "parents must hold turn ids"),
            ("cost", "{\"usd\":-1e15,\"basis\":\"usage_tokens\"}", "cost usd must be a non-negative number"),
            (
                "cost", "{\"usd\":0.5,\"seconds\":-4,\"basis\":\"estimate\"}",
                "cost seconds must be a non-negative number"
            ),
        ] as [(String, String?, String)])
    func fieldIsNamed(_ field: String, _ value: String?, _ message: String) throws {
        let text = Self.record([field: value])
        do {
            _ = try Turn(json: JSONParser.parse(text))
            Issue.record("accepted \(text)")
        } catch let error as StoreError {
            #expect(error.message.contains(message), "\(error.message)")
            #expect(!error.message.contains("are required"))
        }
    }

    @Test("the unchanged record is accepted, so the cases above fail only on their field")
    func validRecordIsAccepted() throws {
        let turn = try Turn(json: JSONParser.parse(Self.record([:])))
        #expect(turn.output.hex == Self.output && turn.kind == "record")
    }
}
