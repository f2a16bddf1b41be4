import Foundation
import TestSupport
import Testing

/// Golden tests of the human listings: `id-prefix(12)  kind  WxH  duration  path`
/// in aligned columns, with every cell computed from sha256sum and ffprobe.
@Suite struct HumanOutput {
    struct Expected {
        let path: String
        let hex: String
        let kind: String
        let size: String
        let duration: String
    }

    static func expected(_ fixture: Fixture, at path: String) async throws -> Expected {
        let report = try await FFprobe.report(path)
        let size = report.primaryVideo.flatMap { v in v.width.flatMap { w in v.height.map { "\(w)x\($0)" } } } ?? "-"
        return Expected(
            path: path, hex: try await SHA256Sum.hash(path), kind: fixture.expectedKind, size: size,
            duration: fixture.expectedKind == "image" ? "-" : humanDuration(report.duration))
    }

    @Test("assets: one aligned line per asset, oldest first, paths relative to the current folder")
    func assets() async throws {
        let ws = try await CLIWorkspace.make("cli-golden-assets")
        let fixtures: [Fixture] = [.oddSize, .png, .mp3, .gifAnimated, .mp3WithCoverArt, .m4a]
        var expected: [Expected] = []
        for fixture in fixtures {
            let path = try await Fixtures.copy(fixture, into: ws.file("clips"))
            expected.append(try await Self.expected(fixture, at: path))
            // One add per file, so that "oldest first" is the order of this loop.
            let added = try await ws.run(["add", "clips/\(fixture.fileName)"])
            #expect(added.succeeded, "\(added)")
        }

        let fromRoot = try await ws.run(["assets"])
        #expect(fromRoot.succeeded, "\(fromRoot)")
        let rows = expected.map {
            [
                String($0.hex.prefix(12)), $0.kind, $0.size, $0.duration,
                "clips/" + ($0.path as NSString).lastPathComponent,
            ]
        }
        #expect(fromRoot.stdoutLines == alignedColumns(rows), "\n\(fromRoot.stdout)")

        // From inside clips/ the paths are relative to it.
        let fromClips = try await ws.run(["assets"], in: "clips")
        let clipRows = expected.map {
            [String($0.hex.prefix(12)), $0.kind, $0.size, $0.duration, ($0.path as NSString).lastPathComponent]
        }
        #expect(fromClips.stdoutLines == alignedColumns(clipRows), "\n\(fromClips.stdout)")

        // From a sibling folder the paths are outside it, so absolute.
        try ws.makeDirectory("other")
        let fromOther = try await ws.run(["assets"], in: "other")
        let absoluteRows = expected.map { [String($0.hex.prefix(12)), $0.kind, $0.size, $0.duration, $0.path] }
        #expect(fromOther.stdoutLines == alignedColumns(absoluteRows), "\n\(fromOther.stdout)")
    }

    @Test("add: a status column, then the asset columns, aligned across the batch")
    func add() async throws {
        let ws = try await CLIWorkspace.make("cli-golden-add")
        let first: [Fixture] = [.mp4H264AAC, .jpeg, .wav]
        var expected: [Expected] = []
        for fixture in first {
            expected.append(try await Self.expected(fixture, at: try await Fixtures.copy(fixture, into: ws.path)))
        }
        let added = try await ws.run(["add"] + first.map(\.fileName))
        #expect(added.succeeded, "\(added)")
        let rows = expected.map {
            [
                "added", String($0.hex.prefix(12)), $0.kind, $0.size, $0.duration,
                ($0.path as NSString).lastPathComponent,
            ]
        }
        #expect(added.stdoutLines == alignedColumns(rows), "\n\(added.stdout)")

        // A mixed batch: one already stored, one new, given by absolute path.
        let flac = try await Self.expected(.flac, at: try await Fixtures.copy(.flac, into: ws.file("more")))
        let mixed = try await ws.run(["add", expected[1].path, flac.path])
        #expect(mixed.succeeded, "\(mixed)")
        let mixedRows = [
            [
                "already stored", String(expected[1].hex.prefix(12)), expected[1].kind, expected[1].size,
                expected[1].duration, expected[1].path,
            ],
            ["added", String(flac.hex.prefix(12)), flac.kind, flac.size, flac.duration, flac.path],
        ]
        #expect(mixed.stdoutLines == alignedColumns(mixedRows), "\n\(mixed.stdout)")
    }
}
