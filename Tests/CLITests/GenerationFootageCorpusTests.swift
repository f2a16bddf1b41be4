import Foundation
import TestSupport
import Testing

/// Every shape of the footage corpus, recorded and edited: the request names
/// a documented type and the source's shape, and the fake (which refuses
/// undocumented types and oversize inputs) accepts the real request.
@Suite struct GenerationFootageCorpus {
    static let documented: Set<String> = [
        "video/mp4", "video/mpeg", "video/mpg", "video/mov", "video/avi", "video/x-flv", "video/webm", "video/wmv",
        "video/3gpp",
    ]

    @Test(
        "each corpus clip: edit --dry-run shows a documented type and the source's aspect, and the fake accepts the edit"
    )
    func everyShapeCanBeEdited() async throws {
        let world = try await GenerationWorld.make("gen-corpus")
        var failures: [String] = []
        for clip in FootageClip.allCases {
            let path = try await FootageCorpus.path(clip)
            try await world.check(["record", path, "-m", "corpus \(clip)"])
            let display = try await FootageOracle.displaySize(path)
            let aspect = display.height > display.width ? "9:16" : "16:9"
            let edit = ["edit", "warmer light", "--resolution", "360p", "--duration", "3"]

            let dry = try await world.object(edit + ["--dry-run"])
            let request = dry["request"] as? [String: Any] ?? [:]
            let source = (request["input"] as? [[String: Any]])?.first ?? [:]
            let mime = source["mime_type"] as? String ?? "none"
            if !Self.documented.contains(mime) { failures.append("\(clip): dry run sends \(mime)") }
            let asked = (request["response_format"] as? [String: Any])?["aspect_ratio"] as? String
            if asked != aspect {
                failures.append(
                    "\(clip): asks for \(asked ?? "nothing"), the source displays \(display.width)x\(display.height)")
            }

            let real = try await world.run(edit)
            if !real.succeeded { failures.append("\(clip): the edit failed: \(real.stderr)") }
            let sent = try await world.fake.creates().last?.jsonObject["input"] as? [[String: Any]] ?? []
            if sent.first?["mime_type"] as? String != mime {
                failures.append("\(clip): sent \(sent.first?["mime_type"] ?? "nothing"), not \(mime)")
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}
