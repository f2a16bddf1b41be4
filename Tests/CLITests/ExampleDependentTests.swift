import Foundation
import TestSupport
import Testing

/// `Examples/EditLoop` is a separate package that depends on omnistore by
/// path and uses its products only, as another tool would (issue 21). It is
/// built by `scripts/test` (`swift build --package-path Examples/EditLoop`)
/// and run here end to end against the fake API.
@Suite struct ExampleDependent {
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    static func binary() throws -> String {
        let environment = ProcessInfo.processInfo.environment["OMNISTORE_EXAMPLE_BIN"] ?? ""
        let path =
            environment.isEmpty
            ? root.appendingPathComponent("Examples/EditLoop/.build/debug/omnistore-edit-loop").path : environment
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestSupportError(
                "no example binary at \(path): run 'swift build --package-path Examples/EditLoop' (scripts/test does)")
        }
        return path
    }

    @Test(
        "the example adds, records, branches, edits through the async API, cancels a second edit and writes a thumbnail"
    )
    func editLoop() async throws {
        let binary = try Self.binary()
        // Each status lasts 15 polls, so the second edit is still rendering when it is cancelled.
        let fake = try await FakeAPI(options: ["--polls-per-status", "15"])
        let dir = try TemporaryDirectory("example-edit-loop")
        let clip = try await Fixtures.copy(.mp4H264AAC, into: dir.path, as: "shot.mp4")
        let store = dir.file("campaign")
        let run = try await RunningProcess.run(
            binary, [store, clip], in: dir.path, environment: fake.environment(), timeout: 300)
        #expect(run.succeeded, "\(run)")
        var steps: [String: [String: Any]] = [:]
        for line in run.stdoutLines where line.hasPrefix("{") {
            let step = try JSONText.object(line)
            if let name = step["step"] as? String { steps[name] = step }
        }
        let recorded = try #require(steps["recorded"]?["turn"] as? String, "\(run.stdout)")
        let edited = try #require(steps["edited"], "\(run.stdout)")
        #expect(edited["parent"] as? String == recorded && edited["kind"] as? String == "edit")
        #expect((edited["events"] as? Int ?? 0) >= 3, "\(edited)")
        // The polling lines the README's snippet prints.
        #expect(run.stdoutLines.contains { $0.contains(": in_progress after") }, "\(run.stdout)")

        let second = try #require(steps["second-edit"], "\(run.stdout)")
        #expect(second["outcome"] as? String == "interrupted", "\(second)")
        let interaction = try #require(second["interaction"] as? String)
        #expect(second["started"] as? String == interaction)
        #expect(second["pending"] as? [String] == [interaction], "cancelling the task left it pending: \(second)")
        #expect(steps["cancelled"]?["pending"] as? [String] == [], "\(run.stdout)")

        // The store the example made is one the CLI reads, with both turns and the branch.
        let log = try JSONText.array(try await OmnistoreCLI.check(["log", "--all", "--json"], in: store).stdout)
        let ids = log.compactMap { ($0 as? [String: Any])?["id"] as? String }
        #expect(ids.contains(recorded) && ids.contains(edited["turn"] as? String ?? "-"), "\(ids)")
        let branches = try await OmnistoreCLI.check(["branch"], in: store).stdout
        #expect(branches.contains("director-notes"), "\(branches)")
        let attempts = try await OmnistoreCLI.check(["log", "--attempts"], in: store).stdout
        #expect(attempts.contains(interaction) && attempts.contains("cancelled"), "\(attempts)")

        // The thumbnail is a real PNG of the edited clip's size ratio, per ffprobe.
        let thumbnail = try #require(steps["thumbnail"]?["path"] as? String)
        let probe = try await FFprobe.report(thumbnail)
        let stream = try #require(probe.streams.first)
        #expect(stream.codecName == "png" && stream.width == 160, "\(probe)")
    }

    @Test("the README's library example is the example's own code, line for line")
    func readmeSnippetIsTheExample() throws {
        let source = try String(
            contentsOf: Self.root.appendingPathComponent("Examples/EditLoop/Sources/main.swift"), encoding: .utf8)
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        let begin = try #require(lines.firstIndex { $0.contains("// README:begin") })
        let end = try #require(lines.firstIndex { $0.contains("// README:end") })
        let body = lines[(begin + 1)..<end]
        let indent = body.filter { !$0.isEmpty }.map { $0.prefix { $0 == " " }.count }.min() ?? 0
        let snippet = body.map { $0.isEmpty ? "" : String($0.dropFirst(indent)) }.joined(separator: "\n")
        #expect(snippet.count > 300)
        #expect(
            readme.contains(snippet),
            "README.md lacks the example's code between README:begin and README:end:\n\(snippet)")
    }
}
