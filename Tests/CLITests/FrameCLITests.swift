import Foundation
import TestSupport
import Testing

/// A workspace holding frame clips, added with `omnistore add`.
private struct FrameWorkspace {
    let ws: CLIWorkspace

    static func make(_ label: String) async throws -> FrameWorkspace {
        FrameWorkspace(ws: try await CLIWorkspace.make(label))
    }

    /// Adds a copy of `source` and returns its asset id.
    func add(_ source: String, as name: String) async throws -> String {
        let path = ws.file(name)
        try FileManager.default.copyItem(atPath: source, toPath: path)
        let result = try await ws.run(["add", path, "--json"])
        guard result.succeeded, let id = try FrameWorkspace.addedID(result.stdout) else {
            throw TestSupportError("add failed:\n\(result)")
        }
        return id
    }

    /// The asset id in `add --json`'s output.
    static func addedID(_ stdout: String) throws -> String? {
        guard let first = (try JSONText.parse(stdout) as? [[String: Any]])?.first else { return nil }
        return (first["asset"] as? [String: Any])?["id"] as? String ?? first["id"] as? String
    }

    func run(_ arguments: [String]) async throws -> ProcessResult { try await ws.run(arguments) }

    func json(_ arguments: [String]) async throws -> [String: Any] {
        let result = try await ws.run(arguments + ["--json"])
        guard result.succeeded else { throw TestSupportError("omnistore failed:\n\(result)") }
        return try JSONText.object(result.stdout)
    }

    /// A written PNG or JPEG, decoded by ffmpeg.
    func picture(_ name: String) async throws -> FrameRGB { try await FFmpegFrames.picture(ws.file(name)) }

    /// Every file under the thumbnail cache, relative to it.
    var cacheFiles: [String] { listTree(ws.file(".omnistore/cache")) }
}

