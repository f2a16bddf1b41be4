import Foundation
import TestSupport
import Testing

/// Requests made from real footage (issue 20 §1 and §5): the type sent is one
/// the API documents, the shape follows the source, and what the API would
/// refuse (and bill) is refused before anything is sent.
@Suite("Generation: requests that fit the footage")
struct GenerationFootageRequestTests {
    /// The first input part of an edit's `--dry-run --json` request.
    static func sourcePart(_ json: [String: Any]) -> [String: Any] {
        ((json["request"] as? [String: Any])?["input"] as? [[String: Any]])?.first ?? [:]
    }

    @Test(
        "a recorded phone .mov is sent as video/mov (not video/quicktime), and the fake, which refuses undocumented types, accepts the edit"
    )
    func movIsSentAsDocumentedType() async throws {
        let world = try await GenerationWorld.make("gen-mov")
        let mp4 = try await makeTestClip(world.ws.file("src.mp4"), seconds: 3, size: "64x48", tone: 440)
        let mov = world.ws.file("phone.mov")
        try await Tool.check("ffmpeg", ["-v", "error", "-i", mp4, "-c", "copy", "-f", "mov", mov])
        try await world.check(["record", mov, "-m", "from the phone"])
        let assets = try await world.array(["assets"])
        #expect(
            assets.contains { $0["mime"] as? String == "video/quicktime" },
            "the store keeps the container's own type: \(assets)")

