import Foundation
import TestSupport
import Testing

@Suite struct JSONOutput {
    static func parseTimestamp(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    @Test("show --json has the documented keys and agrees with ffprobe and sha256sum", arguments: Fixture.allCases)
    func show(_ fixture: Fixture) async throws {
        let ws = try await CLIWorkspace.make("cli-show")
        let path = try await Fixtures.copy(fixture, into: ws.path)
        let hex = try await SHA256Sum.hash(path)
        let oracle = try await FFprobe.report(path)
        let before = Date()
        #expect(try await ws.run(["add", path]).succeeded)
        let after = Date()

        let json = try await ws.show(String(hex.prefix(12)))
        #expect(
            documentedAssetKeys.isSubset(of: Set(json.keys)), "missing: \(documentedAssetKeys.subtracting(json.keys))")
        let streams = try #require(json["streams"] as? [[String: Any]])
        for stream in streams {
            #expect(
                documentedStreamKeys.isSubset(of: Set(stream.keys)),
                "missing: \(documentedStreamKeys.subtracting(stream.keys))")
        }
        #expect(json["id"] as? String == hex)
        #expect(JSONNumbers.int64(json["size"]) == Int64(fileBytes(path)?.count ?? -1))
        #expect(json["kind"] as? String == fixture.expectedKind)
        #expect(fixture.acceptableMimes.contains(json["mime"] as? String ?? "<none>"), "mime \(json["mime"] ?? "nil")")
        #expect(json["paths"] as? [String] == [path])
        let problems = probeMismatches(ProbedMedia(json: json), ffprobe: oracle)
        #expect(problems.isEmpty, "\(fixture): \(problems.joined(separator: "; "))")

        let addedAt = try #require(json["added_at"] as? String)
        let date = try #require(Self.parseTimestamp(addedAt), "added_at \(addedAt) is not RFC 3339")
        #expect(date >= before.addingTimeInterval(-1) && date <= after.addingTimeInterval(1), "added_at \(addedAt)")
    }

    @Test("assets --json lists every asset with the same object show prints")
    func assets() async throws {
        let ws = try await CLIWorkspace.make("cli-assets-json")
        let fixtures: [Fixture] = [.mkvVP9Opus, .jpeg, .flac]
        var paths: [String] = []
        for fixture in fixtures { paths.append(try await Fixtures.copy(fixture, into: ws.path)) }
        let hashes = try await SHA256Sum.hashes(paths)
        #expect(try await ws.run(["add"] + paths).succeeded)

        let listed = try await ws.assetsJSON()
        #expect(Set(listed.compactMap { $0["id"] as? String }) == Set(hashes))
        for item in listed {
            #expect(documentedAssetKeys.isSubset(of: Set(item.keys)))
            let id = try #require(item["id"] as? String)
            let index = try #require(hashes.firstIndex(of: id))
            let problems = probeMismatches(ProbedMedia(json: item), ffprobe: try await FFprobe.report(paths[index]))
            #expect(problems.isEmpty, "\(paths[index]): \(problems)")
            let shown = try await ws.show(id)
            // Compared as canonical JSON text: NSDictionary's isEqual does not see
            // through nested Swift dictionaries reliably.
            func canonical(_ object: [String: Any]) throws -> String {
                String(
                    decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
            }
            #expect(try canonical(shown) == canonical(item), "show and assets differ for \(id)")
        }
    }

    @Test("assets --kind lists only that kind", arguments: ["image", "video", "audio"])
    func assetsByKind(_ kind: String) async throws {
        let ws = try await CLIWorkspace.make("cli-kind")
        let fixtures: [Fixture] = [.mp4H264AAC, .png, .gifStill, .gifAnimated, .wav, .mp3WithCoverArt]
        var paths: [String] = []
        for fixture in fixtures { paths.append(try await Fixtures.copy(fixture, into: ws.path)) }
        let hashes = try await SHA256Sum.hashes(paths)
        #expect(try await ws.run(["add"] + paths).succeeded)
        let expected = Set(zip(fixtures, hashes).filter { $0.0.expectedKind == kind }.map(\.1))

        let json = try await ws.run(["assets", "--kind", kind, "--json"])
        #expect(json.succeeded, "\(json)")
        let items = try #require(try JSONText.parse(json.stdout) as? [[String: Any]])
        #expect(Set(items.compactMap { $0["id"] as? String }) == expected)
        #expect(items.count == expected.count)

        let human = try await ws.run(["assets", "--kind", kind])
        #expect(Set(human.stdoutLines.map { String($0.prefix(12)) }) == Set(expected.map { String($0.prefix(12)) }))
    }

    @Test("an empty store lists an empty JSON array and no human lines")
    func emptyStore() async throws {
        let ws = try await CLIWorkspace.make("cli-empty")
        #expect(try await ws.assetsJSON().isEmpty)
        let human = try await ws.run(["assets"])
        #expect(human.succeeded && human.stdout.isEmpty, "\(human)")
    }

    @Test("probe --json agrees with ffprobe for every fixture, without a store")
    func probe() async throws {
        let dir = try TemporaryDirectory("cli-probe")
        var paths: [String] = []
        for fixture in Fixture.allCases { paths.append(try await Fixtures.path(fixture)) }
        let result = try await OmnistoreCLI.run(["probe", "--json"] + paths, in: dir.path)
        #expect(result.succeeded, "\(result)")
        let items = try #require(try JSONText.parse(result.stdout) as? [[String: Any]])
        #expect(items.count == paths.count)
        for (fixture, item) in zip(Fixture.allCases, items) {
            let path = try await Fixtures.path(fixture)
            #expect(item["path"] as? String == path)
            #expect(item["kind"] as? String == fixture.expectedKind, "kind of \(fixture)")
            #expect(fixture.acceptableMimes.contains(item["mime"] as? String ?? ""), "mime of \(fixture)")
            let problems = probeMismatches(ProbedMedia(json: item), ffprobe: try await FFprobe.report(path))
            #expect(problems.isEmpty, "\(fixture): \(problems.joined(separator: "; "))")
        }
        #expect(!fileExists(dir.file(".omnistore")))
    }

    @Test("probe of a file that is not media: one error line naming it, non-zero exit")
    func probeBad() async throws {
        let dir = try TemporaryDirectory("cli-probe-bad")
        let good = try await Fixtures.path(.wav)
        try dir.write(garbageBytes(count: 4096, seed: 42), to: "noise.mp4")
        let result = try await OmnistoreCLI.run(["probe", "noise.mp4", good], in: dir.path)
        #expect(result.failedCleanly, "\(result)")
        #expect(result.stderrLines.count == 1 && result.stderr.contains("noise.mp4"), "\(result)")
        #expect(result.stdoutLines.count == 1 && result.stdout.contains(good), "\(result)")
    }
}