/// The one-line error contract: exit non-zero, one stderr line starting `error:`.
private func expectOneLineError(_ result: ProcessResult, mentioning text: String? = nil) {
    #expect(result.failedCleanly, "\(result)")
    #expect(result.stderrLines.count == 1 && result.stderr.hasPrefix("error: "), "\(result)")
    if let text { #expect(result.stderr.contains(text), "\(result)") }
}

@Suite struct ThumbnailCommandTests {
    @Test("thumbnail --at T writes ffmpeg's frame at T, and a repeat is served from the cache")
    func exactAndCached() async throws {
        let fw = try await FrameWorkspace.make("cli-thumb")
        let clip = try await FrameFixtures.path(.gop48)
        let id = try await fw.add(clip, as: "clip.mp4")
        let first = try await fw.json([
            "thumbnail", String(id.prefix(8)), "--at", "2.5", "--width", "160", "-o", "t.png",
        ])
        let item = try #require((first["thumbnails"] as? [[String: Any]])?.first)
        #expect(first["asset"] as? String == id)
        #expect(item["cached"] as? Bool == false)
        #expect(item["width"] as? Int == 160 && item["height"] as? Int == 120)
        #expect(item["path"] as? String == "t.png" && item["format"] as? String == "png")
        let ours = try await fw.picture("t.png")
        let oracle = try await FFmpegFrames.frame(
            clip, at: 2.5, filters: "scale=160:-1:flags=bicubic", width: 160, height: 120)
        #expect(try #require(ours.psnr(against: oracle)) >= 40)
        let neighbour = try await FFmpegFrames.frame(
            clip, at: 2.55, filters: "scale=160:-1:flags=bicubic", width: 160, height: 120)
        #expect(try #require(ours.psnr(against: neighbour)) < 36)

        let cached = try #require(
            try await fw.json(["thumbnail", id, "--at", "2.5", "--width", "160", "-o", "again.png"])["thumbnails"]
                as? [[String: Any]])
        #expect(cached.first?["cached"] as? Bool == true)
        #expect(fileBytes(fw.ws.file("again.png")) == fileBytes(fw.ws.file("t.png")))
        let entries = fw.cacheFiles.filter { $0.hasSuffix(".png") }
        #expect(entries.count == 1 && entries[0].hasPrefix("thumbnails/"), "\(fw.cacheFiles)")
        #expect(!fw.cacheFiles.contains { $0.contains(".omnistore-") }, "a temp file was left: \(fw.cacheFiles)")
    }

    @Test("a damaged cache entry is decoded again, not served")
    func damagedCache() async throws {
        let fw = try await FrameWorkspace.make("cli-thumb-cache")
        let id = try await fw.add(try await FrameFixtures.path(.gop48), as: "clip.mp4")
        #expect(try await fw.run(["thumbnail", id, "--at", "1", "-o", "a.png"]).succeeded)
        let entry = try #require(fw.cacheFiles.first { $0.hasSuffix(".png") })
        let path = fw.ws.file(".omnistore/cache/" + entry)
        let bytes = try #require(fileBytes(path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        let again = try await fw.json(["thumbnail", id, "--at", "1", "-o", "b.png"])
        #expect((again["thumbnails"] as? [[String: Any]])?.first?["cached"] as? Bool == false)
        #expect(fileBytes(fw.ws.file("b.png")) == fileBytes(fw.ws.file("a.png")))
    }

    @Test("non-square pixels keep ffmpeg's coded size, and a picture cached before that change is not served")
    func anamorphicAndStaleCache() async throws {
        let fw = try await FrameWorkspace.make("cli-thumb-sar")
        let clip = try await FrameFixtures.path(.anamorphic)
        let id = try await fw.add(clip, as: "sar.mp4")
        // What an older omnistore cached: the picture stretched by its 2:1 pixels.
        let stale = fw.ws.file(".omnistore/cache/thumbnails/v1/\(id.prefix(2))/\(id.dropFirst(2))/1000000us-w160.png")
        try FileManager.default.createDirectory(
            atPath: (stale as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try await Tool.check(
            "ffmpeg",
            ["-v", "error", "-nostdin", "-y", "-ss", "1", "-i", clip, "-frames:v", "1", "-vf", "scale=160:80", stale])
        let json = try await fw.json(["thumbnail", id, "--at", "1", "--width", "160", "-o", "t.png"])
        let item = try #require((json["thumbnails"] as? [[String: Any]])?.first)
        #expect(item["cached"] as? Bool == false)
        #expect(item["width"] as? Int == 160 && item["height"] as? Int == 160, "\(item)")
        let oracle = try await FFmpegFrames.frame(
            clip, at: 1, filters: "scale=160:-1:flags=bicubic", width: 160, height: 160)
        #expect(try #require(try await fw.picture("t.png").psnr(against: oracle)) >= 40)
    }

    @Test("TIME takes seconds, a clock time or a share of the duration")
    func timeForms() async throws {
        let fw = try await FrameWorkspace.make("cli-thumb-times")
        let id = try await fw.add(try await FrameFixtures.path(.gop48), as: "clip.mp4")
        for (time, name) in [("3", "a.png"), ("00:00:03", "b.png"), ("50%", "c.png"), ("0:03.0", "d.png")] {
            let result = try await fw.run(["thumbnail", id, "--at", time, "-o", name])
            #expect(result.succeeded, "\(result)")
        }
        let reference = fileBytes(fw.ws.file("a.png"))
        for name in ["b.png", "c.png", "d.png"] { #expect(fileBytes(fw.ws.file(name)) == reference, "\(name)") }
    }

    @Test("the default is one 320-wide PNG at 10%, named after the asset")
    func defaults() async throws {
        let fw = try await FrameWorkspace.make("cli-thumb-default")
        let clip = try await FrameFixtures.path(.gop48)
        let id = try await fw.add(clip, as: "clip.mp4")
        let result = try await fw.run(["thumbnail", id])
        #expect(result.succeeded, "\(result)")
        let name = "\(id.prefix(12)).png"
        #expect(result.stdout.hasPrefix(name), "\(result)")
        let ours = try await fw.picture(name)
        #expect(ours.width == 320 && ours.height == 240)
        let oracle = try await FFmpegFrames.frame(
            clip, at: 0.6, filters: "scale=320:-1:flags=bicubic", width: 320, height: 240)
        #expect(try #require(ours.psnr(against: oracle)) >= 40)
    }

    @Test("--count N writes N evenly spaced frames as OUT-001…, in order")
    func count() async throws {
        let fw = try await FrameWorkspace.make("cli-thumb-count")
        let clip = try await FrameFixtures.path(.gop48)
        let id = try await fw.add(clip, as: "clip.mp4")
        try fw.ws.makeDirectory("shots")
        let result = try await fw.json(["thumbnail", id, "--count", "3", "--width", "80", "-o", "shots/t.png"])
        let items = try #require(result["thumbnails"] as? [[String: Any]])
        #expect(items.map { $0["path"] as? String } == ["shots/t-001.png", "shots/t-002.png", "shots/t-003.png"])
        #expect(items.map { $0["time"] as? Double } == [1, 3, 5])
        for (index, seconds) in [1.0, 3.0, 5.0].enumerated() {
            let ours = try await fw.picture("shots/t-00\(index + 1).png")
            let oracle = try await FFmpegFrames.frame(
                clip, at: seconds, filters: "scale=80:-1:flags=bicubic", width: 80, height: 60)
            #expect(try #require(ours.psnr(against: oracle)) >= 40)
        }
    }

    @Test("--format jpg (or a .jpg name) writes a JPEG")
    func jpeg() async throws {
        let fw = try await FrameWorkspace.make("cli-thumb-jpeg")
        let id = try await fw.add(try await FrameFixtures.path(.gop48), as: "clip.mp4")
        #expect(try await fw.run(["thumbnail", id, "-o", "a.jpg"]).succeeded)
        #expect(try await fw.run(["thumbnail", id, "--format", "jpg", "-o", "b.out"]).succeeded)
        for name in ["a.jpg", "b.out"] {
            let bytes = try #require(fileBytes(fw.ws.file(name)))
            #expect(bytes.prefix(2) == Data([0xFF, 0xD8]), "\(name) is not a JPEG")
        }
    }

    @Test("a revision's output clip works like its asset")
    func revision() async throws {
        let fw = try await FrameWorkspace.make("cli-thumb-rev")
        let clip = try await FrameFixtures.path(.gop48)
        try FileManager.default.copyItem(atPath: clip, toPath: fw.ws.file("clip.mp4"))
        #expect(try await fw.run(["record", "clip.mp4", "-m", "first"]).succeeded)
        let result = try await fw.run(["thumbnail", "HEAD", "--at", "1", "-o", "head.png"])
        #expect(result.succeeded, "\(result)")
        let ours = try await fw.picture("head.png")
        let oracle = try await FFmpegFrames.frame(
            clip, at: 1, filters: "scale=320:-1:flags=bicubic", width: 320, height: 240)
        #expect(try #require(ours.psnr(against: oracle)) >= 40)
    }

    @Test("still images are thumbnailed too", arguments: [Fixture.png, .jpeg])
    func still(_ fixture: Fixture) async throws {
        let fw = try await FrameWorkspace.make("cli-thumb-still")
        let id = try await fw.add(try await Fixtures.path(fixture), as: fixture.fileName)
        let result = try await fw.json(["thumbnail", id, "--width", "32", "-o", "s.png"])
        #expect((result["thumbnails"] as? [[String: Any]])?.first?["width"] as? Int == 32)
    }

    @Test("a time past the end is a one-line error that gives the duration")
    func pastTheEnd() async throws {
        let fw = try await FrameWorkspace.make("cli-thumb-end")
        let id = try await fw.add(try await FrameFixtures.path(.gop48), as: "clip.mp4")
        expectOneLineError(try await fw.run(["thumbnail", id, "--at", "9", "-o", "x.png"]), mentioning: "duration 6")
        #expect(!fileExists(fw.ws.file("x.png")))
    }

    @Test(
        "bad arguments are usage errors",
        arguments: [
            ["--at", "soon"], ["--at", "120%"], ["--count", "0"], ["--width", "0"], ["--format", "gif"],
            ["--at", "1", "--count", "2"],
        ])
    func usage(_ arguments: [String]) async throws {
        let fw = try await FrameWorkspace.make("cli-thumb-usage")
        let id = try await fw.add(try await FrameFixtures.path(.gop48), as: "clip.mp4")
        let result = try await fw.run(["thumbnail", id] + arguments)
        #expect(result.exitCode == 64 && !result.signaled, "\(result)")
    }

    @Test("an output taller than the size limit is refused with a one-line error")
    func tooLarge() async throws {
        let fw = try await FrameWorkspace.make("cli-thumb-large")
        let id = try await fw.add(try await FrameFixtures.path(.rotated), as: "phone.mov")
        expectOneLineError(
            try await fw.run(["thumbnail", id, "--width", "16000", "-o", "big.png"]), mentioning: "limit")
    }

    @Test("audio has no pictures: a one-line error")
    func audio() async throws {
        let fw = try await FrameWorkspace.make("cli-thumb-audio")
        let id = try await fw.add(try await Fixtures.path(.wav), as: "tone.wav")
        expectOneLineError(try await fw.run(["thumbnail", id]), mentioning: "audio")
    }

    @Test("a truncated or damaged clip gives its frames or a one-line error, never a crash or a hang")
    func damaged() async throws {
        let fw = try await FrameWorkspace.make("cli-thumb-damaged")
        let clip = try await FrameFixtures.path(.faststart)
        let cut = try FrameFixtures.truncatedCopy(of: clip, fraction: 0.4, into: fw.ws.dir.path, as: "cut-src.mp4")
        let bad = try FrameFixtures.corruptedCopy(of: clip, from: 0.2, to: 0.7, into: fw.ws.dir.path, as: "bad-src.mp4")
        var checked = 0
        for (source, name) in [(cut, "cut.mp4"), (bad, "bad.mp4")] {
            try FileManager.default.copyItem(atPath: source, toPath: fw.ws.file(name))
            let added = try await fw.run(["add", name, "--json"])
            // A clip refused at add has no frames to check.
            guard added.succeeded, let id = try FrameWorkspace.addedID(added.stdout) else { continue }
            checked += 1
            for time in ["0.5", "3", "5.9"] {
                let result = try await fw.run(["thumbnail", id, "--at", time, "-o", "\(name)-\(time).png"])
                #expect(!result.signaled && !result.timedOut, "\(result)")
                if !result.succeeded { expectOneLineError(result) }
            }
            let sheet = try await fw.run(["sheet", id, "-o", "\(name)-sheet.png"])
            #expect(!sheet.signaled && !sheet.timedOut, "\(sheet)")
            if !sheet.succeeded { expectOneLineError(sheet) }
        }
        #expect(checked == 2, "both damaged clips should still be stored (their headers are intact)")
    }
}

@Suite struct SheetCommandTests {
    @Test("sheet writes a grid of frames in order, from keyframes or exact frames")
    func sheet() async throws {
        let fw = try await FrameWorkspace.make("cli-sheet")
        let id = try await fw.add(try await FrameFixtures.path(.gop48), as: "clip.mp4")
        let json = try await fw.json(["sheet", id, "--grid", "5x2", "--width", "64", "-o", "s.png"])
        #expect(json["width"] as? Int == 320 && json["height"] as? Int == 96)
        #expect(json["columns"] as? Int == 5 && json["rows"] as? Int == 2 && json["exact"] as? Bool == false)
        let times = (json["times"] as? [Double]) ?? []
        #expect(times.count == 10 && times == times.sorted())
        let picture = try await fw.picture("s.png")
        #expect(picture.width == 320 && picture.height == 96)

        let exact = try await fw.json(["sheet", id, "--grid", "3x1", "--width", "80", "--exact", "-o", "e.jpg"])
        #expect(exact["exact"] as? Bool == true)
        let exactTimes = (exact["times"] as? [Double]) ?? []
        #expect(exactTimes.count == 3 && zip(exactTimes, [1.0, 3.0, 5.0]).allSatisfy { abs($0 - $1) < 0.05 })
        #expect(try #require(fileBytes(fw.ws.file("e.jpg"))).prefix(2) == Data([0xFF, 0xD8]))
    }

    @Test("a sheet never leaves a cell black in silence: cells past a cut show the nearest frame, and say so")
    func substitutes() async throws {
        let fw = try await FrameWorkspace.make("cli-sheet-cut")
        let clip = try await FrameFixtures.path(.faststart)
        let cut = try FrameFixtures.truncatedCopy(of: clip, fraction: 0.5, into: fw.ws.dir.path, as: "cut-src.mp4")
        let id = try await fw.add(cut, as: "cut.mp4")
        let json = try await fw.json(["sheet", id, "--width", "64", "-o", "s.png"])
        let times = (json["times"] as? [Double]) ?? []
        #expect(times.count == 10, "\(json)")
        let substitutes = try #require(json["substitutes"] as? [[String: Any]])
        #expect(substitutes.count >= 4, "\(substitutes)")
        for substitute in substitutes {
            let shown = try #require(substitute["shown"] as? Double)
            let time = try #require(substitute["time"] as? Double)
            #expect(shown < time && substitute["cell"] is Int && substitute["reason"] is String, "\(substitute)")
        }
        let human = try await fw.run(["sheet", id, "--width", "64", "-o", "h.png"])
        #expect(human.succeeded, "\(human)")
        #expect(human.stdoutLines.first?.contains("could not be decoded and show the nearest frame that could") == true)
        #expect(human.stdoutLines.count == 1 + substitutes.count, "\(human)")
    }

    @Test("a still image's sheet is the image itself")
    func still() async throws {
        let fw = try await FrameWorkspace.make("cli-sheet-still")
        let id = try await fw.add(try await Fixtures.path(.png), as: "still.png")
        let json = try await fw.json(["sheet", id, "--width", "32", "-o", "s.png"])
        #expect(json["columns"] as? Int == 1 && json["rows"] as? Int == 1 && json["width"] as? Int == 32)
    }

    @Test("a bad grid is a usage error", arguments: ["5", "0x2", "axb", "5x2x1"])
    func badGrid(_ grid: String) async throws {
        let fw = try await FrameWorkspace.make("cli-sheet-usage")
        let id = try await fw.add(try await FrameFixtures.path(.gop48), as: "clip.mp4")
        let result = try await fw.run(["sheet", id, "--grid", grid, "-o", "s.png"])
        #expect(result.exitCode == 64, "\(result)")
    }
}

@Suite struct VisualDiffCommandTests {
    @Test("diff --visual adds luma SSIM/PSNR (as ffmpeg computes them) and the most changed moments to the graph diff")
    func visual() async throws {
        let fw = try await FrameWorkspace.make("cli-diff-visual")
        let a = try await FrameFixtures.path(.gop48)
        let b = try await FrameFixtures.path(.graded)
        try FileManager.default.copyItem(atPath: a, toPath: fw.ws.file("a.mp4"))
        try FileManager.default.copyItem(atPath: b, toPath: fw.ws.file("b.mp4"))
        #expect(try await fw.run(["record", "a.mp4", "-m", "first"]).succeeded)
        #expect(try await fw.run(["record", "b.mp4", "-m", "graded"]).succeeded)
        let json = try await fw.json(["diff", "HEAD~1", "HEAD", "--visual", "--frames", "moments.png"])
        #expect(json["merge_base"] != nil && json["media"] != nil, "the graph diff is still there")
        let visual = try #require(json["visual"] as? [String: Any])
        let oracle = try await FFmpegFrames.lumaMetrics(a, b)
        let ssim = try #require((visual["ssim"] as? [String: Any])?["mean"] as? Double)
        let psnr = try #require((visual["psnr"] as? [String: Any])?["mean"] as? Double)
        #expect(abs(ssim - oracle.ssim) < 0.005, "SSIM \(ssim) vs ffmpeg \(oracle.ssim)")
        #expect(abs(psnr - oracle.psnr) < 0.5, "PSNR \(psnr) vs ffmpeg \(oracle.psnr)")
        #expect(visual["frames"] as? Int == 144)
        #expect(visual["aligned_by"] as? String == "timestamp")
        let moments = try #require(visual["moments"] as? [[String: Any]])
        #expect(moments.count == 3)
        #expect(moments.allSatisfy { ($0["time"] as? Double).map { $0 >= 0 && $0 < 6 } ?? false })
        #expect(visual["picture"] as? String == "moments.png")
        let picture = try await fw.picture("moments.png")
        // Two rows of 240 plus three 26-pixel strips of text: A's label, B's label, the captions.
        #expect(picture.width == 3 * 320 && picture.height == 2 * 240 + 3 * 26)

        let text = try await fw.run(["diff", "HEAD~1", "HEAD", "--visual"])
        #expect(text.succeeded, "\(text)")
        #expect(
            text.stdout.contains("merge base:") && text.stdout.contains("SSIM (Y)")
                && text.stdout.contains("most changed:"))
    }

    @Test(
        "diff --visual of a rotated phone clip against its upright re-encode: turned as ffmpeg turns it, frames upright"
    )
    func rotated() async throws {
        let fw = try await FrameWorkspace.make("cli-diff-rotated")
        let source = try await FootageCorpus.path(.hevcRotate90)
        let upright = fw.ws.file("upright-src.mp4")
        try await Tool.check(
            "ffmpeg",
            [
                "-v", "error", "-nostdin", "-y", "-i", source, "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf",
                "12", "-pix_fmt", "yuv420p", upright,
            ], timeout: 300)
        let a = try await fw.add(source, as: "phone.mov")
        let b = try await fw.add(upright, as: "upright.mp4")
        let json = try await fw.json(["diff", a, b, "--visual", "--frames", "moments.png"])
        let visual = try #require(json["visual"] as? [String: Any])
        let ssim = try #require((visual["ssim"] as? [String: Any])?["mean"] as? Double)
        let oracle = try await FFmpegFrames.lumaMetrics(source, upright)
        #expect(ssim >= oracle.ssim - 0.01, "SSIM \(ssim), ffmpeg \(oracle.ssim)")
        let clipA = try #require(visual["a"] as? [String: Any])
        #expect(clipA["width"] as? Int == 240 && clipA["height"] as? Int == 320, "\(clipA)")
        // Upright 320-wide tiles: 427 pixels tall, plus three 26-pixel strips of text.
        let picture = try await fw.picture("moments.png")
        #expect(picture.height == 2 * 427 + 3 * 26, "\(picture.width)x\(picture.height)")
    }

    @Test("diff --visual of an MP4 whose audio starts first and its stream-copied TS: 100 pairs, SSIM 1")
    func audioFirst() async throws {
        let fw = try await FrameWorkspace.make("cli-diff-audio-first")
        let a = try await fw.add(try await FootageCorpus.path(.audioFirst), as: "a.mp4")
        let b = try await fw.add(try await FootageCorpus.path(.audioFirstTS), as: "a.ts")
        let visual = try #require(try await fw.json(["diff", a, b, "--visual"])["visual"] as? [String: Any])
        #expect(visual["frames"] as? Int == 100)
        #expect((visual["ssim"] as? [String: Any])?["min"] as? Double == 1, "\(visual)")
        let start = try #require((visual["a"] as? [String: Any])?["video_start"] as? Double)
        #expect(abs(start - 0.48) < 0.01)
        let text = try await fw.run(["diff", a, b, "--visual"])
        #expect(
            text.stdout.contains("100 frame pairs compared") && text.stdout.contains("no changed moment"), "\(text)")
    }

    @Test("diff --visual takes asset ids, and says how clips of other rates and lengths were aligned")
    func assetsAndAlignment() async throws {
        let fw = try await FrameWorkspace.make("cli-diff-assets")
        let a = try await fw.add(try await FrameFixtures.path(.gop48), as: "a.mp4")
        let b = try await fw.add(try await FrameFixtures.path(.otherRate), as: "b.mp4")
        let json = try await fw.json(["diff", String(a.prefix(10)), String(b.prefix(10)), "--visual"])
        #expect(json["a"] as? String == a && json["b"] as? String == b)
        let notes = try #require((json["visual"] as? [String: Any])?["notes"] as? [String])
        #expect(
            notes.contains { $0.contains("frame rates differ") } && notes.contains { $0.contains("durations differ") })
        let text = try await fw.run(["diff", a, b, "--visual"])
        #expect(text.stdout.contains("note: frame rates differ"), "\(text)")
    }

    @Test("diff without --visual is unchanged: it needs revisions")
    func plain() async throws {
        let fw = try await FrameWorkspace.make("cli-diff-plain")
        let a = try await fw.add(try await FrameFixtures.path(.gop48), as: "a.mp4")
        let result = try await fw.run(["diff", a, a])
        #expect(result.failedCleanly, "\(result)")
    }
}
