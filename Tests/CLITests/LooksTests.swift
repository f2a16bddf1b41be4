import Foundation
import TestSupport
import Testing

/// `assets --like` and `dupes` (issue 22) over a library of planted
/// near-duplicates among 50 unrelated pictures made by ffmpeg.
@Suite struct LooksCLI {
    /// The library: what each asset was made as, by file name.
    struct Library {
        let ws: CLIWorkspace
        let ids: [String: String]
        var names: [String: String] { Dictionary(uniqueKeysWithValues: ids.map { ($0.value, $0.key) }) }
    }

    static func ffmpeg(_ arguments: [String]) async throws {
        try await Tool.check("ffmpeg", ["-v", "error", "-y", "-nostdin"] + arguments, timeout: 300)
    }

    static func picture(_ source: String, _ path: String) async throws {
        try await ffmpeg(["-f", "lavfi", "-i", source, "-frames:v", "1", path])
    }

    /// ffmpeg sources that look nothing alike: smooth random blobs in many
    /// colours, cellular automata, games of life, fractals and test charts.
    static var unrelated: [(name: String, source: String)] {
        var sources: [(String, String)] = []
        for seed in 1...20 {
            let colour = String(format: "0x%02x%02x%02x", seed * 37 % 256, seed * 91 % 256, seed * 53 % 256)
            sources.append(
                (
                    "blob\(seed).png",
                    "color=c=\(colour):size=16x12,noise=alls=100:allf=u:all_seed=\(seed),scale=640:480:flags=bicubic"
                ))
        }
        for seed in 1...10 {
            sources.append(
                ("cell\(seed).png", "cellauto=size=640x480:rule=\(seed * 17 % 256):seed=\(seed):random_fill_ratio=0.5"))
            sources.append(("life\(seed).png", "life=size=640x480:seed=\(seed):mold=10:ratio=0.3"))
        }
        let zooms = [
            "start_x=-0.743:start_y=-0.1:start_scale=0.02", "start_x=0.3:start_y=0.5:start_scale=0.5",
            "start_x=-1.25:start_y=0.02:start_scale=0.05", "start_x=-0.1:start_y=0.9:start_scale=0.2",
            "start_x=-1.78:start_y=0:start_scale=0.01",
        ]
        for (index, zoom) in zooms.enumerated() {
            sources.append(("mandelbrot\(index + 1).png", "mandelbrot=size=640x480:\(zoom)"))
        }
        // sierpinski's first frame is the same whatever the seed: one of each type.
        sources.append(("carpet.png", "sierpinski=size=640x480:type=carpet"))
        sources.append(("triangle.png", "sierpinski=size=640x480:type=triangle"))
        sources.append(("gradient.png", "gradients=size=640x480:seed=5"))
        sources.append(("bars.png", "smptebars=size=640x480"))
        sources.append(("rgb.png", "rgbtestsrc=size=640x480"))
        return sources
    }

    /// The planted sets: a photograph-like picture with a JPEG at the lowest
    /// quality and a 90% resize; a game of life with a JPEG of it.
    static let planted: [[String]] = [["photo.png", "photo-q31.jpg", "photo-90.png"], ["pattern.png", "pattern.jpg"]]

    static func make() async throws -> Library {
        let ws = try await CLIWorkspace.make("looks")
        try await picture("mandelbrot=size=640x480", ws.file("photo.png"))
        try await ffmpeg(["-i", ws.file("photo.png"), "-q:v", "31", ws.file("photo-q31.jpg")])
        try await ffmpeg(["-i", ws.file("photo.png"), "-vf", "scale=576:432", ws.file("photo-90.png")])
        try await picture("life=size=640x480:seed=99:mold=10:ratio=0.3", ws.file("pattern.png"))
        try await ffmpeg(["-i", ws.file("pattern.png"), "-q:v", "20", ws.file("pattern.jpg")])
        for (name, source) in unrelated { try await picture(source, ws.file(name)) }
        let files = planted.flatMap { $0 } + unrelated.map(\.name)
        let added = try JSONText.array(try await OmnistoreCLI.check(["add", "--json"] + files, in: ws.path).stdout)
        var ids: [String: String] = [:]
        for (file, item) in zip(files, added) {
            ids[file] = ((item as? [String: Any])?["asset"] as? [String: Any])?["id"] as? String
        }
        #expect(ids.count == 55)
        return Library(ws: ws, ids: ids)
    }