        let dry = try await world.object(["edit", "warmer light", "--dry-run"])
        #expect(Self.sourcePart(dry)["mime_type"] as? String == "video/mov", "\(dry)")
        try await world.check(["edit", "warmer light"])
        let sent = try await world.fake.creates().last?.jsonObject["input"] as? [[String: Any]] ?? []
        #expect(sent.first?["mime_type"] as? String == "video/mov", "\(sent)")
    }

    /// The MD5 of each decoded video frame, in order (ffmpeg's framemd5).
    static func frameHashes(_ path: String) async throws -> [String] {
        let result = try await Tool.check("ffmpeg", ["-v", "error", "-i", path, "-map", "0:v", "-f", "framemd5", "-"])
        return result.stdoutLines.filter { !$0.hasPrefix("#") }.compactMap {
            $0.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) }
        }
    }

    @Test(
        "an MPEG-TS clip is sent as its MP4 view: remuxed in-process without re-encoding (ffmpeg decodes the same frames), stored once, and accepted by the fake"
    )
    func transportStreamIsSentAsMP4View() async throws {
        let world = try await GenerationWorld.make("gen-ts")
        let mp4 = try await makeTestClip(world.ws.file("src.mp4"), seconds: 3, tone: 330)
        let ts = world.ws.file("broadcast.ts")
        try await Tool.check("ffmpeg", ["-v", "error", "-i", mp4, "-c", "copy", "-f", "mpegts", ts])
        let recorded = try await world.object(["record", ts, "-m", "off air"])
        let tsAsset = try #require(recorded["output"] as? String)

        for _ in 0..<2 {
            let dry = try await world.object(["edit", "brighter", "--dry-run"])
            #expect(Self.sourcePart(dry)["mime_type"] as? String == "video/mp4", "\(dry)")
        }
        // The same clip gives the same bytes: one view, however often it is made.
        let views = try await world.array(["assets"]).filter {
            ($0["paths"] as? [String])?.contains("remux-of:\(tsAsset)") == true
        }
        #expect(views.count == 1, "\(views)")
        let view = try #require(views.first?["id"] as? String)
        #expect(views.first?["mime"] as? String == "video/mp4")
        let exported = world.ws.file("view.mp4")
        try await world.check(["export", view, "-o", exported])
        #expect(
            try await Self.frameHashes(exported) == (try await Self.frameHashes(ts)),
            "stream copy: the same decoded frames")
        let streams = try await FFprobe.report(exported).streams.map(\.codecType)
        #expect(streams.contains("video") && streams.contains("audio"), "\(streams)")

        try await world.fake.clearRequests()
        let edited = try await world.object(["edit", "brighter"])
        let sent = try await world.fake.creates().last?.jsonObject["input"] as? [[String: Any]] ?? []
        #expect(sent.first?["mime_type"] as? String == "video/mp4", "\(sent)")
        // The turn names the view that was sent.
        let inputs = (edited["inputs"] as? [[String: Any]] ?? []).compactMap { $0["asset"] as? String }
        #expect(inputs.contains(view), "\(edited)")
    }

    @Test(
        "a clip whose streams cannot go into an MP4 as they are is refused before any request, with the re-encode command"
    )
    func unremuxableIsRefused() async throws {
        let world = try await GenerationWorld.make("gen-unremuxable")
        // Theora in Ogg: an undocumented container whose video codec MP4 cannot hold.
        let ogg = world.ws.file("old.ogv")
        try await Tool.check(
            "ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc=s=64x48:d=2:r=10", "-c:v", "libtheora", ogg])
        try await world.check(["record", ogg, "-m", "archive"])
        try await world.fake.clearRequests()
        let result = try await world.run(["edit", "brighter"])
        #expect(result.failedCleanly, "\(result)")
        #expect(result.stderrLines.count == 1 && result.stderr.contains("re-encode"), "\(result.stderr)")
        #expect(try await world.fake.requests().isEmpty, "a refused request reached the API")
    }

    @Test("an edit of a recorded portrait clip asks for 9:16; --aspect overrides it")
    func aspectFollowsTheSource() async throws {
        let world = try await GenerationWorld.make("gen-aspect")
        let mp4 = try await makeTestClip(world.ws.file("src.mp4"), seconds: 3, size: "96x54")
        let portrait = world.ws.file("portrait.mov")
        try await Tool.check(
            "ffmpeg", ["-v", "error", "-i", mp4, "-c", "copy", "-metadata:s:v:0", "rotate=90", portrait])
        try await world.check(["record", portrait, "-m", "vertical"])
        let format = { (json: [String: Any]) in
            (json["request"] as? [String: Any])?["response_format"] as? [String: Any] ?? [:]
        }
        #expect(
            format(try await world.object(["edit", "slow push-in", "--dry-run"]))["aspect_ratio"] as? String == "9:16")
        #expect(
            format(try await world.object(["edit", "slow push-in", "--aspect", "16:9", "--dry-run"]))["aspect_ratio"]
                as? String == "16:9")

        let landscape = try await makeTestClip(world.ws.file("wide.mp4"), seconds: 3, size: "96x54")
        try await world.check(["record", landscape, "-m", "wide"])
        #expect(
            format(try await world.object(["edit", "slow push-in", "--dry-run"]))["aspect_ratio"] as? String == "16:9")
    }

    @Test("translating a clip with no audio stream, or editing a 12 s clip, is refused before any request")
    func documentedLimitsAreCheckedInDryRun() async throws {
        let world = try await GenerationWorld.make("gen-limits")
        let silent = try await makeTestClip(world.ws.file("silent.mp4"), seconds: 3)
        try await world.check(["record", silent, "-m", "silent"])
        try await world.fake.clearRequests()
        for arguments in [["translate", "es", "--dry-run"], ["translate", "es"]] {
            let result = try await world.run(arguments)
            #expect(!result.succeeded)
            #expect(result.stderr.contains("has no audio stream"), "\(result)")
        }
        let long = try await makeTestClip(world.ws.file("long.mp4"), seconds: 12, tone: 440)
        try await world.check(["record", long, "-m", "twelve seconds"])
        let edit = try await world.run(["edit", "shorter", "--dry-run"])
        #expect(!edit.succeeded)
        #expect(edit.stderr.contains("lasts 12.0 s") && edit.stderr.contains("at most 10 s"), "\(edit)")
        #expect(try await world.fake.requests().isEmpty)
    }
}
