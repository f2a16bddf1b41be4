import Foundation
import TestSupport
import Testing

/// FFmpeg's libraries (and the ~140 they pull in) are loaded only by the
/// commands that decode or probe media. The dynamic loader itself is the
/// oracle: with `LD_DEBUG=libs` it reports every library it initialises.
@Suite struct LazyFFmpeg {
    static func loadsLibavcodec(_ result: ProcessResult) -> Bool {
        result.stderr.split(separator: "\n").contains { $0.contains("calling init") && $0.contains("libavcodec.so") }
    }

    @Test("log, status, show and a cached thumbnail do not load FFmpeg; add and a new thumbnail do")
    func onlyMediaCommandsLoadFFmpeg() async throws {
        let ws = try await CLIWorkspace.make("lazy-ffmpeg")
        let clip = ws.file("clip.mp4")
        try FileManager.default.copyItem(atPath: try await FrameFixtures.path(.gop48), toPath: clip)
        let trace = ["LD_DEBUG": "libs"]

        let added = try await ws.run(["record", clip, "-m", "first"], environment: trace)
        #expect(added.succeeded, "\(added)")
        #expect(Self.loadsLibavcodec(added), "recording probes the clip with libavformat")

        for arguments in [["log"], ["status"], ["show", "HEAD"], ["branch"], ["--version"]] {
            let result = try await ws.run(arguments, environment: trace)
            #expect(result.succeeded, "\(arguments): \(result.stdout)")
            #expect(!Self.loadsLibavcodec(result), "\(arguments) loads FFmpeg")
            #expect(result.stderr.contains("calling init"), "LD_DEBUG reports nothing: the check would prove nothing")
        }

        let fresh = try await ws.run(["thumbnail", "HEAD", "--at", "1", "-o", ws.file("a.png")], environment: trace)
        #expect(fresh.succeeded, "\(fresh.stdout)")
        #expect(Self.loadsLibavcodec(fresh), "a new thumbnail decodes the clip")
        let cached = try await ws.run(["thumbnail", "HEAD", "--at", "1", "-o", ws.file("b.png")], environment: trace)
        #expect(cached.succeeded && cached.stdout.contains("(cached)"), "\(cached.stdout)")
        #expect(!Self.loadsLibavcodec(cached), "a cached thumbnail is served without FFmpeg")
        #expect(fileBytes(ws.file("a.png")) == fileBytes(ws.file("b.png")))
    }
}