    /// `assets --like … --json`, as (file name, distance), in the order listed.
    static func like(_ library: Library, _ arguments: [String]) async throws -> [(String, Int)] {
        let listed = try JSONText.array(
            try await OmnistoreCLI.check(["assets", "--json", "--like"] + arguments, in: library.ws.path).stdout)
        let names = library.names
        return listed.compactMap { item in
            guard let item = item as? [String: Any], let id = item["id"] as? String,
                let distance = item["distance"] as? Int
            else { return nil }
            return (names[id] ?? id, distance)
        }
    }

    /// `dupes --json`, as sets of file names, and how many assets were searched.
    static func dupes(_ library: Library, _ arguments: [String] = []) async throws -> (sets: [[String]], searched: Int)
    {
        let report = try JSONText.object(
            try await OmnistoreCLI.check(["dupes", "--json"] + arguments, in: library.ws.path).stdout)
        let names = library.names
        let sets = (report["sets"] as? [[String: Any]] ?? []).map { set in
            (set["assets"] as? [[String: Any]] ?? []).compactMap { ($0["id"] as? String).map { names[$0] ?? $0 } }
        }
        return (sets, report["searched"] as? Int ?? -1)
    }

    @Test("--like ranks a JPEG at q=31 and a 90% resize nearest, ahead of 50 unrelated pictures")
    func likeRanksNearCopiesFirst() async throws {
        let library = try await Self.make()
        // By asset id: itself is left out; every other asset is listed at distance 256.
        let all = try await Self.like(library, [try #require(library.ids["photo.png"]), "--distance", "256"])
        let names = all.map(\.0)
        #expect(!names.contains("photo.png"), "\(all)")
        #expect(Set(names.prefix(2)) == ["photo-q31.jpg", "photo-90.png"], "\(all)")
        let planted = all.prefix(2).map(\.1)
        let nearestUnrelated = try #require(all.dropFirst(2).first?.1)
        #expect(planted.allSatisfy { $0 <= 31 } && nearestUnrelated > 31, "\(all)")
        #expect(all.map(\.1) == all.map(\.1).sorted(), "not nearest first: \(all)")

        // By path, at the default distance: exactly the planted copies, the
        // stored original (distance 0) among them.
        let close = try await Self.like(library, [library.ws.file("photo.png")])
        #expect(close.first.map { $0 == ("photo.png", 0) } == true, "\(close)")
        #expect(Set(close.map(\.0)) == Set(Self.planted[0]), "\(close)")

        // Human output: one line per match, the distance first.
        let text = try await OmnistoreCLI.check(["assets", "--like", "photo-90.png"], in: library.ws.path)
        #expect(text.stdoutLines.count == 3, "\(text.stdout)")
        #expect(text.stdoutLines.first?.hasPrefix("0 ") == true, "\(text.stdout)")

        // The filters still apply: no JPEG is a PNG.
        let jpegs = try await Self.like(library, ["photo.png", "--path", "*.jpg"])
        #expect(jpegs.map(\.0) == ["photo-q31.jpg"], "\(jpegs)")
    }

    @Test("dupes finds exactly the planted sets, then searches only what was added since")
    func dupesFindsPlantedSets() async throws {
        let library = try await Self.make()
        let first = try await Self.dupes(library)
        #expect(first.searched == 55)
        #expect(first.sets.map(Set.init) == Self.planted.map(Set.init), "\(first.sets)")

        let again = try await Self.dupes(library)
        #expect(again.searched == 0 && again.sets.map(Set.init) == Self.planted.map(Set.init))

        // One more copy: only it is searched, and it joins its set.
        try await Self.ffmpeg(["-i", library.ws.file("pattern.png"), "-vf", "scale=600:450", library.ws.file("p2.png")])
        let added = try JSONText.array(
            try await OmnistoreCLI.check(["add", "--json", "p2.png"], in: library.ws.path).stdout)
        let id = try #require(((added.first as? [String: Any])?["asset"] as? [String: Any])?["id"] as? String)
        let grown = try await Self.dupes(library)
        #expect(grown.searched == 1)
        #expect(grown.sets.map(Set.init) == [Set(Self.planted[0]), Set(Self.planted[1] + [id])], "\(grown.sets)")

        // A wider search searches everything again; an exact one finds only the resize of the PNG.
        let wider = try await Self.dupes(library, ["--distance", "40"])
        #expect(wider.searched == 56)
        let exact = try await Self.dupes(library, ["--distance", "0"])
        #expect(exact.searched == 0)
        #expect(exact.sets.allSatisfy { $0.count >= 2 }, "\(exact.sets)")
        #expect(exact.sets.flatMap { $0 }.allSatisfy { !$0.hasPrefix("blob") && !$0.hasPrefix("cell") })

        let human = try await OmnistoreCLI.check(["dupes"], in: library.ws.path)
        #expect(human.stdoutLines.first == "2 sets of near-duplicates within distance 31", "\(human.stdout)")
    }

    @Test(
        "a clip and its re-encode at a low bitrate (other keyframes, other size) match; another clip, or a cut of half, does not"
    )
    func clips() async throws {
        let ws = try await CLIWorkspace.make("looks-video")
        try await Self.ffmpeg([
            "-f", "lavfi", "-i", "mandelbrot=size=320x240:rate=10", "-t", "6", "-c:v", "libx264", "-preset",
            "ultrafast", "-g", "10", "-pix_fmt", "yuv420p", ws.file("clip.mp4"),
        ])
        try await Self.ffmpeg([
            "-i", ws.file("clip.mp4"), "-c:v", "libx264", "-b:v", "60k", "-vf", "scale=240:180",
            ws.file("clip-low.mp4"),
        ])
        try await Self.ffmpeg(["-i", ws.file("clip.mp4"), "-t", "3", ws.file("clip-half.mp4")])
        try await Self.ffmpeg([
            "-f", "lavfi", "-i", "life=size=320x240:rate=10:seed=5:mold=10:ratio=0.3", "-t", "6", "-c:v", "libx264",
            "-preset", "ultrafast", "-pix_fmt", "yuv420p", ws.file("other.mp4"),
        ])
        try await OmnistoreCLI.check(["add", "clip.mp4", "clip-low.mp4", "clip-half.mp4", "other.mp4"], in: ws.path)
        let library = Library(
            ws: ws,
            ids: Dictionary(
                uniqueKeysWithValues: try await OmnistoreCLI.assetsJSON(in: ws.path).compactMap { item in
                    guard let id = item["id"] as? String, let path = (item["paths"] as? [String])?.first else {
                        return nil
                    }
                    return ((path as NSString).lastPathComponent, id)
                }))
        let like = try await Self.like(library, ["clip.mp4"])
        #expect(Set(like.map(\.0)) == ["clip.mp4", "clip-low.mp4"], "\(like)")
        let dupes = try await Self.dupes(library)
        #expect(dupes.sets.map(Set.init) == [["clip.mp4", "clip-low.mp4"]], "\(dupes.sets)")
        // The looks are a cache: a rebuilt index starts without them and makes them again.
        try await OmnistoreCLI.check(["fsck", "--rebuild-index"], in: ws.path)
        let rebuilt = try await Self.dupes(library)
        #expect(rebuilt.searched == 4 && rebuilt.sets.map(Set.init) == dupes.sets.map(Set.init), "\(rebuilt)")
        // Even at the widest distance, the half-length cut fails the duration gate.
        let wide = try await Self.like(library, ["clip.mp4", "--distance", "256"])
        #expect(!wide.map(\.0).contains("clip-half.mp4"), "\(wide)")
        #expect(wide.first { $0.0 == "other.mp4" }.map { $0.1 > 31 } == true, "\(wide)")
    }

    @Test("--distance needs --like and a value of 0 to 256; --like of audio says to give a picture")
    func validation() async throws {
        let ws = try await CLIWorkspace.make("looks-usage")
        let lone = try await OmnistoreCLI.run(["assets", "--distance", "8"], in: ws.path)
        #expect(lone.exitCode == 64 && lone.stderr.contains("--distance needs --like"), "\(lone)")
        let far = try await OmnistoreCLI.run(["dupes", "--distance", "300"], in: ws.path)
        #expect(far.exitCode == 64, "\(far)")
        _ = try ws.write(WAV.data(seed: 1, sampleCount: 4000), to: "tone.wav")
        let tone = try await OmnistoreCLI.run(["assets", "--like", "tone.wav"], in: ws.path)
        #expect(tone.exitCode == 1 && tone.stderr.contains("image or a video"), "\(tone)")
    }
}
