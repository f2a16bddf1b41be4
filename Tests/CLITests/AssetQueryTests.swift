import Foundation
import TestSupport
import Testing

/// `assets` filters (issue 22), against a library of known shapes made with
/// ffmpeg; orientation is checked against ffprobe's own sizes and rotation.
@Suite struct AssetQuery {
    struct Library {
        let ws: CLIWorkspace
        /// Asset id by file name.
        let ids: [String: String]
        func names(_ arguments: [String]) async throws -> [String] {
            let listed = try JSONText.array(
                try await OmnistoreCLI.check(["assets", "--json"] + arguments, in: ws.path).stdout)
            let byID = Dictionary(uniqueKeysWithValues: ids.map { ($0.value, $0.key) })
            return listed.compactMap { ($0 as? [String: Any])?["id"] as? String }.map { byID[$0] ?? $0 }
        }
    }

    static func ffmpeg(_ arguments: [String]) async throws {
        try await Tool.check("ffmpeg", ["-v", "error", "-y", "-nostdin"] + arguments, timeout: 300)
    }

    static func make() async throws -> Library {
        let ws = try await CLIWorkspace.make("asset-query")
        let media = try ws.makeDirectory("media")
        try await ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=360x640:rate=10", "-t", "3", "-c:v", "libx264", "-preset",
            "ultrafast", "-pix_fmt", "yuv420p", media + "/portrait.mp4",
        ])
        try await ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=10", "-t", "12", "-c:v", "libx265", "-preset",
            "ultrafast", "-x265-params", "log-level=error", "-pix_fmt", "yuv420p", "-tag:v", "hvc1",
            media + "/landscape.mp4",
        ])
        try await ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x64", "-frames:v", "1", ws.file("square.png")])
        try await ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240", "-frames:v", "1", ws.file("photo.jpg")])
        _ = try await Fixtures.copy(.movRotated90, into: ws.path, as: "rotated.mov")
        _ = try ws.write(WAV.data(seed: 3, sampleCount: 4000), to: "tone.wav")
        _ = try ws.write(WAV.data(seed: 4, sampleCount: 4000), to: "out.wav")
        let files = ["media/portrait.mp4", "media/landscape.mp4", "square.png", "photo.jpg", "rotated.mov", "tone.wav"]
        let added = try JSONText.array(try await OmnistoreCLI.check(["add", "--json"] + files, in: ws.path).stdout)
        var ids: [String: String] = [:]
        for (file, item) in zip(files, added) {
            ids[(file as NSString).lastPathComponent] =
                ((item as? [String: Any])?["asset"] as? [String: Any])?["id"] as? String
        }
        let turn = try JSONText.object(
            try await OmnistoreCLI.check(
                ["record", "out.wav", "-m", "uses the photo", "--ref", "photo.jpg", "--json"], in: ws.path
            )
            .stdout)
        ids["out.wav"] = turn["output"] as? String
        return Library(ws: ws, ids: ids)
    }

    @Test("the listing's lines, read from columns alone, say what --json's full records say, in the same order")
    func linesMatchRecords() async throws {
        let library = try await Self.make()
        for filters in [[], ["--sort", "width"], ["--kind", "video", "--sort", "duration"]] {
            let records = try JSONText.array(
                try await OmnistoreCLI.check(["assets", "--json"] + filters, in: library.ws.path).stdout
            ).compactMap { $0 as? [String: Any] }
            let lines = try await OmnistoreCLI.check(["assets"] + filters, in: library.ws.path).stdoutLines
            #expect(lines.count == records.count, "\(filters)")
            for (line, record) in zip(lines, records) {
                let columns = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                let id = record["id"] as? String ?? "?"
                #expect(columns.first == String(id.prefix(12)), "\(filters): \(line)")
                #expect(columns.dropFirst().first == record["kind"] as? String, "\(line)")
                let size =
                    (record["display_width"] as? Int).map { "\($0)x\(record["display_height"] as? Int ?? 0)" } ?? "-"
                #expect(columns.dropFirst(2).first == size, "\(line): the display size, rotation applied")
                let path = ((record["paths"] as? [String])?.first).map { ($0 as NSString).lastPathComponent } ?? "-"
                #expect(line.hasSuffix(path), "\(line)")
            }
        }
    }

    @Test("each filter, alone and combined, lists exactly the assets of that shape")
    func filters() async throws {
        let library = try await Self.make()
        func expect(
            _ arguments: [String], _ expected: [String], ordered: Bool = false,
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            let got = try await library.names(arguments)
            if ordered {
                #expect(got == expected, "\(arguments)", sourceLocation: sourceLocation)
            } else {
                #expect(
                    Set(got) == Set(expected) && got.count == expected.count, "\(arguments): \(got)",
                    sourceLocation: sourceLocation)
            }
        }
        // Orientation from ffprobe: the coded size, swapped by a 90° or 270° display rotation.
        var portrait: [String] = []
        var landscape: [String] = []
        var square: [String] = []
        for name in ["portrait.mp4", "landscape.mp4", "square.png", "photo.jpg", "rotated.mov"] {
            let path = name.hasSuffix(".mp4") ? library.ws.file("media/" + name) : library.ws.file(name)
            let video = try #require(try await FFprobe.report(path).streams.first { $0.codecType == "video" })
            var (width, height) = (video.width ?? 0, video.height ?? 0)
            if let rotation = video.rotation, Int(abs(rotation)) % 180 == 90 { (width, height) = (height, width) }
            if height > width {
                portrait.append(name)
            } else if width > height {
                landscape.append(name)
            } else {
                square.append(name)
            }
        }
        #expect(portrait.contains("rotated.mov"), "the fixture is not rotated: \(portrait)")
        try await expect(["--orientation", "portrait"], portrait)
        try await expect(["--orientation", "landscape"], landscape)
        try await expect(["--orientation", "square"], square)

        try await expect(["--duration", "2s..5s"], ["portrait.mp4"])
        try await expect(["--duration", "10s.."], ["landscape.mp4"])
        try await expect(["--codec", "hevc"], ["landscape.mp4"])
        try await expect(["--codec", "h264"], ["portrait.mp4", "rotated.mov"])
        try await expect(["--codec", "png"], ["square.png"])
        try await expect(["--min-width", "300"], ["portrait.mp4", "landscape.mp4", "photo.jpg"])
        try await expect(["--min-height", "500"], ["portrait.mp4"])
        try await expect(["--used"], ["photo.jpg", "out.wav"])
        try await expect(["--unused"], ["portrait.mp4", "landscape.mp4", "square.png", "rotated.mov", "tone.wav"])
        try await expect(["--path", "*.png"], ["square.png"])
        try await expect(["--path", "media/*.mp4"], ["portrait.mp4", "landscape.mp4"])
        try await expect(
            ["--kind", "video", "--sort", "duration"], ["landscape.mp4", "portrait.mp4", "rotated.mov"], ordered: true)
        try await expect(
            ["--kind", "video", "--orientation", "portrait", "--codec", "h264"], ["portrait.mp4", "rotated.mov"])
        try await expect(["--added-since", "7d", "--kind", "audio"], ["tone.wav", "out.wav"])
        try await expect(["--added-since", "2999-01-01"], [])

        // Bad filters: one usage line, exit 64.
        for bad in [
            ["--duration", "10s..3s"], ["--added-since", "soon"], ["--used", "--unused"], ["--orientation", "round"],
        ] {
            let result = try await OmnistoreCLI.run(["assets"] + bad, in: library.ws.path)
            #expect(result.exitCode == 64 && result.stderr.split(separator: "\n").count == 1, "\(bad): \(result)")
        }
    }
}
