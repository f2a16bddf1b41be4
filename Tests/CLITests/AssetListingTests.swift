import Foundation
import TestSupport
import Testing

/// `assets --on BRANCH` and the full records of `assets --json` (issue 22).
@Suite("Asset listing")
struct AssetListingTests {
    static func listed(_ filters: [String], in path: String) async throws -> [String: [String: Any]] {
        let listing = try JSONText.array(try await OmnistoreCLI.check(["assets", "--json"] + filters, in: path).stdout)
        var found: [String: [String: Any]] = [:]
        for case let asset as [String: Any] in listing { found[asset["id"] as? String ?? "?"] = asset }
        return found
    }

    @Test("--on BRANCH lists what the branch's whole history uses; --json carries meta and in_library")
    func onBranchAndRecords() async throws {
        let ws = try await CLIWorkspace.make("asset-listing")
        for (index, name) in ["logo.wav", "still.wav", "clip1.wav", "clip2.wav", "spare.wav"].enumerated() {
            try ws.write(WAV.data(seed: index, sampleCount: 300), to: name)
        }
        try await OmnistoreCLI.check(["add", "spare.wav"], in: ws.path)
        try await OmnistoreCLI.check(["record", "clip1.wav", "--ref", "logo.wav", "-m", "first"], in: ws.path)
        try await OmnistoreCLI.check(["branch", "alt"], in: ws.path)
        try await OmnistoreCLI.check(["checkout", "alt"], in: ws.path)
        try await OmnistoreCLI.check(["record", "clip2.wav", "--ref", "still.wav", "-m", "second"], in: ws.path)
        let all = try await Self.listed([], in: ws.path)
        func id(_ name: String) -> String {
            all.first { (($0.value["paths"] as? [String]) ?? []).contains { $0.hasSuffix("/" + name) } }?.key ?? "?"
        }
        #expect(all.count == 5)
        #expect(Set(try await Self.listed(["--on", "main"], in: ws.path).keys) == [id("logo.wav"), id("clip1.wav")])
        #expect(
            Set(try await Self.listed(["--on", "alt"], in: ws.path).keys)
                == [id("logo.wav"), id("clip1.wav"), id("still.wav"), id("clip2.wav")])
        #expect(
            Set(try await Self.listed(["--on", "alt", "--unused"], in: ws.path).keys).isEmpty,
            "filters combine with AND")
        let missing = try await OmnistoreCLI.run(["assets", "--on", "nope"], in: ws.path)
        #expect(missing.exitCode != 0 && missing.stderr.contains("no branch named 'nope'"), "\(missing)")
        #expect(missing.stdout.isEmpty)

        try await OmnistoreCLI.check(["meta", "spare.wav", "--tag", "b-roll", "--rate", "3"], in: ws.path)
        let records = try await Self.listed([], in: ws.path)
        let spare = try #require(records[id("spare.wav")])
        let meta = try #require(spare["meta"] as? [String: Any])
        #expect(meta["tags"] as? [String] == ["b-roll"] && meta["rating"] as? Int == 3, "\(meta)")
        #expect(spare["in_library"] as? Bool == true)
        // A --ref file joins the library; a recorded clip belongs to its turn.
        #expect(records[id("logo.wav")]?["in_library"] as? Bool == true)
        #expect(records[id("clip1.wav")]?["in_library"] as? Bool == false)
    }
}
